package io.veloq.spi.internal.host;

import io.veloq.api.EventLoop;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * A task scheduled on a loop ({@link EventLoop#schedule}). Run (loop thread) and cancel (any thread) race,
 * so exactly one of them wins the state; the winner uncounts a task another thread handed over, and a
 * cancel takes the task's timer out of the loop's queue (at once on the loop thread, else on its next turn).
 */
final class ScheduledTask implements EventLoop.Scheduled, Runnable {
    private static final VarHandle STATE;
    private static final int PENDING = 0;
    private static final int RAN = 1;
    private static final int CANCELLED = 2;

    static {
        try {
            STATE = MethodHandles.lookup().findVarHandle(ScheduledTask.class, "state", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    final Runnable task;
    final long delayNanos;
    private final LoopHost loop;
    private final Inbox counter; // the count of other threads' tasks that holds this one, or null
    @SuppressWarnings("unused") // through STATE
    private volatile int state;
    TimerQueue.Timer timer; // loop thread only

    ScheduledTask(Runnable task, long delayNanos, LoopHost loop, Inbox counter) {
        this.task = task;
        this.delayNanos = delayNanos;
        this.loop = loop;
        this.counter = counter;
    }

    boolean isCancelled() {
        return state == CANCELLED;
    }

    @Override
    public void run() {
        if (STATE.compareAndSet(this, PENDING, RAN)) {
            timer = null;
            if (counter != null) {
                counter.foreignTaskDone();
            }
            task.run();
        }
    }

    @Override
    public boolean cancel() {
        if (!STATE.compareAndSet(this, PENDING, CANCELLED)) {
            return false;
        }
        if (counter != null) {
            counter.foreignTaskDone();
        }
        loop.cancelled(this);
        return true;
    }
}
