package io.veloq.examples.echo;

/**
 * Latencies in nanoseconds, counted in log-linear buckets: values below 2^{@value #SUB_BITS} are exact,
 * larger ones fall into one of 2^{@value #SUB_BITS} equal slices of their power of two, so any reported
 * percentile is within 1/2^{@value #SUB_BITS} (under 1 %) of the true value. Recording is a few shifts and
 * an array increment: no allocation, single writer (one histogram per event loop, merged at the end).
 *
 * <pre>{@code
 * LatencyHistogram h = new LatencyHistogram();
 * h.record(45_000);                  // 45 µs
 * long p99 = h.percentile(99.0);     // ns
 * }</pre>
 */
public final class LatencyHistogram {
    static final int SUB_BITS = 7;
    private static final int SUB = 1 << SUB_BITS;
    // Exponents up to 2^62 ns: every long a clock can produce.
    private static final int BUCKETS = (63 - SUB_BITS + 1) * SUB;

    private final long[] counts = new long[BUCKETS];
    private long total;
    private long min = Long.MAX_VALUE;
    private long max;
    private double sum;

    /** Records one latency (negative values count as 0). */
    public void record(long nanos) {
        long v = Math.max(0, nanos);
        counts[index(v)]++;
        total++;
        sum += v;
        if (v < min) {
            min = v;
        }
        if (v > max) {
            max = v;
        }
    }

    static int index(long v) {
        if (v < SUB) {
            return (int) v;
        }
        int exp = 63 - Long.numberOfLeadingZeros(v); // >= SUB_BITS
        int shift = exp - SUB_BITS;
        int slice = (int) ((v >>> shift) - SUB);      // 0..SUB-1
        return (shift + 1) * SUB + slice;
    }

    /** The largest value that falls into bucket {@code i}. */
    static long upperBound(int i) {
        if (i < SUB) {
            return i;
        }
        int shift = i / SUB - 1;
        long slice = i % SUB;
        long lower = (SUB + slice) << shift;
        return lower + (1L << shift) - 1;
    }

    /** Adds {@code other}'s counts to this one. */
    public void add(LatencyHistogram other) {
        for (int i = 0; i < BUCKETS; i++) {
            counts[i] += other.counts[i];
        }
        total += other.total;
        sum += other.sum;
        min = Math.min(min, other.min);
        max = Math.max(max, other.max);
    }

    public long count() {
        return total;
    }

    public long max() {
        return total == 0 ? 0 : max;
    }

    public long min() {
        return total == 0 ? 0 : min;
    }

    public double mean() {
        return total == 0 ? 0 : sum / total;
    }

    /**
     * The value at percentile {@code p} (0..100): the smallest bucket bound with at least p % of the values
     * at or below it, capped at the true maximum. 0 when empty.
     */
    public long percentile(double p) {
        if (p < 0 || p > 100) {
            throw new IllegalArgumentException("percentile must be in 0..100, got " + p);
        }
        if (total == 0) {
            return 0;
        }
        long rank = Math.max(1, (long) Math.ceil(p / 100.0 * total));
        long seen = 0;
        for (int i = 0; i < BUCKETS; i++) {
            seen += counts[i];
            if (seen >= rank) {
                return Math.min(upperBound(i), max);
            }
        }
        return max;
    }
}
