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
        return new SimAddress(f, a.getAddress().getAddress(), a.getPort(), null);
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
            String host = InetAddress.getByAddress(ip).getHostAddress();
            return family == AddressFamily.INET6 ? "[" + host + "]:" + port : host + ":" + port;
        } catch (UnknownHostException e) {
            return "?:" + port;
        }
    }
}
