package io.veloq.testkit.internal;

import java.util.Locale;

/** Formats nanoseconds of (virtual) time for messages: {@code 3.000250000s}. */
public final class Durations {
    private Durations() {
    }

    public static String text(long nanos) {
        return String.format(Locale.ROOT, "%d.%09ds", nanos / 1_000_000_000L, Math.abs(nanos % 1_000_000_000L));
    }
}
