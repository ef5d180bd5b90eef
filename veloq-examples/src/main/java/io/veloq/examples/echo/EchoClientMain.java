package io.veloq.examples.echo;

import java.io.IOException;
import java.io.PrintStream;

/**
 * {@code ./veloq echo-client}: a load generator for any echo server. It reports msgs/s and the latency
 * percentiles p50/p99/p99.9 (computed by {@link LatencyHistogram}, no library), and checks every echoed
 * byte.
 *
 * <pre>
 * ./veloq echo-client --port 7000 --conns 64 --size 64 --depth 1 --seconds 5
 * ./veloq echo-client --port 7000 --conns 10000 --rate 500 --seconds 480 --server-pid PID   (soak: {@link EchoSoak})
 * </pre>
 *
 * <p>Exit codes: 0 when every message came back intact, 1 on any error, 64 for bad flags.
 */
public final class EchoClientMain {
    private EchoClientMain() {
    }

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    /** Runs the client; returns the exit code. */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        EchoClientOptions o;
        try {
            o = EchoClientOptions.parse(args);
        } catch (Flags.UsageException e) {
            boolean help = e.getMessage().startsWith("usage:");
            (help ? out : err).println(e.getMessage());
            return help ? 0 : Flags.EXIT_USAGE;
        }
        if ("fake".equals(o.driver())) {
            err.println("echo-client: --driver fake simulates a network inside this JVM, where no echo server runs:"
                    + " it cannot reach a server in another process. Use a real driver (leave out --driver, or"
                    + " --driver uring)");
            return Flags.EXIT_USAGE;
        }
        try {
            if (o.soak() != null) {
                return EchoSoak.run(o, out) ? 0 : 1;
            }
            LoadReport r = EchoLoad.run(o);
            out.println(r.format());
            return r.errors().isEmpty() && r.verified() > 0 ? 0 : 1;
        } catch (IOException e) {
            err.println(e.getMessage());
            return 1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            err.println("echo-client: interrupted");
            return 1;
        } catch (RuntimeException e) {
            err.println("echo-client: " + e);
            return 1;
        }
    }
}
