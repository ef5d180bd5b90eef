package io.veloq.examples.http;

import io.veloq.api.IoErrorKind;
import io.veloq.examples.echo.Flags;

import java.io.IOException;
import java.io.PrintStream;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * {@code ./veloq http-server --dir DIR}: serves a directory over HTTP/1.1 until Ctrl-C or SIGTERM, then
 * stops cleanly and prints a one-line summary.
 *
 * <pre>
 * ./veloq http-server --dir site --port 8080
 * http-server: serving /home/me/site on [::]:8080 (driver uring, 2 loops, SO_REUSEPORT)
 * ^C
 * http-server: stopped after 12.3 s: 64 connections on 2 loops, 812345 requests, ...
 * </pre>
 *
 * <p>Exit codes: 0 after a clean stop, 2 when the port is in use or the address cannot be bound, 64 for
 * bad flags (or a missing directory), 1 for anything else.
 */
public final class HttpServerMain {
    public static final int EXIT_OK = 0;
    public static final int EXIT_FAILURE = 1;
    public static final int EXIT_BIND = 2;

    private HttpServerMain() {
    }

    public static void main(String[] args) {
        CompletableFuture<Void> stop = new CompletableFuture<>();
        CompletableFuture<Integer> exit = new CompletableFuture<>();
        // SIGINT/SIGTERM end a JVM with 130/143 unless a shutdown hook halts it with its own code: this one
        // asks serve() to stop, waits for its summary and halts with serve()'s code.
        Thread hook = new Thread(() -> {
            stop.complete(null);
            int code;
            try {
                code = exit.get(15, TimeUnit.SECONDS);
            } catch (TimeoutException e) {
                System.err.println("http-server: did not stop within 15 s");
                code = EXIT_FAILURE;
            } catch (Exception e) {
                code = EXIT_FAILURE;
            }
            System.out.flush();
            System.err.flush();
            Runtime.getRuntime().halt(code);
        }, "http-server-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        int code = EXIT_FAILURE;
        try {
            code = serve(args, System.out, System.err, stop);
        } finally {
            exit.complete(code);
        }
        if (!stop.isDone()) {
            System.exit(code); // ended on its own (bad flags, port in use): the hook halts with this code
        }
    }

    /**
     * Starts the server, prints where it listens, serves until {@code stop} completes, stops cleanly and
     * prints the summary. Returns the exit code. Tests call this directly.
     */
    public static int serve(String[] args, PrintStream out, PrintStream err, CompletableFuture<?> stop) {
        HttpServerOptions options;
        try {
            options = HttpServerOptions.parse(args);
        } catch (Flags.UsageException e) {
            boolean usage = e.getMessage().startsWith("usage:");
            (usage ? out : err).println(e.getMessage());
            return usage ? EXIT_OK : Flags.EXIT_USAGE;
        }
        javax.net.ssl.SSLContext tls = null;
        if (options.tls() != null) {
            try {
                tls = options.tls().serverContext();
            } catch (IOException e) {
                err.println("http-server: cannot serve HTTPS with --tls-cert " + options.tls().cert() + " --tls-key "
                        + options.tls().key() + ": " + (e instanceof java.nio.file.NoSuchFileException ? "no such file "
                        + e.getMessage() : e.getMessage()));
                return Flags.EXIT_USAGE;
            }
        }
        HttpServer server;
        try {
            server = HttpServer.start(options, tls);
        } catch (IOException e) {
            IoErrorKind kind = HttpServer.kindOf(e);
            String where = (options.bind() == null ? "::" : options.bind()) + " port " + options.port();
            if (kind == IoErrorKind.ADDRESS_IN_USE) {
                err.println("http-server: cannot listen on " + where + ": the port is already in use"
                        + " (EADDRINUSE); stop the other server or choose another --port");
                return EXIT_BIND;
            }
            if (kind == IoErrorKind.ADDRESS_NOT_AVAILABLE || kind == IoErrorKind.PERMISSION_DENIED
                    || e instanceof java.net.UnknownHostException) {
                err.println("http-server: cannot listen on " + where + ": " + e.getMessage());
                return EXIT_BIND;
            }
            if (kind == null) { // the directory
                err.println("http-server: cannot serve --dir " + options.dir() + ": " + describe(e));
                return Flags.EXIT_USAGE;
            }
            err.println("http-server: cannot start: " + e);
            return EXIT_FAILURE;
        } catch (RuntimeException e) {
            err.println("http-server: cannot start: " + e.getMessage());
            return EXIT_FAILURE;
        }
        out.println("http-server: serving " + server.root() + " on " + server.address() + " (driver "
                + server.driverId() + ", " + server.loopCount()
                + (server.loopCount() == 1 ? " loop" : " loops, SO_REUSEPORT") + (tls != null ? ", HTTPS" : "") + ")");
        out.flush();
        try {
            stop.join();
        } catch (RuntimeException ignored) {
            // a stop signal completed exceptionally is still a stop signal
        }
        HttpStats s = server.stop();
        out.println(s.summary());
        out.flush();
        return s.buffersOutstanding() == 0 && s.openFiles() == 0 ? EXIT_OK : EXIT_FAILURE;
    }

    private static String describe(IOException e) {
        return e instanceof java.nio.file.NoSuchFileException ? "no such directory" : e.getMessage();
    }
}
