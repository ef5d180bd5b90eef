package io.veloq.spi.internal.host;

import io.veloq.api.Capability;
import io.veloq.api.VeloqIoException;
import io.veloq.api.bootstrap.ApiAccess;
import io.veloq.api.bootstrap.RingHost;
import io.veloq.api.buffer.BufPool;
import io.veloq.api.buffer.BufRing;
import io.veloq.api.buffer.FixedBuf;
import io.veloq.spi.Driver;

import java.util.ArrayList;
import java.util.List;

/**
 * A loop's provided-buffer rings ({@link BufRing}): opens them from the loop's pool, registers them with the
 * driver, gives released buffers back to it, and closes them (on request, or with the loop). Loop thread
 * only, except what {@link RingHost} says may run anywhere.
 */
final class LoopRings implements RingHost {
    private static final ApiAccess.Bufs BUFS = ApiAccess.bufs();
    /** io_uring's ring entries are at most 32768 (IORING_MAX_... for pbuf rings: a u16 id space). */
    static final int MAX_BUFFERS = 1 << 15;

    private final LoopHost loop;
    private final List<BufRing> open = new ArrayList<>();
    private Driver driver;
    private int nextGroup;

    LoopRings(LoopHost loop) {
        this.loop = loop;
    }

    void attach(Driver d) {
        this.driver = d;
    }

    /** Opens a ring of {@code count} of {@code pool}'s buffers; loop thread. */
    BufRing open(int count, BufPool pool) {
        if (!driver.capabilities().contains(Capability.MULTISHOT)) {
            throw new UnsupportedOperationException("the " + driver.id() + " driver has no provided-buffer rings "
                    + "(capability MULTISHOT); receive with Recv instead");
        }
        if (count <= 0 || count > MAX_BUFFERS || Integer.bitCount(count) != 1) {
            throw new IllegalArgumentException("a buffer ring holds a power of two of buffers, 1.." + MAX_BUFFERS
                    + "; got " + count);
        }
        if (pool == null) {
            throw new IllegalStateException(loop + " has no buffer pool (IoRuntime.builder().buffers(size, max)); "
                    + "a buffer ring takes its buffers from it");
        }
        if (nextGroup > 0xffff) {
            throw new IllegalStateException(loop + " has opened 65536 buffer rings, the most a driver can name");
        }
        FixedBuf[] bufs = new FixedBuf[count];
        for (int i = 0; i < count; i++) {
            bufs[i] = pool.tryLease();
            if (bufs[i] == null) {
                for (int j = 0; j < i; j++) {
                    bufs[j].release();
                }
                throw new IllegalStateException("cannot open a ring of " + count + " buffers on " + loop + ": " + pool
                        + " could lend only " + i + "; raise its cap (IoRuntime.builder().buffers(size, max)) or use "
                        + "a smaller ring");
            }
        }
        int group = nextGroup++;
        try {
            driver.registerBufRing(group, bufs);
        } catch (VeloqIoException | RuntimeException e) {
            for (FixedBuf b : bufs) {
                b.release();
            }
            throw new IllegalStateException("the " + driver.id() + " driver refused a ring of " + count + " buffers on "
                    + loop + ": " + e.getMessage(), e);
        }
        BufRing ring = BUFS.newRing(loop + "'s buffer ring " + group, bufs, group, this);
        open.add(ring);
        return ring;
    }

    /** True if {@code ring} is one of this loop's open rings. */
    boolean owns(BufRing ring) {
        return !ring.isClosed() && open.contains(ring);
    }

    @Override
    public boolean inLoop() {
        return loop.inLoop();
    }

    @Override
    public void execute(Runnable task) {
        try {
            loop.execute(task);
        } catch (IllegalStateException closed) {
            // The loop is gone: its rings were closed with it, the buffer goes back to its pool when the
            // task would have run. Nothing to hand over.
        }
    }

    @Override
    public void provide(BufRing ring, int id) {
        driver.provideBuffer(ring.group(), id);
    }

    @Override
    public void close(BufRing ring) {
        if (loop.inLoop()) {
            closeHere(ring);
            return;
        }
        try {
            loop.runOnLoop(() -> {
                closeHere(ring);
                return null;
            });
        } catch (java.io.IOException e) {
            throw new IllegalStateException("cannot close " + ring + ": " + e.getMessage(), e);
        }
    }

    private void closeHere(BufRing ring) {
        if (ring.isClosed()) {
            return;
        }
        int users = BUFS.ringUsers(ring);
        if (users > 0) {
            throw new IllegalStateException("cannot close " + ring + ": " + users + " RecvMultishot op(s) still take "
                    + "buffers from it; cancel them and close it from their final completion");
        }
        open.remove(ring);
        driver.unregisterBufRing(ring.group());
        BUFS.ringClosed(ring);
    }

    /** The loop closes (its ops have drained): every ring goes, its buffers back to the pool. */
    void closeAll() {
        for (BufRing r : List.copyOf(open)) {
            open.remove(r);
            try {
                driver.unregisterBufRing(r.group());
            } catch (RuntimeException e) {
                LoopHost.report("unregistering " + r + " on close", e);
            }
            BUFS.ringClosed(r);
        }
    }
}
