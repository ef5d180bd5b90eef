package io.veloq.spi.internal.host;

import io.veloq.api.BackpressurePolicy;
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
 * budget it waits for under {@code WAIT}, the queue bound that refuses it under {@code QUEUE}). Tasks that
 * other threads hand over ({@code execute}, {@code schedule}) meet a bound of the same size and the same
 * policy: at most {@code maxInFlight + maxQueued} of them not yet run (a scheduled one until it runs or is
 * cancelled).
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
    private final boolean waitForRoom;
    /* Tasks other threads handed over that have not run (or, scheduled, been cancelled) yet. */
    private final AtomicInteger foreignTasks = new AtomicInteger();

    Inbox(RuntimeConfig config) {
        this.maxInFlight = config.maxInFlight();
        this.maxQueued = config.maxQueued();
        this.waitForRoom = config.backpressure() == BackpressurePolicy.WAIT;
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

    private final java.util.concurrent.atomic.LongAdder wokenByLoops = new java.util.concurrent.atomic.LongAdder();

    /** Another loop's driver carried a wake-up to this loop (diagnostics, tests). */
    void wokenByLoop() {
        wokenByLoops.increment();
    }

    long wokenByLoops() {
        return wokenByLoops.sum();
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
            wakeWaiters();
        }
    }

    private void wakeWaiters() {
        synchronized (budgetLock) {
            budgetLock.notifyAll();
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

    // ---- tasks from other threads ----

    /**
     * Counts a task another thread hands over, once there is room for it: {@code WAIT} waits for room (while
     * the loop runs), {@code QUEUE} refuses with {@link RejectedExecutionException}. Exact: no racing thread
     * gets past the bound.
     */
    void admitForeignTask(Object task, String what, Object loop, BooleanSupplier running) {
        int limit = maxInFlight + maxQueued;
        while (true) {
            int n = foreignTasks.get();
            if (n < limit) {
                if (foreignTasks.compareAndSet(n, n + 1)) {
                    return;
                }
                continue;
            }
            if (!waitForRoom) {
                throw new RejectedExecutionException("cannot " + what + " " + task + " on " + loop + ": it already holds "
                        + n + " tasks from other threads that have not run yet, its limit (maxInFlight " + maxInFlight
                        + " + maxQueued " + maxQueued + "), so it is not keeping up with the threads handing it work. "
                        + "The task was not accepted. Raise the limit with IoRuntime.builder().maxQueued(n), make those "
                        + "threads wait with backpressure(BackpressurePolicy.WAIT), or hand over less at once");
            }
            awaitTaskRoom(task, limit, running);
            if (!running.getAsBoolean()) {
                foreignTasks.incrementAndGet(); // closing: let it in, the loop runs what is queued until it stops
                return;
            }
        }
    }

    private void awaitTaskRoom(Object task, int limit, BooleanSupplier running) {
        synchronized (budgetLock) {
            budgetWaiters++;
            try {
                while (foreignTasks.get() >= limit && running.getAsBoolean()) {
                    budgetLock.wait(100);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for room to hand " + task + " over", e);
            } finally {
                budgetWaiters--;
            }
        }
    }

    /** A counted task left the loop's queues (it ran, or was cancelled). Any thread. */
    void foreignTaskDone() {
        foreignTasks.decrementAndGet();
        if (budgetWaiters > 0) {
            wakeWaiters();
        }
    }
}
