/**
 * TLS over Veloq's stream sockets on the JDK's {@link javax.net.ssl.SSLEngine}:
 * {@link io.veloq.api.tls.TlsStream} (client and server, ALPN, close_notify, renegotiation refused) in the
 * completer, future and blocking shapes and as blocking stream views, configured by
 * {@link io.veloq.api.tls.TlsConfig}.
 *
 * <pre>{@code
 * TlsConfig config = TlsConfig.builder(sslContext).applicationProtocols("http/1.1").build();
 * TlsStream tls = TlsStream.server(acceptedTcpStream, config);
 * tls.handshake();
 * int n = tls.recv(buf);          // plaintext, 0 after the peer's close_notify
 * tls.sendAll(reply);
 * tls.close();                    // close_notify, then the socket
 * }</pre>
 *
 * @since 0.2
 */
package io.veloq.api.tls;
