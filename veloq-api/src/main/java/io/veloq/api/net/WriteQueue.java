package io.veloq.api.net;

import io.veloq.api.EventLoop;
import io.veloq.api.bootstrap.SocketLifetime;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * A data socket's write queue: the bytes its {@code Send}/{@code SendTo}/{@code SendMsg} ops hold while in flight, and the
 * writability that the watermarks derive from it ({@link DataSocket#writeWatermarks}).
 *
 * <p>Sends are counted when submitted (any thread: an atomic add) and when they complete (the loop
 * thread). Writability is the loop thread's: it changes in {@link #settle()}, which runs after a send's
 * completer returned (a {@code sendAll} that resubmits its remainder does not flap) or as a task when a
 * submit pushed the queue above the high mark. The listener therefore always runs on the loop thread, never
 * inside the application's own {@code send} call.
 */
final class WriteQueue implements SocketLifetime.SendWatch {
    private static final VarHandle QUEUED;
    private static final VarHandle SCHEDULED;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            QUEUED = l.findVarHandle(WriteQueue.class, "queued", long.class);
            SCHEDULED = l.findVarHandle(WriteQueue.class, "scheduled", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final EventLoop loop;
    private final Runnable settleTask = this::settle;
    private volatile long queued;
    private volatile int scheduled;
    private volatile long low;
    private volatile long high = Long.MAX_VALUE;
    private volatile DataSocket.WritabilityListener listener;
    // Written on the loop thread only; volatile so that isWritable() reads it from any thread.
    private volatile boolean writable = true;

    WriteQueue(EventLoop loop) {
        this.loop = loop;
    }

    long queued() {
        return queued;
    }

    boolean writable() {
        return writable;
    }

    void watermarks(long low, long high, DataSocket.WritabilityListener listener) {
        this.low = low;
        this.high = high;
        this.listener = listener;
        schedule(); // the queue may already be above the new high mark, or below the new low one
    }

    @Override
    public void queued(long bytes) {
        long now = (long) QUEUED.getAndAdd(this, bytes) + bytes;
        if (now > high && writable && listener != null) {
            schedule();
        }
    }

    @Override
    public void done(long bytes) {
        QUEUED.getAndAdd(this, -bytes);
    }

    @Override
    public void settle() {
        scheduled = 0;
        DataSocket.WritabilityListener l = listener;
        if (l == null) {
            return;
        }
        long q = queued;
        if (writable && q > high) {
            writable = false;
            l.writabilityChanged(false);
        } else if (!writable && q <= low) {
            writable = true;
            l.writabilityChanged(true);
        }
    }

    private void schedule() {
        if (SCHEDULED.compareAndSet(this, 0, 1)) {
            try {
                loop.execute(settleTask);
            } catch (IllegalStateException closed) {
                scheduled = 0; // the runtime is closed: no more sends, nothing to report
            }
        }
    }
}
