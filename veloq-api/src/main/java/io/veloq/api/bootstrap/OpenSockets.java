package io.veloq.api.bootstrap;

import io.veloq.api.IoFd;

/**
 * The host's register of the networking API's open sockets, implemented by the runtime host's loops. The
 * net layer owns its sockets' descriptors (an application that never closes a {@code TcpStream} has not
 * taken the descriptor over), so when the runtime closes, the host closes every net socket still open
 * (like a Netty event loop group's shutdown closing its channels). A descriptor the application made
 * itself with a {@code Socket} op is never registered and stays open.
 *
 * <p>A socket's {@link SocketLifetime} is registered once, when the socket is made, from any thread; the
 * host forgets it once the socket's {@code Close} has been admitted.
 */
public interface OpenSockets {
    /**
     * A net socket was made on this loop with the handle {@code fd} (which carries {@code lifetime}): its
     * ops run on this loop, and closing the runtime closes it if it is still open. Any thread.
     */
    void opened(SocketLifetime lifetime, IoFd.Raw fd);
}
