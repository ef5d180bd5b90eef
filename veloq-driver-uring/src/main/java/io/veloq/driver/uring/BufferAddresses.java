package io.veloq.driver.uring;

import io.veloq.api.buffer.BufPool;
import io.veloq.api.buffer.FixedBuf;
import io.veloq.driver.uring.ffi.Syscalls;
import io.veloq.spi.IoBuffers;

import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * Native addresses of {@link FixedBuf}s, and the regions registered with the kernel for
 * {@code READ_FIXED}/{@code WRITE_FIXED}. A buffer's address is its region's base plus its offset in the
 * region; bases are learnt once per pool region (one JNI call) and cached, so the hot path is array
 * reads. Pools grow, so both tables widen when a higher region shows up. Loop thread only.
 */
final class BufferAddresses {
    private static final int POOLS = 4;

    private final Syscalls sys;
    private final BufPool[] pools = new BufPool[POOLS];
    private final long[][] bases = new long[POOLS][];
    private int nextVictim;
    private BufPool lastPool;
    private long[] lastBases;

    // Registered regions, by index: strong references keep the slabs' memory alive while the kernel has
    // them pinned. A length of 0 marks a slot not registered.
    private ByteBuffer[] registered = new ByteBuffer[0];
    private long[] registeredAddr = new long[0];
    private long[] registeredLen = new long[0];
    private int registeredCount;

    BufferAddresses(Syscalls sys) {
        this.sys = sys;
    }

    /** Address of the buffer's first byte. */
    long address(FixedBuf buf) {
        BufPool pool = buf.pool();
        long[] b = pool == lastPool ? lastBases : basesOf(pool);
        int region = buf.regionIndex();
        if (region >= b.length) {
            b = widen(pool, region); // the pool grew since we first saw it
        }
        long off = IoBuffers.offsetInRegion(buf);
        long base = b[region];
        if (base == 0) {
            base = sys.addressOf(IoBuffers.memory(buf)) - off;
            b[region] = base;
        }
        return base + off;
    }

    private long[] basesOf(BufPool pool) {
        for (int i = 0; i < POOLS; i++) {
            if (pools[i] == pool) {
                lastPool = pool;
                lastBases = bases[i];
                return bases[i];
            }
        }
        int i = nextVictim;
        nextVictim = (nextVictim + 1) % POOLS;
        pools[i] = pool;
        bases[i] = new long[Math.max(1, pool.regionCount())];
        lastPool = pool;
        lastBases = bases[i];
        return bases[i];
    }

    private long[] widen(BufPool pool, int region) {
        for (int i = 0; i < POOLS; i++) {
            if (pools[i] == pool) {
                bases[i] = Arrays.copyOf(bases[i], Math.max(region + 1, pool.regionCount()));
                lastPool = pool;
                lastBases = bases[i];
                return bases[i];
            }
        }
        throw new IllegalStateException("no cached bases for " + pool); // basesOf ran just before
    }

    /** Remembers that region {@code index} is registered with the kernel at {@code addr}. */
    void registered(int index, ByteBuffer slab, long addr) {
        if (index >= registered.length) {
            int n = Math.max(index + 1, 2 * registered.length);
            registered = Arrays.copyOf(registered, n);
            registeredAddr = Arrays.copyOf(registeredAddr, n);
            registeredLen = Arrays.copyOf(registeredLen, n);
        }
        registered[index] = slab;
        registeredAddr[index] = addr;
        registeredLen[index] = slab.capacity();
        registeredCount = Math.max(registeredCount, index + 1);
    }

    /** Forgets every registered region (the kernel's table was dropped). */
    void unregisteredAll() {
        Arrays.fill(registered, null);
        Arrays.fill(registeredAddr, 0);
        Arrays.fill(registeredLen, 0);
        registeredCount = 0;
    }

    /** One past the highest registered region index. */
    int registeredCount() {
        return registeredCount;
    }

    /**
     * True when {@code [addr, addr + len)} lies in registered region {@code region}: what the kernel
     * checks for a fixed-buffer op, checked here so the op is refused before submission.
     */
    boolean inRegisteredRegion(int region, long addr, int len) {
        return region >= 0 && region < registeredCount && registeredLen[region] > 0 && addr >= registeredAddr[region]
                && addr + len <= registeredAddr[region] + registeredLen[region];
    }

    /** Forgets everything (close). */
    void clear() {
        unregisteredAll();
        for (int i = 0; i < POOLS; i++) {
            pools[i] = null;
            bases[i] = null;
        }
        lastPool = null;
        lastBases = null;
    }
}
