package io.veloq.api.net;

/**
 * The completer shape for the networking calls whose outcome is a new object rather than a byte count:
 * binding a listener, connecting, accepting. It runs on the event-loop thread, once, with either a value
 * or an error.
 *
 * <pre>{@code
 * listener.accept((stream, error) -> {
 *     if (error != null) { log(error); return; }
 *     serve(stream);
 *     listener.accept(thisCompleter);     // accept the next one; the listener reuses its Accept op
 * });
 * }</pre>
 *
 * <p>Errors are {@link io.veloq.api.VeloqIoException}s for failed ops (with the errno name), and
 * {@link IllegalArgumentException}/{@link UnsupportedOperationException} for a socket option the host
 * refused while setting up the socket. A completer must not block: it runs on the loop thread.
 *
 * @param <T> the value: a listener, a stream, a socket
 * @since 0.1
 */
@FunctionalInterface
public interface NetCompleter<T> {
    /** Called on the loop thread with the value ({@code error == null}) or the error ({@code value == null}). */
    void onComplete(T value, Throwable error);
}
