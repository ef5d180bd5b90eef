package io.veloq.api.bootstrap;

import java.time.Duration;

/**
 * How a {@link Duration} becomes the nanoseconds the runtime counts in, everywhere one does (op deadlines,
 * scheduled tasks, {@code Timeout} ops, {@code runOnce} waits): saturated at {@link #MAX_NANOS}, about 146
 * years, instead of overflowing. A longer duration means "never" in practice, and the cap leaves room to
 * add it to any clock reading without wrapping.
 */
public final class Delays {
    /** The longest delay the runtime counts: 2^62 ns, about 146 years. */
    public static final long MAX_NANOS = 1L << 62;

    private Delays() {
    }

    /**
     * {@code d} in nanoseconds, at most {@link #MAX_NANOS}.
     *
     * @throws IllegalArgumentException if {@code d} is negative (callers check first, with their own words)
     */
    public static long saturatedNanos(Duration d) {
        if (d.isNegative()) {
            throw new IllegalArgumentException("a delay must not be negative, got " + d);
        }
        if (d.getSeconds() >= MAX_NANOS / 1_000_000_000L) {
            return MAX_NANOS;
        }
        return Math.min(d.toNanos(), MAX_NANOS);
    }
}
