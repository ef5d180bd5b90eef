package io.veloq.api.buffer;

import io.veloq.api.bootstrap.SlabMemory;

import java.nio.ByteBuffer;

/**
 * A pool of equally sized {@link FixedBuf}s carved from page-aligned off-heap slabs. Each slab is one
 * region: a loop's own pool ({@code loop.bufPool()}) is registered with its driver, so {@code ReadFixed}
 * and {@code WriteFixed} can name the region instead of pinning pages per op.
 *
 * <pre>{@code
 * try (BufPool pool = BufPool.allocate(16 * 1024, 256)) {   // an unregistered pool of its own
 *     FixedBuf b = pool.lease();
 *     ...
 *     b.release();
 * }
 * }</pre>
 *
 * <p>Leasing and releasing are thread-safe. {@link #close()} refuses while buffers are still leased:
 * their memory could be in the kernel's hands.
 *
 * @since 0.1
 */
public final class BufPool implements AutoCloseable {
    /** The largest slab: io_uring accepts registered regions up to 1 GiB; we stay far below. */
    private static final int MAX_SLAB_BYTES = 64 << 20;

    private final int bufSize;
    private final FixedBuf[] bufs;
    private final int[] free;
    private final ByteBuffer[] slabs;
    private final SlabMemory memory;
    private int freeCount;
    private boolean closed;
    private volatile boolean registered;

    BufPool(int bufSize, int count, SlabMemory memory) {
        if (bufSize <= 0) {
            throw new IllegalArgumentException("buffer size must be positive, got " + bufSize);
        }
        if (count <= 0) {
            throw new IllegalArgumentException("buffer count must be positive, got " + count);
        }
        if (bufSize > MAX_SLAB_BYTES) {
            throw new IllegalArgumentException("buffer size " + bufSize + " exceeds the largest slab (" + MAX_SLAB_BYTES + " bytes)");
        }
        this.bufSize = bufSize;
        this.memory = memory;
        int perSlab = Math.max(1, Math.min(count, MAX_SLAB_BYTES / bufSize));
        int slabCount = (count + perSlab - 1) / perSlab;
        this.slabs = new ByteBuffer[slabCount];
        this.bufs = new FixedBuf[count];
        this.free = new int[count];
        for (int s = 0; s < slabCount; s++) {
            int inThis = Math.min(perSlab, count - s * perSlab);
            slabs[s] = memory.allocate(inThis * bufSize);
            for (int j = 0; j < inThis; j++) {
                int i = s * perSlab + j;
                ByteBuffer slice = slabs[s].slice(j * bufSize, bufSize).order(java.nio.ByteOrder.nativeOrder());
                bufs[i] = new FixedBuf(this, i, slice, s, (long) j * bufSize);
            }
        }
        for (int i = 0; i < count; i++) {
            free[i] = count - 1 - i;
        }
        freeCount = count;
    }

    /** A pool of {@code count} buffers of {@code bufSize} bytes in JDK direct memory, not registered with any driver. */
    public static BufPool allocate(int bufSize, int count) {
        return new BufPool(bufSize, count, SlabMemory.DIRECT);
    }

    /** Leases a buffer (indices at 0). @throws IllegalStateException if none is free or the pool is closed */
    public FixedBuf lease() {
        FixedBuf b = tryLease();
        if (b == null) {
            throw new IllegalStateException("BufPool exhausted: all " + bufs.length + " buffers of " + bufSize
                    + " bytes are leased; release some or size the pool larger");
        }
        return b;
    }

    /** Leases a buffer, or returns null if none is free. */
    public synchronized FixedBuf tryLease() {
        if (closed) {
            throw new IllegalStateException("BufPool is closed");
        }
        if (freeCount == 0) {
            return null;
        }
        FixedBuf b = bufs[free[--freeCount]];
        b.setLeased(true);
        return b;
    }

    synchronized void giveBack(FixedBuf b) {
        if (!b.setLeased(false)) {
            throw new IllegalStateException("double release of " + b + ": it is already back in its pool");
        }
        free[freeCount++] = b.poolIndex();
    }

    public int bufferSize() {
        return bufSize;
    }

    public int capacity() {
        return bufs.length;
    }

    /** Buffers currently leased. */
    public synchronized int outstanding() {
        return bufs.length - freeCount;
    }

    /** Number of regions (slabs). */
    public int regionCount() {
        return slabs.length;
    }

    /** True when registered with a driver, so {@code ReadFixed}/{@code WriteFixed} may use its buffers. */
    public boolean isRegistered() {
        return registered;
    }

    ByteBuffer[] slabs() {
        return slabs.clone();
    }

    void registered(boolean value) {
        registered = value;
    }

    /**
     * Frees the slabs. @throws IllegalStateException if buffers are still leased (their memory may
     * still be the kernel's)
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        int out = bufs.length - freeCount;
        if (out > 0) {
            throw new IllegalStateException("cannot close BufPool: " + out + " of " + bufs.length
                    + " buffers are still leased; release them first");
        }
        closed = true;
        for (int i = 0; i < slabs.length; i++) {
            memory.free(slabs[i]);
            slabs[i] = null;
        }
    }

    public synchronized boolean isClosed() {
        return closed;
    }

    @Override
    public String toString() {
        return "BufPool(" + bufs.length + " x " + bufSize + " bytes, " + slabs.length + " regions)";
    }
}
