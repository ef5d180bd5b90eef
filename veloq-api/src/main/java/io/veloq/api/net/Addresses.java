package io.veloq.api.net;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;
import java.util.Objects;

/** Address facts the socket classes share: the family of a JDK address, and its form for a socket's family. */
final class Addresses {
    private Addresses() {
    }

    /** The family a socket needs to reach or bind {@code address}. */
    static AddressFamily familyOf(SocketAddress address) {
        Objects.requireNonNull(address, "address must not be null");
        if (address instanceof InetSocketAddress inet) {
            if (inet.isUnresolved()) {
                throw new IllegalArgumentException("address " + inet + " is unresolved: resolve the host first");
            }
            return inet.getAddress() instanceof Inet6Address ? AddressFamily.INET6 : AddressFamily.INET;
        }
        if (address instanceof UnixDomainSocketAddress) {
            return AddressFamily.UNIX;
        }
        throw new IllegalArgumentException("unsupported address type " + address.getClass().getName() + " (" + address
                + "): use InetSocketAddress or UnixDomainSocketAddress");
    }

    static InetSocketAddress requireInet(SocketAddress address, String what) {
        if (!(address instanceof InetSocketAddress inet)) {
            throw new IllegalArgumentException(what + " needs an InetSocketAddress (IPv4 or IPv6), got "
                    + (address == null ? "null" : address.getClass().getSimpleName() + " " + address));
        }
        return inet;
    }

    static UnixDomainSocketAddress requireUnix(SocketAddress address, String what) {
        if (!(address instanceof UnixDomainSocketAddress unix)) {
            throw new IllegalArgumentException(what + " needs a UnixDomainSocketAddress, got "
                    + (address == null ? "null" : address.getClass().getSimpleName() + " " + address));
        }
        return unix;
    }

    /** True for the IPv6 wildcard {@code ::}, where a dual-stack socket listens. */
    static boolean isIpv6Wildcard(SocketAddress address) {
        return address instanceof InetSocketAddress inet && inet.getAddress() instanceof Inet6Address
                && inet.getAddress().isAnyLocalAddress();
    }

    /**
     * Stores {@code address} for a socket of {@code family}: an IPv4 address sent from an IPv6 (dual-stack)
     * socket becomes its IPv4-mapped form {@code ::ffff:a.b.c.d}, as the kernel requires.
     */
    static SockAddrStorage store(SocketAddress address, AddressFamily family, AddressLayout layout) {
        if (family == AddressFamily.INET6 && address instanceof InetSocketAddress inet
                && inet.getAddress() instanceof Inet4Address v4) {
            byte[] mapped = new byte[16];
            mapped[10] = (byte) 0xff;
            mapped[11] = (byte) 0xff;
            System.arraycopy(v4.getAddress(), 0, mapped, 12, 4);
            return SockAddrStorage.allocate(layout).setInet6(mapped, inet.getPort(), 0, 0);
        }
        return SockAddrStorage.of(address, layout);
    }

    /** The JDK form of an address the kernel wrote, or null when it wrote none (the caller asks getpeername). */
    static SocketAddress toJdk(SockAddrStorage storage) {
        if (storage.isEmpty() || storage.family() == null) {
            return null;
        }
        if (storage.isAbstractUnix()) {
            return null;
        }
        return storage.toSocketAddress();
    }

    /** {@code ::} or {@code 0.0.0.0} on {@code port}. */
    static InetSocketAddress wildcard(AddressFamily family, int port) {
        try {
            byte[] zero = new byte[family == AddressFamily.INET6 ? 16 : 4];
            return new InetSocketAddress(InetAddress.getByAddress(zero), port);
        } catch (java.net.UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }
}
