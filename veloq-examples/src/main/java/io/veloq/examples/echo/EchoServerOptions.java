package io.veloq.examples.echo;

import java.time.Duration;
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
 * @param maxConnections connections open at once, in total over all loops (one pooled buffer each); beyond it
 *                       new ones are closed at once (and logged, at most once every few seconds)
 * @param idleTimeout    a connection that moves no byte for this long while the server waits to receive from
 *                       it (or to send to it) is closed, freeing its slot; {@link Duration#ZERO}: never. With
 *                       multishot receives it is checked by a sweep every quarter of it (so up to 25% later)
 * @param ringBuffers    buffers of each loop's receive ring (a power of two): where the driver has multishot
 *                       receives ({@code Capability.MULTISHOT}) every connection receives into the ring with one
 *                       multishot receive; 0 receives with one-shot ops into each connection's buffer
 */
public record EchoServerOptions(int threads, int port, String bind, String driver, int bufferSize, int maxConnections,
                                Duration idleTimeout, int ringBuffers) {
    /** The default ring: enough for 256 connections with bytes in flight at once per loop. */
    public static final int DEFAULT_RING = 256;

    static final Set<String> FLAGS = new LinkedHashSet<>(List.of("port", "threads", "bind", "driver", "buffer-size",
            "max-conns", "idle-timeout", "ring"));

    /** The {@code --idle-timeout} of the command line when not given. */
    static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofSeconds(60);

    public EchoServerOptions {
        if (idleTimeout == null || idleTimeout.isNegative()) {
            throw new IllegalArgumentException("idleTimeout must be zero (none) or positive, got " + idleTimeout);
        }
        if (ringBuffers < 0 || (ringBuffers > 0 && Integer.bitCount(ringBuffers) != 1) || ringBuffers > 32768) {
            throw new IllegalArgumentException("--ring must be 0 or a power of two up to 32768, got " + ringBuffers);
        }
    }

    /** With the default ring. */
    public EchoServerOptions(int threads, int port, String bind, String driver, int bufferSize, int maxConnections,
                             Duration idleTimeout) {
        this(threads, port, bind, driver, bufferSize, maxConnections, idleTimeout, DEFAULT_RING);
    }

    /** Options without an idle timeout (what benchmarks want: no timer per receive), the default ring. */
    public EchoServerOptions(int threads, int port, String bind, String driver, int bufferSize, int maxConnections) {
        this(threads, port, bind, driver, bufferSize, maxConnections, Duration.ZERO, DEFAULT_RING);
    }

    /** Options without an idle timeout and with a ring of {@code ringBuffers} (0: one-shot receives). */
    public EchoServerOptions(int threads, int port, String bind, String driver, int bufferSize, int maxConnections,
                             int ringBuffers) {
        this(threads, port, bind, driver, bufferSize, maxConnections, Duration.ZERO, ringBuffers);
    }

    static final String USAGE = """
            usage: veloq echo-server [--port 7000] [--threads N] [--bind ADDR] [--driver uring|iocp|nio|fake]
                                     [--buffer-size 16384] [--max-conns 1024] [--idle-timeout 60] [--ring 256]
              --port         TCP port (default 7000; 0 picks a free one)
              --threads      event loops, each with its own listener on the port (default: cores)
              --bind         address to listen on (default :: dual stack, or 0.0.0.0 without IPv6)
              --driver       I/O driver (default: the best available; fake is an in-process simulation
                             that no real client can reach)
              --buffer-size  bytes per connection (default 16384)
              --max-conns    connections open at once, in total over all loops, one buffer each
                             (default 1024); more are closed at once, and logged
              --idle-timeout seconds a connection may stay silent (or not read what it is sent) before
                             it is closed (default 60; decimals allowed; 0: never)
              --ring         receive buffers per loop shared by its connections through multishot receives,
                             where the driver has them (default 256, a power of two; 0: one-shot receives)
            Ctrl-C or SIGTERM stops it cleanly (exit 0). Exit 2: the port is in use or the address is wrong.
            Open connections need descriptors: for many, raise the limit first (ulimit -n 65536).""";

    /** Defaults for a test: any free port on loopback. */
    public static EchoServerOptions loopback(String driver, int threads) {
        return new EchoServerOptions(threads, 0, "::1", driver, 16 * 1024, 1024, Duration.ZERO);
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
                f.integer("max-conns", 1024, 1, 1 << 20),
                f.seconds("idle-timeout", DEFAULT_IDLE_TIMEOUT),
                f.integer("ring", DEFAULT_RING, 0, 32768));
    }
}
