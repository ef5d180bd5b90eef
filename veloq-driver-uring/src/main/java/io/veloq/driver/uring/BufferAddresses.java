package io.veloq.driver.uring;

import io.veloq.api.buffer.BufPool;
import io.veloq.api.buffer.FixedBuf;
import io.veloq.driver.uring.ffi.Syscalls;
import io.veloq.spi.IoBuffers;

import java.nio.ByteBuffer;

/**
 * Native addresses of {@link FixedBuf}s, and the regions registered with the kernel for
 * {@code READ_FIXED}/{@code WRITE_FIXED}. A buffer's address is its region's base plus its offset in the
 * region; bases are learnt once per pool region (one JNI call) and cached, so the hot path is array
 * reads. Loop thread only.
 */
final class BufferAddresses {
    private static final int POOLS = 4;

    private final Syscalls sys;
    private final BufPool[] pools = new BufPool[POOLS];
    private final long[][] bases = new long[POOLS][];
    private int nextVictim;
    private BufPool lastPool;
    private long[] lastBases;

    // Registered regions: strong references keep the slabs' memory alive while the kernel has them pinned.
    private ByteBuffer[] registered = new ByteBuffer[0];
    private long[] registeredAddr = new long[0];
    private long[] registeredLen = new long[0];

    BufferAddresses(Syscalls sys) {
        this.sys = sys;
    }

    /** Address of the buffer's first byte. */
    long address(FixedBuf buf) {
        BufPool pool = buf.pool();
        long[] b = pool == lastPool ? lastBases : basesOf(pool);
        int region = buf.regionIndex();
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

    /** Remembers the regions now registered with the kernel (index = region index). */
    void registered(ByteBuffer[] slabs, long[] addrs) {
        registered = slabs.clone();
        registeredAddr = addrs.clone();
        registeredLen = new long[slabs.length];
        for (int i = 0; i < slabs.length; i++) {
            registeredLen[i] = slabs[i].capacity();
        }
    }

    int registeredCount() {
        return registered.length;
    }

    /**
     * True when {@code [addr, addr + len)} lies in registered region {@code region}: what the kernel
     * checks for a fixed-buffer op, checked here so the op is refused before submission.
     */
    boolean inRegisteredRegion(int region, long addr, int len) {
        return region >= 0 && region < registeredAddr.length && addr >= registeredAddr[region]
                && addr + len <= registeredAddr[region] + registeredLen[region];
    }

    /** Forgets everything (close). */
    void clear() {
        registered = new ByteBuffer[0];
        registeredAddr = new long[0];
        registeredLen = new long[0];
        for (int i = 0; i < POOLS; i++) {
            pools[i] = null;
            bases[i] = null;
        }
        lastPool = null;
        lastBases = null;
    }
}
