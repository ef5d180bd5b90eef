package io.veloq.api;

import io.veloq.api.op.OpPayload;

/**
 * The core completion callback. It runs on the event-loop thread that owns the op, once per
 * submission, after the op has moved to {@link OpState#COMPLETED}; the runtime allocates nothing to call
 * it. Read the outcome from the op ({@link Op#result()}, {@link Op#error()}); the payload's buffers are
 * the application's again. It may {@link Op#reset() reset} and resubmit the same op, which is how a
 * server reaches zero allocation per operation.
 *
 * <pre>{@code
 * Op<Recv> recv = Op.of(new Recv(fd, buf), op -> {
 *     if (op.isSuccess()) handle(op.payload().buf());
 * });
 * loop.submit(recv);
 * }</pre>
 *
 * <p>A completer must not block: it runs on the loop thread. An exception it throws goes to the runtime's
 * {@link LoopExceptionHandler} ({@link IoRuntime.Builder#exceptionHandler}; by default it is logged through
 * {@link System.Logger}) and does not stop the loop. While the runtime closes, a resubmitted op comes back
 * as {@link IoErrorKind#CANCELLED}, so a completer should resubmit only on success.
 *
 * @param <P> the payload type
 * @since 0.1
 */
@FunctionalInterface
public interface Completer<P extends OpPayload> {
    /** Called on the loop thread when {@code op} has completed. */
    void onComplete(Op<P> op);
}
