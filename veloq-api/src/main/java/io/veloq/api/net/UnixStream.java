package io.veloq.api.net;

import io.veloq.api.Completer;
import io.veloq.api.EventLoop;
import io.veloq.api.IoFd;

import java.io.IOException;
import java.net.SocketAddress;
import java.util.concurrent.CompletableFuture;

/**
 * A connected Unix-domain stream socket: from {@link UnixListener#accept} or a connect to a
 * {@link java.net.UnixDomainSocketAddress}. Same I/O as {@link TcpStream}; TCP options do not apply.
 *
 * <pre>{@code
 * try (UnixStream s = UnixStream.connect(loop, UnixDomainSocketAddress.of("/run/app.sock"))) {
 *     s.sendAll(buf);
 * }
 * }</pre>
 *
 * @since 0.1
 */
public final class UnixStream extends StreamSocket {
    UnixStream(EventLoop loop, IoFd fd, SocketAddress remote) {
        super(loop, fd, AddressFamily.UNIX, remote);
    }

    /** Connects to {@code remote} and waits. */
    public static UnixStream connect(EventLoop loop, SocketAddress remote) throws IOException {
        return connector(loop).connect(remote);
    }

    /** Connects to {@code remote}; the future completes on the loop thread. */
    public static CompletableFuture<UnixStream> connectAsync(EventLoop loop, SocketAddress remote) {
        return connector(loop).connectAsync(remote);
    }

    /** Connects to {@code remote}; {@code completer} runs on the loop thread. */
    public static void connect(EventLoop loop, SocketAddress remote, Completer.OfValue<UnixStream> completer) {
        connector(loop).connect(remote, completer);
    }

    /** A builder for options and a deadline. */
    public static ConnectBuilder<UnixStream> connector(EventLoop loop) {
        return new ConnectBuilder<>(loop, (l, fd, family, peer) -> new UnixStream(l, fd, peer), true);
    }
}
