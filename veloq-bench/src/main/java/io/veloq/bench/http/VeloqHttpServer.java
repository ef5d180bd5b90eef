package io.veloq.bench.http;

import io.veloq.api.EventLoop;
import io.veloq.bench.echo.EchoServer;
import io.veloq.examples.http.HttpServer;
import io.veloq.examples.http.HttpServerOptions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The {@code veloq} row: the project's own {@code ./veloq http-server} ({@code io.veloq.examples.http}) on the
 * io_uring driver, one event loop ({@code -Dveloq.bench.threads=N} for more), 16 KiB buffers
 * ({@code -Dveloq.bench.bufferSize}), exactly as the command line runs it.
 */
final class VeloqHttpServer implements EchoServer {
    private HttpServer server;
    private final List<Thread> threads = new ArrayList<>();

    @Override
    public String name() {
        return HttpServers.VELOQ;
    }

    @Override
    public synchronized int start(int port) throws Exception {
        int loops = Integer.getInteger("veloq.bench.threads", 1);
        int buffer = Integer.getInteger("veloq.bench.bufferSize", 16 * 1024);
        server = HttpServer.start(new HttpServerOptions(HttpServers.dir(), port, "127.0.0.1", loops,
                System.getProperty("veloq.bench.driver", "uring"), buffer, 1024, Math.min(8192, buffer), 64 * 1024,
                Duration.ofSeconds(60), Duration.ofSeconds(1),
                !Boolean.getBoolean("veloq.bench.noSendFile")));
        for (EventLoop l : server.runtime().loops()) {
            CompletableFuture<Thread> t = new CompletableFuture<>();
            l.execute(() -> t.complete(Thread.currentThread()));
            threads.add(t.get(10, TimeUnit.SECONDS));
        }
        return server.port();
    }

    @Override
    public synchronized void stop() {
        if (server != null) {
            server.stop();
        }
    }

    @Override
    public List<Thread> loopThreads() {
        return List.copyOf(threads);
    }

    @Override
    public String describe() {
        return "Veloq http-server (io.veloq.examples.http), driver " + server.driverId() + ", " + server.loopCount()
                + " loop(s) " + threads.stream().map(Thread::getName).toList() + ", ReadFixed bodies, "
                + Integer.getInteger("veloq.bench.bufferSize", 16 * 1024) + " B buffers";
    }
}
