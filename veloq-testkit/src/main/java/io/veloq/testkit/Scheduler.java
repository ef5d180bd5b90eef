package io.veloq.testkit;

import io.veloq.api.IoRuntime;
import io.veloq.testkit.internal.Durations;
import io.veloq.testkit.internal.FakeKernel;

import java.time.Duration;
import java.util.Objects;
import java.util.function.BooleanSupplier;

/**
 * The one owner of a {@link Simulation}'s virtual time. Nothing moves unless the test asks: ops complete,
 * {@code Timeout}s fire, per-op deadlines expire and scheduled tasks run only inside these methods (or
 * inside a blocking {@code call} on the simulated runtime, which advances time just far enough to finish
 * the call). Events due at the same instant run in the order they were scheduled.
 *
 * <pre>{@code
 * Scheduler s = sim.scheduler();
 * loop.submit(Op.of(Timeout.of(Duration.ofSeconds(5)), op -> fired.set(true)));
 * s.advanceBy(Duration.ofSeconds(4));   // nothing yet
 * s.advanceBy(Duration.ofSeconds(1));   // fired
 * s.runUntilIdle();                     // everything that can happen, happens; time jumps as needed
 * }</pre>
 *
 * <p>Call it from the thread that created the simulation: the simulated runtime is a manual one, driven
 * by that thread.
 *
 * @since 0.1
 */
public final class Scheduler {
    private static final int MAX_TURNS = 5_000_000;

    private final FakeKernel kernel;
    private final IoRuntime runtime;
    private final Simulation sim;
    private final int maxInFlight;

    Scheduler(FakeKernel kernel, IoRuntime runtime, Simulation sim, int maxInFlight) {
        this.kernel = kernel;
        this.runtime = runtime;
        this.sim = sim;
        this.maxInFlight = maxInFlight;
    }

    /** Virtual time since the simulation started. */
    public Duration currentTime() {
        return Duration.ofNanos(kernel.now());
    }

    /** Virtual time in nanoseconds (the driver's {@code nanoTime()}). */
    public long nanoTime() {
        return kernel.now();
    }

    /** Runs everything that is due now (completions, resubmissions, tasks, timers), without moving time. */
    public void runCurrent() {
        drive(kernel.now(), () -> {
            settle();
            return true;
        });
    }

    /** Moves virtual time forward by {@code d}, running everything that becomes due on the way, in order. */
    public void advanceBy(Duration d) {
        Objects.requireNonNull(d, "duration");
        if (d.isNegative()) {
            throw new IllegalArgumentException("cannot advance virtual time by a negative duration " + d);
        }
        long target = kernel.now() + d.toNanos();
        drive(target, () -> {
            int turns = 0;
            while (kernel.now() < target) {
                runtime.loop().runOnce(Duration.ofNanos(target - kernel.now()));
                if (++turns > MAX_TURNS) {
                    throw sim.failure("advanceBy(" + d + ") did not reach " + Durations.text(target)
                            + " within " + MAX_TURNS + " loop turns (stuck at " + Durations.text(kernel.now()) + ")");
                }
            }
            settle();
            return true;
        });
    }

    /**
     * Runs until nothing more can happen: every completion delivered, every timer fired, virtual time
     * jumping ahead to each next event. Ops still waiting afterwards wait for something only the test
     * can do (a peer's bytes, a manual completion).
     */
    public void runUntilIdle() {
        drive(Long.MAX_VALUE, () -> {
            int turns = 0;
            int idleTurns = 0;
            while (idleTurns < 2) {
                long before = kernel.now();
                int work = runtime.loop().runOnce(null);
                boolean idle = work == 0 && kernel.now() == before && !hostHoldsWork()
                        && kernel.nextEventTime() == Long.MAX_VALUE;
                idleTurns = idle ? idleTurns + 1 : 0;
                if (++turns > MAX_TURNS) {
                    throw sim.failure("runUntilIdle did not become idle within " + MAX_TURNS
                            + " loop turns (virtual time " + Durations.text(kernel.now())
                            + "); something resubmits forever, like a periodic timer");
                }
            }
            return true;
        });
    }

    /**
     * Runs (moving time as needed) until {@code condition} holds, for at most {@code within} of virtual
     * time. Returns false if it still does not hold then, or nothing more can happen.
     */
    public boolean runUntil(BooleanSupplier condition, Duration within) {
        long limit = kernel.now() + within.toNanos();
        boolean[] met = new boolean[1];
        drive(limit, () -> {
            int turns = 0;
            int idleTurns = 0;
            while (!(met[0] = condition.getAsBoolean()) && idleTurns < 2) {
                long before = kernel.now();
                int work = runtime.loop().runOnce(Duration.ofNanos(Math.max(0, limit - kernel.now())));
                boolean idle = work == 0 && kernel.now() == before && !hostHoldsWork()
                        && (kernel.now() >= limit || kernel.nextEventTime() > limit);
                idleTurns = idle ? idleTurns + 1 : 0;
                if (++turns > MAX_TURNS) {
                    throw sim.failure("runUntil did not settle within " + MAX_TURNS + " loop turns");
                }
            }
            return true;
        });
        return met[0];
    }

    private void settle() {
        int turns = 0;
        while (runtime.loop().runOnce(Duration.ZERO) > 0 || !quiet() || hostHoldsWork()) {
            if (++turns > MAX_TURNS) {
                throw sim.failure("runCurrent did not settle within " + MAX_TURNS + " loop turns at virtual time "
                        + Durations.text(kernel.now()) + "; something resubmits forever without time passing");
            }
        }
    }

    /**
     * Ops submitted to the runtime that have not reached the driver yet (inbox, or a backlog behind a full
     * queue) although the in-flight budget has room: the next turn will hand them over.
     */
    private boolean hostHoldsWork() {
        int live = kernel.liveOps();
        return runtime.inFlight() > live && live < maxInFlight;
    }

    private boolean quiet() {
        return kernel.nextEventTime() > kernel.now();
    }

    private void drive(long limit, java.util.function.BooleanSupplier body) {
        kernel.setDriven(true);
        kernel.timeLimit(limit);
        try {
            body.getAsBoolean();
        } finally {
            kernel.timeLimit(Long.MAX_VALUE);
            kernel.setDriven(false);
        }
    }

    @Override
    public String toString() {
        return "Scheduler(virtual time " + Durations.text(kernel.now()) + ", seed " + kernel.seed() + ")";
    }
}
