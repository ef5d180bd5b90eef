package io.veloq.api.net;

import io.veloq.api.Completer;
import io.veloq.api.EventLoop;
import io.veloq.api.IoFd;
import io.veloq.api.IoErrorKind;
import io.veloq.api.IoRuntime;
import io.veloq.api.VeloqIoException;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.SocketOption;
import java.net.StandardSocketOptions;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * A TCP server that uses every loop of a runtime: it keeps accepting until closed and gives each new
 * connection to {@code onAccept} on the thread of the loop the connection lives on. This is the default
 * way to serve; a {@link TcpListener} is one socket on one loop.
 *
 * <pre>{@code
 * try (IoRuntime rt = IoRuntime.builder().threads(Runtime.getRuntime().availableProcessors()).open();
 *      TcpServer server = TcpServer.bind(rt, new InetSocketAddress("::", 7000), (stream, error) -> {
 *          if (error != null) { log(error); return; }     // a failed accept; the server goes on accepting
 *          serve(stream);                                  // on stream.loop()'s thread
 *      })) {
 *     System.out.println("serving on port " + server.port() + " with " + server.distribution());
 *     awaitShutdown();
 * }
 * }</pre>
 *
 * <h2>How connections reach the loops</h2>
 * <ul>
 *   <li>{@link Distribution#REUSE_PORT} (chosen where the platform has {@code SO_REUSEPORT}: Linux): one
 *       listener per loop, all on the same port; the kernel spreads incoming connections over them, so a
 *       connection is accepted and served on the same loop and never crosses threads. Before binding a
 *       fixed port, the server checks with a plain bind that no other process listens there:
 *       {@code SO_REUSEPORT} would otherwise join that process's listeners and share its connections.</li>
 *   <li>{@link Distribution#HAND_OFF} (everywhere else, Windows included, and on request): one listener on
 *       loop 0; each accepted stream is adopted by the next loop, round-robin (see
 *       {@link StreamListener#accept(EventLoop, Completer.OfValue)}), which costs one cross-thread task per
 *       connection.</li>
 * </ul>
 * A one-loop runtime gets one listener either way. {@link #accepted(int)} counts the connections each loop
 * got.
 *
 * <h2>Errors and closing</h2>
 * A failed accept (a client that reset before it was accepted, a process out of descriptors) is reported to
 * {@code onAccept} as {@code (null, error)} on the listener's loop, and the server accepts again (with the
 * listener's back-off when descriptors run out). An error that means the listener itself is broken
 * ({@code EBADF}, {@code EINVAL}, {@code EOPNOTSUPP}) is reported and ends that listener's accepts.
 * {@link #close()} closes the listeners; the streams already accepted are the application's and stay open.
 *
 * @since 0.2
 */
public final class TcpServer implements AutoCloseable {
    /** How a server spreads its connections over the loops. */
    public enum Distribution {
        /** One listener per loop with {@code SO_REUSEPORT}; the kernel picks the listener. */
        REUSE_PORT,
        /** One listener; each accepted stream is handed to the next loop, round-robin. */
        HAND_OFF
    }

    private final IoRuntime runtime;
    private final List<TcpListener> listeners;
    private final Distribution distribution;
    private final Completer.OfValue<TcpStream> onAccept;
    private final AtomicLongArray accepted;
    private final InetSocketAddress address;
    private volatile boolean closed;

    private TcpServer(IoRuntime runtime, List<TcpListener> listeners, Distribution distribution,
                      Completer.OfValue<TcpStream> onAccept, InetSocketAddress address) {
        this.runtime = runtime;
        this.listeners = List.copyOf(listeners);
        this.distribution = distribution;
        this.onAccept = onAccept;
        this.accepted = new AtomicLongArray(runtime.loops().size());
        this.address = address;
    }

    /**
     * Binds on every loop of {@code rt} with the defaults ({@link ListenerBuilder#DEFAULT_BACKLOG},
     * {@code SO_REUSEADDR}, dual stack on {@code ::}) and starts accepting. Waits for the bind: not on a loop
     * thread.
     */
    public static TcpServer bind(IoRuntime rt, SocketAddress local, Completer.OfValue<TcpStream> onAccept)
            throws IOException {
        return binder(rt).bind(local, onAccept);
    }

    /** A builder for options, the backlog and the distribution. */
    public static Builder binder(IoRuntime rt) {
        return new Builder(rt);
    }

    /** How this server spreads connections. */
    public Distribution distribution() {
        return distribution;
    }

    /** The listeners: one per loop ({@link Distribution#REUSE_PORT}) or one ({@link Distribution#HAND_OFF}). */
    public List<TcpListener> listeners() {
        return listeners;
    }

    /** The address the server is bound to, with the real port when 0 was asked. */
    public InetSocketAddress localAddress() {
        return address;
    }

    /** The port the server is bound to. */
    public int port() {
        return address.getPort();
    }

    /** Connections loop {@code loopIndex} has been given so far (before {@code onAccept} ran). */
    public long accepted(int loopIndex) {
        return accepted.get(loopIndex);
    }

    /** False once {@link #close()} has been called. */
    public boolean isOpen() {
        return !closed;
    }

    /**
     * Stops accepting: closes every listener (a pending accept completes as cancelled and is not reported).
     * Accepted streams stay open. Waits for the listeners' descriptors unless called on a loop thread.
     * Idempotent.
     */
    @Override
    public void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        IOException failure = null;
        for (TcpListener l : listeners) {
            try {
                l.close();
            } catch (IOException e) {
                if (failure == null) {
                    failure = e;
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        if (failure != null) {
            throw failure;
        }
    }

    @Override
    public String toString() {
        return "TcpServer(" + address + ", " + distribution + ", " + runtime.loops().size() + " loops"
                + (closed ? ", closed" : "") + ")";
    }

    private void start() {
        if (distribution == Distribution.REUSE_PORT) {
            for (TcpListener l : listeners) {
                new Acceptor(l).arm();
            }
        } else {
            new Acceptor(listeners.get(0)).arm();
        }
    }

    /**
     * One listener's accept loop, on the listener's loop thread. With hand-off it picks the next loop for
     * each connection and re-arms before handing the stream over, so a slow handover never delays accepts.
     */
    private final class Acceptor implements Completer.OfValue<TcpStream> {
        private final TcpListener listener;
        private final List<EventLoop> loops = runtime.loops();
        private int turn;

        Acceptor(TcpListener listener) {
            this.listener = listener;
        }

        void arm() {
            if (closed || !listener.isOpen()) {
                return;
            }
            try {
                if (distribution == Distribution.REUSE_PORT) {
                    listener.accept(this);
                } else {
                    EventLoop owner = loops.get(turn);
                    turn = (turn + 1) % loops.size();
                    listener.acceptFor(owner, this);
                }
            } catch (IllegalStateException stopped) {
                // The listener or the runtime closed meanwhile: nothing more to accept.
            }
        }

        @Override
        public void onComplete(TcpStream stream, Throwable error) {
            if (stream != null) {
                EventLoop owner = stream.loop();
                accepted.incrementAndGet(owner.index());
                arm();
                if (owner.inLoop()) {
                    onAccept.onComplete(stream, null);
                } else {
                    handOver(owner, stream);
                }
                return;
            }
            if (closed || !listener.isOpen()) {
                return; // the accept was cancelled by close: not an error anyone needs to hear about
            }
            boolean broken = error instanceof VeloqIoException v && (v.kind() == IoErrorKind.BAD_DESCRIPTOR
                    || v.kind() == IoErrorKind.INVALID_ARGUMENT || v.kind() == IoErrorKind.NOT_SUPPORTED);
            onAccept.onComplete(null, error);
            if (!broken) {
                arm();
            }
        }

        private void handOver(EventLoop owner, TcpStream stream) {
            try {
                owner.execute(() -> onAccept.onComplete(stream, null));
            } catch (IllegalStateException closing) {
                stream.closeAsync(); // the runtime is closing: nobody will serve it
            }
        }
    }

    /**
     * Binds a {@link TcpServer}.
     *
     * <pre>{@code
     * TcpServer server = TcpServer.binder(rt)
     *         .option(StandardSocketOptions.TCP_NODELAY, true)     // inherited by accepted streams
     *         .backlog(4096)
     *         .distribution(TcpServer.Distribution.HAND_OFF)      // or leave it to the platform
     *         .bind(new InetSocketAddress("::", 8080), this::onAccept);
     * }</pre>
     */
    public static final class Builder {
        private final IoRuntime runtime;
        private final List<SocketSetup.Setting<?>> options = new ArrayList<>();
        private int backlog = ListenerBuilder.DEFAULT_BACKLOG;
        private Distribution distribution;

        Builder(IoRuntime runtime) {
            this.runtime = Objects.requireNonNull(runtime, "runtime");
        }

        /** An option set on every listener before it binds ({@code SO_REUSEPORT} is the server's to set). */
        public <T> Builder option(SocketOption<T> key, T value) {
            Objects.requireNonNull(key, "option key must not be null");
            if (key == StandardSocketOptions.SO_REUSEPORT) {
                throw new IllegalArgumentException("SO_REUSEPORT is set by the server when it uses "
                        + "Distribution.REUSE_PORT; choose the distribution instead");
            }
            options.removeIf(s -> s.key() == key);
            options.add(new SocketSetup.Setting<>(key, value));
            return this;
        }

        /** The listen backlog of each listener (default {@value ListenerBuilder#DEFAULT_BACKLOG}). */
        public Builder backlog(int backlog) {
            if (backlog < 0) {
                throw new IllegalArgumentException("listen backlog must be >= 0, got " + backlog);
            }
            this.backlog = backlog;
            return this;
        }

        /**
         * Forces a distribution; null (the default) picks {@link Distribution#REUSE_PORT} where the platform
         * has {@code SO_REUSEPORT}, else {@link Distribution#HAND_OFF}.
         */
        public Builder distribution(Distribution d) {
            this.distribution = d;
            return this;
        }

        /**
         * Binds, starts accepting and returns the server. Not on a loop thread (it waits for the binds).
         *
         * @throws java.net.BindException when the port is taken (also by another process's
         *         {@code SO_REUSEPORT} listeners)
         * @throws UnsupportedOperationException for {@link Distribution#REUSE_PORT} on a platform without it
         */
        public TcpServer bind(SocketAddress local, Completer.OfValue<TcpStream> onAccept) throws IOException {
            Objects.requireNonNull(onAccept, "onAccept");
            Addresses.requireInet(local, "TcpServer.bind");
            List<EventLoop> loops = runtime.loops();
            List<TcpListener> bound = new ArrayList<>();
            try {
                Distribution d = distribution;
                InetSocketAddress at = (InetSocketAddress) local;
                if (loops.size() == 1 || d == Distribution.HAND_OFF) {
                    bound.add(listener(loops.get(0), at, false));
                    d = Distribution.HAND_OFF;
                } else {
                    if (at.getPort() != 0) {
                        ensureNobodyListens(loops.get(0), at);
                    }
                    TcpListener first = null;
                    try {
                        first = listener(loops.get(0), at, true);
                    } catch (UnsupportedOperationException noReusePort) {
                        if (d == Distribution.REUSE_PORT) {
                            throw new UnsupportedOperationException("Distribution.REUSE_PORT needs SO_REUSEPORT, "
                                    + "which the " + runtime.driverId() + " driver lacks: " + noReusePort.getMessage()
                                    + "; use Distribution.HAND_OFF (or leave the distribution unset)", noReusePort);
                        }
                    }
                    if (first == null) {
                        bound.add(listener(loops.get(0), at, false));
                        d = Distribution.HAND_OFF;
                    } else {
                        bound.add(first);
                        InetSocketAddress actual = new InetSocketAddress(at.getAddress(), first.port());
                        for (int i = 1; i < loops.size(); i++) {
                            bound.add(listener(loops.get(i), actual, true));
                        }
                        d = Distribution.REUSE_PORT;
                    }
                }
                InetSocketAddress address = (InetSocketAddress) bound.get(0).localAddress();
                TcpServer server = new TcpServer(runtime, bound, d, onAccept, address);
                server.start();
                return server;
            } catch (IOException | RuntimeException e) {
                for (TcpListener l : bound) {
                    try {
                        l.close();
                    } catch (IOException suppressed) {
                        e.addSuppressed(suppressed);
                    }
                }
                throw e;
            }
        }

        private TcpListener listener(EventLoop loop, InetSocketAddress at, boolean reusePort) throws IOException {
            ListenerBuilder<TcpListener> b = TcpListener.binder(loop).backlog(backlog);
            for (SocketSetup.Setting<?> s : options) {
                s.addTo(b);
            }
            if (reusePort) {
                b.option(StandardSocketOptions.SO_REUSEPORT, true);
            }
            return b.bind(at);
        }

        /**
         * {@code SO_REUSEPORT} would let our listeners join another process's listeners on the port (same
         * user, the option set on both) and share its connections. A plain bind first, with
         * {@code SO_REUSEADDR} (connections in TIME_WAIT do not count) and without {@code SO_REUSEPORT},
         * fails with {@code EADDRINUSE} while anyone listens there. The probe then listens too, because a driver
         * may do the bind at listen (the nio driver: java.nio decides between a client and a server channel
         * there); it is closed at once. Nobody serves the port yet, so a client that reaches the probe in that
         * instant is reset where it would have been refused.
         */
        private void ensureNobodyListens(EventLoop loop, InetSocketAddress at) throws IOException {
            SocketSetup probe = new SocketSetup(loop, SocketType.STREAM);
            probe.defaultOption(StandardSocketOptions.SO_REUSEADDR, true);
            if (Addresses.isIpv6Wildcard(at)) {
                probe.defaultOption(VeloqSocketOptions.IPV6_V6ONLY, false); // conflicts with IPv4 listeners too
            }
            probe.local(at);
            IoFd fd = probe.openAndWait(Addresses.familyOf(at));
            try {
                loop.listen(fd, 1);
            } catch (VeloqIoException e) {
                throw e.toJava();
            } finally {
                SocketSetup.closeAndWait(loop, fd);
            }
        }
    }
}
