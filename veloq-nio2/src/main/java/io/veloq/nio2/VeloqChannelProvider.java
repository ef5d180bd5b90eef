package io.veloq.nio2;

import io.veloq.api.IoRuntime;
import io.veloq.nio2.internal.Groups;

import java.io.IOException;
import java.nio.channels.AsynchronousChannelGroup;
import java.nio.channels.AsynchronousServerSocketChannel;
import java.nio.channels.AsynchronousSocketChannel;
import java.nio.channels.spi.AsynchronousChannelProvider;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.function.Function;

/**
 * NIO.2 on Veloq: {@link AsynchronousSocketChannel}, {@link AsynchronousServerSocketChannel} and
 * {@link AsynchronousChannelGroup} whose I/O runs as Veloq ops on Veloq's event loops (io_uring on Linux,
 * IOCP on Windows), so existing NIO.2 code (Apache MINA SSHD, Tomcat's NIO2 connector) runs on them
 * unchanged.
 *
 * <h2>Activation</h2>
 * <ul>
 *   <li><b>Class path</b>: {@code -Djava.nio.channels.spi.AsynchronousChannelProvider=io.veloq.nio2.VeloqChannelProvider}.
 *       The jar deliberately has no {@code META-INF/services} entry, so putting it on the class path changes
 *       nothing until the property names it.</li>
 *   <li><b>Module path</b>: nothing. {@code java.base} {@code uses} the service, so service binding resolves
 *       {@code veloq.nio2} (and through {@code veloq.api} the host and the drivers) whenever its jar is on
 *       the module path, and {@code AsynchronousChannelProvider.provider()} returns this one. The property
 *       works there too.</li>
 *   <li><b>In code</b>: {@code new VeloqChannelProvider().openAsynchronousChannelGroup(...)} and
 *       {@code provider.openAsynchronousSocketChannel(group)}, without touching the JVM-wide default.</li>
 * </ul>
 *
 * <pre>{@code
 * // java -Djava.nio.channels.spi.AsynchronousChannelProvider=io.veloq.nio2.VeloqChannelProvider ...
 * AsynchronousChannelGroup group = AsynchronousChannelGroup.withFixedThreadPool(2, Thread::new);
 * AsynchronousServerSocketChannel server = AsynchronousServerSocketChannel.open(group).bind(null);
 * server.accept(null, handler);                  // handler runs on one of the group's two loop threads
 * }</pre>
 *
 * <h2>Threads</h2>
 * A group runs Veloq event loops, one per thread. In a {@code withFixedThreadPool} group the loop threads are
 * the pool's threads, made by its {@code ThreadFactory}: completion handlers run on them directly, with no
 * hand-off. A {@code withThreadPool}/{@code withCachedThreadPool} group (and the default group) runs its
 * loops on threads of its own ({@code veloq.nio2.loops}, default half the processors, at least one) and
 * hands every completion to the executor, as the JDK specifies. A small shared runtime creates sockets, so
 * that opening a channel never blocks a loop thread.
 *
 * <h2>Drivers</h2>
 * The loops open with {@link IoRuntime#builder()}: the best driver, or the one named by
 * {@code -Dveloq.driver}. {@link #withRuntimes} opens them any other way, e.g. on the fake driver so NIO.2
 * code can be tested without a network: {@code withRuntimes(b -> DriverRuntimes.open(FakeDrivers.provider(), b))}
 * (one provider instance, so every loop shares one simulated network).
 *
 * @since 0.1
 */
public class VeloqChannelProvider extends AsynchronousChannelProvider {
    private final Groups groups;

    /** The provider the JDK instantiates (the property or the service): loops from {@link IoRuntime#builder()}. */
    public VeloqChannelProvider() {
        this(IoRuntime.Builder::open);
    }

    private VeloqChannelProvider(Function<IoRuntime.Builder, IoRuntime> opener) {
        this.groups = new Groups(this, opener);
    }

    /**
     * A provider whose loops are opened by {@code opener}, which gets a builder already set up (manual
     * mode, buffers) and is called on the thread that will drive the loop. Every runtime it returns must
     * belong to one machine (one kernel, or one simulated network): channels move descriptors between them.
     */
    public static VeloqChannelProvider withRuntimes(Function<IoRuntime.Builder, IoRuntime> opener) {
        return new VeloqChannelProvider(Objects.requireNonNull(opener, "opener"));
    }

    @Override
    public AsynchronousChannelGroup openAsynchronousChannelGroup(int nThreads, ThreadFactory threadFactory) throws IOException {
        if (nThreads <= 0) {
            throw new IllegalArgumentException("'nThreads' must be > 0, got " + nThreads);
        }
        return groups.fixed(nThreads, Objects.requireNonNull(threadFactory, "threadFactory"));
    }

    @Override
    public AsynchronousChannelGroup openAsynchronousChannelGroup(ExecutorService executor, int initialSize) throws IOException {
        return groups.executor(Objects.requireNonNull(executor, "executor"));
    }

    @Override
    public AsynchronousServerSocketChannel openAsynchronousServerSocketChannel(AsynchronousChannelGroup group) throws IOException {
        return groups.resolve(group).openServer();
    }

    @Override
    public AsynchronousSocketChannel openAsynchronousSocketChannel(AsynchronousChannelGroup group) throws IOException {
        return groups.resolve(group).openSocket();
    }

    /** Channels this provider has opened or accepted so far (to check that a server really runs on Veloq). */
    public long channelsOpened() {
        return groups.channelsOpened();
    }

    @Override
    public String toString() {
        return "VeloqChannelProvider";
    }
}
