package io.veloq.testkit.internal;

import io.veloq.testkit.FaultPlan;

import java.util.SplittableRandom;

/**
 * The seeded fault plan at work. Each area has its own random stream derived from the seed and a fixed
 * salt, and draws only when its probability is non-zero, so enabling one area never shifts another's
 * choices.
 */
final class Faults {
    enum Area {
        SHORT_READ(0x5e1), SHORT_WRITE(0x5e2), DELAY(0x5e3), RESET(0x5e4), CANCEL_RACE(0x5e5),
        SUBMISSION_FULL(0x5e6), FILE_ERROR(0x5e7), FILE_SHORT_READ(0x5e8);

        final long salt;

        Area(long salt) {
            this.salt = salt;
        }
    }

    final FaultPlan plan;
    private final SplittableRandom[] streams = new SplittableRandom[Area.values().length];

    Faults(long seed, FaultPlan plan) {
        this.plan = plan;
        for (Area a : Area.values()) {
            streams[a.ordinal()] = new SplittableRandom(mix(seed * 0x9E3779B97F4A7C15L + a.salt));
        }
    }

    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    private boolean roll(Area a, double p) {
        return p > 0 && streams[a.ordinal()].nextDouble() < p;
    }

    /** A count in [1, n): a short transfer of {@code n} available bytes, or -1 for none. */
    private int shorten(Area a, double p, int n) {
        if (n > 1 && roll(a, p)) {
            return 1 + streams[a.ordinal()].nextInt(n - 1);
        }
        return -1;
    }

    int shortRead(int n) {
        return shorten(Area.SHORT_READ, plan.shortReads(), n);
    }

    int shortWrite(int n) {
        return shorten(Area.SHORT_WRITE, plan.shortWrites(), n);
    }

    int fileShortRead(int n) {
        return shorten(Area.FILE_SHORT_READ, plan.fileShortReads(), n);
    }

    /** A completion delay in nanoseconds, 0 for none. */
    long delay() {
        if (roll(Area.DELAY, plan.delays())) {
            return 1 + streams[Area.DELAY.ordinal()].nextLong(Math.max(1, plan.maxDelay().toNanos()));
        }
        return 0;
    }

    /** How late a cancel arrives, 0 for at once. */
    long cancelLateness() {
        if (roll(Area.CANCEL_RACE, plan.cancelRaces())) {
            long max = Math.max(1_000, plan.maxDelay().toNanos());
            return 1 + streams[Area.CANCEL_RACE.ordinal()].nextLong(max);
        }
        return 0;
    }

    boolean reset() {
        return roll(Area.RESET, plan.resets());
    }

    boolean submissionFull() {
        return roll(Area.SUBMISSION_FULL, plan.submissionFull());
    }

    boolean fileError() {
        return roll(Area.FILE_ERROR, plan.fileErrors());
    }
}
