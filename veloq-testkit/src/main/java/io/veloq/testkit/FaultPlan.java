package io.veloq.testkit;

import java.time.Duration;
import java.util.Objects;

/**
 * What the fake driver's seeded mode may do to your code, as probabilities per op. Each area draws from
 * its own random stream derived from the seed, so turning one area on or off never changes the choices
 * made in another.
 *
 * <pre>{@code
 * FaultPlan plan = FaultPlan.network()            // short reads/writes, delays, cancel races, SQ full
 *         .withResets(0.01);                      // plus 1% of sends resetting the connection
 * try (Simulation sim = Simulation.seeded(seed, plan)) { ... }
 * }</pre>
 *
 * @param shortReads     a Recv/Read returns fewer bytes than available (at least 1)
 * @param shortWrites    a Send accepts fewer bytes than asked (at least 1)
 * @param delays         a completion is delivered later, by up to {@code maxDelay} of virtual time, so
 *                       completions arrive out of order
 * @param maxDelay       the longest injected delay
 * @param resets         a Send on a connection resets it instead (both sides see ECONNRESET)
 * @param cancelRaces    a cancel reaches the op late, so the op may complete with its real result first
 * @param submissionFull the submission queue reports full when it holds at least one entry, so the
 *                       host's backlog and in-flight budget paths run
 * @param fileErrors     a file Read/Write/Fsync fails with EIO
 * @param fileShortReads a file Read returns fewer bytes than available
 * @since 0.1
 */
public record FaultPlan(double shortReads, double shortWrites, double delays, Duration maxDelay, double resets,
                        double cancelRaces, double submissionFull, double fileErrors, double fileShortReads) {
    private static final FaultPlan NONE = new FaultPlan(0, 0, 0, Duration.ZERO, 0, 0, 0, 0, 0);

    public FaultPlan {
        Objects.requireNonNull(maxDelay, "maxDelay");
        check("shortReads", shortReads);
        check("shortWrites", shortWrites);
        check("delays", delays);
        check("resets", resets);
        check("cancelRaces", cancelRaces);
        check("submissionFull", submissionFull);
        check("fileErrors", fileErrors);
        check("fileShortReads", fileShortReads);
        if (maxDelay.isNegative()) {
            throw new IllegalArgumentException("maxDelay must not be negative, got " + maxDelay);
        }
        if (delays > 0 && maxDelay.isZero()) {
            throw new IllegalArgumentException("delays of probability " + delays + " need a positive maxDelay");
        }
    }

    /** No faults: every op behaves like an idle, fast kernel. */
    public static FaultPlan none() {
        return NONE;
    }

    /**
     * The faults every correct network program must survive without losing or reordering a byte: short
     * reads and writes (30%), delayed completions (20%, up to 5 ms), cancel racing completion (50%) and a
     * full submission queue (10%). No resets: those are failures your code reports, not hides.
     */
    public static FaultPlan network() {
        return new FaultPlan(0.3, 0.3, 0.2, Duration.ofMillis(5), 0, 0.5, 0.1, 0, 0);
    }

    /** {@link #network()} plus file faults: EIO (2%) and short file reads (30%). */
    public static FaultPlan everything() {
        return network().withFileErrors(0.02).withFileShortReads(0.3);
    }

    public FaultPlan withShortReads(double p) {
        return new FaultPlan(p, shortWrites, delays, maxDelay, resets, cancelRaces, submissionFull, fileErrors, fileShortReads);
    }

    public FaultPlan withShortWrites(double p) {
        return new FaultPlan(shortReads, p, delays, maxDelay, resets, cancelRaces, submissionFull, fileErrors, fileShortReads);
    }

    public FaultPlan withDelays(double p, Duration max) {
        return new FaultPlan(shortReads, shortWrites, p, max, resets, cancelRaces, submissionFull, fileErrors, fileShortReads);
    }

    public FaultPlan withResets(double p) {
        return new FaultPlan(shortReads, shortWrites, delays, maxDelay, p, cancelRaces, submissionFull, fileErrors, fileShortReads);
    }

    public FaultPlan withCancelRaces(double p) {
        return new FaultPlan(shortReads, shortWrites, delays, maxDelay, resets, p, submissionFull, fileErrors, fileShortReads);
    }

    public FaultPlan withSubmissionFull(double p) {
        return new FaultPlan(shortReads, shortWrites, delays, maxDelay, resets, cancelRaces, p, fileErrors, fileShortReads);
    }

    public FaultPlan withFileErrors(double p) {
        return new FaultPlan(shortReads, shortWrites, delays, maxDelay, resets, cancelRaces, submissionFull, p, fileShortReads);
    }

    public FaultPlan withFileShortReads(double p) {
        return new FaultPlan(shortReads, shortWrites, delays, maxDelay, resets, cancelRaces, submissionFull, fileErrors, p);
    }

    /** True when no fault can happen. */
    public boolean isNone() {
        return shortReads == 0 && shortWrites == 0 && delays == 0 && resets == 0 && cancelRaces == 0
                && submissionFull == 0 && fileErrors == 0 && fileShortReads == 0;
    }

    private static void check(String name, double p) {
        if (!(p >= 0 && p <= 1)) {
            throw new IllegalArgumentException(name + " is a probability in [0, 1], got " + p);
        }
    }
}
