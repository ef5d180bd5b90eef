package io.veloq.api.buffer;

import io.veloq.api.bootstrap.SlabMemory;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;

/**
 * A pool of equally sized {@link FixedBuf}s carved from page-aligned off-heap slabs. It starts with a
 * small first chunk and grows on demand, one slab at a time, up to its cap: a lease that finds no free
 * buffer adds a slab (about as many buffers as the pool already has, so growth is rare) and takes a
 * buffer from it. Each slab is one region: a loop's own pool ({@code loop.bufPool()}) registers each new
 * region with its driver, so {@code ReadFixed} and {@code WriteFixed} can name the region instead of
 * pinning pages per op. A buffer's region index never changes.
 *
 * <pre>{@code
 * try (BufPool pool = BufPool.allocate(16 * 1024, 32, 4096)) {   // 32 now, up to 4096 on demand
 *     FixedBuf b = pool.lease();          // throws, saying so, when all 4096 are leased
 *     ...
 *     b.release();
 *     FixedBuf maybe = pool.tryLease();   // null instead: apply back-pressure (stop accepting, stop reading)
 * }
 * }</pre>
 *
 * <p><b>Memory.</b> Released buffers are reused first (last released, first leased), so a pool grows only
 * when more buffers are leased at once than it holds. Slabs are kept until {@link #close()}: a pool's
 * memory is the high-water mark of its use, bounded by its cap, and a registered region is never pulled
 * from under an op. Slabs come from JDK direct memory, limited by {@code -XX:MaxDirectMemorySize} (by
 * default the heap size, {@code -Xmx}); if growing fails for lack of it, {@link #lease()} says so and
 * names the fixes, {@link #tryLease()} returns null, and the pool stays usable with what it has. After
 * such a failure the pool does not try again for one second (the JDK spends up to half a second in GC
 * before refusing direct memory, which would stall an event loop on every lease).
 *
 * <p>Leasing and releasing are thread-safe and allocate nothing once the pool has grown to its working
 * size. {@link #close()} refuses while buffers are still leased: their memory could be in the kernel's hands.
 *
 * @since 0.1
 */
public final class BufPool implements AutoCloseable {
    /** The largest slab: io_uring accepts registered regions up to 1 GiB; we stay far below. */
    static final int MAX_SLAB_BYTES = 64 << 20;
    /** The most regions a pool may need: io_uring's registered-buffer table holds 16384 (IORING_MAX_REG_BUFFERS). */
    static final int MAX_REGIONS = 1 << 14;
    /** A growth slab adds at least 1/512 of the cap, so a pool needs a few hundred regions at most. */
    private static final int MIN_GROWTH_FRACTION = 512;
    private static final long RETRY_AFTER_FAILURE_NANOS = TimeUnit.SECONDS.toNanos(1);

    private final String name;
    private final String capSetting;
    private final int bufSize;
    private final int initial;
    private final int max;
    private final int perSlab;
    private final int growthChunk;
    private final int maxRegions;
    private final SlabMemory memory;

    // Guarded by this.
    private FixedBuf[] bufs;
    private int[] free;
    private int count;
    private int freeCount;
    private ByteBuffer[] slabs = new ByteBuffer[4];
    private int slabCount;
    private long allocatedBytes;
    private boolean closed;
    private long failedAtNanos;
    private String lastFailure;
    private volatile boolean registered;

