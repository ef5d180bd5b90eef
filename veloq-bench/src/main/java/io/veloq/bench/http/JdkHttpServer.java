package io.veloq.bench.http;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.veloq.bench.echo.EchoServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;

/**
 * The {@code jdk} row: {@code com.sun.net.httpserver.HttpServer} serving the same directory, its handler run
 * on the single dispatcher thread (no executor), each file streamed with {@code InputStream.transferTo}.
 */
final class JdkHttpServer implements EchoServer {
    private HttpServer server;
    private volatile Thread dispatcher;

    @Override
    public String name() {
        return HttpServers.JDK;
    }

    @Override
    public synchronized int start(int port) throws Exception {
        Path root = HttpServers.dir().toRealPath();
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1024);
        Executor sameThread = r -> {
            dispatcher = Thread.currentThread();
            r.run();
        };
        server.setExecutor(sameThread);
        server.createContext("/", ex -> serve(root, ex));
        server.start();
        // the dispatcher runs handlers itself: find it with a request of our own
        CompletableFuture<Void> seen = CompletableFuture.runAsync(() -> {
            try (var s = new java.net.Socket(InetAddress.getLoopbackAddress(), server.getAddress().getPort())) {
                s.getOutputStream().write("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".getBytes());
                s.getInputStream().readAllBytes();
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        seen.get(10, TimeUnit.SECONDS);
        return server.getAddress().getPort();
    }

    private static void serve(Path root, HttpExchange ex) throws IOException {
        try (ex) {
            String method = ex.getRequestMethod();
            if (!method.equals("GET") && !method.equals("HEAD")) {
                ex.getResponseHeaders().set("Allow", "GET, HEAD");
                ex.sendResponseHeaders(405, -1);
                return;
            }
            String path = ex.getRequestURI().getPath();
            Path file = root.resolve(path.substring(1)).normalize();
            if (!file.startsWith(root) || Files.isDirectory(file)) {
                ex.sendResponseHeaders(404, -1);
                return;
            }
            try (InputStream in = Files.newInputStream(file)) {
                long size = Files.size(file);
                ex.getResponseHeaders().set("Content-Type", "application/octet-stream");
                if (method.equals("HEAD")) {
                    ex.getResponseHeaders().set("Content-Length", Long.toString(size));
                    ex.sendResponseHeaders(200, -1);
                    return;
                }
                ex.sendResponseHeaders(200, size == 0 ? -1 : size);
                try (OutputStream out = ex.getResponseBody()) {
                    in.transferTo(out);
                }
            } catch (NoSuchFileException e) {
                ex.sendResponseHeaders(404, -1);
            }
        }
    }

    @Override
    public synchronized void stop() {
        if (server != null) {
            server.stop(0);
            server = null;
        }
    }

    @Override
    public List<Thread> loopThreads() {
        Thread t = dispatcher;
        return t == null ? List.of() : List.of(t);
    }

    @Override
    public String describe() {
        return "JDK com.sun.net.httpserver, handlers on the dispatcher thread (" + (dispatcher == null ? "-"
                : dispatcher.getName()) + "), InputStream.transferTo bodies";
    }
}
