package io.veloq.api.net;

import io.veloq.api.EventLoop;
import io.veloq.api.IoFd;

import java.net.SocketAddress;

/** Wraps a ready descriptor into the socket class a builder makes. */
@FunctionalInterface
interface SocketFactory<S extends NetSocket> {
    /** @param peer the remote address when known (connect), else null */
    S create(EventLoop loop, IoFd fd, AddressFamily family, SocketAddress peer);
}
