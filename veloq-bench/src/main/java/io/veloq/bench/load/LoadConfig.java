package io.veloq.bench.load;

import java.net.InetSocketAddress;

/**
 * What the load generator does.
 *
 * @param address     server address
 * @param connections connections (for churn: connections open concurrently, each closed after one echo)
 * @param depth       messages in flight per connection (pipelined)
 * @param messageSize bytes per message
 * @param churn       connect, one echo, close (with RST, so no TIME_WAIT piles up), repeated
 * @param threads     client event-loop threads (connections are spread round-robin)
 */
public record LoadConfig(InetSocketAddress address, int connections, int depth, int messageSize, boolean churn,
                         int threads) {

    public LoadConfig {
        if (connections < 1 || depth < 1 || messageSize < 1 || threads < 1) {
            throw new IllegalArgumentException("connections, depth, messageSize and threads must be >= 1");
        }
        if (churn && depth != 1) {
            throw new IllegalArgumentException("churn sends one message per connection: depth must be 1");
        }
        if ((long) depth * messageSize > Integer.MAX_VALUE / 2) {
            throw new IllegalArgumentException("depth x messageSize too large");
        }
        threads = Math.min(threads, connections);
    }
}
