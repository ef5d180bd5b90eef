package io.veloq.examples.echo;

import io.veloq.api.EventLoop;
import io.veloq.api.IoErrorKind;
import io.veloq.api.IoRuntime;
import io.veloq.api.VeloqIoException;
import io.veloq.api.IoFd;
import io.veloq.api.net.AddressFamily;
import io.veloq.api.net.ListenerBuilder;
import io.veloq.api.net.SocketType;
import io.veloq.api.net.TcpListener;
import io.veloq.api.net.VeloqSocketOptions;
import io.veloq.api.op.Close;
import io.veloq.api.op.Socket;

import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A TCP echo server on Veloq: one event loop per core, shared-nothing. Each loop binds its own listener on
 * the same port with {@code SO_REUSEPORT}, so the kernel spreads incoming connections over the loops and
 * no connection ever crosses threads (a single loop binds without it). Each connection gets one buffer from its loop's registered pool and
 * two ops that it reuses for its whole life: the steady state allocates nothing.
 *
 * <pre>{@code
 * try (EchoServer server = EchoServer.start(new EchoServerOptions(2, 7000, "::", null, 16384, 1024, Duration.ofSeconds(60)))) {
 *     System.out.println("listening on " + server.address());
 *     ...
 * }   // close(): stop accepting, cancel every in-flight op, close every socket, then close the runtime
 * }</pre>
 */
public final class EchoServer implements AutoCloseable {
    private static final Duration STOP_WAIT = Duration.ofSeconds(5);

    private final IoRuntime runtime;
    private final boolean ownsRuntime;
    private final List<EchoLoop> loops;
    private final InetSocketAddress address;
    private final long startNanos = System.nanoTime();
    private volatile EchoStats finalStats;

    private EchoServer(IoRuntime runtime, boolean ownsRuntime, List<EchoLoop> loops, InetSocketAddress address) {
        this.runtime = runtime;
        this.ownsRuntime = ownsRuntime;
        this.loops = loops;
        this.address = address;
    }

    /**
     * Opens the runtime and binds one listener per loop; the server is serving when this returns.
     *
     * @throws IOException a {@link java.net.BindException} when the port is in use or the address is not local
     */
    public static EchoServer start(EchoServerOptions o) throws IOException {
        IoRuntime rt = IoRuntime.builder()
                .driver(o.driver())
                .threads(o.threads())
                // --max-conns is a total, and SO_REUSEPORT may send most connections to one loop: each
                // loop's pool may grow to hold them all, plus its receive ring (pools grow on demand: a cap
                // costs nothing unused).
                .buffers(o.bufferSize(), o.maxConnections() + o.ringBuffers())
                .maxInFlight(Math.max(4096, 2 * o.maxConnections() + 64))
                .open();
        return start(rt, true, o);
    }

    /**
     * Serves on the loops of an open runtime, which stays open after {@link #close()} (a test runs a client
     * on the same runtime, as the fake driver's network is per runtime). {@code o.maxConnections()} bounds the
     * connections in total and each loop's pool those of its loop; {@code o.threads()}, {@code o.driver()} and
     * {@code o.bufferSize()} are ignored.
     */
    public static EchoServer start(IoRuntime rt, EchoServerOptions o) throws IOException {
        return start(rt, false, o);
    }

    private static EchoServer start(IoRuntime rt, boolean owned, EchoServerOptions o) throws IOException {
        List<TcpListener> listeners = new ArrayList<>();
        try {
            InetSocketAddress first = null;
            for (EventLoop loop : rt.loops()) {
                boolean shared = rt.loops().size() > 1;
                TcpListener l = first == null ? bindFirst(loop, o, shared) : bind(loop, first, true);
                listeners.add(l);
                if (first == null) {
                    first = (InetSocketAddress) l.localAddress();
                }
            }
            List<EchoLoop> loops = new ArrayList<>();
            Admission admission = new Admission(o.maxConnections());
            List<java.util.concurrent.CompletableFuture<Void>> started = new ArrayList<>();
            for (int i = 0; i < listeners.size(); i++) {
                EchoLoop el = new EchoLoop(rt.loop(i), listeners.get(i), admission, o.idleTimeout(), o.ringBuffers());
                loops.add(el);
                if (el.loop().inLoop()) {
                    el.start(); // a manual runtime (a simulation), driven by this thread: nothing to wait for
                    continue;
                }
                java.util.concurrent.CompletableFuture<Void> f = new java.util.concurrent.CompletableFuture<>();
                started.add(f);
                el.loop().execute(() -> {
                    try {
                        el.start();
                        f.complete(null);
                    } catch (RuntimeException e) {
                        f.completeExceptionally(e);
                    }
                });
            }
            for (java.util.concurrent.CompletableFuture<Void> f : started) {
                try {
                    f.get(10, TimeUnit.SECONDS); // serving (accepting) when start returns
                } catch (java.util.concurrent.ExecutionException e) {
                    throw new IOException("an event loop could not start serving: " + e.getCause(), e.getCause());
                } catch (java.util.concurrent.TimeoutException | InterruptedException e) {
                    throw new IOException("an event loop did not start serving within 10 s", e);
                }
            }
            return new EchoServer(rt, owned, List.copyOf(loops), first);
        } catch (IOException | RuntimeException e) {
            for (TcpListener l : listeners) {
                try {
                    l.close();
                } catch (IOException suppressed) {
                    e.addSuppressed(suppressed);
                }
            }
            if (owned) {
                rt.close();
            }
            throw e;
        }
    }

