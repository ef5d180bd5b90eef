package io.veloq.api.op;

import java.time.Duration;

/**
 * Completes successfully with 0 when {@code nanos} have passed (in the driver's clock: real time for the
 * kernel drivers, virtual time for the fake). Cancelling it completes it with a cancellation error.
 *
 * <pre>{@code loop.submit(Op.of(Timeout.of(Duration.ofMillis(20)), op -> tick()));}</pre>
 *
 * @param nanos how long to wait, non-negative
 * @since 0.1
 */
public record Timeout(long nanos) implements OpPayload {
    public Timeout {
        if (nanos < 0) {
            throw new IllegalArgumentException("Timeout needs a non-negative duration, got " + nanos + " ns");
        }
    }

    /** A timeout of {@code d}; beyond about 146 years (2^62 ns) it is taken as that: never, in practice. */
    public static Timeout of(Duration d) {
        if (d.isNegative()) {
            throw new IllegalArgumentException("Timeout needs a non-negative duration, got " + d);
        }
        return new Timeout(io.veloq.api.bootstrap.Delays.saturatedNanos(d));
    }

    @Override
    public OpKind kind() {
        return OpKind.TIMEOUT;
    }

    @Override
    public String describe() {
        return "Timeout(" + Duration.ofNanos(nanos) + ")";
    }
}
