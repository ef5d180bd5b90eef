package io.veloq.testkit.internal;

/**
 * The fake kernel's clock. Real: nanoseconds since the kernel was created ({@link System#nanoTime()}).
 * Virtual: a number only the simulation moves; the driver may advance it on its own only up to
 * {@link #limit()} (the test's {@code advanceBy}), or freely when the limit is {@link Agenda#NEVER}.
 */
final class SimClock {
    private final boolean virtual;
    private final long origin = System.nanoTime();
    private volatile long now;
    private volatile long limit = Agenda.NEVER;

    SimClock(boolean virtual) {
        this.virtual = virtual;
    }

    boolean isVirtual() {
        return virtual;
    }

    long now() {
        return virtual ? now : System.nanoTime() - origin;
    }

    void advanceTo(long t) {
        if (!virtual) {
            throw new IllegalStateException("the real clock cannot be advanced");
        }
        if (t > now) {
            now = t;
        }
    }

    long limit() {
        return limit;
    }

    void limit(long value) {
        limit = value;
    }
}