    /**
     * @param name       how messages name the pool ("loop 0's buffer pool")
     * @param capSetting the setting a user raises for a larger cap, named in the exhaustion message
     */
    BufPool(String name, String capSetting, int bufSize, int initial, int max, SlabMemory memory) {
        if (bufSize <= 0) {
            throw new IllegalArgumentException("buffer size must be positive, got " + bufSize);
        }
        if (max <= 0) {
            throw new IllegalArgumentException("buffer count must be positive, got " + max);
        }
        if (initial < 0 || initial > max) {
            throw new IllegalArgumentException("initial buffer count must be in 0.." + max + " (the cap), got " + initial);
        }
        if (bufSize > MAX_SLAB_BYTES) {
            throw new IllegalArgumentException("buffer size " + bufSize + " exceeds the largest slab (" + MAX_SLAB_BYTES + " bytes)");
        }
        this.name = name;
        this.capSetting = capSetting;
        this.bufSize = bufSize;
        this.initial = initial;
        this.max = max;
        this.memory = memory;
        this.perSlab = MAX_SLAB_BYTES / bufSize;
        this.growthChunk = Math.min(perSlab, Math.max(Math.max(1, initial), ceilDiv(max, MIN_GROWTH_FRACTION)));
        // Worst case: the first chunk in full slabs, then growth slabs of growthChunk each (after failed
        // allocations fell back to the smallest), the last one short.
        long regions = ceilDiv(initial, perSlab) + (max > initial ? (max - initial) / growthChunk + 1L : 0);
        if (regions > MAX_REGIONS) {
            throw new IllegalArgumentException("a pool of up to " + max + " buffers of " + bufSize + " bytes needs up to "
                    + regions + " regions, more than the " + MAX_REGIONS + " a driver can register; use fewer or smaller buffers");
        }
        this.maxRegions = (int) regions;
        int start = Math.min(max, 64);
        this.bufs = new FixedBuf[Math.max(start, initial)];
        this.free = new int[bufs.length];
        int left = initial;
        while (left > 0) {
            int n = Math.min(left, perSlab);
            String failure = addSlab(n);
            if (failure != null) {
                freeSlabs();
                throw new IllegalStateException(failure.replace(name + " cannot grow:", name + " cannot allocate its first "
                        + initial + " buffers:"));
            }
            left -= n;
        }
    }

    /** A pool of {@code count} buffers of {@code bufSize} bytes, all allocated now, in JDK direct memory, not registered with any driver. */
    public static BufPool allocate(int bufSize, int count) {
        return new BufPool("BufPool", "BufPool.allocate(size, count)", bufSize, count, count, SlabMemory.DIRECT);
    }

    /**
     * A pool that allocates {@code initial} buffers of {@code bufSize} bytes now and grows on demand to at
     * most {@code max}, in JDK direct memory, not registered with any driver.
     *
     * @since 0.2
     */
    public static BufPool allocate(int bufSize, int initial, int max) {
        return new BufPool("BufPool", "BufPool.allocate(size, initial, max)", bufSize, initial, max, SlabMemory.DIRECT);
    }

    /**
     * Leases a buffer (indices at 0), growing the pool if none is free and it is below its cap.
     *
     * @throws IllegalStateException if all {@link #maxCapacity()} buffers are leased (the message names the
     *     pool, its cap, and the setting to raise), if growing failed for lack of direct memory (the message
     *     names the cause and the fixes), or if the pool is closed
     */
    public FixedBuf lease() {
        FixedBuf b = tryLease();
        if (b == null) {
            throw new IllegalStateException(whyNone());
        }
        return b;
    }

