package io.veloq.examples.http;

import io.veloq.api.EventLoop;
import io.veloq.api.IoErrorKind;
import io.veloq.api.IoFd;
import io.veloq.api.IoRuntime;
import io.veloq.api.VeloqIoException;
import io.veloq.api.net.AddressFamily;
import io.veloq.api.net.ListenerBuilder;
import io.veloq.api.net.SocketType;
import io.veloq.api.net.TcpListener;
import io.veloq.api.net.VeloqSocketOptions;
import io.veloq.api.op.Close;
import io.veloq.api.op.Socket;

import javax.net.ssl.SSLContext;
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
 * A static-file HTTP/1.1 server on Veloq: one event loop per core, shared-nothing, each with its own
 * listener on the port ({@code SO_REUSEPORT}); GET and HEAD with keep-alive and pipelining; file bodies read
 * with {@code ReadFixed} into registered buffers; paths resolved off the loops by a {@link FileCatalog}.
 * With {@link HttpServerOptions#tls()} it serves HTTPS: each connection is a server {@code TlsStream} over the
 * accepted socket, the same state machine reading and writing plaintext through it.
 *
 * <pre>{@code
 * try (HttpServer server = HttpServer.start(HttpServerOptions.loopback(Path.of("site"), null, 2))) {
 *     System.out.println("serving on " + server.address());
 *     ...
 * }   // close(): stop accepting, end every connection, close the files, then the runtime
 * }</pre>
 */
public final class HttpServer implements AutoCloseable {
    private static final Duration STOP_WAIT = Duration.ofSeconds(5);

    private final IoRuntime runtime;
    private final FileCatalog catalog;
    private final List<HttpLoop> loops;
    private final InetSocketAddress address;
    private final long startNanos = System.nanoTime();
    private volatile HttpStats finalStats;

    private HttpServer(IoRuntime runtime, FileCatalog catalog, List<HttpLoop> loops, InetSocketAddress address) {
        this.runtime = runtime;
        this.catalog = catalog;
        this.loops = loops;
        this.address = address;
    }

    /**
     * Opens a runtime, binds one listener per loop and serves {@code o.dir()}; serving when this returns.
     *
     * @throws IOException a {@link java.net.BindException} when the port is in use or the address is not
     *     local; a plain one when the directory does not exist
     */
    public static HttpServer start(HttpServerOptions o) throws IOException {
        return start(o, o.tls() == null ? null : o.tls().serverContext());
    }

    /** As {@link #start(HttpServerOptions)}, with the TLS context already made from {@code o.tls()} (or null). */
    static HttpServer start(HttpServerOptions o, SSLContext tls) throws IOException {
        IoRuntime rt = IoRuntime.builder()
                .driver(o.driver())
                .threads(o.threads())
                .buffers(o.bufferSize(), 2 * o.maxConnections() + 2)
                .maxInFlight(Math.max(4096, 2 * o.maxConnections() + 64))
                .open();
        FileCatalog catalog = null;
        List<TcpListener> listeners = new ArrayList<>();
        try {
            catalog = new FileCatalog(o.dir(), rt.loop(0), o.fileCheck());
            InetSocketAddress first = null;
            boolean shared = rt.loops().size() > 1;
            for (EventLoop loop : rt.loops()) {
                TcpListener l = first == null ? bindFirst(loop, o, shared) : bind(loop, first, true);
                listeners.add(l);
                if (first == null) {
                    first = (InetSocketAddress) l.localAddress();
                }
            }
            catalog.start();
            List<HttpLoop> loops = new ArrayList<>();
            for (int i = 0; i < listeners.size(); i++) {
                HttpLoop hl = new HttpLoop(rt.loop(i), listeners.get(i), catalog, o, tls);
                loops.add(hl);
                hl.loop().execute(hl::start);
            }
            return new HttpServer(rt, catalog, List.copyOf(loops), first);
        } catch (IOException | RuntimeException e) {
            for (TcpListener l : listeners) {
                try {
                    l.close();
                } catch (IOException suppressed) {
                    e.addSuppressed(suppressed);
                }
            }
            if (catalog != null) {
                catalog.close();
            }
            rt.close();
            throw e;
        }
    }

    private static TcpListener bindFirst(EventLoop loop, HttpServerOptions o, boolean shared) throws IOException {
        if (o.bind() != null) {
            return bindAlone(loop, new InetSocketAddress(InetAddress.getByName(o.bind()), o.port()), shared);
        }
        try {
            return bindAlone(loop, new InetSocketAddress(InetAddress.getByName("::"), o.port()), shared);
        } catch (IOException e) {
            if (kindOf(e) != IoErrorKind.NOT_SUPPORTED) {
                throw e;
            }
            return bindAlone(loop, new InetSocketAddress(InetAddress.getByName("0.0.0.0"), o.port()), shared);
        }
    }

    /**
     * With several loops the listeners share the port through SO_REUSEPORT, which would also let them join
     * another process's listeners there. So first a plain bind without it, which fails with EADDRINUSE while
     * anyone listens on the port; that socket never listens.
     */
    private static TcpListener bindAlone(EventLoop loop, InetSocketAddress at, boolean shared) throws IOException {
        if (shared && at.getPort() != 0) {
            AddressFamily family = at.getAddress() instanceof Inet6Address ? AddressFamily.INET6 : AddressFamily.INET;
            IoFd fd = IoFd.raw(loop.call(new Socket(family, SocketType.STREAM)).valueOrThrow());
            try {
                loop.setOption(fd, StandardSocketOptions.SO_REUSEADDR, true);
                if (family == AddressFamily.INET6 && at.getAddress().isAnyLocalAddress()) {
                    loop.setOption(fd, VeloqSocketOptions.IPV6_V6ONLY, false);
                }
                loop.bind(fd, at);
            } finally {
                loop.call(new Close(fd));
            }
        }
        return bind(loop, at, shared);
    }

    private static TcpListener bind(EventLoop loop, InetSocketAddress at, boolean shared) throws IOException {
        ListenerBuilder<TcpListener> b = TcpListener.binder(loop).backlog(4096);
        if (shared) {
            b.option(StandardSocketOptions.SO_REUSEPORT, true);
        }
        return b.bind(at);
    }

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

    public String driverId() {
        return runtime.driverId();
    }

    public int loopCount() {
        return loops.size();
    }

    /** The served directory's real path. */
    public java.nio.file.Path root() {
        return catalog.root();
    }

    /** The runtime serving it (tests and the bench look at its loop threads). */
    public IoRuntime runtime() {
        return runtime;
    }

    /** Connections each loop accepted, by loop index: SO_REUSEPORT spreads them. */
    public long[] acceptedByLoop() {
        return loops.stream().mapToLong(l -> l.accepted).toArray();
    }

    /** Counters summed over the loops (racy but monotonic reads of single-writer counters). */
    public HttpStats stats() {
        HttpStats f = finalStats;
        if (f != null) {
            return f;
        }
        long accepted = 0, open = 0, refused = 0, requests = 0, responses = 0, errors = 0, timeouts = 0;
        long connErrors = 0, fileErrors = 0, buffers = 0;
        for (HttpLoop l : loops) {
            accepted += l.accepted;
            open += l.open;
            refused += l.refused;
            requests += l.requests;
            responses += l.responses;
            errors += l.errorResponses;
            timeouts += l.timeouts;
            connErrors += l.connectionErrors;
            fileErrors += l.fileErrors;
            buffers += l.buffersOutstanding();
        }
        return new HttpStats(loops.size(), accepted, open, refused, requests, responses, errors, timeouts, connErrors,
                fileErrors, buffers, catalog.openFiles(), Duration.ofNanos(System.nanoTime() - startNanos));
    }

    @Override
    public void close() {
        stop();
    }

    /**
     * Stops cleanly: each loop stops accepting and ends its connections (ops in flight cancelled, buffers
     * back), the catalog closes the files, then the runtime closes. Returns the final counters. Idempotent.
     */
    public synchronized HttpStats stop() {
        if (finalStats != null) {
            return finalStats;
        }
        CountDownLatch idle = new CountDownLatch(loops.size());
        for (HttpLoop l : loops) {
            try {
                l.loop().execute(() -> l.stop(idle::countDown));
            } catch (IllegalStateException closed) {
                idle.countDown();
            }
        }
        try {
            if (!idle.await(STOP_WAIT.toMillis(), TimeUnit.MILLISECONDS)) {
                System.err.println("http-server: connections did not all close within " + STOP_WAIT.toSeconds()
                        + " s; closing the runtime cancels what is left");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        catalog.close();
        HttpStats s = stats();
        runtime.close();
        finalStats = s;
        return s;
    }
}
