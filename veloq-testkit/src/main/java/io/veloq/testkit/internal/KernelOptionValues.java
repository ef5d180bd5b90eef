package io.veloq.testkit.internal;

import io.veloq.api.net.AddressFamily;
import io.veloq.api.net.VeloqSocketOptions;

import java.net.SocketOption;
import java.net.StandardSocketOptions;

/**
 * What Linux keeps and reports for a socket option, where that differs from what was set: the fake's
 * getsockopt answers as the kernel would. Measured on Linux 6.x with stock sysctls:
 *
 * <ul>
 *   <li>{@code SO_RCVBUF}/{@code SO_SNDBUF} are doubled, with a floor of 2304/4608 bytes. (The kernel also caps
 *       the request at {@code net.core.rmem_max}/{@code wmem_max}; that is machine tuning, so the fake does not.)
 *   <li>{@code IP_TOS}/{@code IPV6_TCLASS} on a TCP socket keep their ECN bits (the low two): set 0xb9, read 0xb8.
 *   <li>Defaults: TCP buffers 131072/16384 ({@code tcp_rmem}/{@code tcp_wmem}), other sockets 212992;
 *       multicast TTL/hops 1 and loop on; keepalive idle 7200 s, interval 75 s, 9 probes; quick ack on;
 *       linger off; every other flag off, every other number 0.
 * </ul>
 *
 * <pre>{@code Object kept = KernelOptionValues.stored(socket, StandardSocketOptions.SO_RCVBUF, 65536); // 131072}</pre>
 */
final class KernelOptionValues {
    static final int SOCK_MIN_RCVBUF = 2304;
    static final int SOCK_MIN_SNDBUF = 4608;
    static final int TCP_RMEM_DEFAULT = 131072;
    static final int TCP_WMEM_DEFAULT = 16384;
    static final int MEM_DEFAULT = 212992;
    private static final int ECN_MASK = 0x3;

    private KernelOptionValues() {
    }

    /** The value the kernel keeps (and getsockopt reports) after {@code setsockopt(option, value)} on {@code s}. */
    static Object stored(SimSocket s, SocketOption<?> option, Object value) {
        if (option == StandardSocketOptions.SO_RCVBUF) {
            return doubled((Integer) value, SOCK_MIN_RCVBUF);
        }
        if (option == StandardSocketOptions.SO_SNDBUF) {
            return doubled((Integer) value, SOCK_MIN_SNDBUF);
        }
        if (option == StandardSocketOptions.IP_TOS && s.isStream() && s.family != AddressFamily.UNIX) {
            int old = (Integer) current(s, option);
            return ((Integer) value & ~ECN_MASK) | (old & ECN_MASK);
        }
        return value;
    }

    private static int doubled(int v, int floor) {
        return Math.max(floor, (int) Math.min(Integer.MAX_VALUE, 2L * v));
    }

    /** What getsockopt reports: the stored value, or the kernel's default. */
    static Object current(SimSocket s, SocketOption<?> option) {
        Object v = s.options.get(option);
        return v != null || s.options.containsKey(option) ? v : defaultValue(s, option);
    }

    /** Linux's value on a fresh socket. {@code IP_MULTICAST_IF} is unset: null, as the uring driver decodes it. */
    static Object defaultValue(SimSocket s, SocketOption<?> o) {
        boolean tcp = s.isStream() && s.family != AddressFamily.UNIX;
        if (o == StandardSocketOptions.SO_RCVBUF) {
            return tcp ? TCP_RMEM_DEFAULT : MEM_DEFAULT;
        }
        if (o == StandardSocketOptions.SO_SNDBUF) {
            return tcp ? TCP_WMEM_DEFAULT : MEM_DEFAULT;
        }
        if (o == StandardSocketOptions.SO_LINGER) {
            return -1;
        }
        if (o == StandardSocketOptions.IP_MULTICAST_TTL) {
            return 1;
        }
        if (o == StandardSocketOptions.IP_MULTICAST_LOOP || o == VeloqSocketOptions.TCP_QUICKACK) {
            return Boolean.TRUE;
        }
        if (o == StandardSocketOptions.IP_MULTICAST_IF) {
            return null;
        }
        if (o == VeloqSocketOptions.TCP_KEEPIDLE) {
            return 7200;
        }
        if (o == VeloqSocketOptions.TCP_KEEPINTVL) {
            return 75;
        }
        if (o == VeloqSocketOptions.TCP_KEEPCNT) {
            return 9;
        }
        if (o.type() == Boolean.class) {
            return Boolean.FALSE;
        }
        if (o.type() == Integer.class) {
            return 0;
        }
        throw new IllegalStateException("no Linux default known for socket option " + o.name());
    }
}
