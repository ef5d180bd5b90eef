package io.veloq.testkit.internal;

import io.veloq.api.op.OpPayload;

/** One op inside the fake kernel, from {@code prepare} until its completion is delivered. */
final class KernelOp {
    static final int QUEUED = 0;      // in the driver's submission queue
    static final int WAITING = 1;     // parked: on a socket, a timer, or the test (manual completion)
    static final int COMPLETING = 2;  // result decided, delivery pending (a delay fault may hold it)
    static final int DONE = 3;        // delivered to the host

    final FakeDriver driver;
    final long userData;
    final OpPayload payload;
    final long id;
    final long submittedAt;
    int state = QUEUED;
    SimFile parkedOn;
    Agenda.Event timer;
    long result;
    boolean held;                     // parked by the test's hold(): completes only when the test says so
    boolean notif;                    // the final completion is a zero-copy send's notification
    int items;                        // intermediate completions posted (multishot items, a ZC send's result)

    KernelOp(FakeDriver driver, long userData, OpPayload payload, long id, long submittedAt) {
        this.driver = driver;
        this.userData = userData;
        this.payload = payload;
        this.id = id;
        this.submittedAt = submittedAt;
    }

    @Override
    public String toString() {
        return payload.describe() + " [loop " + driver.loopIndex() + ", userData " + userData + "]";
    }
}
