package io.veloq.api.xdp;

import io.veloq.api.bootstrap.ApiAccess;
import io.veloq.api.buffer.FixedBuf;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Ethernet + IPv4/IPv6 + UDP frames in {@link FixedBuf}s, read and written in place, without allocating:
 * the header work an AF_XDP program does around its payload. A frame is the buffer's readable bytes, as
 * {@link XdpSocket#receive} hands them out. No VLAN tags, no IPv6 extension headers, no IPv4 fragments:
 * such frames are not UDP here.
 *
 * <pre>{@code
 * int n = xsk.receive(batch, 0, batch.length);
 * for (int i = 0; i < n; i++) {
 *     if (!UdpFrame.reflect(batch[i])) { xsk.free(batch[i]); ... }   // swap addresses and ports, fix checksums
 * }
 * }</pre>
 *
 * @since 0.2
 */
public final class UdpFrame {
    /** Ethernet header bytes. */
    public static final int ETH_HEADER = 14;
    /** Ethernet + IPv4 (no options) + UDP header bytes: where an IPv4 datagram's payload starts. */
    public static final int IPV4_UDP_HEADERS = 42;
    private static final int ETHERTYPE_IPV4 = 0x0800;
    private static final int ETHERTYPE_IPV6 = 0x86DD;
    private static final int UDP = 17;
    private static final boolean LITTLE_ENDIAN = ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN;
    private static final ApiAccess.Bufs BUFS = ApiAccess.bufs();

    private UdpFrame() {
    }

    /**
     * Offset (from the reader index) of the UDP header, or -1 when the frame is not a whole UDP datagram
     * over IPv4 or IPv6.
     */
    public static int udpOffset(FixedBuf f) {
        int r = f.readerIndex();
        return udpOffset(BUFS.memory(f), r, f.writerIndex() - r);
    }

    /** {@link #udpOffset(FixedBuf)} on the frame's memory (native order), its {@code len} bytes from {@code r}. */
    private static int udpOffset(ByteBuffer m, int r, int len) {
        if (len < ETH_HEADER + 20 + 8) {
            return -1;
        }
        int type = u16(m, r + 12);
        if (type == ETHERTYPE_IPV4) {
            int vihl = m.get(r + ETH_HEADER) & 0xff;
            int ihl = (vihl & 0x0f) * 4;
            if (vihl >>> 4 != 4 || ihl < 20 || (m.get(r + ETH_HEADER + 9) & 0xff) != UDP
                    || (u16(m, r + ETH_HEADER + 6) & 0x3fff) != 0 || len < ETH_HEADER + ihl + 8) {
                return -1;
            }
            return ETH_HEADER + ihl;
        }
        if (type == ETHERTYPE_IPV6 && len >= ETH_HEADER + 40 + 8 && (m.get(r + ETH_HEADER + 6) & 0xff) == UDP) {
            return ETH_HEADER + 40;
        }
        return -1;
    }

    /** The destination port of a UDP frame, or -1 when it is not one. */
    public static int destinationPort(FixedBuf f) {
        int u = udpOffset(f);
        return u < 0 ? -1 : f.getUnsignedShort(f.readerIndex() + u + 2);
    }

    /**
     * Turns a received UDP frame into its reply in place: swaps the MAC addresses, the IP addresses and the
     * ports. Returns false, touching nothing, when the frame is not UDP.
     *
     * <p>Checksums: a one's-complement sum does not change when the words it covers are swapped among
     * themselves, so the IPv4 header checksum and a complete UDP checksum stay right as they are (RFC 1624's
     * incremental update with a zero difference): nothing is summed per packet. The one exception is a
     * <em>partial</em> UDP checksum, which a sender with checksum offload leaves for the NIC to finish (on veth,
     * every datagram from the kernel's stack): the field then holds the pseudo-header's sum alone, which is
     * checked in a few additions, and only then is the checksum computed over the whole datagram.
     */
    public static boolean reflect(FixedBuf f) {
        int r = f.readerIndex(); // checks the frame is usable (leased, not the kernel's)
        int len = f.writerIndex() - r;
        ByteBuffer m = BUFS.memory(f);
        int u = udpOffset(m, r, len);
        if (u < 0) {
            return false;
        }
        // MACs: 6 bytes each, as an int and a short; byte order does not matter for a swap.
        int dst4 = m.getInt(r);
        short dst2 = m.getShort(r + 4);
        m.putInt(r, m.getInt(r + 6));
        m.putShort(r + 4, m.getShort(r + 10));
        m.putInt(r + 6, dst4);
        m.putShort(r + 10, dst2);
        int ip = r + ETH_HEADER;
        boolean v4 = u16(m, r + 12) == ETHERTYPE_IPV4;
        if (v4) {
            int src = m.getInt(ip + 12);
            m.putInt(ip + 12, m.getInt(ip + 16));
            m.putInt(ip + 16, src);
        } else {
            swap8(m, ip + 8, ip + 24);
            swap8(m, ip + 16, ip + 32);
        }
        int udp = r + u;
        // The two ports as one 32-bit word: swapping its halves is a 16-bit rotation in either byte order.
        m.putInt(udp, Integer.rotateLeft(m.getInt(udp), 16));
        int check = u16(m, udp + 6);
        if (check == 0 && v4) {
            return true; // IPv4 UDP without a checksum stays so
        }
        if (fold(pseudoHeaderSum(m, r, u, v4)) == check) {
            writeUdpChecksum(m, r, u, len, v4); // a partial checksum: finish it
        }
        return true;
    }

    private static void swap8(ByteBuffer m, int a, int b) {
        long x = m.getLong(a);
        m.putLong(a, m.getLong(b));
        m.putLong(b, x);
    }

    /**
     * Writes a whole IPv4 UDP frame carrying {@code payload[off, off+len)} at the writer index, checksums
     * included. Addresses are 4-byte IPv4 addresses as ints, big-endian ({@code 10.0.0.1 = 0x0a000001}).
     */
    public static FixedBuf writeIpv4(FixedBuf f, byte[] dstMac, byte[] srcMac, int srcIp, int dstIp, int srcPort,
                                     int dstPort, byte[] payload, int off, int len) {
        int start = f.writerIndex();
        f.put(dstMac, 0, 6).put(srcMac, 0, 6);
        int b = start;
        f.putByte(0).putByte(0); // ethertype, set below
        f.setShort(b + 12, ETHERTYPE_IPV4);
        int ip = b + ETH_HEADER;
        for (int i = 0; i < 28; i++) {
            f.putByte(0);
        }
        f.setByte(ip, 0x45);
        f.setShort(ip + 2, 20 + 8 + len);
        f.setShort(ip + 6, 0x4000); // don't fragment
        f.setByte(ip + 8, 64);
        f.setByte(ip + 9, UDP);
        f.setInt(ip + 12, srcIp);
        f.setInt(ip + 16, dstIp);
        int udp = ip + 20;
        f.setShort(udp, srcPort);
        f.setShort(udp + 2, dstPort);
        f.setShort(udp + 4, 8 + len);
        f.put(payload, off, len);
        int saved = f.readerIndex();
        f.readerIndex(start);
        writeChecksums(f, ETH_HEADER + 20);
        f.readerIndex(saved);
        return f;
    }

    /** True when the frame is UDP and its IPv4 header checksum and UDP checksum (if not 0 on IPv4) are right. */
    public static boolean checksumsValid(FixedBuf f) {
        int r = f.readerIndex();
        int len = f.writerIndex() - r;
        ByteBuffer m = BUFS.memory(f);
        int u = udpOffset(m, r, len);
        if (u < 0) {
            return false;
        }
        boolean v4 = u16(m, r + 12) == ETHERTYPE_IPV4;
        if (v4 && fold(sum(m, r + ETH_HEADER, u - ETH_HEADER, 0)) != 0xffff) {
            return false;
        }
        if (v4 && u16(m, r + u + 6) == 0) {
            return true;
        }
        return fold(udpSum(m, r, u, len, v4)) == 0xffff;
    }

    /** Computes both checksums of a new IPv4 UDP frame. */
    private static void writeChecksums(FixedBuf f, int u) {
        int r = f.readerIndex();
        int len = f.writerIndex() - r;
        ByteBuffer m = BUFS.memory(f);
        int ip = r + ETH_HEADER;
        m.putShort(ip + 10, (short) 0);
        putU16(m, ip + 10, ~fold(sum(m, ip, u - ETH_HEADER, 0)) & 0xffff);
        writeUdpChecksum(m, r, u, len, true);
    }

    private static void writeUdpChecksum(ByteBuffer m, int r, int u, int len, boolean v4) {
        m.putShort(r + u + 6, (short) 0);
        int c = ~fold(udpSum(m, r, u, len, v4)) & 0xffff;
        putU16(m, r + u + 6, c == 0 ? 0xffff : c);
    }

    /** The one's-complement sum of the pseudo-header: addresses, protocol, UDP length. */
    private static long pseudoHeaderSum(ByteBuffer m, int r, int u, boolean v4) {
        long s = v4 ? sum(m, r + ETH_HEADER + 12, 8, 0) : sum(m, r + ETH_HEADER + 8, 32, 0);
        return s + UDP + u16(m, r + u + 4);
    }

    /** The one's-complement sum of the pseudo-header, the UDP header and the payload. */
    private static long udpSum(ByteBuffer m, int r, int u, int len, boolean v4) {
        int n = Math.min(u16(m, r + u + 4), len - u);
        return sum(m, r + u, n, pseudoHeaderSum(m, r, u, v4));
    }

    /**
     * Adds {@code len} bytes from {@code at} as big-endian 16-bit words to {@code s}. Reads 32 bits at a time:
     * the words of a native-order int are big-endian words with their bytes swapped, and a one's-complement sum
     * of byte-swapped words is the byte-swapped sum (RFC 1071, "byte order independence").
     */
    private static long sum(ByteBuffer m, int at, int len, long s) {
        int i = 0;
        if (LITTLE_ENDIAN) {
            long w = 0;
            for (; i + 3 < len; i += 4) {
                w += m.getInt(at + i) & 0xffffffffL;
            }
            int folded = fold(w);
            s += ((folded & 0xff) << 8) | (folded >>> 8);
        } else {
            for (; i + 3 < len; i += 4) {
                s += m.getInt(at + i) & 0xffffffffL;
            }
        }
        if (i + 1 < len) {
            s += u16(m, at + i);
            i += 2;
        }
        if (i < len) {
            s += (m.get(at + i) & 0xff) << 8;
        }
        return s;
    }

    private static int fold(long s) {
        while ((s >>> 16) != 0) {
            s = (s & 0xffff) + (s >>> 16);
        }
        return (int) s;
    }

    /** A big-endian 16-bit value from native-order memory. */
    private static int u16(ByteBuffer m, int at) {
        short v = m.getShort(at);
        return Short.toUnsignedInt(LITTLE_ENDIAN ? Short.reverseBytes(v) : v);
    }

    private static void putU16(ByteBuffer m, int at, int v) {
        short s = (short) v;
        m.putShort(at, LITTLE_ENDIAN ? Short.reverseBytes(s) : s);
    }

}
