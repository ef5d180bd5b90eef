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
    OVERSTATE_RECV,
    /** A short Send reports one byte more than it sent. */
    OVERSTATE_SEND,
    /** A Send never makes progress: it stays in flight until cancelled. */
    STALL_SENDS,
    /** Closing a socket leaves the ops pending on it in flight (until cancelled). */
    CLOSE_STRANDS_OPS,
    /** A descriptor works only on the loop (driver instance) that created it: EBADF elsewhere. */
    HANDLES_PER_LOOP,
    /** Recv flags are ignored (MSG_PEEK consumes), although the driver reports MESSAGE_FLAGS. */
    IGNORE_MESSAGE_FLAGS,
    /** setOption is accepted and forgotten: getOption returns the default. */
    IGNORE_SOCKET_OPTIONS
}
