package io.veloq.api.op;

/**
 * Does nothing and completes with 0: measures the op path, or wakes a loop in order.
 *
 * <pre>{@code loop.call(new Nop()).valueOrThrow(); // 0 }</pre>
 *
 * @since 0.1
 */
public record Nop() implements OpPayload {
    @Override
    public OpKind kind() {
        return OpKind.NOP;
    }
}
