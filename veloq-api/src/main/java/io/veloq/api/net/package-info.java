/**
 * Networking on Veloq's ops: {@link io.veloq.api.net.TcpServer} (a server on every loop of a runtime),
 * {@link io.veloq.api.net.TcpListener}/{@link io.veloq.api.net.TcpStream} (IPv4,
 * IPv6, dual stack on {@code ::}), {@link io.veloq.api.net.UnixListener}/{@link io.veloq.api.net.UnixStream},
 * {@link io.veloq.api.net.UdpSocket}, type-safe options ({@link java.net.StandardSocketOptions} and
 * {@link io.veloq.api.net.VeloqSocketOptions}), and the address types the ops use.
 *
 * <p>Everything here is built from op payloads ({@code Socket}, {@code Accept}, {@code Connect},
 * {@code Recv}, {@code Send}, ...) submitted to an {@link io.veloq.api.EventLoop}, and the loop's synchronous
 * socket calls (bind, listen, addresses, options). Platform work (Windows' pre-created accept socket, for
 * one) is the driver's {@link io.veloq.api.OpLifecycle}; nothing in this package branches on the OS.
 *
 * <h2>Three shapes of every call</h2>
 * <pre>{@code
 * TcpStream s = TcpStream.connect(loop, addr);                       // blocking (plain or virtual thread)
 * CompletableFuture<TcpStream> f = TcpStream.connectAsync(loop, addr);  // future, completed on the loop thread
 * TcpStream.connect(loop, addr, (stream, error) -> { ... });           // completer, on the loop thread
 * }</pre>
 * The byte-moving calls ({@code recv}, {@code send}, {@code sendAll}, {@code recvFrom}, {@code sendTo}) also
 * come as reusable ops ({@code recvOp(buf, completer)}, ...): build them once per connection, resubmit them
 * from their completer with {@code loop.resubmit(op)}, and the steady state allocates nothing.
 *
 * <h2>Getting a buffer back after a failure</h2>
 * A failed or cancelled op hands its buffer back with its completion, so the error path is two lines:
 * <pre>{@code
 * if (!op.isSuccess()) {
 *     op.payload().buffer().release(); return;     // reset by peer, cancelled by close: the buffer is ours
 * }
 * }</pre>
 *
 * <h2>Closing</h2>
 * Closing a socket cancels the ops it started that are still in flight (they complete with a
 * {@code CANCELLED} error and return their buffers), then closes the descriptor.
 */
package io.veloq.api.net;
