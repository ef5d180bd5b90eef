package io.veloq.examples.echo;

import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * What {@code ./veloq echo-client} was asked for.
 *
 * @param host     server host (name or address)
 * @param port     server port
 * @param conns    connections, spread over the loops
 * @param size     message size in bytes
 * @param depth    messages in flight per connection (pipelining)
 * @param duration how long to measure (a soak: how long to run, from the first connection)
 * @param threads  event loops of the client
 * @param driver   driver id, or null for the best available
 * @param soak     the soak mode's settings ({@code --rate}), or null for a throughput run
 */
public record EchoClientOptions(String host, int port, int conns, int size, int depth, Duration duration,
                                int threads, String driver, Soak soak) {
    static final Set<String> FLAGS = new LinkedHashSet<>(List.of("host", "port", "conns", "size", "depth", "seconds",
            "threads", "driver", "rate", "interval", "report", "server-pid"));

    static final String USAGE = """
            usage: veloq echo-client [--host 127.0.0.1] [--port 7000] [--conns 64] [--size 64] [--depth 1]
                                     [--seconds 5] [--threads 1] [--driver uring|iocp|nio|fake]
                   veloq echo-client --rate N [--conns 10000] [--interval 1] [--report 10] [--server-pid PID] ...
              --conns     connections (default 64)
              --size      message size in bytes (default 64)
              --depth     messages in flight per connection (default 1)
              --seconds   how long to run (default 5; decimals allowed)
            Every echoed byte is checked. Prints msgs/s and latency percentiles; exit 1 on any error.
            Soak mode (--rate): opens --conns connections at N per second and keeps them all open for
            --seconds, each sending one --size message every --interval seconds (default 1; keep it below
            the server's --idle-timeout) and checking every echoed byte. Every --report seconds (default 10)
            it prints connections open, messages verified, errors, and the RSS, descriptors and threads of
            its own process and of --server-pid. Exit 1 if any connection failed, was dropped or echoed a
            wrong byte. Many connections need descriptors on both sides: ulimit -n 65536 first.""";

    /**
     * The soak mode: connections opened at a steady rate and held, with paced traffic.
     *
     * @param rate        connections opened per second
     * @param interval    pause between a connection's echo and its next message
     * @param reportEvery time between progress lines
     * @param serverPid   a process whose RSS, descriptors and threads to report too (the server), or -1
     */
    public record Soak(double rate, Duration interval, Duration reportEvery, long serverPid) {
        public Soak {
            if (!(rate > 0) || interval.isNegative() || reportEvery.isNegative() || reportEvery.isZero()) {
                throw new IllegalArgumentException("rate and report interval must be positive, interval >= 0");
            }
        }
    }

    public EchoClientOptions {
        if (conns < 1 || size < 1 || depth < 1 || threads < 1) {
            throw new IllegalArgumentException("conns, size, depth and threads must be >= 1");
        }
    }

    /** A throughput run (no soak). */
    public EchoClientOptions(String host, int port, int conns, int size, int depth, Duration duration, int threads,
                             String driver) {
        this(host, port, conns, size, depth, duration, threads, driver, null);
    }

    static EchoClientOptions parse(String[] args) throws Flags.UsageException {
        Flags f = Flags.parse("echo-client", args, FLAGS);
        if (f.help()) {
            throw new Flags.UsageException(USAGE);
        }
        double seconds = f.decimal("seconds", 5, 0.01);
        Soak soak = null;
        if (f.has("rate")) {
            Duration report = f.seconds("report", Duration.ofSeconds(10));
            if (report.isZero()) {
                throw new Flags.UsageException("echo-client: --report must be more than 0 seconds");
            }
            soak = new Soak(f.decimal("rate", 0, 0.001), f.seconds("interval", Duration.ofSeconds(1)), report,
                    f.integer("server-pid", -1, 1, Integer.MAX_VALUE));
        } else {
            for (String soakOnly : List.of("interval", "report", "server-pid")) {
                if (f.has(soakOnly)) {
                    throw new Flags.UsageException("echo-client: --" + soakOnly + " belongs to the soak mode: add --rate N");
                }
            }
        }
        return new EchoClientOptions(
                f.string("host", "127.0.0.1"),
                f.integer("port", 7000, 1, 65535),
                f.integer("conns", 64, 1, 1_000_000),
                f.integer("size", 64, 1, 16 << 20),
                f.integer("depth", 1, 1, 1 << 16),
                Duration.ofNanos((long) (seconds * 1e9)),
                f.integer("threads", 1, 1, 1024),
                f.string("driver", null),
                soak);
    }
}
