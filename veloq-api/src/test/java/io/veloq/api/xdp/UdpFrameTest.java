package io.veloq.api.xdp;

import io.veloq.api.buffer.BufPool;
import io.veloq.api.buffer.FixedBuf;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link UdpFrame} against an independent byte-by-byte checksum (RFC 768/1071 as written): reflection swaps
 * what it must, leaves complete checksums alone (they stay right), finishes partial ones, and refuses what is
 * not UDP.
 */
class UdpFrameTest {
    private static final byte[] MAC_A = {0x02, 0x11, 0x22, 0x33, 0x44, 0x55};
    private static final byte[] MAC_B = {0x02, (byte) 0xaa, (byte) 0xbb, (byte) 0xcc, (byte) 0xdd, (byte) 0xee};
    private final BufPool pool = BufPool.allocate(2048, 4);

    @AfterEach
    void close() {
        pool.close();
    }

    private FixedBuf frame(byte[] bytes, int at) {
        FixedBuf f = pool.lease();
        f.writerIndex(at).readerIndex(at);
        f.put(bytes);
        return f;
    }

    private static byte[] ipv4(int payloadLen, long seed) {
        byte[] payload = new byte[payloadLen];
        new Random(seed).nextBytes(payload);
        try (BufPool p = BufPool.allocate(2048, 1)) {
            FixedBuf f = p.lease();
            UdpFrame.writeIpv4(f, MAC_B, MAC_A, 0x0a000002, 0xc0a80101, 40000, 9000, payload, 0, payloadLen);
            byte[] b = f.getBytes();
            f.release();
            return b;
        }
    }

    /** An IPv6 UDP frame with a correct checksum, built byte by byte. */
    private static byte[] ipv6(int payloadLen, long seed) {
        byte[] b = new byte[14 + 40 + 8 + payloadLen];
        System.arraycopy(MAC_B, 0, b, 0, 6);
        System.arraycopy(MAC_A, 0, b, 6, 6);
        b[12] = (byte) 0x86;
        b[13] = (byte) 0xdd;
        b[14] = 0x60;
        put16(b, 18, 8 + payloadLen);
        b[20] = 17;
        b[21] = 64;
        for (int i = 0; i < 16; i++) {
            b[22 + i] = (byte) (0x20 + i);
            b[38 + i] = (byte) (0x90 - i);
        }
        put16(b, 54, 5353);
        put16(b, 56, 9000);
        put16(b, 58, 8 + payloadLen);
        Random r = new Random(seed);
        for (int i = 0; i < payloadLen; i++) {
            b[62 + i] = (byte) r.nextInt();
        }
        put16(b, 60, referenceUdpChecksum(b));
        return b;
    }

    private static void put16(byte[] b, int at, int v) {
        b[at] = (byte) (v >>> 8);
        b[at + 1] = (byte) v;
    }

    private static int get16(byte[] b, int at) {
        return (b[at] & 0xff) << 8 | (b[at + 1] & 0xff);
    }

    /** The UDP checksum the frame should carry, computed the slow, obvious way (checksum field taken as 0). */
    private static int referenceUdpChecksum(byte[] b) {
        boolean v4 = get16(b, 12) == 0x0800;
        int udp = v4 ? 14 + (b[14] & 0x0f) * 4 : 54;
        int udpLen = get16(b, udp + 4);
        byte[] pseudo = v4 ? new byte[12] : new byte[40];
        if (v4) {
            System.arraycopy(b, 26, pseudo, 0, 8);
            pseudo[9] = 17;
            put16(pseudo, 10, udpLen);
        } else {
            System.arraycopy(b, 22, pseudo, 0, 32);
            put16(pseudo, 36, 0);
            put16(pseudo, 34, udpLen);
            pseudo[39] = 17;
        }
        byte[] seg = Arrays.copyOfRange(b, udp, udp + udpLen);
        seg[6] = 0;
        seg[7] = 0;
        long s = 0;
        for (byte[] part : new byte[][] {pseudo, seg}) {
            for (int i = 0; i < part.length; i += 2) {
                s += (part[i] & 0xff) << 8 | (i + 1 < part.length ? part[i + 1] & 0xff : 0);
            }
        }
        while (s >>> 16 != 0) {
            s = (s & 0xffff) + (s >>> 16);
        }
        int c = (int) ~s & 0xffff;
        return c == 0 ? 0xffff : c;
    }

    /** What the kernel leaves in the field under checksum offload: the pseudo-header's folded sum alone. */
    private static int partialChecksum(byte[] b) {
        boolean v4 = get16(b, 12) == 0x0800;
        int udp = v4 ? 34 : 54;
        long s = 17 + get16(b, udp + 4);
        int from = v4 ? 26 : 22;
        int to = v4 ? 34 : 54;
        for (int i = from; i < to; i += 2) {
            s += get16(b, i);
        }
        while (s >>> 16 != 0) {
            s = (s & 0xffff) + (s >>> 16);
        }
        return (int) s;
    }

