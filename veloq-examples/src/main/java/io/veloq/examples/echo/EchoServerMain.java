package io.veloq.examples.echo;

import io.veloq.api.CleanExit;
import io.veloq.api.IoErrorKind;

import java.io.IOException;
import java.io.PrintStream;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * {@code ./veloq echo-server}: runs an {@link EchoServer} until Ctrl-C or SIGTERM, then stops it cleanly
 * (in-flight ops cancelled, sockets closed) and prints a one-line summary.
 *
 * <pre>
 * ./veloq echo-server --port 7000 --threads 2
 * echo-server: listening on [::]:7000 (driver uring, 2 loops, SO_REUSEPORT)
 * ^C
 * echo-server: stopped after 12.3 s: 64 connections on 2 loops, 0 open, 1.2 GiB echoed, ...
 * </pre>
 *
 * <p>Exit codes: 0 after a clean stop, 2 when the port is in use or the address cannot be bound, 64 for
 * bad flags, 1 for anything else.
 */
public final class EchoServerMain {
    /** Clean stop. */
    public static final int EXIT_OK = 0;
    /** Unexpected failure. */
    public static final int EXIT_FAILURE = 1;
    /** The port is in use or the address cannot be bound. */
    public static final int EXIT_BIND = 2;

    private EchoServerMain() {
    }

    /** One line per log record ("2026-01-31 12:00:00 WARNING io.veloq.api.net: ..."), unless the user set a format. */
    static final String LOG_FORMAT = "%1$tF %1$tT %4$s %3$s: %5$s%6$s%n";

    public static void main(String[] args) {
        // The JDK's System.Logger backends (java.util.logging, or its plain console logger when java.logging is
        // not in the module graph) print two lines per record by default; the server's warnings read better as one.
        System.getProperties().putIfAbsent("java.util.logging.SimpleFormatter.format", LOG_FORMAT);
        System.getProperties().putIfAbsent("jdk.system.logger.format", LOG_FORMAT);
        // SIGTERM/SIGINT complete stopRequested(); serve() then stops the server, prints its summary and
        // returns the code, and CleanExit makes it the process's exit status (0 after a clean stop, not the
        // JVM's 143/130). Bad flags or a port in use end serve() at once, with their own code.
        CleanExit exit = CleanExit.install(Duration.ofSeconds(15));
        int code = EXIT_FAILURE;
        try {
            code = serve(args, System.out, System.err, exit.stopRequested());
        } finally {
            exit.exit(code);
        }
    }

    /** The start-up line; with the fake driver it says that the network is simulated, in this JVM only. */
    static String listening(EchoServer server) {
        String loops = server.loopCount() + (server.loopCount() == 1 ? " loop" : " loops, SO_REUSEPORT");
        if (server.driverId().equals("fake")) {
            return "echo-server: listening on " + server.address() + " of a SIMULATED network (driver fake, " + loops
                    + "): it exists only inside this JVM and no real client can connect; for a real server leave out"
                    + " --driver fake (or use --driver uring)";
        }
        return "echo-server: listening on " + server.address() + " (driver " + server.driverId() + ", " + loops + ")";
    }

    /**
     * Starts the server, prints where it listens, serves until {@code stop} completes, stops cleanly and
     * prints the summary. Returns the exit code; returns at once with {@link #EXIT_BIND} when the port is
     * in use. Tests call this directly.
     */
    public static int serve(String[] args, PrintStream out, PrintStream err, CompletableFuture<?> stop) {
        EchoServerOptions options;
        try {
            options = EchoServerOptions.parse(args);
        } catch (Flags.UsageException e) {
            (e.getMessage().startsWith("usage:") ? out : err).println(e.getMessage());
            return e.getMessage().startsWith("usage:") ? EXIT_OK : Flags.EXIT_USAGE;
        }
        EchoServer server;
        try {
            server = EchoServer.start(options);
        } catch (IOException e) {
            IoErrorKind kind = EchoServer.kindOf(e);
            String where = (options.bind() == null ? "::" : options.bind()) + " port " + options.port();
            if (kind == IoErrorKind.ADDRESS_IN_USE) {
                err.println("echo-server: cannot listen on " + where + ": the port is already in use"
                        + " (EADDRINUSE); stop the other server or choose another --port");
                return EXIT_BIND;
            }
            if (kind == IoErrorKind.ADDRESS_NOT_AVAILABLE || kind == IoErrorKind.PERMISSION_DENIED
                    || e instanceof java.net.UnknownHostException) {
                err.println("echo-server: cannot listen on " + where + ": " + e.getMessage());
                return EXIT_BIND;
            }
            err.println("echo-server: cannot start: " + e);
            return EXIT_FAILURE;
        } catch (RuntimeException e) {
            err.println("echo-server: cannot start: " + e.getMessage());
            return EXIT_FAILURE;
        }
        out.println(listening(server));
        out.flush();
        try {
            stop.join();
        } catch (RuntimeException ignored) {
            // A stop signal completed exceptionally is still a stop signal.
        }
        EchoStats s = server.stop();
        out.println(s.summary());
        out.flush();
        return s.buffersOutstanding() == 0 ? EXIT_OK : EXIT_FAILURE;
    }
}
