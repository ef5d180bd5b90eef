package io.veloq.driver.nio;

import io.veloq.api.op.OpKind;
import io.veloq.api.op.OpPayload;

import java.nio.ByteBuffer;

/**
 * One op in the driver, from {@code prepare} until its completion is delivered. Slots are made once per
 * driver (as many as the host's in-flight budget) and reused, so an op costs no allocation. A slot sits
 * in at most one list at a time ({@link #next}): the submission queue, a port's read or write queue, or
 * the ready list; a {@code Timeout} sits in the timer heap instead, a file op with a worker.
 */
final class OpSlot implements Runnable {
    static final int FREE = 0;
    /** Prepared, not started (submission queue). */
    static final int QUEUED = 1;
    /** Waiting for its socket to become ready (a port queue). */
    static final int PARKED = 2;
    /** A Timeout in the timer heap. */
    static final int TIMER = 3;
    /** With a file worker. */
    static final int FILE = 4;
    /** Finished; its result waits in the ready list. */
    static final int READY = 5;

    private static final ByteBuffer[] NO_VIEWS = new ByteBuffer[0];

    final int index;
    final NioDriver driver;
    long userData;
    OpPayload payload;
    OpKind kind;
    Handle handle;
    Port port;
    int state;
    long result;
    OpSlot next;
    /** The buffer view the op reads or writes through (positioned and limited for this op). */
    ByteBuffer view;
    /**
     * RecvMsg/SendMsg: one view per buffer of the vector, in {@code [0, vectorLength)}; the array is kept across
     * ops and grows to the largest vector this slot has carried, so a vectored op allocates nothing once warm.
     */
    ByteBuffer[] vector = NO_VIEWS;
    int vectorLength;
    /** Connect: the connection was initiated, finishConnect is what remains. */
    boolean connecting;
    /** Timer heap: when this slot's timer fires (a Timeout's end, or another op's deadline). */
    long deadline;
    int heapIndex = -1;
    /** A Timeout whose own time comes before its deadline: it completes with 0 when the timer fires. */
    boolean timeoutWins;
    /** Set by the loop when a cancel arrives while a worker has the op; the worker reads it. */
    volatile boolean cancelRequested;
    /** The workers' hand-back stack. */
    OpSlot nextDone;

    OpSlot(int index, NioDriver driver) {
        this.index = index;
        this.driver = driver;
    }

    void clear() {
        userData = -1;
        payload = null;
        kind = null;
        handle = null;
        port = null;
        state = FREE;
        result = 0;
        next = null;
        view = null;
        java.util.Arrays.fill(vector, 0, vectorLength, null); // the views stay cached in BufferViews
        vectorLength = 0;
        connecting = false;
        heapIndex = -1;
        timeoutWins = false;
        cancelRequested = false;
        nextDone = null;
    }

    /** A file worker runs the op, then hands the slot back to its loop. */
    @Override
    public void run() {
        result = cancelRequested ? NioDriver.CANCELLED : FileOps.run(this);
        driver.fileDone(this);
    }

    @Override
    public String toString() {
        return payload == null ? "free slot " + index : payload.describe() + " (slot " + index + ", state " + state + ")";
    }
}
