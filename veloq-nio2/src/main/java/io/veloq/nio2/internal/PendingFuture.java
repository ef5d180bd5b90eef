package io.veloq.nio2.internal;

import java.nio.channels.CompletionHandler;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The {@code Future} of an operation started without a handler. It is its own handler, so the loop
 * completes it directly (no executor hand-off: a future only records the outcome). {@link #cancel} asks the
 * channel to cancel the operation; with {@code mayInterruptIfRunning} it also closes the channel, as the
 * JDK's channels do.
 */
final class PendingFuture<V> implements Future<V>, CompletionHandler<V, Object> {
    /** What the channel does when the future is cancelled. */
    interface Canceller {
        void cancel(PendingFuture<?> f, boolean mayInterruptIfRunning);
    }

    private final CountDownLatch done = new CountDownLatch(1);
    private volatile Canceller canceller;
    private V value;
    private Throwable failure;
    private boolean cancelled;

    void canceller(Canceller c) {
        this.canceller = c;
    }

    @Override
    public void completed(V result, Object attachment) {
        synchronized (this) {
            if (done.getCount() == 0) {
                return;
            }
            value = result;
        }
        done.countDown();
    }

    @Override
    public void failed(Throwable exc, Object attachment) {
        synchronized (this) {
            if (done.getCount() == 0) {
                return;
            }
            failure = exc;
        }
        done.countDown();
    }

    @Override
    public boolean cancel(boolean mayInterruptIfRunning) {
        synchronized (this) {
            if (done.getCount() == 0) {
                return false;
            }
            cancelled = true;
        }
        done.countDown();
        Canceller c = canceller;
        if (c != null) {
            c.cancel(this, mayInterruptIfRunning);
        }
        return true;
    }

    @Override
    public synchronized boolean isCancelled() {
        return cancelled;
    }

    @Override
    public boolean isDone() {
        return done.getCount() == 0;
    }

    @Override
    public V get() throws InterruptedException, ExecutionException {
        done.await();
        return outcome();
    }

    @Override
    public V get(long timeout, TimeUnit unit) throws InterruptedException, ExecutionException, TimeoutException {
        if (!done.await(timeout, unit)) {
            throw new TimeoutException();
        }
        return outcome();
    }

    private synchronized V outcome() throws ExecutionException {
        if (cancelled) {
            throw new CancellationException();
        }
        if (failure != null) {
            throw new ExecutionException(failure);
        }
        return value;
    }
}
