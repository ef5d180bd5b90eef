package io.veloq.driver.nio;

import io.veloq.api.net.AddressFamily;
import io.veloq.api.net.SockAddrStorage;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;

/**
 * Between the runtime's {@link SockAddrStorage} (a native {@code sockaddr} block) and java.nio's
 * {@link SocketAddress}es. Not on the per-message path: accept, connect, bind and datagrams only.
 */
final class Addresses {
    private Addresses() {
    }

    /** The JDK form of {@code a}. Abstract Unix names have none (the ops naming one are refused earlier). */
    static SocketAddress of(SockAddrStorage a) {
        return a.toSocketAddress();
    }

    /**
     * Writes {@code address} into {@code out}; an unnamed Unix socket (an unbound peer: an empty path) is
     * stored as the family alone, length 2, as getpeername(2) reports it.
     */
    static void store(SocketAddress address, SockAddrStorage out) {
        if (address instanceof UnixDomainSocketAddress u && u.getPath().toString().isEmpty()) {
            int family = out.layout().nativeFamily(AddressFamily.UNIX);
            out.setBytes(new byte[] {(byte) family, (byte) (family >>> 8)}, 2); // little-endian, as both layouts are
            return;
        }
        out.set(address);
    }

    /** The family of a JDK address, or null. */
    static AddressFamily familyOf(SocketAddress a) {
        if (a instanceof UnixDomainSocketAddress) {
            return AddressFamily.UNIX;
        }
        if (a instanceof InetSocketAddress i && i.getAddress() != null) {
            return i.getAddress() instanceof Inet4Address ? AddressFamily.INET : AddressFamily.INET6;
        }
        return null;
    }

    /**
     * Whether a socket of {@code family} can use {@code a}: the same family, or an IPv4 address on an IPv6
     * socket (dual stack: java.nio maps it to {@code ::ffff:a.b.c.d}).
     */
    static boolean sameFamily(AddressFamily family, SocketAddress a) {
        AddressFamily f = familyOf(a);
        return f == family || (family == AddressFamily.INET6 && f == AddressFamily.INET);
    }

    /** True for an IPv6 address: what the unbound local address of an IPv6 socket looks like. */
    static boolean isIpv6(SocketAddress a) {
        return a instanceof InetSocketAddress i && i.getAddress() instanceof Inet6Address;
    }
}
