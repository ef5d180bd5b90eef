package io.veloq.api.net;

import io.veloq.api.Completer;
import io.veloq.api.EventLoop;
import io.veloq.api.IoFd;
import io.veloq.api.VeloqIoException;

import java.io.IOException;
import java.net.SocketAddress;
import java.net.SocketOption;
import java.net.StandardSocketOptions;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;

/**
 * Binds a listening stream socket ({@link TcpListener} or {@link UnixListener}) with options and a
 * backlog, in the three shapes. TCP listeners get {@code SO_REUSEADDR=true} (a restarted server can
 * rebind while old connections linger in TIME_WAIT) and, bound to {@code ::}, {@code IPV6_V6ONLY=false}
 * (dual stack: IPv4 clients arrive as {@code ::ffff:a.b.c.d}), unless the options say otherwise.
 *
 * <pre>{@code
 * TcpListener l = TcpListener.binder(loop)
 *         .option(StandardSocketOptions.TCP_NODELAY, true)    // accepted streams inherit it
 *         .backlog(4096)
 *         .bind(new InetSocketAddress("::", 7000));
 * }</pre>
 *
 * <p>A listener serves one loop. To serve on every loop of a runtime, bind a {@link TcpServer}: it sets up
 * one {@code SO_REUSEPORT} listener per loop where the platform has it (after checking that no other
 * process listens on the port) and hands connections over otherwise.
 *
 * @param <L> the listener type
 * @since 0.1
 */
public final class ListenerBuilder<L extends StreamListener<?>> {
    /** The backlog when none is given. The kernel caps it at {@code net.core.somaxconn}. */
    public static final int DEFAULT_BACKLOG = 1024;

    private final SocketSetup setup;
    private final SocketFactory<L> factory;
    private final boolean unix;

    ListenerBuilder(EventLoop loop, SocketFactory<L> factory, boolean unix) {
        this.setup = new SocketSetup(loop, SocketType.STREAM);
        this.factory = factory;
        this.unix = unix;
        setup.backlog(DEFAULT_BACKLOG);
    }

    /** An option set on the socket before it binds. */
    public <T> ListenerBuilder<L> option(SocketOption<T> key, T value) {
        setup.option(key, value);
        return this;
    }

    /** The listen backlog (default {@value #DEFAULT_BACKLOG}). */
    public ListenerBuilder<L> backlog(int backlog) {
        setup.backlog(backlog);
        return this;
    }

    /** Binds, listens and returns the listener. Not on the loop thread (except in a manual runtime). */
    public L bind(SocketAddress local) throws IOException {
        AddressFamily family = prepare(local);
        IoFd fd = setup.openAndWait(family);
        return factory.create(setup.loop(), fd, family, null);
    }

    /** Binds and listens; the future completes on the loop thread, exceptionally with the {@code java.net} exception. */
    public CompletableFuture<L> bindAsync(SocketAddress local) {
        CompletableFuture<L> f = new CompletableFuture<>();
        bind(local, (l, e) -> {
            if (e != null) {
                f.completeExceptionally(e instanceof VeloqIoException v ? v.toJava() : e);
            } else {
                f.complete(l);
            }
        });
        return f;
    }

    /** Binds and listens; {@code completer} runs on the loop thread with the listener or the error. */
    public void bind(SocketAddress local, Completer.OfValue<L> completer) {
        Objects.requireNonNull(completer, "completer");
        AddressFamily family = prepare(local);
        setup.open(family, (fd, e) -> {
            if (e != null) {
                completer.onComplete(null, e);
            } else {
                completer.onComplete(factory.create(setup.loop(), fd, family, null), null);
            }
        });
    }

    private AddressFamily prepare(SocketAddress local) {
        if (unix) {
            Addresses.requireUnix(local, "UnixListener.bind");
        } else {
            Addresses.requireInet(local, "TcpListener.bind");
            setup.defaultOption(StandardSocketOptions.SO_REUSEADDR, true);
            if (Addresses.isIpv6Wildcard(local)) {
                setup.defaultOption(VeloqSocketOptions.IPV6_V6ONLY, false);
            }
        }
        setup.local(local);
        return Addresses.familyOf(local);
    }
}
