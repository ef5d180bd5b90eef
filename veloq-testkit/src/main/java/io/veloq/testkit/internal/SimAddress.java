package io.veloq.testkit.internal;

import io.veloq.api.net.AddressFamily;
import io.veloq.api.net.SockAddrStorage;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.Arrays;
import java.util.Objects;

/**
 * An address in the simulated network: an IP and port, or a Unix-domain name (a path, or an abstract
 * name starting with {@code @}). Scope ids and flow info are carried through but not used for matching.
 */
record SimAddress(AddressFamily family, byte[] ip, int port, String unixName) {

    static SimAddress of(SockAddrStorage s) {
        AddressFamily f = s.family();
        if (f == null) {
            return null;
        }
        if (f == AddressFamily.UNIX) {
            if (s.isAbstractUnix()) {
                return unix("@" + s.abstractName());
            }
            return unix(s.toSocketAddress().toString());
        }
        InetSocketAddress a = (InetSocketAddress) s.toSocketAddress();
        byte[] ip = a.getAddress().getAddress();
        // The JDK turns an IPv4-mapped sockaddr_in6 (::ffff:a.b.c.d) into an Inet4Address: keep it IPv6.
        return new SimAddress(f, f == AddressFamily.INET6 && ip.length == 4 ? mapped(ip) : ip, a.getPort(), null);
    }

    private static byte[] mapped(byte[] v4) {
        byte[] m = new byte[16];
        m[10] = (byte) 0xff;
        m[11] = (byte) 0xff;
        System.arraycopy(v4, 0, m, 12, 4);
        return m;
    }

    /** True for an IPv6 address of the form {@code ::ffff:a.b.c.d}. */
    boolean isV4Mapped() {
        if (family != AddressFamily.INET6 || ip == null || ip.length != 16) {
            return false;
        }
        for (int i = 0; i < 10; i++) {
            if (ip[i] != 0) {
                return false;
            }
        }
        return ip[10] == (byte) 0xff && ip[11] == (byte) 0xff;
    }

    /**
     * This address as a socket of family {@code f} sees it: an IPv4 address on an IPv6 socket is
     * {@code ::ffff:a.b.c.d} (the IPv4 wildcard becomes {@code ::}); an IPv4-mapped address on an IPv4 socket
     * is plain IPv4. Same family or Unix: unchanged.
     */
    SimAddress as(AddressFamily f) {
        if (f == family || family == AddressFamily.UNIX || f == AddressFamily.UNIX) {
            return this;
        }
        if (f == AddressFamily.INET6) {
            return new SimAddress(f, isWildcard() ? new byte[16] : mapped(ip), port, null);
        }
        if (isWildcard()) {
            return new SimAddress(f, new byte[4], port, null);
        }
        if (!isV4Mapped()) {
            throw new IllegalArgumentException(this + " has no IPv4 form");
        }
        return new SimAddress(f, Arrays.copyOfRange(ip, 12, 16), port, null);
    }

    /** The address on the wire: an IPv4-mapped IPv6 address travels as IPv4. */
    SimAddress onWire() {
        return isV4Mapped() ? as(AddressFamily.INET) : this;
    }

    static SimAddress unix(String name) {
        return new SimAddress(AddressFamily.UNIX, null, 0, name);
    }

    static SimAddress inet(InetSocketAddress a) {
        InetAddress ip = a.getAddress();
        return new SimAddress(ip instanceof Inet4Address ? AddressFamily.INET : AddressFamily.INET6,
                ip.getAddress(), a.getPort(), null);
    }

    static SimAddress wildcard(AddressFamily f, int port) {
        return new SimAddress(f, new byte[f == AddressFamily.INET ? 4 : 16], port, null);
    }

    boolean isWildcard() {
        if (ip == null) {
            return false;
        }
        for (byte b : ip) {
            if (b != 0) {
                return false;
            }
        }
        return true;
    }

    /** Connecting to 0.0.0.0 or :: reaches this host, as on Linux: we use the loopback address. */
    SimAddress orLoopback() {
        if (!isWildcard()) {
            return this;
        }
        byte[] lo = new byte[ip.length];
        if (lo.length == 4) {
            lo[0] = 127;
            lo[3] = 1;
        } else {
            lo[15] = 1;
        }
        return new SimAddress(family, lo, port, null);
    }

    SimAddress withPort(int p) {
        return new SimAddress(family, ip, p, unixName);
    }

    SimAddress withIp(byte[] otherIp) {
        return new SimAddress(family, otherIp, port, unixName);
    }

    boolean sameIp(SimAddress o) {
        return Arrays.equals(ip, o.ip);
    }

    /** Writes this address into {@code out} (in {@code out}'s layout). An unnamed Unix socket is just the family. */
    void writeTo(SockAddrStorage out) {
        if (family == AddressFamily.UNIX) {
            if (unixName == null || unixName.isEmpty()) {
                out.clear();
                out.block().putShort(0, (short) out.layout().nativeFamily(AddressFamily.UNIX));
                out.setLength(2);
            } else if (unixName.startsWith("@")) {
                out.setAbstractUnix(unixName.substring(1));
            } else {
                out.set(java.net.UnixDomainSocketAddress.of(unixName));
            }
            return;
        }
        try {
            InetAddress a = family == AddressFamily.INET6 ? Inet6Address.getByAddress(null, ip, -1) : InetAddress.getByAddress(ip);
            out.set(new InetSocketAddress(a, port));
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SimAddress a && a.family == family && a.port == port && Arrays.equals(a.ip, ip)
                && Objects.equals(a.unixName, unixName);
    }

    @Override
    public int hashCode() {
        return Objects.hash(family, port, Arrays.hashCode(ip), unixName);
    }

    @Override
    public String toString() {
        if (family == AddressFamily.UNIX) {
            return "unix:" + (unixName == null || unixName.isEmpty() ? "<unnamed>" : unixName);
        }
        try {
            String host = isV4Mapped() ? "::ffff:" + InetAddress.getByAddress(Arrays.copyOfRange(ip, 12, 16)).getHostAddress()
                    : InetAddress.getByAddress(ip).getHostAddress();
            return family == AddressFamily.INET6 ? "[" + host + "]:" + port : host + ":" + port;
        } catch (UnknownHostException e) {
            return "?:" + port;
        }
    }
}
