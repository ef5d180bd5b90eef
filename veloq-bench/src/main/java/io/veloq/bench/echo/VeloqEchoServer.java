package io.veloq.bench.echo;

import io.veloq.api.EventLoop;
import io.veloq.api.IoRuntime;
import io.veloq.examples.echo.EchoServerOptions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * The {@code veloq} row: the project's own echo server ({@code io.veloq.examples.echo.EchoServer}, what
 * {@code ./veloq echo-server} runs) on the io_uring driver, completer API, one event loop by default. Each
 * connection has one buffer from the loop's registered pool and a {@code Recv} and a send-all op made once
 * and reused, so an echoed message allocates nothing. The {@code veloq-nio} row ({@link #nio()}) is the same
 * server on the pure-Java nio driver (java.nio's Selector), the fallback where io_uring cannot run.
 *
 * <p>The bench opens the runtime itself, so it knows the loop threads ({@code veloq-loop-<i>-<driver>}) it
 * measures. System properties as for {@link VeloqLeanEchoServer}: {@code veloq.bench.driver},
 * {@code veloq.bench.threads}, {@code veloq.bench.bufferSize}, {@code veloq.bench.maxConns}.
 *
 * <pre>{@code
 * EchoServer s = new VeloqEchoServer();
 * int port = s.start(0);   // serving on 127.0.0.1:port
 * s.stop();
 * }</pre>
 */
public final class VeloqEchoServer implements EchoServer {

    /** The row of the same server with one-shot receives ({@code --ring 0}), beside {@code veloq} (multishot). */
    public static final String ONE_SHOT = "veloq-oneshot";

    private final String name;
    private final String driver;
    private final int ringBuffers;
    private IoRuntime runtime;
    private io.veloq.examples.echo.EchoServer server;
    private final List<Thread> threads = new ArrayList<>();

    /**
     * The {@code veloq} row: {@code veloq.bench.driver}, io_uring by default; multishot accept and receive on
     * buffer rings where the driver has them.
     */
    public VeloqEchoServer() {
        this(EchoServers.VELOQ, VeloqLeanEchoServer.DRIVER, EchoServerOptions.DEFAULT_RING);
    }

    private VeloqEchoServer(String name, String driver, int ringBuffers) {
        this.name = name;
        this.driver = driver;
        this.ringBuffers = ringBuffers;
    }

    /** The {@code veloq-nio} row: the same server on the nio driver (no multishot there: one-shot receives). */
    static VeloqEchoServer nio() {
        return new VeloqEchoServer(EchoServers.VELOQ_NIO, "nio", EchoServerOptions.DEFAULT_RING);
    }

    /** Plugs in the {@code veloq-oneshot} row (META-INF/services): one-shot receives, one buffer per connection. */
    public static final class OneShotProvider implements EchoServers.Provider {
        @Override
        public String name() {
            return ONE_SHOT;
        }

        @Override
        public String unavailableReason() {
            return VeloqEchoServer.unavailableReason();
        }

        @Override
        public EchoServer create() {
            return new VeloqEchoServer(ONE_SHOT, VeloqLeanEchoServer.DRIVER, 0);
        }
    }

    /** {@code null} when the driver can run here, else why not. */
    public static String unavailableReason() {
        return VeloqLeanEchoServer.unavailableReason();
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public synchronized int start(int port) throws Exception {
        if (runtime != null) {
            throw new IllegalStateException("already started");
        }
        int maxConns = VeloqLeanEchoServer.MAX_CONNECTIONS;
        runtime = IoRuntime.builder()
                .driver(driver)
                .threads(VeloqLeanEchoServer.THREADS)
                .buffers(VeloqLeanEchoServer.BUFFER_SIZE, maxConns + ringBuffers)
                .maxInFlight(Math.max(4096, 2 * maxConns + 64))
                .open();
        try {
            CountDownLatch known = new CountDownLatch(runtime.loops().size());
            List<Thread> found = new ArrayList<>();
            for (EventLoop loop : runtime.loops()) {
                loop.execute(() -> {
                    synchronized (found) {
                        found.add(Thread.currentThread());
                    }
                    known.countDown();
                });
            }
            if (!known.await(10, TimeUnit.SECONDS)) {
                throw new IllegalStateException("the Veloq loops did not run a task within 10 s");
            }
            threads.addAll(found);
            server = io.veloq.examples.echo.EchoServer.start(runtime, new EchoServerOptions(
                    VeloqLeanEchoServer.THREADS, port, "127.0.0.1", driver,
                    VeloqLeanEchoServer.BUFFER_SIZE, maxConns, ringBuffers));
            return server.port();
        } catch (Exception | Error e) {
            runtime.close();
            runtime = null;
            threads.clear();
            throw e;
        }
    }

    @Override
    public void stop() {
        IoRuntime rt;
        io.veloq.examples.echo.EchoServer s;
        synchronized (this) {
            rt = runtime;
            s = server;
            runtime = null;
            server = null;
        }
        if (rt == null) {
            return;
        }
        try {
            if (s != null) {
                s.stop(); // stops accepting, cancels and closes every connection; leaves our runtime open
            }
        } finally {
            rt.close();
        }
    }

    @Override
    public List<Thread> loopThreads() {
        return List.copyOf(threads);
    }

    @Override
    public String describe() {
        StringBuilder sb = new StringBuilder("io.veloq.examples.echo.EchoServer, ");
        sb.append(threads.size()).append(" Veloq loop").append(threads.size() == 1 ? "" : "s").append(" (driver ")
                .append(driver).append(", completer API");
        for (Thread t : threads) {
            sb.append(", ").append(t.getName());
        }
        if (ringBuffers > 0 && server != null && server.multishot()) {
            sb.append("), multishot accept + multishot receive on a ").append(ringBuffers).append("-buffer ring per loop, one ")
                    .append(VeloqLeanEchoServer.BUFFER_SIZE / 1024).append(" KiB send buffer + reused send-all op per connection");
        } else {
            sb.append("), one ").append(VeloqLeanEchoServer.BUFFER_SIZE / 1024)
                    .append(runtime != null && runtime.loop(0).bufPool().isRegistered() ? " KiB registered-pool" : " KiB pool")
                    .append(" buffer + reused Recv/send-all ops per connection (one-shot receives)");
        }
        return sb.toString();
    }
}
