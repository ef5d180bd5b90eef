package io.veloq.driver.nio;

import io.veloq.api.VeloqIoException;
import io.veloq.api.net.AddressFamily;
import io.veloq.api.net.SockAddrStorage;
import io.veloq.spi.JavaErrors;
import io.veloq.spi.LinuxErrno;

import java.io.IOException;
import java.net.BindException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.SocketAddress;
import java.net.SocketException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.DatagramChannel;
import java.nio.channels.NetworkChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;

/**
 * bind, listen, getsockname and getpeername over java.nio, from any thread.
 *
 * <p>java.nio has no {@code listen(2)} of its own: {@code ServerSocketChannel.bind(address, backlog)} binds
 * and listens in one call. So {@link #bind} of a stream socket only records the address, and {@link #listen}
 * performs bind and listen together on a server channel: there is no moment when the port is bound but not
 * listening, which another process could use to take it. A bind error ({@code EADDRINUSE}) is therefore
 * reported by {@code listen}, or by the {@code Connect} of a client that bound first.
 */
final class SocketControl {
    private SocketControl() {
    }

    static void bind(Handle h, SockAddrStorage local) throws VeloqIoException {
        String what = "bind(" + h + ", " + local + ")";
        if (local.isAbstractUnix()) {
            throw error(LinuxErrno.EAFNOSUPPORT, what + ": abstract Unix-domain names are Linux-only and java.nio has no form for them");
        }
        SocketAddress a = local.toSocketAddress();
        if (!Addresses.sameFamily(h.family, a)) {
            throw error(LinuxErrno.EAFNOSUPPORT, what + ": a " + SocketOps.family(h.family) + " socket");
        }
        synchronized (h) {
            switch (h.kind()) {
                case STREAM -> {
                    SocketChannel ch = h.stream();
                    if (h.pendingLocal() != null || localOf(ch) != null) {
                        throw error(LinuxErrno.EINVAL, what + ": the socket is already bound");
                    }
                    if (ch.isConnected() || ch.isConnectionPending()) {
                        throw error(LinuxErrno.EINVAL, what + ": the socket is already connected");
                    }
                    h.pendingLocal(a); // bound for real by listen or connect, see above
                }
                case DATAGRAM -> {
                    DatagramChannel ch = h.datagram();
                    try {
                        ch.bind(a);
                    } catch (IOException | RuntimeException e) {
                        throw bindError(e, a, what);
                    }
                }
                default -> throw error(LinuxErrno.EINVAL, what + ": the socket is already bound (it listens)");
            }
        }
    }

    /** Connect of a stream socket bound first: the deferred bind happens now. Loop thread. */
    static void bindPending(Handle h) throws IOException {
        SocketAddress a;
        synchronized (h) {
            a = h.pendingLocal();
            if (a == null) {
                return;
            }
            h.pendingLocal(null);
            try {
                h.stream().bind(a);
            } catch (IOException | RuntimeException e) {
                throw bindError(e, a, "bind(" + h + ", " + a + ") before connect");
            }
        }
    }

    static void listen(Handle h, int backlog) throws VeloqIoException {
        String what = "listen(" + h + ", backlog " + backlog + ")";
        synchronized (h) {
            switch (h.kind()) {
                case LISTENER -> {
                    return; // listen(2) again only changes the backlog, which java.nio cannot: keep it
                }
                case STREAM -> {
                }
                default -> throw error(LinuxErrno.EOPNOTSUPP, what + ": not a stream socket");
            }
            SocketChannel placeholder = h.stream();
            if (placeholder.isConnected() || placeholder.isConnectionPending()) {
                throw error(LinuxErrno.EINVAL, what + ": the socket is connected");
            }
            SocketAddress a = h.pendingLocal();
            if (a == null) {
                if (h.family == AddressFamily.UNIX) {
                    throw error(LinuxErrno.EINVAL, what + ": an unbound Unix-domain socket (Linux would give it an "
                            + "abstract name, which java.nio has no form for); bind it first");
                }
                a = new InetSocketAddress(h.family == AddressFamily.INET6 ? anyV6() : anyV4(), 0); // Linux's autobind
            }
            ServerSocketChannel server = null;
            try {
                server = ServerSocketChannel.open(protocol(h.family));
                server.configureBlocking(false);
                for (Handle.Setting s : h.settings()) {
                    if (server.supportedOptions().contains(s.key())) {
                        s.applyTo(server);
                    }
                }
                // java.nio reads a backlog of 0 as "the default" (50); Linux's 0 is the smallest queue there is.
                server.bind(a, Math.max(1, backlog));
            } catch (IOException | RuntimeException e) {
                if (server != null) {
                    try {
                        server.close();
                    } catch (IOException ignored) {
                        // the bind failure is what to report
                    }
                }
                throw bindError(e, a, what + " (binding " + a + ")");
            }
            h.pendingLocal(null);
            h.becomeListener(server);
            try {
                placeholder.close();
            } catch (IOException ignored) {
                // an unbound, unconnected socket: nothing to lose
            }
        }
    }

