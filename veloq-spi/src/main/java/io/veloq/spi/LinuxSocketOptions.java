package io.veloq.spi;

import io.veloq.api.net.AddressFamily;
import io.veloq.api.net.VeloqSocketOptions;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.net.SocketOption;
import java.net.StandardSocketOptions;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Linux's socket options: for each {@link SocketOption} key Veloq supports, the {@code setsockopt(2)}
 * level, option name and how its value is laid out in memory. The io_uring driver and the testkit's
 * fake use this table, so both accept and refuse the same keys.
 *
 * <p>Values are the kernel's, unchanged: Linux doubles {@code SO_RCVBUF}/{@code SO_SNDBUF} for its
 * bookkeeping and reports the doubled size, where the JDK's channels halve it back before answering.
 *
 * <p>The IP-level keys ({@code IP_TOS}, {@code IP_MULTICAST_*}) differ between IPv4 and IPv6 sockets
 * ({@code IP_TOS} is {@code IPV6_TCLASS} on an IPv6 socket); {@link #lookup} takes the socket's family,
 * which a driver learns with {@code getsockopt(SOL_SOCKET, SO_DOMAIN)} when
 * {@link Mapping#familyDependent()} says it matters.
 *
 * <pre>{@code
 * LinuxSocketOptions.Mapping m = LinuxSocketOptions.lookup(StandardSocketOptions.SO_RCVBUF, AddressFamily.INET6);
 * ByteBuffer v = ByteBuffer.allocateDirect(16).order(ByteOrder.nativeOrder());
 * int len = m.encode(65536, v);                     // 4 bytes: an int
 * setsockopt(fd, m.level(), m.name(), v, len);
 * // and back:
 * int got = getsockopt(fd, m.level(), m.name(), v, m.size());
 * Integer rcvbuf = (Integer) m.decode(v, got);      // the kernel doubles it: 131072
 * }</pre>
 *
 * @since 0.1
 */
public final class LinuxSocketOptions {
    /** {@code SOL_SOCKET}. */
    public static final int SOL_SOCKET = 1;
    /** {@code IPPROTO_IP}. */
    public static final int IPPROTO_IP = 0;
    /** {@code IPPROTO_TCP}. */
    public static final int IPPROTO_TCP = 6;
    /** {@code IPPROTO_IPV6}. */
    public static final int IPPROTO_IPV6 = 41;
    /** {@code SO_DOMAIN}: read it to learn a socket's family (2 = AF_INET, 10 = AF_INET6, 1 = AF_UNIX). */
    public static final int SO_DOMAIN = 39;
    /** {@code SO_TYPE}. */
    public static final int SO_TYPE = 3;
    /** The largest value any codec writes or reads: {@code struct ip_mreqn}, 12 bytes. */
    public static final int MAX_VALUE_SIZE = 12;

    /** How a value is laid out in the option's memory. */
    public enum Codec {
        /** A native {@code int}. */
        INT(4),
        /** A native {@code int}, 0 or 1. */
        BOOLEAN(4),
        /** {@code struct linger { int l_onoff; int l_linger; }}; Java's -1 means off. */
        LINGER(8),
        /**
         * IPv4 {@code IP_MULTICAST_IF}: set as {@code struct ip_mreqn} (the interface's first IPv4 address and
         * its index), read back as that {@code in_addr}.
         */
        IPV4_INTERFACE(12),
        /** IPv6 {@code IPV6_MULTICAST_IF}: the interface index as an {@code int}. */
        INTERFACE_INDEX(4);

        private final int size;

        Codec(int size) {
            this.size = size;
        }

        /** Bytes the kernel reads or writes for this codec (the buffer to pass to getsockopt). */
        public int size() {
            return size;
        }
    }

    /**
     * One key's native form.
     *
     * @param option          the key
     * @param level           {@code SOL_SOCKET}, {@code IPPROTO_TCP}, {@code IPPROTO_IP} or {@code IPPROTO_IPV6}
     * @param name            the option name at that level
     * @param nativeName      its C name, for messages ({@code "IPV6_TCLASS"})
     * @param codec           the value layout
     * @param familyDependent true when IPv4 and IPv6 sockets use different level/name
     */
    public record Mapping(SocketOption<?> option, int level, int name, String nativeName, Codec codec,
                          boolean familyDependent) {
        public Mapping {
            Objects.requireNonNull(option, "option");
            Objects.requireNonNull(nativeName, "nativeName");
            Objects.requireNonNull(codec, "codec");
        }

        /** The byte count to hand {@code getsockopt}. */
        public int size() {
            return codec.size();
        }

        /**
         * Writes {@code value} at index 0 of {@code out} (native byte order, at least {@link #MAX_VALUE_SIZE}
         * bytes) and returns its length for {@code setsockopt}. Does not move {@code out}'s position.
         *
         * @throws IllegalArgumentException for a value of the wrong type, or an interface with no IPv4 address
         */
        public int encode(Object value, ByteBuffer out) {
            Objects.requireNonNull(value, () -> option.name() + " value must not be null");
            switch (codec) {
                case INT -> out.putInt(0, cast(value, Integer.class));
                case BOOLEAN -> out.putInt(0, cast(value, Boolean.class) ? 1 : 0);
                case LINGER -> {
                    int seconds = cast(value, Integer.class);
                    out.putInt(0, seconds < 0 ? 0 : 1);
                    out.putInt(4, Math.max(0, seconds));
                }
                case IPV4_INTERFACE -> {
                    // struct ip_mreqn { in_addr imr_multiaddr; in_addr imr_address; int imr_ifindex; }
                    // The address as well as the index, so that getsockopt (which answers the address) reads it back.
                    NetworkInterface nif = cast(value, NetworkInterface.class);
                    out.putInt(0, 0);
                    byte[] a = firstIpv4(nif);
                    for (int i = 0; i < 4; i++) {
                        out.put(4 + i, a[i]);
                    }
                    out.putInt(8, nif.getIndex());
                }
                case INTERFACE_INDEX -> out.putInt(0, cast(value, NetworkInterface.class).getIndex());
                default -> throw new IllegalStateException("unknown codec " + codec);
            }
            return codec.size();
        }

        /**
         * Reads the value {@code getsockopt} wrote at index 0 of {@code in}; {@code length} is the length it
         * reported.
         *
         * @throws IllegalStateException when the kernel returned fewer bytes than the codec needs
         */
        public Object decode(ByteBuffer in, int length) {
            int need = codec == Codec.IPV4_INTERFACE ? 4 : codec.size();
            if (length < need) {
                // IP_MULTICAST_LOOP/TTL may be answered with one byte when asked with less than an int.
                if (length == 1 && (codec == Codec.INT || codec == Codec.BOOLEAN)) {
                    int b = in.get(0) & 0xff;
                    return codec == Codec.INT ? (Object) b : (Object) (b != 0);
                }
                throw new IllegalStateException("getsockopt(" + nativeName + ") returned " + length + " bytes, "
                        + codec + " needs " + need);
            }
            return switch (codec) {
                case INT -> in.getInt(0);
                case BOOLEAN -> in.getInt(0) != 0;
                case LINGER -> in.getInt(0) == 0 ? -1 : in.getInt(4);
                case IPV4_INTERFACE -> interfaceByAddress(in);
                case INTERFACE_INDEX -> interfaceByIndex(in.getInt(0));
            };
        }

        private <T> T cast(Object value, Class<T> type) {
            if (!type.isInstance(value)) {
                throw new IllegalArgumentException(option.name() + " takes a " + type.getSimpleName() + ", got "
                        + value.getClass().getSimpleName());
            }
            return type.cast(value);
        }

        private static byte[] firstIpv4(NetworkInterface nif) {
            return nif.inetAddresses().filter(a -> a instanceof Inet4Address).findFirst()
                    .map(InetAddress::getAddress).orElse(new byte[4]);
        }

        private static NetworkInterface interfaceByAddress(ByteBuffer in) {
            byte[] a = new byte[4];
            for (int i = 0; i < 4; i++) {
                a[i] = in.get(i); // in_addr is in network order: copy bytes, not an int
            }
            try {
                InetAddress ip = InetAddress.getByAddress(a);
                return ip.isAnyLocalAddress() ? null : NetworkInterface.getByInetAddress(ip);
            } catch (UnknownHostException | SocketException e) {
                return null;
            }
        }

        private static NetworkInterface interfaceByIndex(int index) {
            try {
                return index == 0 ? null : NetworkInterface.getByIndex(index);
            } catch (SocketException e) {
                return null;
            }
        }
    }

    private static final Map<SocketOption<?>, Mapping> V4 = new IdentityHashMap<>();
    private static final Map<SocketOption<?>, Mapping> V6 = new IdentityHashMap<>();

    static {
        both(StandardSocketOptions.SO_BROADCAST, SOL_SOCKET, 6, "SO_BROADCAST", Codec.BOOLEAN);
        both(StandardSocketOptions.SO_REUSEADDR, SOL_SOCKET, 2, "SO_REUSEADDR", Codec.BOOLEAN);
        both(StandardSocketOptions.SO_KEEPALIVE, SOL_SOCKET, 9, "SO_KEEPALIVE", Codec.BOOLEAN);
        both(StandardSocketOptions.SO_SNDBUF, SOL_SOCKET, 7, "SO_SNDBUF", Codec.INT);
        both(StandardSocketOptions.SO_RCVBUF, SOL_SOCKET, 8, "SO_RCVBUF", Codec.INT);
        both(StandardSocketOptions.SO_LINGER, SOL_SOCKET, 13, "SO_LINGER", Codec.LINGER);
        both(StandardSocketOptions.SO_REUSEPORT, SOL_SOCKET, 15, "SO_REUSEPORT", Codec.BOOLEAN);
        both(VeloqSocketOptions.SO_BUSY_POLL, SOL_SOCKET, 46, "SO_BUSY_POLL", Codec.INT);

        both(StandardSocketOptions.TCP_NODELAY, IPPROTO_TCP, 1, "TCP_NODELAY", Codec.BOOLEAN);
        both(VeloqSocketOptions.TCP_CORK, IPPROTO_TCP, 3, "TCP_CORK", Codec.BOOLEAN);
        both(VeloqSocketOptions.TCP_KEEPIDLE, IPPROTO_TCP, 4, "TCP_KEEPIDLE", Codec.INT);
        both(VeloqSocketOptions.TCP_KEEPINTVL, IPPROTO_TCP, 5, "TCP_KEEPINTVL", Codec.INT);
        both(VeloqSocketOptions.TCP_KEEPCNT, IPPROTO_TCP, 6, "TCP_KEEPCNT", Codec.INT);
        both(VeloqSocketOptions.TCP_QUICKACK, IPPROTO_TCP, 12, "TCP_QUICKACK", Codec.BOOLEAN);
        both(VeloqSocketOptions.TCP_FASTOPEN, IPPROTO_TCP, 23, "TCP_FASTOPEN", Codec.INT);

        // IPV6_V6ONLY exists on IPv6 sockets only; asking it of an IPv4 socket is refused below.
        V6.put(VeloqSocketOptions.IPV6_V6ONLY,
                new Mapping(VeloqSocketOptions.IPV6_V6ONLY, IPPROTO_IPV6, 26, "IPV6_V6ONLY", Codec.BOOLEAN, false));

        split(StandardSocketOptions.IP_TOS, IPPROTO_IP, 1, "IP_TOS", IPPROTO_IPV6, 67, "IPV6_TCLASS",
                Codec.INT, Codec.INT);
        split(StandardSocketOptions.IP_MULTICAST_IF, IPPROTO_IP, 32, "IP_MULTICAST_IF", IPPROTO_IPV6, 17,
                "IPV6_MULTICAST_IF", Codec.IPV4_INTERFACE, Codec.INTERFACE_INDEX);
        split(StandardSocketOptions.IP_MULTICAST_TTL, IPPROTO_IP, 33, "IP_MULTICAST_TTL", IPPROTO_IPV6, 18,
                "IPV6_MULTICAST_HOPS", Codec.INT, Codec.INT);
        split(StandardSocketOptions.IP_MULTICAST_LOOP, IPPROTO_IP, 34, "IP_MULTICAST_LOOP", IPPROTO_IPV6, 19,
                "IPV6_MULTICAST_LOOP", Codec.BOOLEAN, Codec.BOOLEAN);
    }

    private LinuxSocketOptions() {
    }

    private static void both(SocketOption<?> o, int level, int name, String nativeName, Codec codec) {
        Mapping m = new Mapping(o, level, name, nativeName, codec, false);
        V4.put(o, m);
        V6.put(o, m);
    }

    private static void split(SocketOption<?> o, int level4, int name4, String native4, int level6, int name6,
                              String native6, Codec codec4, Codec codec6) {
        V4.put(o, new Mapping(o, level4, name4, native4, codec4, true));
        V6.put(o, new Mapping(o, level6, name6, native6, codec6, true));
    }

    /**
     * The native form of {@code option} on a socket of {@code family}. Unix-domain sockets take the
     * {@code SOL_SOCKET} keys; the kernel refuses the TCP/IP ones with {@code EOPNOTSUPP}, which this table
     * reports earlier and more clearly.
     *
     * @throws UnsupportedOperationException naming the key and the OS when Linux has no such option, or none
     *     for that family
     */
    public static Mapping lookup(SocketOption<?> option, AddressFamily family) {
        Objects.requireNonNull(option, "option must not be null");
        Mapping m = (family == AddressFamily.INET6 ? V6 : V4).get(option);
        if (m == null) {
            if (V4.containsKey(option) || V6.containsKey(option)) {
                throw new UnsupportedOperationException("socket option " + option.name() + " is not supported on Linux for "
                        + familyName(family) + " sockets");
            }
            throw new UnsupportedOperationException("socket option " + option.name() + " (" + option.getClass().getName()
                    + ") is not supported on Linux; supported: " + names());
        }
        if (family == AddressFamily.UNIX && m.level() != SOL_SOCKET) {
            throw new UnsupportedOperationException("socket option " + option.name() + " (" + m.nativeName()
                    + ") is not supported on Linux for Unix-domain sockets");
        }
        return m;
    }

    /**
     * The native form on an IPv4 or family-independent basis: enough for every key whose
     * {@link Mapping#familyDependent()} is false; otherwise call {@link #lookup(SocketOption, AddressFamily)}.
     */
    public static Mapping lookup(SocketOption<?> option) {
        Objects.requireNonNull(option, "option must not be null");
        Mapping m = V4.get(option);
        return m != null ? m : lookup(option, AddressFamily.INET6);
    }

    /** True if Linux supports {@code option} on some socket family. */
    public static boolean isSupported(SocketOption<?> option) {
        return V4.containsKey(option) || V6.containsKey(option);
    }

    /** Every supported key. */
    public static Set<SocketOption<?>> supportedOptions() {
        Set<SocketOption<?>> all = Collections.newSetFromMap(new IdentityHashMap<>());
        all.addAll(V4.keySet());
        all.addAll(V6.keySet());
        return Collections.unmodifiableSet(all);
    }

    /** The family for a {@code SO_DOMAIN} value (AF_INET 2, AF_INET6 10, AF_UNIX 1), or null. */
    public static AddressFamily familyOf(int soDomain) {
        return switch (soDomain) {
            case 2 -> AddressFamily.INET;
            case 10 -> AddressFamily.INET6;
            case 1 -> AddressFamily.UNIX;
            default -> null;
        };
    }

    private static String familyName(AddressFamily family) {
        return family == AddressFamily.INET6 ? "IPv6" : family == AddressFamily.UNIX ? "Unix-domain" : "IPv4";
    }

    private static String names() {
        return String.join(", ", supportedOptions().stream().map(SocketOption::name).sorted().toList());
    }
}
