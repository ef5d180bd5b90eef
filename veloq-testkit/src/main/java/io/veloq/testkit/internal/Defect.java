package io.veloq.testkit.internal;

/**
 * Deliberate driver bugs, for proving that the TCK catches them. Never enabled unless a test asks
 * (constructor of {@link FakeProvider}, or {@code -Dveloq.fake.defect=NAME} for the ServiceLoader instance).
 */
public enum Defect {
    /** A cancelled op is never completed: its buffer never comes back. */
    LOSE_CANCELLED_OPS,
    /** Every completion is delivered twice (the second time it is stale). */
    DUPLICATE_COMPLETIONS,
    /** A Recv reports one byte more than it wrote into the buffer. */
    OVERSTATE_RECV
}
