package io.veloq.driver.nio;

import io.veloq.api.VeloqIoException;
import io.veloq.api.net.AddressFamily;
import io.veloq.api.net.VeloqSocketOptions;
import io.veloq.spi.JavaErrors;
import io.veloq.spi.LinuxErrno;
import jdk.net.ExtendedSocketOptions;

import java.io.IOException;
import java.net.SocketOption;
import java.net.StandardSocketOptions;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.DatagramChannel;
import java.nio.channels.NetworkChannel;
import java.nio.channels.ServerSocketChannel;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Socket options through java.nio's own {@link SocketOption} keys: the standard ones as they are, Veloq's
 * TCP keep-alive and quick-ack keys through {@code jdk.net}'s extended options. Values are what java.nio
 * reports for the platform (on Linux, {@code SO_RCVBUF}/{@code SO_SNDBUF} read back doubled, as the kernel
 * reports them). What java.nio cannot set is refused with {@link UnsupportedOperationException} naming the key,
 * the driver and the OS: {@code TCP_CORK}, {@code TCP_FASTOPEN}, {@code SO_BUSY_POLL}, and
 * {@code IPV6_V6ONLY=true} (java.nio's IPv6 sockets are always dual-stack, so {@code false} is accepted and
 * reported). As on Linux, a TCP key on a datagram socket is {@code ENOPROTOOPT}, and TCP/IP keys on a
 * Unix-domain socket are refused.
 *
 * <p>A listener keeps the options java.nio's server channel lacks ({@code TCP_NODELAY}, keep-alive...) and
 * gives them to every accepted socket, as Linux's accepted sockets inherit their listener's.
 */
final class NioSocketOptions {
    private static final Map<SocketOption<?>, SocketOption<?>> MAPPED = new IdentityHashMap<>();
    private static final Set<SocketOption<?>> MISSING = Set.of(VeloqSocketOptions.TCP_CORK,
            VeloqSocketOptions.TCP_FASTOPEN, VeloqSocketOptions.SO_BUSY_POLL);
    private static final Set<SocketOption<?>> TCP = Set.of(StandardSocketOptions.TCP_NODELAY,
            VeloqSocketOptions.TCP_KEEPIDLE, VeloqSocketOptions.TCP_KEEPINTVL, VeloqSocketOptions.TCP_KEEPCNT,
            VeloqSocketOptions.TCP_QUICKACK, VeloqSocketOptions.TCP_CORK, VeloqSocketOptions.TCP_FASTOPEN);
    private static final Set<SocketOption<?>> IP = Set.of(StandardSocketOptions.IP_TOS,
            StandardSocketOptions.IP_MULTICAST_IF, StandardSocketOptions.IP_MULTICAST_TTL,
            StandardSocketOptions.IP_MULTICAST_LOOP, VeloqSocketOptions.IPV6_V6ONLY);

    /** What a listener keeps for its accepted sockets, where java.nio's server channel has no such option. */
    private static final Set<SocketOption<?>> INHERITED = Set.of(StandardSocketOptions.TCP_NODELAY,
            StandardSocketOptions.SO_KEEPALIVE, StandardSocketOptions.SO_SNDBUF, StandardSocketOptions.SO_LINGER,
            StandardSocketOptions.IP_TOS, ExtendedSocketOptions.TCP_KEEPIDLE, ExtendedSocketOptions.TCP_KEEPINTERVAL,
            ExtendedSocketOptions.TCP_KEEPCOUNT, ExtendedSocketOptions.TCP_QUICKACK);

    static {
        MAPPED.put(VeloqSocketOptions.TCP_KEEPIDLE, ExtendedSocketOptions.TCP_KEEPIDLE);
        MAPPED.put(VeloqSocketOptions.TCP_KEEPINTVL, ExtendedSocketOptions.TCP_KEEPINTERVAL);
        MAPPED.put(VeloqSocketOptions.TCP_KEEPCNT, ExtendedSocketOptions.TCP_KEEPCOUNT);
        MAPPED.put(VeloqSocketOptions.TCP_QUICKACK, ExtendedSocketOptions.TCP_QUICKACK);
    }

    private NioSocketOptions() {
    }

