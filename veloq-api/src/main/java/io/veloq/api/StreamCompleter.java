package io.veloq.api;

import io.veloq.api.buffer.FixedBuf;
import io.veloq.api.op.OpPayload;

import java.util.Objects;

/**
 * The completer of a multishot op ({@link io.veloq.api.op.OpKind#multishot()}): one op, submitted once,
 * delivers zero or more <em>items</em> to {@link #onItem}, then exactly one final completion to
 * {@link #onComplete} (the op is then {@link OpState#COMPLETED}, and {@link Op#error()} says why the stream
 * ended). Both run on the loop thread, and the runtime allocates nothing to call them. While items arrive
 * the op stays {@link OpState#SUBMITTED}; it counts once against the loop's in-flight budget for its whole
 * life; {@link EventLoop#cancel} ends it with one final completion.
 *
 * <pre>{@code
 * Op<RecvMultishot> recv = Op.of(new RecvMultishot(fd, ring), new StreamCompleter<>() {
 *     public void onItem(Op<RecvMultishot> op, long n, FixedBuf buf) {
 *         consume(buf);          // n bytes, buf.readableBytes() == n
 *         buf.release();         // back into the ring
 *     }
 *     public void onComplete(Op<RecvMultishot> op) {
 *         if (op.isSuccess()) { ...end of stream... }
 *         else if (op.error().kind() == IoErrorKind.NO_BUFFER_SPACE) loop.submit(op.reset()); // ring ran dry
 *     }
 * });
 * }</pre>
 *
 * @param <P> the payload type
 * @since 0.3
 */
public interface StreamCompleter<P extends OpPayload> extends Completer<P> {

    /**
     * One item of the stream, on the loop thread.
     *
     * @param op    the op, still {@link OpState#SUBMITTED}
     * @param value the item: a new connection's handle for {@code AcceptMultishot}, the byte count for
     *              {@code RecvMultishot}
     * @param buf   the buffer holding the item's bytes (its readable bytes), now the application's: release
     *              it when done ({@code RecvMultishot}); null for items without one
     */
    void onItem(Op<P> op, long value, FixedBuf buf);

    /** The item half of a stream completer, as a lambda. */
    @FunctionalInterface
    interface Item<P extends OpPayload> {
        /** See {@link StreamCompleter#onItem}. */
        void onItem(Op<P> op, long value, FixedBuf buf);
    }

    /** A stream completer from two lambdas: one per item, one for the end. */
    static <P extends OpPayload> StreamCompleter<P> of(Item<P> onItem, Completer<P> onEnd) {
        Objects.requireNonNull(onItem, "onItem must not be null");
        Objects.requireNonNull(onEnd, "onEnd must not be null");
        return new StreamCompleter<>() {
            @Override
            public void onItem(Op<P> op, long value, FixedBuf buf) {
                onItem.onItem(op, value, buf);
            }

            @Override
            public void onComplete(Op<P> op) {
                onEnd.onComplete(op);
            }
        };
    }
}
