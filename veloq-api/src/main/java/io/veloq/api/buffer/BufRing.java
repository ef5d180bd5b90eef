package io.veloq.api.buffer;

import io.veloq.api.bootstrap.RingHost;

import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * A ring of buffers handed to the kernel ahead of time, for multishot receives
 * ({@link io.veloq.api.op.RecvMultishot}): the kernel picks a free buffer for each chunk it receives, so
 * thousands of idle connections need no buffer each, only the ones with data in flight. The buffers are
 * {@link FixedBuf}s leased from the loop's registered pool, so a received chunk can be sent back from the
 * same memory ({@code Send}, zero-copy send, {@code WriteFixed}) without a copy.
 *
 * <p>A buffer arrives with an item of a {@code RecvMultishot} (its readable bytes are the chunk) and is the
 * application's until it calls {@link FixedBuf#release()}, which puts it back into this ring (not into the
 * pool). Release buffers promptly: when the ring runs dry the multishot receive ends with
 * {@link io.veloq.api.IoErrorKind#NO_BUFFER_SPACE}. While a buffer is in the ring every access to it throws.
 * Releasing on the loop thread costs nothing; from another thread the buffer is handed to the loop.
 *
 * <pre>{@code
 * BufRing ring = loop.openBufRing(256);        // 256 of the pool's buffers, registered as one group
 * loop.submit(Op.of(new RecvMultishot(stream.fd(), ring), StreamCompleter.of(
 *         (op, n, buf) -> { process(buf); buf.release(); },
 *         op -> { ... })));
 * ...
 * ring.close();                                // after its receives have ended: buffers back to the pool
 * }</pre>
 *
 * <p>On io_uring it is a provided-buffer ring ({@code IORING_REGISTER_PBUF_RING}); drivers without one
 * (IOCP) pick buffers from it themselves, so the semantics are the same everywhere.
 *
 * @since 0.3
 */
public final class BufRing implements AutoCloseable {
    private final String name;
    private final FixedBuf[] bufs;
    private final int group;
    private final RingHost host;
    private final ConcurrentLinkedQueue<FixedBuf> releasedElsewhere = new ConcurrentLinkedQueue<>();
    private final Runnable drainReleased = this::drainReleased;
    private volatile boolean closed;
    // Loop thread only: ops in the driver that take buffers from this ring; buffers in the ring; tasks waiting
    // for one to come back (a multishot receive that ended for want of buffers, re-armed by the net API).
    private int users;
    private int available;
    private Runnable[] waiters = new Runnable[4];
    private int waiterCount;

    BufRing(String name, FixedBuf[] bufs, int group, RingHost host) {
        this.name = name;
        this.bufs = bufs;
        this.group = group;
        this.host = host;
        for (int i = 0; i < bufs.length; i++) {
            bufs[i].adoptInto(this, i);
        }
        this.available = bufs.length;
    }

    /** Buffers in the ring now, free for the kernel to fill. Loop thread. */
    public int available() {
        return available;
    }

    /**
     * Runs {@code task} on the loop thread once a buffer is back in the ring: at once if one is, else when the
     * application releases one. For re-arming a multishot receive that ended with
     * {@link io.veloq.api.IoErrorKind#NO_BUFFER_SPACE} without spinning. Loop thread only.
     */
    public void whenAvailable(Runnable task) {
        if (available > 0 || closed) {
            task.run();
            return;
        }
        if (waiterCount == waiters.length) {
            waiters = java.util.Arrays.copyOf(waiters, waiterCount * 2);
        }
        waiters[waiterCount++] = task;
    }

    private void provided(int id) {
        host.provide(this, id);
        available++;
        if (waiterCount > 0) {
            int n = waiterCount;
            waiterCount = 0;
            for (int i = 0; i < n; i++) {
                Runnable r = waiters[i];
                waiters[i] = null;
                r.run();
            }
        }
    }

    /** Buffers in the ring (in the kernel's hands or the application's). */
    public int size() {
        return bufs.length;
    }

    /** Bytes per buffer. */
    public int bufferSize() {
        return bufs[0].capacity();
    }

    /** The driver's buffer-group id of this ring. */
    public int group() {
        return group;
    }

    /** True once closed. */
    public boolean isClosed() {
        return closed;
    }

    /**
     * Unregisters the ring from the driver and returns its buffers to the loop's pool; buffers the
     * application still holds return to the pool when released. Waits for the loop (except on it).
     *
     * @throws IllegalStateException if a multishot receive on this ring is still in flight (cancel it and
     *     wait for its final completion first)
     */
    @Override
    public void close() {
        if (!closed) {
            host.close(this);
        }
    }

    /** A released buffer comes back: straight to the driver on the loop thread, else handed to the loop. */
    void recycle(FixedBuf b) {
        if (b.inRing()) {
            throw new IllegalStateException("double release of " + b + ": it is already back in " + this);
        }
        b.returnToRing();
        if (closed) {
            b.leaveRing();
            b.pool().giveBack(b);
            return;
        }
        if (host.inLoop()) {
            provided(b.ringId());
            return;
        }
        releasedElsewhere.add(b);
        host.execute(drainReleased);
    }

    private void drainReleased() {
        FixedBuf b;
        while ((b = releasedElsewhere.poll()) != null) {
            if (closed) {
                b.leaveRing();
                b.pool().giveBack(b);
            } else {
                provided(b.ringId());
            }
        }
    }

    /** The buffer the driver filled, now the application's, holding {@code length} readable bytes. */
    FixedBuf take(int id, int length) {
        if (id < 0 || id >= bufs.length) {
            throw new IllegalStateException("the driver reported buffer id " + id + " of " + this + ", which has "
                    + bufs.length + " buffers");
        }
        FixedBuf b = bufs[id];
        if (!b.inRing()) {
            throw new IllegalStateException("the driver reported buffer id " + id + " of " + this
                    + " filled, but the application holds it (it was never given back)");
        }
        b.takeFromRing(length);
        available--;
        return b;
    }

    FixedBuf[] buffers() {
        return bufs;
    }

    /** Ops of the loop that use the ring (loop thread). */
    void users(int delta) {
        users += delta;
    }

    int users() {
        return users;
    }

    /** The host unregistered the ring: buffers in it go back to the pool, the others when released. */
    void closed() {
        closed = true;
        drainReleased();
        int n = waiterCount;
        waiterCount = 0;
        for (int i = 0; i < n; i++) {
            Runnable r = waiters[i];
            waiters[i] = null;
            r.run(); // they find the ring closed
        }
        for (FixedBuf b : bufs) {
            if (b.inRing()) {
                b.leaveRing();
                b.pool().giveBack(b);
            }
        }
    }

    @Override
    public String toString() {
        return name + " (group " + group + ", " + bufs.length + " x " + bufs[0].capacity() + " bytes"
                + (closed ? ", closed" : "") + ")";
    }
}
