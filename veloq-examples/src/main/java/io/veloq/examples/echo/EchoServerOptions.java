package io.veloq.examples.echo;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * What {@code ./veloq echo-server} was asked for.
 *
 * @param threads        event loops, one per core by default; each has its own listener (SO_REUSEPORT)
 * @param port           TCP port, 0 for any free one
 * @param bind           the address to listen on; null means {@code ::} (dual stack), or {@code 0.0.0.0}
 *                       where IPv6 is unavailable
 * @param driver         the driver id, or null for the best available
 * @param bufferSize     bytes per connection buffer
 * @param maxConnections connections per loop (one pooled buffer each); beyond it new ones are closed
 */
public record EchoServerOptions(int threads, int port, String bind, String driver, int bufferSize, int maxConnections) {
    static final Set<String> FLAGS = new LinkedHashSet<>(List.of("port", "threads", "bind", "driver", "buffer-size",
            "max-conns"));

    static final String USAGE = """
            usage: veloq echo-server [--port 7000] [--threads N] [--bind ADDR] [--driver uring|iocp|nio|fake]
                                     [--buffer-size 16384] [--max-conns 1024]
              --port        TCP port (default 7000; 0 picks a free one)
              --threads     event loops, each with its own listener on the port (default: cores)
              --bind        address to listen on (default :: dual stack, or 0.0.0.0 without IPv6)
              --driver      I/O driver (default: the best available)
              --buffer-size bytes per connection (default 16384)
              --max-conns   connections per loop, one buffer each (default 1024)
            Ctrl-C or SIGTERM stops it cleanly (exit 0). Exit 2: the port is in use or the address is wrong.""";

    /** Defaults for a test: any free port on loopback. */
    public static EchoServerOptions loopback(String driver, int threads) {
        return new EchoServerOptions(threads, 0, "::1", driver, 16 * 1024, 1024);
    }

    static EchoServerOptions parse(String[] args) throws Flags.UsageException {
        Flags f = Flags.parse("echo-server", args, FLAGS);
        if (f.help()) {
            throw new Flags.UsageException(USAGE);
        }
        int cores = Runtime.getRuntime().availableProcessors();
        return new EchoServerOptions(
                f.integer("threads", cores, 1, 1024),
                f.integer("port", 7000, 0, 65535),
                f.string("bind", null),
                f.string("driver", null),
                f.integer("buffer-size", 16 * 1024, 64, 16 << 20),
                f.integer("max-conns", 1024, 1, 1 << 20));
    }
}
