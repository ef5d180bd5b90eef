package io.veloq.spi.internal.host;

import io.veloq.api.Op;
import io.veloq.api.RuntimeConfig;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

/**
 * The cross-thread side of a loop: the queue other threads hand ops, cancels and tasks over by, the wake-up
 * flag, the count of ops in flight, and the limits a submitter on another thread meets (the in-flight
 * budget it waits for under {@code WAIT}, the queue bound that refuses it under {@code QUEUE}).
 */
final class Inbox {
    private static final VarHandle LOOP_PENDING;

    static {
        try {
            LOOP_PENDING = MethodHandles.lookup().findVarHandle(Inbox.class, "loopPending", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final ConcurrentLinkedQueue<Object> queue = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean wakeupPending = new AtomicBoolean();
    /*
     * Ops in flight = foreignPending + loopPending. Submissions from the loop thread and completions on it
     * (nearly all of them) touch only loopPending, a plain field the loop thread alone writes and publishes
     * with a release store: no locked instruction on the hot path. Other threads' submissions (and the rare
     * completion that runs off the loop thread, while closing) go through the atomic foreignPending. Either
     * part may be negative; only the sum means something. Readers off the loop thread (inFlight(), the WAIT
     * budget, the QUEUE bound) see a sum that may count ops racing with them.
     */
    private final AtomicInteger foreignPending = new AtomicInteger();
    @SuppressWarnings("unused") // through LOOP_PENDING
    private int loopPending;
    private final Object budgetLock = new Object();
    private volatile int budgetWaiters;
    private final int maxInFlight;
    private final int maxQueued;

    Inbox(RuntimeConfig config) {
        this.maxInFlight = config.maxInFlight();
        this.maxQueued = config.maxQueued();
    }

    // ---- the queue ----

    void add(Object work) {
        queue.add(work);
    }

    Object poll() {
        return queue.poll();
    }

    boolean isEmpty() {
        return queue.isEmpty();
    }

    boolean remove(Object work) {
        return queue.remove(work);
    }

    /** True if the caller should wake the driver: the first request since the loop last cleared it. */
    boolean requestWakeup() {
        return wakeupPending.compareAndSet(false, true);
    }

    /** The loop is awake and about to look at the queue. */
    void clearWakeup() {
        wakeupPending.set(false);
    }

    // ---- the count of ops in flight ----

    /** An op was submitted on the loop thread. */
    void submittedOnLoop() {
        LOOP_PENDING.setRelease(this, (int) LOOP_PENDING.get(this) + 1);
    }

    /** An op was submitted by another thread. */
    void submittedElsewhere() {
        foreignPending.incrementAndGet();
    }

    /** An op completed, on the loop thread or (while closing) on another. */
    void completed(boolean onLoop) {
        if (onLoop) {
            LOOP_PENDING.setRelease(this, (int) LOOP_PENDING.get(this) - 1);
        } else {
            foreignPending.decrementAndGet();
        }
        if (budgetWaiters > 0 && inFlight() < maxInFlight) {
            synchronized (budgetLock) {
                budgetLock.notifyAll();
            }
        }
    }

    /** Ops submitted and not yet completed. */
    int inFlight() {
        // loopPending first: a completion seen there (acquire) makes the foreign submission it ended
        // visible too, so the sum never goes below the true count; it can only lag high.
        int loop = (int) LOOP_PENDING.getAcquire(this);
        return loop + foreignPending.get();
    }

    // ---- limits for other threads ----

    /** {@code WAIT}: blocks until the loop is below its budget (or stops running). */
    void awaitBudget(Op<?> op, BooleanSupplier running) {
        if (inFlight() < maxInFlight) {
            return;
        }
        synchronized (budgetLock) {
            budgetWaiters++;
            try {
                while (inFlight() >= maxInFlight && running.getAsBoolean()) {
                    budgetLock.wait(100);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for in-flight budget to submit " + op, e);
            } finally {
                budgetWaiters--;
            }
        }
    }

    /**
     * {@code QUEUE}: refuses the op when the loop already holds its budget plus {@code maxQueued} ops. The
     * check races with other submitters, so the bound can be passed by at most one op per racing thread.
     */
    void checkQueueBound(Op<?> op, Object loop) {
        int n = inFlight();
        if (n >= maxInFlight + maxQueued) {
            throw new RejectedExecutionException("cannot submit " + op + " to " + loop + ": it already holds " + n
                    + " ops in flight or queued, its limit (maxInFlight " + maxInFlight + " + maxQueued " + maxQueued
                    + "), so it is not keeping up with the threads submitting to it. The op was not submitted and "
                    + "is still yours. Raise the limit with IoRuntime.builder().maxQueued(n), make submitters wait "
                    + "with backpressure(BackpressurePolicy.WAIT), or submit less at once");
        }
    }
}
