package io.veloq.api.xdp;

import io.veloq.api.buffer.FixedBuf;

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

    private UdpFrame() {
    }

    /**
     * Offset (from the reader index) of the UDP header, or -1 when the frame is not a whole UDP datagram
     * over IPv4 or IPv6.
     */
    public static int udpOffset(FixedBuf f) {
        int r = f.readerIndex();
        int len = f.readableBytes();
        if (len < ETH_HEADER + 20 + 8) {
            return -1;
        }
        int type = f.getUnsignedShort(r + 12);
        if (type == ETHERTYPE_IPV4) {
            int vihl = f.getByte(r + ETH_HEADER) & 0xff;
            int ihl = (vihl & 0x0f) * 4;
            if (vihl >>> 4 != 4 || ihl < 20 || (f.getByte(r + ETH_HEADER + 9) & 0xff) != UDP
                    || (f.getUnsignedShort(r + ETH_HEADER + 6) & 0x3fff) != 0 || len < ETH_HEADER + ihl + 8) {
                return -1;
            }
            return ETH_HEADER + ihl;
        }
        if (type == ETHERTYPE_IPV6 && len >= ETH_HEADER + 40 + 8 && (f.getByte(r + ETH_HEADER + 6) & 0xff) == UDP) {
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
     * ports, and recomputes the IPv4 header checksum and the UDP checksum (which a sender with checksum
     * offload may have left partial). Returns false, touching nothing, when the frame is not UDP.
     */
    public static boolean reflect(FixedBuf f) {
        int u = udpOffset(f);
        if (u < 0) {
            return false;
        }
        int r = f.readerIndex();
        swap(f, r, r + 6, 6);
        boolean v4 = f.getUnsignedShort(r + 12) == ETHERTYPE_IPV4;
        if (v4) {
            swap(f, r + ETH_HEADER + 12, r + ETH_HEADER + 16, 4);
        } else {
            swap(f, r + ETH_HEADER + 8, r + ETH_HEADER + 24, 16);
        }
        swap(f, r + u, r + u + 2, 2);
        fixChecksums(f, u, v4);
        return true;
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
        fixChecksums(f, ETH_HEADER + 20, true);
        f.readerIndex(saved);
        return f;
    }

    /** True when the frame is UDP and its IPv4 header checksum and UDP checksum (if not 0 on IPv4) are right. */
    public static boolean checksumsValid(FixedBuf f) {
        int u = udpOffset(f);
        if (u < 0) {
            return false;
        }
        int r = f.readerIndex();
        boolean v4 = f.getUnsignedShort(r + 12) == ETHERTYPE_IPV4;
        if (v4 && fold(sum(f, r + ETH_HEADER, u - ETH_HEADER, 0)) != 0xffff) {
            return false;
        }
        if (v4 && f.getUnsignedShort(r + u + 6) == 0) {
            return true;
        }
        return fold(udpSum(f, r, u, v4)) == 0xffff;
    }

    private static void fixChecksums(FixedBuf f, int u, boolean v4) {
        int r = f.readerIndex();
        if (v4) {
            int ip = r + ETH_HEADER;
            f.setShort(ip + 10, 0);
            f.setShort(ip + 10, ~fold(sum(f, ip, u - ETH_HEADER, 0)) & 0xffff);
            if (f.getUnsignedShort(r + u + 6) == 0) {
                return; // IPv4 UDP without a checksum stays so
            }
        }
        f.setShort(r + u + 6, 0);
        int c = ~fold(udpSum(f, r, u, v4)) & 0xffff;
        f.setShort(r + u + 6, c == 0 ? 0xffff : c);
    }

    /** The one's-complement sum of the pseudo-header, the UDP header and the payload. */
    private static long udpSum(FixedBuf f, int r, int u, boolean v4) {
        int udpLen = f.getUnsignedShort(r + u + 4);
        int avail = f.readableBytes() - u;
        int n = Math.min(udpLen, avail);
        long s = v4 ? sum(f, r + ETH_HEADER + 12, 8, 0) : sum(f, r + ETH_HEADER + 8, 32, 0);
        s += UDP + udpLen;
        return sum(f, r + u, n, s);
    }

    private static long sum(FixedBuf f, int at, int len, long s) {
        int i = 0;
        for (; i + 1 < len; i += 2) {
            s += f.getUnsignedShort(at + i);
        }
        if (i < len) {
            s += (f.getByte(at + i) & 0xff) << 8;
        }
        return s;
    }

    private static int fold(long s) {
        while ((s >>> 16) != 0) {
            s = (s & 0xffff) + (s >>> 16);
        }
        return (int) s;
    }

    private static void swap(FixedBuf f, int a, int b, int len) {
        for (int i = 0; i < len; i++) {
            byte x = f.getByte(a + i);
            f.setByte(a + i, f.getByte(b + i));
            f.setByte(b + i, x);
        }
    }
}
