package io.veloq.api.op;

import io.veloq.api.IoFd;
import io.veloq.api.net.SockAddrStorage;

import java.util.Objects;

/**
 * Connects a socket to {@code address}; completes with 0. ({@code connect} on Linux, {@code ConnectEx}
 * on Windows, whose lifecycle binds the socket first.)
 *
 * <pre>{@code loop.call(new Connect(fd, SockAddrStorage.of(new InetSocketAddress("127.0.0.1", 7000)))).valueOrThrow();}</pre>
 *
 * @param fd      an unconnected stream socket of the address's family
 * @param address the remote address
 * @since 0.1
 */
public record Connect(IoFd fd, SockAddrStorage address) implements OpPayload {
    public Connect {
        Objects.requireNonNull(fd, "Connect needs a socket fd");
        Objects.requireNonNull(address, "Connect needs a remote address");
        if (address.isEmpty()) {
            throw new IllegalArgumentException("Connect on " + fd + " needs a non-empty address");
        }
    }

    @Override
    public OpKind kind() {
        return OpKind.CONNECT;
    }

    @Override
    public String describe() {
        return "Connect on " + fd + " to " + address;
    }
}
