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
 * @param duration how long to measure
 * @param threads  event loops of the client
 * @param driver   driver id, or null for the best available
 */
public record EchoClientOptions(String host, int port, int conns, int size, int depth, Duration duration,
                                int threads, String driver) {
    static final Set<String> FLAGS = new LinkedHashSet<>(List.of("host", "port", "conns", "size", "depth", "seconds",
            "threads", "driver"));

    static final String USAGE = """
            usage: veloq echo-client [--host 127.0.0.1] [--port 7000] [--conns 64] [--size 64] [--depth 1]
                                     [--seconds 5] [--threads 1] [--driver uring|iocp|nio|fake]
              --conns    connections (default 64)
              --size     message size in bytes (default 64)
              --depth    messages in flight per connection (default 1)
              --seconds  how long to run (default 5; decimals allowed)
            Every echoed byte is checked. Prints msgs/s and latency percentiles; exit 1 on any error.""";

    public EchoClientOptions {
        if (conns < 1 || size < 1 || depth < 1 || threads < 1) {
            throw new IllegalArgumentException("conns, size, depth and threads must be >= 1");
        }
    }

    static EchoClientOptions parse(String[] args) throws Flags.UsageException {
        Flags f = Flags.parse("echo-client", args, FLAGS);
        if (f.help()) {
            throw new Flags.UsageException(USAGE);
        }
        double seconds = f.decimal("seconds", 5, 0.01);
        return new EchoClientOptions(
                f.string("host", "127.0.0.1"),
                f.integer("port", 7000, 1, 65535),
                f.integer("conns", 64, 1, 100_000),
                f.integer("size", 64, 1, 16 << 20),
                f.integer("depth", 1, 1, 1 << 16),
                Duration.ofNanos((long) (seconds * 1e9)),
                f.integer("threads", 1, 1, 1024),
                f.string("driver", null));
    }
}
