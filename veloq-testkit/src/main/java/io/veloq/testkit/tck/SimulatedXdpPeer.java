package io.veloq.testkit.tck;

import io.veloq.api.buffer.BufPool;
import io.veloq.api.buffer.FixedBuf;
import io.veloq.api.xdp.UdpFrame;
import io.veloq.testkit.SimulatedXdp;
import io.veloq.testkit.VethPair;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * {@link XdpPeer} over the fake driver: frames are built with {@link UdpFrame}, delivered to queue 0, and
 * the transmitted ones checked the way the veth peer's kernel would (checksums, addresses, payload).
 */
final class SimulatedXdpPeer implements XdpPeer {
    private static final byte[] LOCAL_MAC = {0x02, 0, 0, 0, 0, 1};
    private static final byte[] PEER_MAC = {0x02, 0, 0, 0, 0, 2};
    private static final int LOCAL_IP = 0x0a_d5_00_01;
    private static final int PEER_IP = 0x0a_d5_00_02;
    private final SimulatedXdp net;
    private final String iface;
    private final BufPool scratch = BufPool.allocate(4096, 1);

    SimulatedXdpPeer(SimulatedXdp net, String iface) {
        this.net = net;
        this.iface = iface;
        net.addInterface(iface, 1);
    }

    @Override
    public String iface() {
        return iface;
    }

    @Override
    public byte[] localMac() {
        return LOCAL_MAC.clone();
    }

    @Override
    public byte[] peerMac() {
        return PEER_MAC.clone();
    }

    @Override
    public int localIp() {
        return LOCAL_IP;
    }

    @Override
    public int peerIp() {
        return PEER_IP;
    }

    @Override
    public int exchange(int srcPort, int dstPort, int count, int size, long seed, Duration timeout) {
        net.takeTransmitted(iface);
        FixedBuf f = scratch.lease();
        long deadline = System.nanoTime() + timeout.toNanos();
        try {
            for (int i = 0; i < count; i++) {
                byte[] p = VethPair.payload(seed, i, size);
                f.clear();
                UdpFrame.writeIpv4(f, LOCAL_MAC, PEER_MAC, PEER_IP, LOCAL_IP, srcPort, dstPort, p, 0, size);
                deliverPaced(f.getBytes(), deadline);
            }
            List<byte[]> back = new ArrayList<>();
            while (back.size() < count && System.nanoTime() - deadline < 0) {
                back.addAll(net.takeTransmitted(iface));
                if (back.size() < count) {
                    Thread.sleep(2);
                }
            }
            int intact = 0;
            boolean[] seen = new boolean[count];
            for (byte[] frame : back) {
                f.clear().put(frame);
                int u = UdpFrame.udpOffset(f);
                if (u < 0 || !UdpFrame.checksumsValid(f) || f.getInt(14 + 12) != LOCAL_IP || f.getInt(14 + 16) != PEER_IP
                        || f.getUnsignedShort(u) != dstPort || f.getUnsignedShort(u + 2) != srcPort) {
                    return -1;
                }
                int idx = f.getInt(u + 8);
                if (idx < 0 || idx >= count || seen[idx]) {
                    return -1;
                }
                byte[] want = VethPair.payload(seed, idx, size);
                for (int i = 0; i < size; i++) {
                    if (f.getByte(u + 8 + i) != want[i]) {
                        return -1;
                    }
                }
                seen[idx] = true;
                intact++;
            }
            return intact;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        } finally {
            f.release();
        }
    }

    /**
     * Delivers one frame the way a paced sender would: while the socket's rings have no room (the reflector on
     * the loop thread is behind, e.g. on a busy machine), wait and send again, so the rule checks reflection, not
     * the machine's speed. The rules about drops deliver with {@link SimulatedXdp#deliver} directly.
     */
    private void deliverPaced(byte[] frame, long deadline) throws InterruptedException {
        SimulatedXdp.Delivery d;
        while ((d = net.deliver(iface, 0, frame)) == SimulatedXdp.Delivery.DROPPED_FILL_RING_EMPTY
                || d == SimulatedXdp.Delivery.DROPPED_RX_RING_FULL) {
            if (System.nanoTime() - deadline >= 0) {
                return;
            }
            Thread.sleep(1);
        }
    }

    @Override
    public boolean programAttached() {
        return net.programAttached(iface);
    }

    @Override
    public void close() {
        scratch.close();
    }
}
