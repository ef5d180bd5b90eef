package io.veloq.api.op;

import io.veloq.api.net.AddressFamily;
import io.veloq.api.net.SocketType;

import java.util.Objects;

/**
 * Creates a socket; completes with its handle. Creating sockets through the driver lets it use
 * registered files transparently where it supports them.
 *
 * <pre>{@code long fd = loop.call(new Socket(AddressFamily.INET6, SocketType.STREAM)).valueOrThrow();}</pre>
 *
 * @param family the address family
 * @param type   stream or datagram
 * @since 0.1
 */
public record Socket(AddressFamily family, SocketType type) implements OpPayload {
    public Socket {
        Objects.requireNonNull(family, "Socket needs an address family");
        Objects.requireNonNull(type, "Socket needs a socket type");
    }

    @Override
    public OpKind kind() {
        return OpKind.SOCKET;
    }

    @Override
    public String describe() {
        return "Socket(" + family + ", " + type + ")";
    }
}
