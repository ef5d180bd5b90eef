package io.veloq.api.net;

import io.veloq.api.Completer;
import io.veloq.api.EventLoop;
import io.veloq.api.IoFd;

import java.io.IOException;
import java.net.SocketAddress;
import java.net.SocketOption;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;

/**
 * Connects a stream socket ({@link TcpStream} or {@link UnixStream}) with options, an optional local
 * address and an optional deadline, in the three shapes. The socket is created through the driver (a
 * {@code Socket} op), the options are set before the {@code Connect} op, and the socket is closed if
 * anything fails.
 *
 * <pre>{@code
 * TcpStream s = TcpStream.connector(loop)
 *         .option(StandardSocketOptions.TCP_NODELAY, true)
 *         .deadline(Duration.ofSeconds(2))               // SocketTimeoutException after 2 s
 *         .connect(new InetSocketAddress("::1", 7000));
 * }</pre>
 *
 * @param <S> the stream type
 * @since 0.1
 */
public final class ConnectBuilder<S extends StreamSocket> {
    private final SocketSetup setup;
    private final SocketFactory<S> factory;
    private final boolean unix;

    ConnectBuilder(EventLoop loop, SocketFactory<S> factory, boolean unix) {
        this.setup = new SocketSetup(loop, SocketType.STREAM);
        this.factory = factory;
        this.unix = unix;
    }

    /** An option set on the new socket before it connects. */
    public <T> ConnectBuilder<S> option(SocketOption<T> key, T value) {
        setup.option(key, value);
        return this;
    }

    /** Fails the connect with a {@code TIMED_OUT} error ({@link java.net.SocketTimeoutException}) after {@code timeout}. */
    public ConnectBuilder<S> deadline(Duration timeout) {
        setup.deadline(timeout);
        return this;
    }

    /** Binds the socket to {@code local} before connecting (a chosen source address or port). */
    public ConnectBuilder<S> localAddress(SocketAddress local) {
        setup.local(local);
        return this;
    }

    /** Connects and waits. Not on the loop thread (except in a manual runtime). */
    public S connect(SocketAddress remote) throws IOException {
        AddressFamily family = check(remote);
        EventLoop loop = setup.loop();
        SockAddrStorage to = SockAddrStorage.of(remote, loop.addressLayout());
        IoFd fd = setup.openAndWait(family);
        setup.connectAndWait(fd, to);
        return factory.create(loop, fd, family, remote);
    }

    /** Connects; the future completes on the loop thread, exceptionally with the {@code java.net} exception. */
    public CompletableFuture<S> connectAsync(SocketAddress remote) {
        CompletableFuture<S> f = new CompletableFuture<>();
        connect(remote, (s, e) -> {
            if (e != null) {
                f.completeExceptionally(e instanceof io.veloq.api.VeloqIoException v ? v.toJava() : e);
            } else {
                f.complete(s);
            }
        });
        return f;
    }

    /** Connects; {@code completer} runs on the loop thread with the stream or the error. */
    public void connect(SocketAddress remote, Completer.OfValue<S> completer) {
        Objects.requireNonNull(completer, "completer");
        AddressFamily family = check(remote);
        EventLoop loop = setup.loop();
        SockAddrStorage to = SockAddrStorage.of(remote, loop.addressLayout());
        setup.open(family, (fd, e) -> {
            if (e != null) {
                completer.onComplete(null, e);
                return;
            }
            setup.connect(fd, to, (connected, e2) -> {
                if (e2 != null) {
                    completer.onComplete(null, e2);
                } else {
                    completer.onComplete(factory.create(loop, connected, family, remote), null);
                }
            });
        });
    }

    private AddressFamily check(SocketAddress remote) {
        if (unix) {
            Addresses.requireUnix(remote, "UnixStream.connect");
        } else {
            Addresses.requireInet(remote, "TcpStream.connect");
        }
        return Addresses.familyOf(remote);
    }
}
