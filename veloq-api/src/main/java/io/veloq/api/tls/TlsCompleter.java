package io.veloq.api.tls;

import java.io.IOException;

/**
 * The completer shape of {@link TlsStream}'s calls: it runs once, on the stream's event-loop thread, with the
 * result or the error. For {@code recv} the result is the plaintext byte count, 0 at end of stream (the peer
 * sent close_notify); for {@code send}/{@code sendAll} the bytes taken from the buffer; for
 * {@code handshake}, {@code shutdownOutput} and {@code close}, 0. The runtime allocates nothing to call it.
 *
 * <pre>{@code
 * tls.recv(buf, (n, error) -> {
 *     if (error != null) { log(error); tls.close((r, e) -> buf.release()); return; }
 *     if (n == 0) { ...end of stream... }
 *     ...use buf...; buf.clear();
 *     tls.recv(buf, thisCompleter);      // the next record
 * });
 * }</pre>
 *
 * <p>Errors are {@link IOException}s: {@link javax.net.ssl.SSLException} for TLS failures (a bad certificate,
 * a refused renegotiation, a connection closed without close_notify), the {@code java.net} form of a socket
 * error otherwise. A completer must not block: it runs on the loop thread.
 *
 * @since 0.2
 */
@FunctionalInterface
public interface TlsCompleter {
    /** Called on the loop thread with the result ({@code error == null}) or the error. */
    void onComplete(int result, IOException error);
}
