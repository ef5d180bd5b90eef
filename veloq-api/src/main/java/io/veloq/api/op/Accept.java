package io.veloq.api.op;

import io.veloq.api.IoFd;
import io.veloq.api.net.SockAddrStorage;

import java.util.Objects;

/**
 * Accepts one connection on a listening socket; completes with the new connection's handle and writes
 * the peer's address into {@code peer}. On Windows the driver's {@code OpLifecycle} pre-creates the
 * socket that AcceptEx needs; the application sees the same result on every platform.
 *
 * <pre>{@code
 * SockAddrStorage peer = SockAddrStorage.allocate();
 * long conn = loop.call(new Accept(listener, peer)).valueOrThrow();
 * InetSocketAddress from = (InetSocketAddress) peer.toSocketAddress();
 * }</pre>
 *
 * @param fd   the listening socket
 * @param peer where the peer's address is written; owned by the driver while in flight
 * @since 0.1
 */
public record Accept(IoFd fd, SockAddrStorage peer) implements OpPayload {
    public Accept {
        Objects.requireNonNull(fd, "Accept needs a listening fd");
        Objects.requireNonNull(peer, "Accept needs a SockAddrStorage for the peer address");
    }

    @Override
    public OpKind kind() {
        return OpKind.ACCEPT;
    }
}
