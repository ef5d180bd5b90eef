package io.veloq.api.op;

import io.veloq.api.Op;

import java.util.Objects;

/**
 * Asks for {@code target} to be cancelled. Completes with 1 when the target was still in flight (it
 * then completes on its own with a {@code CANCELLED} error, or with its real result if it won the race),
 * and with 0 when the target had already completed or was never submitted.
 *
 * <pre>{@code loop.submit(Op.of(new Cancel(pendingRecv), op -> {}));  // or simply loop.cancel(pendingRecv)}</pre>
 *
 * @param target the op to cancel
 * @since 0.1
 */
public record Cancel(Op<?> target) implements OpPayload {
    public Cancel {
        Objects.requireNonNull(target, "Cancel needs a target op");
    }

    @Override
    public OpKind kind() {
        return OpKind.CANCEL;
    }

    @Override
    public String describe() {
        return "Cancel of " + target;
    }
}
