package io.veloq.api;

/**
 * Where an {@link Op} is in its life: {@code DEFINED -> SUBMITTED -> COMPLETED}, and back to
 * {@code DEFINED} only through {@link Op#reset()}.
 *
 * @since 0.1
 */
public enum OpState {
    /** Built, owned by the application; may be submitted once. */
    DEFINED,
    /** Handed to the runtime: its buffers and addresses belong to the driver until completion. */
    SUBMITTED,
    /** Finished (success, failure or cancellation); resources are back with the application. */
    COMPLETED
}