    static <T> void set(Handle h, SocketOption<T> option, T value) throws VeloqIoException {
        SocketOption<?> key = check(h, option, "setsockopt");
        if (key == VeloqSocketOptions.IPV6_V6ONLY) {
            if (Boolean.TRUE.equals(value)) {
                throw new UnsupportedOperationException("IPV6_V6ONLY=true is not supported by the nio driver on "
                        + os() + ": java.nio's IPv6 sockets are always dual-stack (IPV6_V6ONLY false)");
            }
            return;
        }
        synchronized (h) {
            NetworkChannel ch = (NetworkChannel) h.channel();
            boolean keep = h.kind() == Handle.Kind.LISTENER
                    || (h.kind() == Handle.Kind.STREAM && ch instanceof java.nio.channels.SocketChannel s
                    && !s.isConnected() && !s.isConnectionPending());
            if (ch.supportedOptions().contains(key)) {
                try {
                    apply(ch, key, value);
                } catch (ClosedChannelException e) {
                    throw LinuxErrno.TABLE.exception(LinuxErrno.EBADF.code(), "setsockopt(" + h + ", " + option.name() + ")");
                } catch (IOException e) {
                    throw LinuxErrno.TABLE.exception(JavaErrors.errno(e, null).code(),
                            "setsockopt(" + h + ", " + option.name() + " = " + value + ")");
                }
            } else if (!(ch instanceof ServerSocketChannel) || !INHERITED.contains(key)) {
                throw unsupported(option, h);
            }
            if (keep) {
                h.remember(key, value);
            }
        }
    }

    static <T> T get(Handle h, SocketOption<T> option) throws VeloqIoException {
        SocketOption<?> key = check(h, option, "getsockopt");
        if (key == VeloqSocketOptions.IPV6_V6ONLY) {
            return option.type().cast(Boolean.FALSE);
        }
        NetworkChannel ch = (NetworkChannel) h.channel();
        if (!ch.supportedOptions().contains(key)) {
            Object kept = ch instanceof ServerSocketChannel ? h.remembered(key) : null;
            if (kept != null) {
                return option.type().cast(kept);
            }
            throw unsupported(option, h);
        }
        try {
            return option.type().cast(ch.getOption(key));
        } catch (ClosedChannelException e) {
            throw LinuxErrno.TABLE.exception(LinuxErrno.EBADF.code(), "getsockopt(" + h + ", " + option.name() + ")");
        } catch (IOException e) {
            throw LinuxErrno.TABLE.exception(JavaErrors.errno(e, null).code(), "getsockopt(" + h + ", " + option.name() + ")");
        }
    }

    /** The java.nio key for {@code option} on this socket, or the refusal Linux (or java.nio) would give. */
    private static SocketOption<?> check(Handle h, SocketOption<?> option, String call) throws VeloqIoException {
        if (MISSING.contains(option)) {
            throw new UnsupportedOperationException("socket option " + option.name() + " is not supported by the nio "
                    + "driver on " + os() + ": java.nio has no such option");
        }
        boolean tcp = TCP.contains(option);
        if (h.family == AddressFamily.UNIX && (tcp || IP.contains(option))) {
            throw new UnsupportedOperationException("socket option " + option.name() + " is not supported for "
                    + "Unix-domain sockets (nio driver on " + os() + ")");
        }
        if (tcp && h.kind() == Handle.Kind.DATAGRAM) {
            throw LinuxErrno.TABLE.exception(LinuxErrno.ENOPROTOOPT.code(), call + "(" + h + ", " + option.name()
                    + "): a TCP option on a datagram socket");
        }
        if (option == VeloqSocketOptions.IPV6_V6ONLY && h.family != AddressFamily.INET6) {
            throw new UnsupportedOperationException("socket option IPV6_V6ONLY is not supported for IPv4 sockets "
                    + "(nio driver on " + os() + ")");
        }
        SocketOption<?> mapped = MAPPED.get(option);
        return mapped != null ? mapped : option;
    }

    @SuppressWarnings("unchecked")
    private static <T> void apply(NetworkChannel ch, SocketOption<?> key, Object value) throws IOException {
        ch.setOption((SocketOption<T>) key, (T) value);
    }

    private static UnsupportedOperationException unsupported(SocketOption<?> option, Handle h) {
        NetworkChannel ch = (NetworkChannel) h.channel();
        Set<String> names = new TreeSet<>();
        for (SocketOption<?> o : ch.supportedOptions()) {
            names.add(o.name());
        }
        String what = ch instanceof ServerSocketChannel ? "a listening socket"
                : ch instanceof DatagramChannel ? "a datagram socket" : "a " + SocketOps.family(h.family) + " stream socket";
        return new UnsupportedOperationException("socket option " + option.name() + " (" + option.getClass().getName()
                + ") is not supported by the nio driver on " + os() + " for " + what + "; java.nio offers " + names);
    }

    private static String os() {
        return System.getProperty("os.name", "this OS");
    }
}
