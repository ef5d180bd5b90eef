package io.veloq.testkit.internal;

/**
 * A simulated test can never make progress: the loop waits for a completion that nothing can produce
 * (on a kernel it would hang forever). The message lists what is in flight and how to rerun the seed.
 */
public final class SimulationStuck extends AssertionError {
    private static final long serialVersionUID = 1L;

    public SimulationStuck(String message) {
        super(message);
    }

    /** "seed 42: rerun with -Dveloq.seed=42". */
    public static String rerun(long seed) {
        return "seed " + seed + ": rerun with -Dveloq.seed=" + seed;
    }
}
