package io.veloq.api.net;

import io.veloq.api.Completer;

/**
 * The value form of a completer under its 0.1 name: {@link Completer.OfValue}, which every networking call now
 * takes. Kept so that code written against 0.1 (a class that {@code implements NetCompleter<TcpStream>})
 * compiles unchanged; new code names {@code Completer.OfValue}.
 *
 * <pre>{@code
 * listener.accept((stream, error) -> { if (error == null) serve(stream); });   // a lambda fits either name
 * }</pre>
 *
 * @param <T> the value: a listener, a stream, a socket
 * @since 0.1
 * @deprecated since 0.2: use {@link Completer.OfValue}, the one completer family of ops and sockets
 */
@Deprecated(since = "0.2")
@FunctionalInterface
public interface NetCompleter<T> extends Completer.OfValue<T> {
}
