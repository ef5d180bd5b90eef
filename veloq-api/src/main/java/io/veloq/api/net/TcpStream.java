package io.veloq.api.net;

import io.veloq.api.Completer;
import io.veloq.api.EventLoop;
import io.veloq.api.IoFd;

import java.io.IOException;
import java.net.SocketAddress;
import java.util.concurrent.CompletableFuture;

/**
 * A connected TCP stream, IPv4 or IPv6: from {@link TcpListener#accept} or one of the connects below.
 *
 * <pre>{@code
 * try (TcpStream s = TcpStream.connect(loop, new InetSocketAddress("127.0.0.1", 7000))) {
 *     FixedBuf buf = loop.bufPool().lease();
 *     try {
 *         buf.put("ping".getBytes(US_ASCII));
 *         s.sendAll(buf);
 *         buf.clear();
 *         int n = s.recv(buf);            // 0 at end of stream
 *     } finally {
 *         buf.release();
 *     }
 * }
 * TcpStream.connector(loop).deadline(Duration.ofSeconds(1)).connectAsync(addr)   // future shape
 *         .thenAccept(this::talk);
 * }</pre>
 *
 * @since 0.1
 */
public final class TcpStream extends StreamSocket {
    TcpStream(EventLoop loop, IoFd fd, AddressFamily family, SocketAddress remote) {
        super(loop, fd, family, remote);
    }

    /** Connects to {@code remote} and waits (no deadline). */
    public static TcpStream connect(EventLoop loop, SocketAddress remote) throws IOException {
        return connector(loop).connect(remote);
    }

    /** Connects to {@code remote}; the future completes on the loop thread. */
    public static CompletableFuture<TcpStream> connectAsync(EventLoop loop, SocketAddress remote) {
        return connector(loop).connectAsync(remote);
    }

    /** Connects to {@code remote}; {@code completer} runs on the loop thread. */
    public static void connect(EventLoop loop, SocketAddress remote, Completer.OfValue<TcpStream> completer) {
        connector(loop).connect(remote, completer);
    }

    /** A builder for options, a local address and a deadline. */
    public static ConnectBuilder<TcpStream> connector(EventLoop loop) {
        return new ConnectBuilder<>(loop, TcpStream::new, false);
    }
}
