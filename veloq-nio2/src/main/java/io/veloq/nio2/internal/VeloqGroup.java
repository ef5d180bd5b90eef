package io.veloq.nio2.internal;

import java.io.IOException;
import java.nio.channels.AsynchronousChannelGroup;
import java.nio.channels.AsynchronousServerSocketChannel;
import java.nio.channels.AsynchronousSocketChannel;
import java.nio.channels.CompletionHandler;
import java.nio.channels.ShutdownChannelGroupException;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A NIO.2 channel group on Veloq loops ({@link Carrier}s). New channels go to the loops round robin, and
 * stay on theirs. Completion handlers run on the channel's loop thread (fixed-thread-pool group) or are
 * handed to the executor (every other group).
 *
 * <p>Shutdown follows the JDK: {@link #shutdown()} refuses new channels and terminates the group once its
 * last channel is closed; {@link #shutdownNow()} closes them; termination stops the loops (each closes its
 * runtime, which waits for its ops) and shuts the executor down.
 */
public final class VeloqGroup extends AsynchronousChannelGroup {
    private final Groups groups;
    private final Carrier[] carriers;
    private final ExecutorService executor;
    private final boolean isDefault;
    private final AtomicInteger next = new AtomicInteger();
    private final Set<Object> channels = ConcurrentHashMap.newKeySet();
    private final CountDownLatch terminated = new CountDownLatch(1);
    private final AtomicInteger live;
    private volatile boolean shutdown;
    private volatile boolean stopping;

    private VeloqGroup(Groups groups, int loops, ExecutorService executor, boolean isDefault) {
        super(groups.provider());
        this.groups = groups;
        this.carriers = new Carrier[loops];
        this.executor = executor;
        this.isDefault = isDefault;
        this.live = new AtomicInteger(loops);
    }

    static VeloqGroup start(Groups groups, int loops, ThreadFactory factory, ExecutorService executor, boolean isDefault)
            throws IOException {
        VeloqGroup g = new VeloqGroup(groups, loops, executor, isDefault);
        int i = 0;
        try {
            for (; i < loops; i++) {
                g.carriers[i] = new Carrier(groups.opener(), g);
                g.carriers[i].start(factory);
            }
        } catch (IOException | RuntimeException e) {
            g.live.addAndGet(-(loops - i - 1)); // those never started; the failed one counted itself down
            for (int j = 0; j < i; j++) {
                g.carriers[j].stop();
            }
            throw e;
        }
        return g;
    }

    Groups groups() {
        return groups;
    }

    /** The loop for a new channel: round robin. */
    Carrier nextCarrier() {
        return carriers[Math.floorMod(next.getAndIncrement(), carriers.length)];
    }

    public AsynchronousServerSocketChannel openServer() throws IOException {
        requireNotShutdown();
        return new VeloqServerChannel(this, nextCarrier(), groups.newSocket(), groups.family());
    }

    public AsynchronousSocketChannel openSocket() throws IOException {
        requireNotShutdown();
        return new VeloqSocketChannel(this, nextCarrier(), groups.newSocket(), groups.family(), null);
    }

    private void requireNotShutdown() {
        if (shutdown) {
            throw new ShutdownChannelGroupException();
        }
    }

    /** Counts a new channel in; refused once the group is shut down (the caller then closes its socket). */
    void register(Object channel) {
        channels.add(channel);
        if (shutdown) {
            channels.remove(channel);
            throw new ShutdownChannelGroupException();
        }
        groups.countChannel();
    }

    /** A channel has closed (its descriptor is closed): the group may now terminate. */
    void unregister(Object channel) {
        if (channels.remove(channel) && shutdown && channels.isEmpty()) {
            stopLoops();
        }
    }

    // ---- completion handlers ----

    /**
     * Runs a handler for an operation that completed on {@code carrier}'s loop thread: right here in a
     * fixed-thread-pool group (and for futures, which only record the outcome), else on the executor.
     */
    <V, A> void complete(CompletionHandler<V, ? super A> handler, A attachment, V result, Throwable failure) {
        if (executor == null || handler instanceof PendingFuture) {
            invoke(handler, attachment, result, failure);
            return;
        }
        try {
            executor.execute(() -> invoke(handler, attachment, result, failure));
        } catch (RejectedExecutionException e) {
            // The executor was shut down under us (the JDK then runs it on an internal thread): run it here.
            invoke(handler, attachment, result, failure);
        }
    }

    /**
     * Runs a handler for an operation that ended before reaching a loop (a closed channel, end of input):
     * never on the initiating thread's stack, but on the channel's loop or the executor, as the JDK does.
     */
    <V, A> void completeLater(Carrier carrier, CompletionHandler<V, ? super A> handler, A attachment, V result,
                              Throwable failure) {
        if (handler instanceof PendingFuture) {
            invoke(handler, attachment, result, failure);
            return;
        }
        if (executor != null) {
            complete(handler, attachment, result, failure);
            return;
        }
        try {
            carrier.loop().execute(() -> invoke(handler, attachment, result, failure));
        } catch (IllegalStateException loopClosed) {
            invoke(handler, attachment, result, failure);
        }
    }

    private static <V, A> void invoke(CompletionHandler<V, ? super A> handler, A attachment, V result, Throwable failure) {
        if (failure == null) {
            handler.completed(result, attachment);
        } else {
            handler.failed(failure, attachment);
        }
    }

    // ---- AsynchronousChannelGroup ----

    @Override
    public boolean isShutdown() {
        return shutdown;
    }

    @Override
    public boolean isTerminated() {
        return terminated.getCount() == 0;
    }

    @Override
    public void shutdown() {
        shutdown = true;
        if (channels.isEmpty()) {
            stopLoops();
        }
    }

    @Override
    public void shutdownNow() throws IOException {
        shutdown = true;
        for (Object c : channels.toArray()) {
            ((java.nio.channels.Channel) c).close();
        }
        if (channels.isEmpty()) {
            stopLoops();
        }
    }

    @Override
    public boolean awaitTermination(long timeout, TimeUnit unit) throws InterruptedException {
        return terminated.await(timeout, unit);
    }

    private void stopLoops() {
        synchronized (this) {
            if (stopping) {
                return;
            }
            stopping = true;
        }
        for (Carrier c : carriers) {
            if (c != null) {
                c.stop();
            }
        }
    }

    /** Called by each loop thread as it ends; the last one terminates the group. */
    void carrierExited() {
        if (live.decrementAndGet() == 0) {
            if (executor != null) {
                executor.shutdown();
            }
            terminated.countDown();
        }
    }

    @Override
    public String toString() {
        return "VeloqGroup(" + carriers.length + " loop" + (carriers.length == 1 ? "" : "s")
                + (executor == null ? ", handlers on the loops" : ", handlers on " + executor)
                + (isDefault ? ", default" : "") + (shutdown ? ", shutdown" : "") + ")";
    }
}
