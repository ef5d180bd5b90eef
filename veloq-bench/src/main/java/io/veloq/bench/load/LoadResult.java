package io.veloq.bench.load;

import org.HdrHistogram.Histogram;

/**
 * Figures of one measured window.
 *
 * @param messages      echoes completed (and verified) in the window
 * @param bytes         echoed bytes received in the window (one direction)
 * @param nanos         length of the window
 * @param latencyNanos  round-trip time per message, ns (from the moment it was queued for sending; for
 *                      churn from the start of connect)
 * @param errors        verification or protocol errors (a wrong byte, an early close): a run with errors
 *                      is invalid
 * @param connectErrors failed connects (churn)
 * @param connections   connections opened in the window (churn)
 * @param firstError    description of the first error, or {@code null}
 */
public record LoadResult(long messages, long bytes, long nanos, Histogram latencyNanos, long errors,
                         long connectErrors, long connections, String firstError) {

    public double seconds() {
        return nanos / 1e9;
    }

    public double messagesPerSecond() {
        return nanos == 0 ? 0 : messages / seconds();
    }

    /** Echoed payload, MB (10^6 bytes) per second, one direction. */
    public double megabytesPerSecond() {
        return nanos == 0 ? 0 : bytes / seconds() / 1e6;
    }

    /** Latency percentile in microseconds ({@code q} in 0..100); NaN when nothing was recorded. */
    public double percentileMicros(double q) {
        if (latencyNanos.getTotalCount() == 0) {
            return Double.NaN;
        }
        return latencyNanos.getValueAtPercentile(q) / 1000.0;
    }
}
