package io.veloq.testkit.tck;

import io.veloq.testkit.VethPair;

import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.time.Duration;

/** {@link XdpPeer} over a {@link VethPair}: the peer is a JDK {@code DatagramSocket} in the namespace. */
final class VethXdpPeer implements XdpPeer {
    private final VethPair veth;

    VethXdpPeer(VethPair veth) {
        this.veth = veth;
    }

    @Override
    public String iface() {
        return veth.hostIface();
    }

    static byte[] mac(String s) {
        byte[] b = new byte[6];
        String[] p = s.split(":");
        for (int i = 0; i < 6; i++) {
            b[i] = (byte) Integer.parseInt(p[i], 16);
        }
        return b;
    }

    private static int ip(InetAddress a) {
        return ByteBuffer.wrap(a.getAddress()).getInt();
    }

    @Override
    public byte[] localMac() {
        return mac(veth.hostMac());
    }

    @Override
    public byte[] peerMac() {
        return mac(veth.peerMac());
    }

    @Override
    public int localIp() {
        return ip(veth.hostAddress());
    }

    @Override
    public int peerIp() {
        return ip(veth.peerAddress());
    }

    @Override
    public int exchange(int srcPort, int dstPort, int count, int size, long seed, Duration timeout) {
        // At most 32 unanswered (the rules' rings hold 64): a reflector a busy machine runs late is waited for.
        VethPair.Exchange e = veth.udpExchange(srcPort, dstPort, count, size, seed, timeout, 32);
        return e.bad() == 0 ? e.received() : -e.bad();
    }

    @Override
    public boolean programAttached() {
        return veth.hostLinkDetails().contains("prog/xdp");
    }

    @Override
    public void close() {
        veth.close();
    }
}