    private static TcpListener bindFirst(EventLoop loop, EchoServerOptions o, boolean shared) throws IOException {
        if (o.bind() != null) {
            return bindOwn(loop, new InetSocketAddress(InetAddress.getByName(o.bind()), o.port()), shared);
        }
        try {
            return bindOwn(loop, new InetSocketAddress(InetAddress.getByName("::"), o.port()), shared);
        } catch (IOException e) {
            if (kindOf(e) != IoErrorKind.NOT_SUPPORTED) {
                throw e;
            }
            // No IPv6 on this host (EAFNOSUPPORT): listen on IPv4 only.
            return bindOwn(loop, new InetSocketAddress(InetAddress.getByName("0.0.0.0"), o.port()), shared);
        }
    }

    /**
     * Binds the first listener. With several loops (SO_REUSEPORT), first makes sure no other process
     * listens on the port; one loop needs no SO_REUSEPORT, and the bind itself fails if the port is taken.
     */
    private static TcpListener bindOwn(EventLoop loop, InetSocketAddress at, boolean shared) throws IOException {
        if (shared && at.getPort() != 0) {
            probe(loop, at);
        }
        return bind(loop, at, shared);
    }

    /**
     * SO_REUSEPORT would let our listeners join another process's listeners on the port (same user, the
     * option set on both, as {@code nc -l} does) and share its connections. A plain bind first, with
     * SO_REUSEADDR (old connections in TIME_WAIT do not count) but without SO_REUSEPORT, fails with
     * EADDRINUSE while anyone listens there; the socket is closed at once. It listens (backlog 0) too: a
     * driver that binds stream sockets at listen time (nio: java.nio binds and listens in one call) reports
     * EADDRINUSE only there.
     */
    static void probe(EventLoop loop, InetSocketAddress at) throws IOException {
        AddressFamily family = at.getAddress() instanceof Inet6Address ? AddressFamily.INET6 : AddressFamily.INET;
        IoFd fd = IoFd.raw(loop.call(new Socket(family, SocketType.STREAM)).valueOrThrow());
        try {
            loop.setOption(fd, StandardSocketOptions.SO_REUSEADDR, true);
            if (family == AddressFamily.INET6 && at.getAddress().isAnyLocalAddress()) {
                loop.setOption(fd, VeloqSocketOptions.IPV6_V6ONLY, false); // conflicts with IPv4 listeners too
            }
            loop.bind(fd, at);
            loop.listen(fd, 0);
        } finally {
            loop.call(new Close(fd));
        }
    }

    private static TcpListener bind(EventLoop loop, InetSocketAddress at, boolean shared) throws IOException {
        ListenerBuilder<TcpListener> b = TcpListener.binder(loop).backlog(4096);
        if (shared) {
            b.option(StandardSocketOptions.SO_REUSEPORT, true);
        }
        try {
            return b.bind(at);
        } catch (UnsupportedOperationException e) {
            // Windows has no SO_REUSEPORT: one listener can serve one loop only there.
            throw new UnsupportedOperationException("--threads N > 1 needs SO_REUSEPORT (one listener per loop), "
                    + "which this platform lacks: " + e.getMessage() + "; run with --threads 1", e);
        }
    }

    /** The kind of the Veloq error behind {@code t}, or null. */
    static IoErrorKind kindOf(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof VeloqIoException v) {
                return v.kind();
            }
        }
        return null;
    }

    /** The address the listeners are bound to (the real port when 0 was asked). */
    public InetSocketAddress address() {
        return address;
    }

    public int port() {
        return address.getPort();
    }

    /** The runtime serving it (tests look at its loop threads). */
    IoRuntime runtime() {
        return runtime;
    }

    /** The driver serving it. */
    public String driverId() {
        return runtime.driverId();
    }

    public int loopCount() {
        return loops.size();
    }

    /** True when the loops receive with multishot receives on buffer rings (the driver has them, --ring > 0). */
    public boolean multishot() {
        for (EchoLoop l : loops) {
            if (!l.multishot()) {
                return false;
            }
        }
        return !loops.isEmpty();
    }

    /** Counters summed over the loops (racy but monotonic reads of single-writer counters). */
    public EchoStats stats() {
        EchoStats f = finalStats;
        if (f != null) {
            return f;
        }
        long accepted = 0, open = 0, refused = 0, bytes = 0, errors = 0, idle = 0, acceptErrors = 0, outstanding = 0;
        for (EchoLoop l : loops) {
            accepted += l.accepted;
            open += l.open;
            refused += l.refused;
            bytes += l.bytesEchoed;
            errors += l.connectionErrors;
            idle += l.idleClosed;
            acceptErrors += l.acceptErrors;
            outstanding += l.buffersOutstanding();
        }
        return new EchoStats(loops.size(), accepted, open, refused, bytes, errors, idle, acceptErrors, outstanding,
                Duration.ofNanos(System.nanoTime() - startNanos));
    }

    /**
     * Stops cleanly: each loop stops accepting and cancels its connections' in-flight ops (their buffers
     * come back), every socket is closed, then the runtime closes. Returns the final counters. Idempotent.
     */
    @Override
    public synchronized void close() {
        stop();
    }

    /** {@link #close()}, returning the final counters. */
    public synchronized EchoStats stop() {
        if (finalStats != null) {
            return finalStats;
        }
        CountDownLatch idle = new CountDownLatch(loops.size());
        for (EchoLoop l : loops) {
            try {
                l.loop().execute(() -> l.stop(idle::countDown));
            } catch (IllegalStateException closed) {
                idle.countDown();
            }
        }
        try {
            if (!idle.await(STOP_WAIT.toMillis(), TimeUnit.MILLISECONDS)) {
                System.err.println("echo-server: connections did not all close within " + STOP_WAIT.toSeconds()
                        + " s; closing the runtime cancels what is left");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        // IoRuntime.close() cancels anything still in flight and joins the loops.
        if (ownsRuntime) {
            runtime.close();
        }
        EchoStats s = stats();
        finalStats = s;
        return s;
    }
}
