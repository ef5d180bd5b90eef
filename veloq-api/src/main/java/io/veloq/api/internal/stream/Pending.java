package io.veloq.api.internal.stream;

import io.veloq.api.EventLoop;

import java.io.IOException;
import java.util.concurrent.locks.LockSupport;

/**
 * One outstanding operation of a blocking view, reused for every call: the caller arms it, starts the
 * operation, and parks until the loop thread {@linkplain #complete completes} it. Parking is
 * {@link LockSupport#park}, so a virtual thread waiting here unmounts from its carrier; nothing spins.
 *
 * <p>An interrupt of the waiting thread runs the cancel action once and keeps waiting until the operation
 * has completed (its buffer must come back before anyone touches it); {@link #await} then reports it.
 */
public final class Pending {
    private volatile boolean done;
    private volatile Thread waiter;
    // Written before the volatile write of done, read after its volatile read.
    private long result;
    private IOException error;

    /** Prepares for a new operation on the calling thread. */
    public void arm() {
        result = 0;
        error = null;
        waiter = Thread.currentThread();
        done = false;
    }

    /** Called once per operation, from any thread: records the outcome and wakes the waiter. */
    public void complete(long result, IOException error) {
        this.result = result;
        this.error = error;
        done = true;
        Thread t = waiter;
        if (t != null) {
            LockSupport.unpark(t);
        }
    }

    /** True once completed. */
    public boolean isDone() {
        return done;
    }

    /**
     * Waits for completion. On the thread that drives a manual loop it turns the loop instead of parking.
     * Returns true if the thread was interrupted while waiting ({@code cancel} has then run once, and the
     * interrupt status is set again).
     */
    public boolean await(EventLoop loop, Runnable cancel) {
        if (loop.inLoop()) {
            // A manual runtime's driving thread (Simulation, tests): nobody else will turn the loop. On a
            // loop with its own thread, runOnce refuses, and the caller gets that error instead of a hang.
            while (!done) {
                loop.runOnce(null);
            }
            return false;
        }
        boolean interrupted = false;
        while (!done) {
            if (Thread.interrupted()) {
                if (!interrupted) {
                    interrupted = true;
                    cancel.run();
                }
                continue;
            }
            LockSupport.park(this);
        }
        waiter = null;
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        return interrupted;
    }

    /**
     * Refuses a blocking call on a loop's own thread, which would wait for itself. The thread that drives
     * a manual loop may block: {@link #await} turns the loop for it.
     */
    public static void requireMayBlock(EventLoop loop, String what) {
        if (!loop.inLoop()) {
            return;
        }
        try {
            loop.runOnce(java.time.Duration.ZERO);
        } catch (IllegalStateException ownThread) {
            throw new IllegalStateException("cannot " + what + " on the loop thread: it would wait for itself; "
                    + "use the completer or future shape there", ownThread);
        }
    }

    /** The byte count of the completed operation. */
    public long result() {
        return result;
    }

    /** The error of the completed operation, or null. */
    public IOException error() {
        return error;
    }
}
