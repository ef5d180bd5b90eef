package io.veloq.api.net;

import io.veloq.api.EventLoop;
import io.veloq.api.IoFd;

import java.io.IOException;
import java.net.SocketAddress;

/**
 * A listening Unix-domain stream socket, named by a file system path. As with the JDK's channels, the
 * socket file stays after close: delete it yourself (before binding again, too).
 *
 * <pre>{@code
 * Path path = dir.resolve("echo.sock");
 * try (UnixListener l = UnixListener.bind(loop, UnixDomainSocketAddress.of(path))) {
 *     UnixStream s = l.accept();
 * } finally {
 *     Files.deleteIfExists(path);
 * }
 * }</pre>
 *
 * @since 0.1
 */
public final class UnixListener extends StreamListener<UnixStream> {
    UnixListener(EventLoop loop, IoFd fd, AddressFamily family) {
        super(loop, fd, family);
    }

    /** Binds and listens on {@code local} (a {@link java.net.UnixDomainSocketAddress}), waiting. */
    public static UnixListener bind(EventLoop loop, SocketAddress local) throws IOException {
        return binder(loop).bind(local);
    }

    /** A builder for options and backlog. */
    public static ListenerBuilder<UnixListener> binder(EventLoop loop) {
        return new ListenerBuilder<>(loop, (l, fd, family, peer) -> new UnixListener(l, fd, family), true);
    }

    @Override
    UnixStream wrap(EventLoop owner, IoFd conn, SocketAddress peer) {
        return new UnixStream(owner, conn, peer);
    }
}
