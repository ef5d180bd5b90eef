package io.veloq.api;

/**
 * What a submit does when the loop already has its in-flight budget of ops
 * ({@link IoRuntime.Builder#maxInFlight}). Nothing accepted is ever dropped, and a cancel is never held back
 * by the budget. The loop thread itself never blocks and is never refused: its submits beyond the budget
 * wait in the loop's backlog.
 *
 * <pre>{@code
 * IoRuntime rt = IoRuntime.builder().maxInFlight(4096).maxQueued(65_536)   // the defaults
 *         .backpressure(BackpressurePolicy.QUEUE).open();
 * }</pre>
 *
 * @since 0.1
 */
public enum BackpressurePolicy {
    /**
     * Queue the op in the loop's backlog; it is handed to the driver when an op completes. The queue is
     * bounded for other threads: once the loop holds {@code maxInFlight + maxQueued} ops, a submit from
     * another thread throws {@link java.util.concurrent.RejectedExecutionException} (naming the loop, the
     * limit and {@link IoRuntime.Builder#maxQueued}), and the op stays the caller's, not submitted. Raise
     * {@code maxQueued}, or use {@link #WAIT}, if your submitters should wait instead.
     */
    QUEUE,
    /**
     * Threads other than the loop's wait until the loop is below its budget; the loop thread itself
     * queues (it must never block).
     */
    WAIT
}
