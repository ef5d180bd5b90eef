package io.veloq.driver.iocp;

import io.veloq.driver.iocp.win32.Win32Constants;

import java.net.SocketOption;

/**
 * Maps socket option keys to Winsock's level and option name. Keys are matched by {@link SocketOption#name()},
 * so the JDK's {@code StandardSocketOptions}, {@code jdk.net.ExtendedSocketOptions} and Veloq's own keys of the
 * same name all work. A key Windows lacks ({@code SO_REUSEPORT}, {@code TCP_QUICKACK}, ...) yields null; the
 * driver then throws {@link UnsupportedOperationException} naming the key and Windows.
 *
 * <pre>{@code WinSocketOptions.Native n = WinSocketOptions.of(StandardSocketOptions.TCP_NODELAY);  // IPPROTO_TCP, 1, BOOL}</pre>
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

    static Native of(SocketOption<?> option) {
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
            case "IP_TOS":
                return new Native(Win32Constants.IPPROTO_IP, Win32Constants.IP_TOS, Encoding.INT);
            case "IP_MULTICAST_TTL":
                return new Native(Win32Constants.IPPROTO_IP, Win32Constants.IP_MULTICAST_TTL, Encoding.INT);
            case "IP_MULTICAST_LOOP":
                return new Native(Win32Constants.IPPROTO_IP, Win32Constants.IP_MULTICAST_LOOP, Encoding.BOOL);
            case "IPV6_V6ONLY":
                return new Native(Win32Constants.IPPROTO_IPV6, Win32Constants.IPV6_V6ONLY, Encoding.BOOL);
            default:
                return null;
        }
    }
}
