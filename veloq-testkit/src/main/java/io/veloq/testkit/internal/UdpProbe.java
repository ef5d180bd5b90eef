package io.veloq.testkit.internal;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * A plain-JDK UDP client that {@link io.veloq.testkit.VethPair} starts inside the peer's network namespace
 * ({@code ip netns exec NS java -cp ... UdpProbe ...}): it sends {@code count} datagrams with seeded
 * payloads (the first four bytes are the index), then collects replies until it has them all or the
 * timeout passes, checking each reply's source and every byte. Output, one line each:
 * {@code REPLY <index> <length> OK|BAD <why>}, then {@code SUMMARY sent=N received=M bad=K}.
 *
 * <pre>{@code java -cp testkit.jar io.veloq.testkit.internal.UdpProbe 10.0.0.2 0 10.0.0.1 9000 100 64 42 5000 0}</pre>
 */
public final class UdpProbe {
    private UdpProbe() {
    }

    /**
     * Args: bindAddr bindPort dstAddr dstPort count size seed timeoutMillis window. With a window of N, at most N
     * datagrams are unanswered at a time: after every N sends it waits (up to the timeout) for their replies, so
     * a reflector that a busy machine schedules late is waited for instead of overrun. Window 0 sends all, then
     * waits. A window whose replies do not all come back within the timeout ends the exchange.
     */
    public static void main(String[] args) throws Exception {
        InetAddress bind = InetAddress.getByName(args[0]);
        int bindPort = Integer.parseInt(args[1]);
        InetSocketAddress dst = new InetSocketAddress(InetAddress.getByName(args[2]), Integer.parseInt(args[3]));
        int count = Integer.parseInt(args[4]);
        int size = Integer.parseInt(args[5]);
        long seed = Long.parseLong(args[6]);
        long timeoutMillis = Long.parseLong(args[7]);
        int window = Integer.parseInt(args[8]);
        byte[][] sent = new byte[count][];
        int[] tally = new int[2]; // received intact, bad
        boolean[] seen = new boolean[count];
        try (DatagramSocket s = new DatagramSocket(new InetSocketAddress(bind, bindPort))) {
            s.setReceiveBufferSize(4 << 20);
            int next = 0;
            while (next < count) {
                int end = window > 0 ? Math.min(count, next + window) : count;
                for (; next < end; next++) {
                    sent[next] = payload(seed, next, size);
                    s.send(new DatagramPacket(sent[next], size, dst));
                }
                if (!awaitReplies(s, dst, sent, seen, size, tally, next, timeoutMillis)) {
                    break;
                }
            }
        }
        System.out.println("SUMMARY sent=" + count + " received=" + tally[0] + " bad=" + tally[1]);
    }

    /** Receives until {@code upTo} datagrams came back intact or {@code timeoutMillis} pass; false on timeout. */
    private static boolean awaitReplies(DatagramSocket s, InetSocketAddress dst, byte[][] sent, boolean[] seen, int size,
                                        int[] tally, int upTo, long timeoutMillis) throws java.io.IOException {
        long deadline = System.nanoTime() + timeoutMillis * 1_000_000L;
        byte[] buf = new byte[65536];
        while (tally[0] < upTo) {
            long left = (deadline - System.nanoTime()) / 1_000_000L;
            if (left <= 0) {
                return false;
            }
            s.setSoTimeout((int) Math.max(1, left));
            DatagramPacket p = new DatagramPacket(buf, buf.length);
            try {
                s.receive(p);
            } catch (SocketTimeoutException e) {
                return false;
            }
            int idx = p.getLength() >= 4 ? ((buf[0] & 0xff) << 24 | (buf[1] & 0xff) << 16 | (buf[2] & 0xff) << 8 | (buf[3] & 0xff)) : -1;
            String why = null;
            if (!p.getSocketAddress().equals(dst)) {
                why = "from " + p.getSocketAddress() + " instead of " + dst;
            } else if (idx < 0 || idx >= sent.length || sent[idx] == null) {
                why = "unknown index " + idx;
            } else if (seen[idx]) {
                why = "duplicate";
            } else if (!Arrays.equals(sent[idx], 0, size, buf, 0, p.getLength())) {
                why = "payload differs (" + p.getLength() + " bytes)";
            }
            if (why == null) {
                seen[idx] = true;
                tally[0]++;
                System.out.println("REPLY " + idx + " " + p.getLength() + " OK");
            } else {
                tally[1]++;
                System.out.println("REPLY " + idx + " " + p.getLength() + " BAD " + why);
            }
        }
        return true;
    }

    /** Payload {@code i}: its index big-endian, then seeded bytes. */
    public static byte[] payload(long seed, int i, int size) {
        byte[] b = new byte[size];
        new SplittableRandom(seed * 1_000_003L + i).nextBytes(b);
        if (size >= 4) {
            b[0] = (byte) (i >>> 24);
            b[1] = (byte) (i >>> 16);
            b[2] = (byte) (i >>> 8);
            b[3] = (byte) i;
        }
        return b;
    }
}
