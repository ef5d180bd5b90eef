package io.veloq.examples.echo;

import java.time.Duration;
import java.util.List;

/**
 * What an echo load run measured.
 *
 * @param conns     connections
 * @param size      message size
 * @param depth     messages in flight per connection
 * @param elapsed   the measured interval
 * @param messages  messages echoed and verified within the interval
 * @param verified  all messages verified, including those drained after the interval
 * @param latency   round-trip latency of the messages within the interval
 * @param errors    what went wrong (empty on a clean run)
 */
public record LoadReport(int conns, int size, int depth, Duration elapsed, long messages, long verified,
                         LatencyHistogram latency, List<String> errors) {

    public double msgsPerSecond() {
        double s = elapsed.toNanos() / 1e9;
        return s <= 0 ? 0 : messages / s;
    }

    /** The report lines printed by {@code ./veloq echo-client}. */
    public String format() {
        double mbps = msgsPerSecond() * size / 1e6;
        StringBuilder sb = new StringBuilder();
        sb.append(String.format("echo-client: %d conns, %d B messages, depth %d, %.1f s: %.0f msgs/s (%.1f MB/s each way)%n",
                conns, size, depth, elapsed.toNanos() / 1e9, msgsPerSecond(), mbps));
        sb.append(String.format("echo-client: latency p50 %s, p99 %s, p99.9 %s, max %s (%d samples)%n",
                micros(latency.percentile(50)), micros(latency.percentile(99)), micros(latency.percentile(99.9)),
                micros(latency.max()), latency.count()));
        sb.append(String.format("echo-client: %d messages verified byte for byte, %d errors", verified, errors.size()));
        for (int i = 0; i < Math.min(5, errors.size()); i++) {
            sb.append(String.format("%n  error: %s", errors.get(i)));
        }
        return sb.toString();
    }

    static String micros(long nanos) {
        if (nanos < 10_000_000) {
            return String.format("%.1f µs", nanos / 1e3);
        }
        return String.format("%.2f ms", nanos / 1e6);
    }
}
