package io.veloq.driver.iocp.sim;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;

/**
 * Windows sockaddr_in / sockaddr_in6 (AF_INET = 2, AF_INET6 = 23, port big-endian) to and from JDK
 * addresses, as the simulated Winsock reads and writes them in the caller's memory.
 */
final class SimAddresses {
    static final int AF_INET = 2;
    static final int AF_INET6 = 23;

    private SimAddresses() {
    }

    static int length(int family) {
        return family == AF_INET6 ? 28 : 16;
    }

    /** Reads a sockaddr of the socket's family; throws {@link SimError} with the Winsock code if it is wrong. */
    static InetSocketAddress read(long address, int length, int family) {
        if (address == 0 || length < 2) {
            throw new SimError(10014); // WSAEFAULT
        }
        ByteBuffer b = SimMemory.view(address, length);
        int f = Short.toUnsignedInt(b.getShort(0));
        if (f != family) {
            throw new SimError(f == AF_INET || f == AF_INET6 ? 10047 : 10047); // WSAEAFNOSUPPORT
        }
        if (length < length(f)) {
            throw new SimError(10014); // WSAEFAULT: namelen too small
        }
        int port = ((b.get(2) & 0xff) << 8) | (b.get(3) & 0xff);
        try {
            if (f == AF_INET) {
                byte[] a = new byte[4];
                b.get(4, a);
                return new InetSocketAddress(InetAddress.getByAddress(a), port);
            }
            byte[] a = new byte[16];
            b.get(8, a);
            int scope = b.getInt(24);
            InetAddress ip = scope != 0 ? Inet6Address.getByAddress(null, a, scope) : InetAddress.getByAddress(a);
            return new InetSocketAddress(ip, port);
        } catch (UnknownHostException e) {
            throw new SimError(10014);
        }
    }

    /** The Windows bytes of {@code a} for a socket of {@code family} (IPv4 on an IPv6 socket: v4-mapped). */
    static byte[] encode(InetSocketAddress a, int family) {
        ByteBuffer b = ByteBuffer.allocate(length(family)).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        b.putShort(0, (short) family);
        b.put(2, (byte) (a.getPort() >>> 8));
        b.put(3, (byte) a.getPort());
        InetAddress ip = a.getAddress();
        if (family == AF_INET) {
            b.put(4, ip.getAddress());
        } else {
            byte[] v6;
            if (ip instanceof Inet4Address) {
                v6 = new byte[16];
                v6[10] = (byte) 0xff;
                v6[11] = (byte) 0xff;
                System.arraycopy(ip.getAddress(), 0, v6, 12, 4);
            } else {
                v6 = ip.getAddress();
                b.putInt(24, ((Inet6Address) ip).getScopeId());
            }
            b.put(8, v6);
        }
        return b.array();
    }

    /**
     * Writes {@code a} to {@code address} with the int length at {@code lengthAddress} (in: capacity, out:
     * length), as getsockname does; throws WSAEFAULT when it does not fit.
     */
    static void write(InetSocketAddress a, int family, long address, long lengthAddress) {
        byte[] bytes = encode(a, family);
        int capacity = SimMemory.getInt(lengthAddress);
        if (capacity < bytes.length) {
            throw new SimError(10014);
        }
        SimMemory.put(address, bytes);
        SimMemory.putInt(lengthAddress, bytes.length);
    }
}
