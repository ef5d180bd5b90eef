package io.veloq.api.net;

import io.veloq.api.EventLoop;
import io.veloq.api.IoFd;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;

/**
 * A listening TCP socket on one loop, IPv4 or IPv6; bound to {@code ::} it is dual stack and accepts IPv4
 * clients too. A listener and the streams it accepts live on its loop; for a server that spreads its
 * connections over every loop of a runtime, use {@link TcpServer}.
 *
 * <pre>{@code
 * try (IoRuntime rt = IoRuntime.open();
 *      TcpListener l = TcpListener.bind(rt.loop(), new InetSocketAddress("::", 0))) {
 *     int port = ((InetSocketAddress) l.localAddress()).getPort();
 *     TcpStream s = l.accept();                        // blocking shape
 *     l.acceptAsync().thenAccept(this::serve);         // future shape
 *     l.accept((stream, error) -> serve(stream));      // completer shape, loop thread
 * }
 * }</pre>
 *
 * @since 0.1
 */
public final class TcpListener extends StreamListener<TcpStream> {
    TcpListener(EventLoop loop, IoFd fd, AddressFamily family) {
        super(loop, fd, family);
    }

    /** Binds and listens on {@code local} with the defaults of {@link ListenerBuilder}, waiting. */
    public static TcpListener bind(EventLoop loop, SocketAddress local) throws IOException {
        return binder(loop).bind(local);
    }

    /** A builder for options and backlog. */
    public static ListenerBuilder<TcpListener> binder(EventLoop loop) {
        return new ListenerBuilder<>(loop, (l, fd, family, peer) -> new TcpListener(l, fd, family), false);
    }

    /** The port this listener is bound to. */
    public int port() throws IOException {
        return ((InetSocketAddress) localAddress()).getPort();
    }

    @Override
    TcpStream wrap(EventLoop owner, IoFd conn, SocketAddress peer) {
        return new TcpStream(owner, conn, family, peer);
    }
}
