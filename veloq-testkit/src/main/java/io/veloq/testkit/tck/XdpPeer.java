package io.veloq.testkit.tck;

import java.time.Duration;

/**
 * The other end of the link an {@link XdpTck} rule binds its socket to: a veth peer in a network namespace
 * on a real kernel, or the fake driver's simulated interface. Addresses are IPv4 as big-endian ints.
 *
 * <pre>{@code
 * try (XdpPeer peer = XdpPeer.veth()) { int back = peer.exchange(5000, 9000, 10, 64, 1, Duration.ofSeconds(5)); }
 * }</pre>
 *
 * @since 0.2
 */
public interface XdpPeer extends AutoCloseable {
    /** The interface the socket binds to. */
    String iface();

    /** The socket side's MAC. */
    byte[] localMac();

    /** The peer's MAC. */
    byte[] peerMac();

    int localIp();

    int peerIp();

    /**
     * The peer sends {@code count} seeded datagrams of {@code size} bytes from {@code peerIp:srcPort} to
     * {@code localIp:dstPort}, then waits up to {@code timeout} for them to come back from there; returns
     * how many came back intact (every byte, valid checksums, swapped addresses).
     */
    int exchange(int srcPort, int dstPort, int count, int size, long seed, Duration timeout);

    /** Whether an XDP program is attached to {@link #iface()} now. */
    boolean programAttached();

    @Override
    void close();

    /** A veth pair with its peer in a fresh network namespace ({@link io.veloq.testkit.VethPair}); needs root. */
    static XdpPeer veth() {
        return new VethXdpPeer(io.veloq.testkit.VethPair.create());
    }

    /** A simulated interface {@code sim-xdp0} on the fake driver behind {@code loop}. */
    static XdpPeer simulated(io.veloq.api.EventLoop loop) {
        return new SimulatedXdpPeer(io.veloq.testkit.SimulatedXdp.of(loop), "sim-xdp0");
    }
}
