package io.veloq.nio2.internal;

import io.veloq.api.EventLoop;
import io.veloq.api.IoErrorKind;
import io.veloq.api.IoFd;
import io.veloq.api.VeloqIoException;
import io.veloq.api.net.AddressFamily;

import java.io.IOException;
import java.net.ConnectException;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.SocketOption;
import java.net.StandardSocketOptions;
import java.net.UnknownHostException;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.UnresolvedAddressException;
import java.nio.channels.UnsupportedAddressTypeException;
import java.util.Objects;
import java.util.Set;

/** What both channel kinds share: address checks and forms, options, and exceptions as the JDK's channels throw them. */
final class Net {
    static final Set<SocketOption<?>> SOCKET_OPTIONS = Set.of(StandardSocketOptions.SO_SNDBUF,
            StandardSocketOptions.SO_RCVBUF, StandardSocketOptions.SO_KEEPALIVE, StandardSocketOptions.SO_REUSEADDR,
            StandardSocketOptions.SO_REUSEPORT, StandardSocketOptions.TCP_NODELAY);
    static final Set<SocketOption<?>> SERVER_OPTIONS = Set.of(StandardSocketOptions.SO_RCVBUF,
            StandardSocketOptions.SO_REUSEADDR, StandardSocketOptions.SO_REUSEPORT);

    private Net() {
    }

    /** The JDK's checks, in its order: null, not an {@code InetSocketAddress}, unresolved. */
    static InetSocketAddress checkAddress(SocketAddress sa, AddressFamily family) {
        Objects.requireNonNull(sa);
        if (!(sa instanceof InetSocketAddress isa)) {
            throw new UnsupportedAddressTypeException();
        }
        if (isa.isUnresolved()) {
            throw new UnresolvedAddressException();
        }
        if (family == AddressFamily.INET && isa.getAddress() instanceof Inet6Address) {
            throw new UnsupportedAddressTypeException(); // no IPv6 on this machine: only IPv4 sockets
        }
        return isa;
    }

    /**
     * The address in the socket's own family: on a dual-stack IPv6 socket, IPv4 {@code a.b.c.d} becomes
     * {@code ::ffff:a.b.c.d} and {@code 0.0.0.0} becomes {@code ::}, as the JDK maps them.
     */
    static InetSocketAddress forSocket(InetSocketAddress isa, AddressFamily family) {
        if (family != AddressFamily.INET6 || !(isa.getAddress() instanceof Inet4Address v4)) {
            return isa;
        }
        byte[] b = new byte[16];
        if (!v4.isAnyLocalAddress()) {
            b[10] = (byte) 0xff;
            b[11] = (byte) 0xff;
            System.arraycopy(v4.getAddress(), 0, b, 12, 4);
        }
        try {
            return new InetSocketAddress(Inet6Address.getByAddress(null, b, -1), isa.getPort());
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The socket's local address as the JDK reports it (IPv4-mapped addresses as IPv4). */
    static InetSocketAddress localAddress(EventLoop loop, IoFd fd) throws IOException {
        SocketAddress sa = loop.localAddress(fd);
        return sa instanceof InetSocketAddress isa ? unmapped(isa) : null;
    }

    static InetSocketAddress remoteAddress(EventLoop loop, IoFd fd) throws IOException {
        SocketAddress sa = loop.remoteAddress(fd);
        return sa instanceof InetSocketAddress isa ? unmapped(isa) : null;
    }

    static InetSocketAddress unmapped(InetSocketAddress isa) {
        InetAddress a = isa.getAddress();
        if (a instanceof Inet6Address v6) {
            byte[] b = v6.getAddress();
            boolean mapped = b[10] == (byte) 0xff && b[11] == (byte) 0xff;
            for (int i = 0; i < 10 && mapped; i++) {
                mapped = b[i] == 0;
            }
            if (mapped) {
                try {
                    return new InetSocketAddress(InetAddress.getByAddress(new byte[] {b[12], b[13], b[14], b[15]}), isa.getPort());
                } catch (UnknownHostException e) {
                    throw new IllegalStateException(e);
                }
            }
        }
        return isa;
    }

    /** The JDK's checks of {@code setOption}, before the channel state: supported key, right value type and range. */
    static <T> void checkOption(Set<SocketOption<?>> supported, SocketOption<T> name, Object value) {
        Objects.requireNonNull(name);
        if (!supported.contains(name)) {
            throw new UnsupportedOperationException("'" + name + "' not supported");
        }
        if (value == null) {
            throw new IllegalArgumentException("Invalid value 'null'");
        }
        name.type().cast(value); // a value of the wrong type: ClassCastException, as from the JDK's channels
        if ((name == StandardSocketOptions.SO_RCVBUF || name == StandardSocketOptions.SO_SNDBUF) && (Integer) value < 0) {
            throw new IllegalArgumentException("Invalid send/receive buffer size");
        }
    }

    /**
     * An option value as the JDK reports it. Linux doubles {@code SO_RCVBUF}/{@code SO_SNDBUF} on set and
     * reports the doubled value; the JDK halves it on Linux so that a value reads back as it was set.
     */
    @SuppressWarnings("unchecked")
    static <T> T asJdkReports(EventLoop loop, SocketOption<T> name, T value) {
        if ((name == StandardSocketOptions.SO_RCVBUF || name == StandardSocketOptions.SO_SNDBUF)
                && loop.addressLayout() == io.veloq.api.net.AddressLayout.LINUX) {
            return (T) Integer.valueOf((Integer) value / 2);
        }
        return value;
    }

    static void checkGetOption(Set<SocketOption<?>> supported, SocketOption<?> name) {
        Objects.requireNonNull(name);
        if (!supported.contains(name)) {
            throw new UnsupportedOperationException("'" + name + "' not supported");
        }
    }

    /**
     * The exception the JDK's channels report for a failed operation: plain {@code IOException}s with the
     * kernel's words for resets and broken pipes, {@code ConnectException} for a refused connect, and
     * {@link AsynchronousCloseException} for anything that ended because the channel was closed.
     */
    static Throwable failure(VeloqIoException e, boolean closed) {
        if (closed || e.kind() == IoErrorKind.CANCELLED) {
            return new AsynchronousCloseException();
        }
        return switch (e.kind()) {
            case CONNECTION_RESET -> new IOException("Connection reset by peer");
            case BROKEN_PIPE -> new IOException("Broken pipe");
            case CONNECTION_REFUSED -> new ConnectException("Connection refused");
            default -> e.toJava();
        };
    }

    /** Closing: {@code IOException}s of a synchronous control call as the JDK throws them. */
    static IOException rethrow(VeloqIoException e) {
        Throwable t = failure(e, false);
        return t instanceof IOException io ? io : new IOException(t);
    }
}
