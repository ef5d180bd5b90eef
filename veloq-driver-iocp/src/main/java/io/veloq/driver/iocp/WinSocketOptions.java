package io.veloq.driver.iocp;

import io.veloq.driver.iocp.win32.Win32Constants;

import java.net.SocketOption;

/**
 * Maps socket option keys to Winsock's level and option name. Keys are matched by {@link SocketOption#name()},
 * so the JDK's {@code StandardSocketOptions}, {@code jdk.net.ExtendedSocketOptions} and Veloq's own keys of the
 * same name all work. A key Windows lacks ({@code SO_REUSEPORT}, {@code TCP_QUICKACK}, ...) yields null; the
 * driver then throws {@link UnsupportedOperationException} naming the key and Windows.
 *
 * <ul>
 *   <li>The multicast keys depend on the socket's family: on an AF_INET6 socket {@code IP_MULTICAST_TTL} and
 *       {@code IP_MULTICAST_LOOP} are {@code IPV6_MULTICAST_HOPS} and {@code IPV6_MULTICAST_LOOP} at
 *       {@code IPPROTO_IPV6}; the {@code IPPROTO_IP} ones would only govern IPv4 traffic (as the JDK maps
 *       them on Windows).</li>
 *   <li>{@code IP_TOS} is refused ({@link #REFUSED_IP_TOS}): Windows accepts the option and ignores it;
 *       Microsoft's IPPROTO_IP options page says not to use it and to mark traffic through the QoS API
 *       (qWAVE / policy-based QoS) instead. Pretending to set it would be worse than saying so.</li>
 * </ul>
 *
 * <pre>{@code WinSocketOptions.Native n = WinSocketOptions.of(StandardSocketOptions.TCP_NODELAY, false);  // IPPROTO_TCP, 1, BOOL}</pre>
 */
final class WinSocketOptions {
    private WinSocketOptions() {
    }

    /** How a value is laid out in memory. */
    enum Encoding {
        /** A BOOL (DWORD 0/1); a getsockopt may return a 1-byte BOOLEAN. */
        BOOL,
        /** A DWORD/int. */
        INT,
        /** {@code struct linger}; Java value: seconds, or negative for off. */
        LINGER
    }

    /** A Winsock option. */
    record Native(int level, int name, Encoding encoding) {
    }

    /** Why IP_TOS is refused. */
    static final String REFUSED_IP_TOS = "socket option IP_TOS is not supported by the iocp driver: Windows accepts "
            + "IP_TOS and ignores it (Microsoft: do not use it; set DSCP through the QoS API, qWAVE or policy-based "
            + "QoS, instead)";

    /** The Winsock option for {@code option} on a socket of family AF_INET6 ({@code inet6}) or AF_INET; null if none. */
    static Native of(SocketOption<?> option, boolean inet6) {
        switch (option.name()) {
            case "SO_REUSEADDR":
                return new Native(Win32Constants.SOL_SOCKET, Win32Constants.SO_REUSEADDR, Encoding.BOOL);
            case "SO_KEEPALIVE":
                return new Native(Win32Constants.SOL_SOCKET, Win32Constants.SO_KEEPALIVE, Encoding.BOOL);
            case "SO_BROADCAST":
                return new Native(Win32Constants.SOL_SOCKET, Win32Constants.SO_BROADCAST, Encoding.BOOL);
            case "SO_LINGER":
                return new Native(Win32Constants.SOL_SOCKET, Win32Constants.SO_LINGER, Encoding.LINGER);
            case "SO_SNDBUF":
                return new Native(Win32Constants.SOL_SOCKET, Win32Constants.SO_SNDBUF, Encoding.INT);
            case "SO_RCVBUF":
                return new Native(Win32Constants.SOL_SOCKET, Win32Constants.SO_RCVBUF, Encoding.INT);
            case "TCP_NODELAY":
                return new Native(Win32Constants.IPPROTO_TCP, Win32Constants.TCP_NODELAY, Encoding.BOOL);
            case "TCP_KEEPIDLE":
                return new Native(Win32Constants.IPPROTO_TCP, Win32Constants.TCP_KEEPALIVE, Encoding.INT);
            case "TCP_KEEPINTERVAL":
            case "TCP_KEEPINTVL":
                return new Native(Win32Constants.IPPROTO_TCP, Win32Constants.TCP_KEEPINTVL, Encoding.INT);
            case "TCP_KEEPCOUNT":
            case "TCP_KEEPCNT":
                return new Native(Win32Constants.IPPROTO_TCP, Win32Constants.TCP_KEEPCNT, Encoding.INT);
            case "TCP_FASTOPEN":
                return new Native(Win32Constants.IPPROTO_TCP, Win32Constants.TCP_FASTOPEN, Encoding.BOOL);
            case "IP_MULTICAST_TTL":
                return inet6 ? new Native(Win32Constants.IPPROTO_IPV6, Win32Constants.IPV6_MULTICAST_HOPS, Encoding.INT)
                        : new Native(Win32Constants.IPPROTO_IP, Win32Constants.IP_MULTICAST_TTL, Encoding.INT);
            case "IP_MULTICAST_LOOP":
                return inet6 ? new Native(Win32Constants.IPPROTO_IPV6, Win32Constants.IPV6_MULTICAST_LOOP, Encoding.BOOL)
                        : new Native(Win32Constants.IPPROTO_IP, Win32Constants.IP_MULTICAST_LOOP, Encoding.BOOL);
            case "IPV6_V6ONLY":
                return new Native(Win32Constants.IPPROTO_IPV6, Win32Constants.IPV6_V6ONLY, Encoding.BOOL);
            default:
                return null;
        }
    }
}
