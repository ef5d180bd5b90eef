package io.veloq.api;

/**
 * What a submit does when the loop already has its in-flight budget of ops. Nothing is ever dropped, and
 * a cancel is never held back by the budget.
 *
 * @since 0.1
 */
public enum BackpressurePolicy {
    /** Queue the op in the loop's backlog; it is handed to the driver when an op completes. */
    QUEUE,
    /**
     * Threads other than the loop's wait until the loop is below its budget; the loop thread itself
     * queues (it must never block).
     */
    WAIT
}
