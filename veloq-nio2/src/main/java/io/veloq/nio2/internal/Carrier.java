package io.veloq.nio2.internal;

import io.veloq.api.EventLoop;
import io.veloq.api.IoRuntime;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadFactory;
import java.util.function.Function;

/**
 * One Veloq event loop on one thread of a group: the thread opens a manual runtime and drives it until the
 * group stops it, so completers (and, in a fixed-thread-pool group, the NIO.2 handlers) run on this thread.
 */
final class Carrier implements Runnable {
    private static final Runnable WAKE = () -> { };

    private final Function<IoRuntime.Builder, IoRuntime> opener;
    private final VeloqGroup group;
    private final CompletableFuture<Void> started = new CompletableFuture<>();
    final StagingBuffers staging = new StagingBuffers();
    private volatile IoRuntime rt;
    private volatile boolean stopping;
    private Thread thread;

    Carrier(Function<IoRuntime.Builder, IoRuntime> opener, VeloqGroup group) {
        this.opener = opener;
        this.group = group;
    }

    /** Starts the thread from {@code factory} and waits until its loop is open. */
    void start(ThreadFactory factory) throws java.io.IOException {
        thread = factory.newThread(this);
        if (thread == null) {
            throw new java.io.IOException("the ThreadFactory returned no thread for a Veloq loop");
        }
        thread.start();
        try {
            started.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.IOException("interrupted while starting a Veloq loop", e);
        } catch (ExecutionException e) {
            throw new java.io.IOException("cannot open a Veloq event loop: " + e.getCause().getMessage(), e.getCause());
        }
    }

    @Override
    public void run() {
        IoRuntime r;
        try {
            r = opener.apply(IoRuntime.builder().manual().buffers(StagingBuffers.BUF_SIZE, 0)
                    .queueDepth(1024).maxInFlight(16384));
            rt = r;
        } catch (Throwable t) {
            started.completeExceptionally(t);
            group.carrierExited();
            return;
        }
        started.complete(null);
        try {
            while (!stopping) {
                r.loop().runOnce(null);
            }
        } finally {
            try {
                r.close();
            } finally {
                staging.close();
                group.carrierExited();
            }
        }
    }

    /** The loop. */
    EventLoop loop() {
        return rt.loop();
    }

    boolean inLoop() {
        return Thread.currentThread() == thread;
    }

    /** Asks the loop to finish its turn and close. */
    void stop() {
        stopping = true;
        IoRuntime r = rt;
        if (r != null && !inLoop()) {
            try {
                r.loop().execute(WAKE);
            } catch (IllegalStateException alreadyClosed) {
                // the loop is gone already: nothing to wake
            }
        }
    }

    Thread thread() {
        return thread;
    }
}