    /**
     * Leases a buffer, or returns null if none is free and the pool cannot grow: it is at its cap, or
     * growing it failed for lack of direct memory ({@link #lease()} says which). For servers that apply
     * back-pressure instead of failing.
     *
     * @throws IllegalStateException if the pool is closed
     * @since 0.1
     */
    public synchronized FixedBuf tryLease() {
        if (closed) {
            throw new IllegalStateException(name + " is closed");
        }
        if (freeCount == 0 && !grow()) {
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

    /** Adds a slab of about the pool's current size (at least the growth chunk, at most the cap). Rare path. */
    private boolean grow() {
        if (count >= max) {
            return false;
        }
        if (lastFailure != null && System.nanoTime() - failedAtNanos < RETRY_AFTER_FAILURE_NANOS) {
            return false;
        }
        int room = max - count;
        int want = Math.min(room, Math.min(perSlab, Math.max(growthChunk, count)));
        String failure = addSlab(want);
        if (failure != null && want > growthChunk) {
            failure = addSlab(Math.min(room, growthChunk)); // maybe a smaller slab still fits
        }
        if (failure != null) {
            if (lastFailure == null) { // once per episode: until growing works again
                System.getLogger("io.veloq.buffer").log(System.Logger.Level.WARNING, failure);
            }
            lastFailure = failure;
            failedAtNanos = System.nanoTime();
            return false;
        }
        lastFailure = null;
        return true;
    }

    /** Allocates one slab of {@code n} buffers and frees them into the pool; returns why not, or null. */
    private String addSlab(int n) {
        ByteBuffer slab;
        try {
            slab = memory.allocate(n * bufSize);
        } catch (OutOfMemoryError e) {
            return growthFailure(n, e);
        }
        if (slabCount == slabs.length) {
            slabs = Arrays.copyOf(slabs, slabCount * 2);
        }
        int region = slabCount;
        slabs[slabCount++] = slab;
        allocatedBytes += slab.capacity();
        if (count + n > bufs.length) {
            int size = (int) Math.min(max, Math.max(count + n, 2L * bufs.length));
            bufs = Arrays.copyOf(bufs, size);
            free = Arrays.copyOf(free, size);
        }
        // Pushed in reverse so the slab's first buffer is leased first.
        for (int j = n - 1; j >= 0; j--) {
            ByteBuffer slice = slab.slice(j * bufSize, bufSize).order(ByteOrder.nativeOrder());
            int i = count + j;
            bufs[i] = new FixedBuf(this, i, slice, region, (long) j * bufSize);
            free[freeCount++] = i;
        }
        count += n;
        return null;
    }

    private String growthFailure(int n, OutOfMemoryError e) {
        return name + " cannot grow: " + mib((long) n * bufSize) + " more of direct memory (" + n + " buffers of "
                + bufSize + " bytes) was refused: " + e.getMessage() + ". It holds " + count + " buffers ("
                + mib(allocatedBytes) + ") of its cap of " + max + ". Fixes: raise -XX:MaxDirectMemorySize (by default "
                + "it is the heap size, -Xmx), run fewer event loops (threads), or use smaller buffers or a lower cap ("
                + capSetting + "; echo server: --buffer-size, --max-conns)";
    }

    private synchronized String whyNone() {
        if (count < max && lastFailure != null) {
            return lastFailure;
        }
        return name + " is exhausted: all " + max + " buffers of " + bufSize + " bytes (its cap) are leased ("
                + (count - freeCount) + " leased); release buffers sooner, raise the cap (" + capSetting
                + "), or use tryLease() and apply back-pressure when it returns null";
    }

    private static String mib(long bytes) {
        return bytes >= 1 << 20 ? String.format("%.1f MiB", bytes / 1048576.0) : (bytes >> 10) + " KiB";
    }

    private static int ceilDiv(int a, int b) {
        return (a + b - 1) / b;
    }

    public int bufferSize() {
        return bufSize;
    }

    /** Buffers the pool holds now, leased or free: it grows up to {@link #maxCapacity()}. */
    public synchronized int capacity() {
        return count;
    }

    /** The cap: the most buffers the pool will ever hold. @since 0.2 */
    public int maxCapacity() {
        return max;
    }

    /** Buffers allocated when the pool was created (its first chunk). @since 0.2 */
    public int initialCapacity() {
        return initial;
    }

    /** Buffers currently leased. */
    public synchronized int outstanding() {
        return count - freeCount;
    }

    /** Number of regions (slabs) allocated so far. */
    public synchronized int regionCount() {
        return slabCount;
    }

    /** Bytes of direct memory the pool's slabs hold now (0 once closed). @since 0.2 */
    public synchronized long allocatedBytes() {
        return allocatedBytes;
    }

    /** True when registered with a driver, so {@code ReadFixed}/{@code WriteFixed} may use its buffers. */
    public boolean isRegistered() {
        return registered;
    }

    synchronized ByteBuffer[] slabs() {
        return Arrays.copyOf(slabs, slabCount);
    }

    int maxRegions() {
        return maxRegions;
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
        int out = count - freeCount;
        if (out > 0) {
            throw new IllegalStateException("cannot close " + name + ": " + out + " of " + count
                    + " buffers are still leased; release them first");
        }
        closed = true;
        freeSlabs();
    }

    private void freeSlabs() {
        for (int i = 0; i < slabCount; i++) {
            memory.free(slabs[i]);
            slabs[i] = null;
        }
        Arrays.fill(bufs, null);
        allocatedBytes = 0;
    }

    public synchronized boolean isClosed() {
        return closed;
    }

    @Override
    public synchronized String toString() {
        return name + " (" + count + " of up to " + max + " x " + bufSize + " bytes, " + slabCount + " regions)";
    }
}