    static void localAddress(Handle h, SockAddrStorage out) throws VeloqIoException {
        SocketAddress a;
        synchronized (h) {
            a = h.pendingLocal();
            if (a == null) {
                a = localOf((NetworkChannel) h.channel());
            }
        }
        if (a == null) {
            // getsockname(2) of an unbound socket: the family's wildcard, port 0 (a Unix one: the family alone).
            a = switch (h.family) {
                case INET -> new InetSocketAddress(anyV4(), 0);
                case INET6 -> new InetSocketAddress(anyV6(), 0);
                case UNIX -> UnixDomainSocketAddress.of("");
            };
        }
        Addresses.store(a, out);
    }

    static void remoteAddress(Handle h, SockAddrStorage out) throws VeloqIoException {
        SocketAddress a;
        try {
            Object ch = h.channel();
            a = ch instanceof SocketChannel s ? s.getRemoteAddress()
                    : ch instanceof DatagramChannel d ? d.getRemoteAddress() : null;
        } catch (IOException e) {
            throw LinuxErrno.TABLE.exception(JavaErrors.errno(e, null).code(), "getpeername(" + h + ")");
        }
        if (a == null) {
            throw error(LinuxErrno.ENOTCONN, "getpeername(" + h + ")");
        }
        Addresses.store(a, out);
    }

    private static SocketAddress localOf(NetworkChannel ch) {
        try {
            return ch.getLocalAddress();
        } catch (IOException e) {
            return null;
        }
    }

    /**
     * A bind failure: java.nio throws {@link BindException} for "in use", "cannot assign" and "permission
     * denied" alike, so the address tells them apart: not one of this machine's is EADDRNOTAVAIL.
     */
    static VeloqIoException bindError(Throwable e, SocketAddress a, String what) {
        LinuxErrno errno = JavaErrors.errno(e, null);
        if (e instanceof BindException && a instanceof InetSocketAddress i && !isLocal(i.getAddress())) {
            errno = LinuxErrno.EADDRNOTAVAIL;
        }
        return LinuxErrno.TABLE.exception(errno.code(), what);
    }

    private static boolean isLocal(InetAddress ip) {
        if (ip == null || ip.isAnyLocalAddress() || ip.isLoopbackAddress()) {
            return true;
        }
        try {
            return NetworkInterface.getByInetAddress(ip) != null;
        } catch (SocketException e) {
            return true; // cannot tell: keep the type's answer
        }
    }

    static StandardProtocolFamily protocol(AddressFamily f) {
        return switch (f) {
            case INET -> StandardProtocolFamily.INET;
            case INET6 -> StandardProtocolFamily.INET6;
            case UNIX -> StandardProtocolFamily.UNIX;
        };
    }

    private static InetAddress anyV4() {
        try {
            return Inet4Address.getByAddress(new byte[4]);
        } catch (java.net.UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    private static InetAddress anyV6() {
        try {
            return InetAddress.getByAddress(new byte[16]);
        } catch (java.net.UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    private static VeloqIoException error(LinuxErrno errno, String what) {
        return LinuxErrno.TABLE.exception(errno.code(), what);
    }
}
