package io.veloq.api;

import io.veloq.api.op.OpPayload;

/**
 * The completion callback, in its two forms: this one for ops, which hands over the completed {@link Op}
 * (result, error and payload in one place, allocation-free), and {@link OfValue} for the calls whose
 * outcome is a new object (a listener, an accepted or connected stream, a closed socket), which hands over
 * {@code (value, error)}. Both share one contract: called on the loop thread that owns the call, exactly once
 * per submission; it must not block; an exception it throws goes to the runtime's
 * {@link LoopExceptionHandler} ({@link IoRuntime.Builder#exceptionHandler}; by default logged through
 * {@link System.Logger}) and does not stop the loop.
 *
 * <pre>{@code
 * Op<Recv> recv = Op.of(new Recv(fd, buf), op -> {                   // Completer<Recv>
 *     if (!op.isSuccess()) { buf.release(); return; }
 *     handle(buf); buf.clear();
 *     loop.resubmit(op);                                            // reset + submit, nothing allocated
 * });
 * loop.submit(recv);
 * listener.accept((stream, error) -> { if (error == null) serve(stream); });   // Completer.OfValue<TcpStream>
 * }</pre>
 *
 * <p>In the op form the payload's buffers are the application's again when it runs, on success and on
 * failure. It may {@link EventLoop#resubmit resubmit} the same op, which is how a server reaches zero
 * allocation per operation. While the runtime closes, a resubmitted op comes back as
 * {@link IoErrorKind#CANCELLED}, so a completer should resubmit only on success.
 *
 * @param <P> the payload type
 * @since 0.1
 */
@FunctionalInterface
public interface Completer<P extends OpPayload> {
    /** Called on the loop thread when {@code op} has completed. */
    void onComplete(Op<P> op);

    /**
     * The value form of a completer, for calls whose outcome is an object rather than a byte count: binding a
     * listener, connecting, accepting, closing. Called once, on the loop thread, with either a value
     * ({@code error == null}) or an error ({@code value == null}), under the contract of {@link Completer}.
     *
     * <pre>{@code
     * Completer.OfValue<TcpStream> onAccept = new Completer.OfValue<>() {
     *     public void onComplete(TcpStream stream, Throwable error) {
     *         if (error == null) serve(stream);
     *         if (listener.isOpen()) listener.accept(this);    // the next one; the listener reuses its Accept op
     *     }
     * };
     * listener.accept(onAccept);
     * }</pre>
     *
     * <p>Errors are {@link VeloqIoException}s for failed ops (with the errno name), and
     * {@link IllegalArgumentException}/{@link UnsupportedOperationException} for a socket option the host
     * refused while setting up the socket.
     *
     * <p>Every such call runs an op underneath ({@code Accept}, {@code Connect}, {@code Close}...); its op
     * completer turns the op into the value with {@link #adapt}, so both forms follow one path.
     *
     * @param <T> the value: a listener, a stream, a socket, {@code Void}
     * @since 0.2
     */
    @FunctionalInterface
    interface OfValue<T> {
        /** Called on the loop thread with the value ({@code error == null}) or the error ({@code value == null}). */
        void onComplete(T value, Throwable error);

        /**
         * The op completer that calls this one: with {@code value.apply(op)} when the op succeeded, with the
         * op's error otherwise. An exception from {@code value} (a socket that could not be wrapped) is
         * handed over as the error.
         */
        default <P extends OpPayload> Completer<P> adapt(java.util.function.Function<Op<P>, ? extends T> value) {
            return op -> {
                if (!op.isSuccess()) {
                    onComplete(null, op.error());
                    return;
                }
                T v;
                try {
                    v = value.apply(op);
                } catch (RuntimeException e) {
                    onComplete(null, e);
                    return;
                }
                onComplete(v, null);
            };
        }
    }
}