    private static void assertReflected(byte[] in, byte[] out) {
        assertArrayEquals(Arrays.copyOfRange(in, 0, 6), Arrays.copyOfRange(out, 6, 12), "source MAC = old destination");
        assertArrayEquals(Arrays.copyOfRange(in, 6, 12), Arrays.copyOfRange(out, 0, 6), "destination MAC = old source");
        boolean v4 = get16(in, 12) == 0x0800;
        int a = v4 ? 26 : 22;
        int n = v4 ? 4 : 16;
        assertArrayEquals(Arrays.copyOfRange(in, a, a + n), Arrays.copyOfRange(out, a + n, a + 2 * n), "addresses swapped");
        assertArrayEquals(Arrays.copyOfRange(in, a + n, a + 2 * n), Arrays.copyOfRange(out, a, a + n), "addresses swapped");
        int udp = v4 ? 34 : 54;
        assertEquals(get16(in, udp), get16(out, udp + 2), "ports swapped");
        assertEquals(get16(in, udp + 2), get16(out, udp), "ports swapped");
        assertArrayEquals(Arrays.copyOfRange(in, udp + 4, udp + 6), Arrays.copyOfRange(out, udp + 4, udp + 6));
        assertArrayEquals(Arrays.copyOfRange(in, udp + 8, in.length), Arrays.copyOfRange(out, udp + 8, out.length), "payload untouched");
        assertEquals(referenceUdpChecksum(out), get16(out, udp + 6), "UDP checksum");
    }

    @Test
    void reflectingIpv4SwapsEverythingAndChecksumsStayRightForEveryLength() {
        for (int len = 0; len <= 70; len++) {
            byte[] in = ipv4(len, len);
            assertEquals(referenceUdpChecksum(in), get16(in, 40), "writeIpv4's checksum, payload " + len);
            FixedBuf f = frame(in, 128);
            assertTrue(UdpFrame.checksumsValid(f));
            assertTrue(UdpFrame.reflect(f));
            assertTrue(UdpFrame.checksumsValid(f), "payload " + len);
            byte[] out = f.getBytes();
            assertReflected(in, out);
            assertEquals(get16(in, 24), get16(out, 24), "IPv4 header checksum is the same with the addresses swapped");
            f.release();
        }
    }

    @Test
    void reflectingTwiceGivesTheOriginalBack() {
        byte[] in = ipv4(37, 3);
        FixedBuf f = frame(in, 256);
        assertTrue(UdpFrame.reflect(f));
        assertTrue(UdpFrame.reflect(f));
        assertArrayEquals(in, f.getBytes());
        f.release();
    }

    @Test
    void aPartialIpv4ChecksumIsFinished() {
        for (int len : new int[] {0, 1, 22, 63, 64, 1400}) {
            byte[] in = ipv4(len, 100 + len);
            put16(in, 40, partialChecksum(in));
            FixedBuf f = frame(in, 0);
            assertFalse(UdpFrame.checksumsValid(f), "a partial checksum is not a valid one");
            assertTrue(UdpFrame.reflect(f));
            assertTrue(UdpFrame.checksumsValid(f), "payload " + len);
            assertReflected(in, f.getBytes());
            f.release();
        }
    }

    @Test
    void ipv4WithoutAChecksumStaysWithout() {
        byte[] in = ipv4(20, 5);
        put16(in, 40, 0);
        FixedBuf f = frame(in, 64);
        assertTrue(UdpFrame.reflect(f));
        assertTrue(UdpFrame.checksumsValid(f));
        byte[] out = f.getBytes();
        assertEquals(0, get16(out, 40));
        f.release();
    }

    @Test
    void ipv6CompleteAndPartialChecksums() {
        for (int len : new int[] {0, 7, 64, 333}) {
            byte[] in = ipv6(len, len);
            FixedBuf f = frame(in, 0);
            assertTrue(UdpFrame.checksumsValid(f));
            assertTrue(UdpFrame.reflect(f));
            assertTrue(UdpFrame.checksumsValid(f));
            assertReflected(in, f.getBytes());
            f.release();

            byte[] partial = in.clone();
            put16(partial, 60, partialChecksum(partial));
            FixedBuf p = frame(partial, 10);
            assertTrue(UdpFrame.reflect(p));
            assertTrue(UdpFrame.checksumsValid(p), "partial IPv6 checksum finished, payload " + len);
            assertReflected(partial, p.getBytes());
            p.release();
        }
    }

    @Test
    void notUdpIsRefusedAndLeftUntouched() {
        byte[] tcp = ipv4(30, 9);
        tcp[23] = 6; // protocol TCP
        byte[] fragment = ipv4(30, 9);
        fragment[20] = 0x20; // more fragments
        byte[] shortFrame = Arrays.copyOf(ipv4(30, 9), 40);
        byte[] arp = ipv4(30, 9);
        arp[12] = 0x08;
        arp[13] = 0x06;
        for (byte[] in : new byte[][] {tcp, fragment, shortFrame, arp}) {
            FixedBuf f = frame(in, 0);
            assertEquals(-1, UdpFrame.udpOffset(f));
            assertFalse(UdpFrame.reflect(f));
            assertArrayEquals(in, f.getBytes());
            f.release();
        }
    }

    @Test
    void destinationPortAndOffsets() {
        FixedBuf f = frame(ipv4(8, 1), 300);
        assertEquals(UdpFrame.IPV4_UDP_HEADERS - 8, UdpFrame.udpOffset(f));
        assertEquals(9000, UdpFrame.destinationPort(f));
        f.release();
        FixedBuf g = frame(ipv6(8, 1), 0);
        assertEquals(54, UdpFrame.udpOffset(g));
        assertEquals(9000, UdpFrame.destinationPort(g));
        g.release();
    }
}
