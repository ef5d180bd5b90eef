package io.veloq.testkit;

import io.veloq.api.EventLoop;
import io.veloq.api.IoRuntime;
import io.veloq.spi.Driver;
import io.veloq.spi.internal.host.LoopHost;
import io.veloq.testkit.internal.FakeDriver;
import io.veloq.testkit.internal.FakeXdpNetwork;

import java.util.List;
import java.util.Objects;

/**
 * The kernel side of AF_XDP in the fake driver, for unit tests of packet code: declare interfaces, deliver
 * frames to a queue (the XDP program redirects them to the bound {@link io.veloq.api.xdp.XdpSocket}, or
 * passes them to the stack), and take what the socket transmitted. The simulated kernel keeps the real
 * ring protocol and counters: a frame that finds the fill ring empty or the RX ring full is dropped and
 * counted, a kick sends the TX ring until the completion ring is full, and readiness fires on the loop
 * thread like a poll. Deterministic: nothing moves unless the test delivers or the code kicks.
 *
 * <pre>{@code
 * try (IoRuntime rt = IoRuntime.builder().driver("fake").open()) {
 *     SimulatedXdp net = SimulatedXdp.of(rt).addInterface("sim0", 1);
 *     XdpSocket xsk = XdpSocket.open(rt.loop(), XdpConfig.builder("sim0").udpPort(9000).build());
 *     ... start your packet code on the loop ...
 *     assertEquals(Delivery.RECEIVED, net.deliver("sim0", 0, udpFrame));
 *     List<byte[]> out = net.takeTransmitted("sim0");
 * }
 * }</pre>
 *
 * The same errors as on Linux, each from the same check: an unknown interface ({@code ENODEV}), a queue it
 * lacks ({@code EINVAL}), zero-copy on an interface declared without it ({@code EOPNOTSUPP}), another
 * program attached ({@code EBUSY}), no privilege ({@link #privileged}: {@code EPERM}), a UMEM above
 * {@link #memlockLimit} ({@code ENOBUFS}).
 *
 * @since 0.2
 */
public final class SimulatedXdp {
    /** What the simulated kernel did with a delivered frame. */
    public enum Delivery {
        /** Copied into a frame from the fill ring and posted to the RX ring. */
        RECEIVED,
        /** No socket on that queue, or the program's UDP port did not match: the stack got it. */
        PASSED_TO_STACK,
        /** The fill ring was empty: dropped and counted ({@code fillRingEmpty}, {@code rxDropped}). */
        DROPPED_FILL_RING_EMPTY,
        /** The RX ring was full: dropped and counted ({@code rxRingFull}, {@code rxDropped}). */
        DROPPED_RX_RING_FULL,
        /** Longer than a frame minus the headroom: dropped and counted ({@code rxDropped}). */
        DROPPED_TOO_LONG
    }

    private final FakeXdpNetwork network;

    private SimulatedXdp(FakeXdpNetwork network) {
        this.network = network;
    }

    /** The simulated AF_XDP kernel of a runtime on the fake driver (its loops share one simulated network). */
    public static SimulatedXdp of(IoRuntime rt) {
        Objects.requireNonNull(rt, "rt");
        return of(rt.loop(0));
    }

    /** The simulated AF_XDP kernel behind {@code loop}, a loop on the fake driver. */
    public static SimulatedXdp of(EventLoop loop) {
        Objects.requireNonNull(loop, "loop");
        EventLoop l = loop;
        Driver d = l instanceof LoopHost h ? h.driver() : null;
        if (!(d instanceof FakeDriver fake)) {
            throw new IllegalArgumentException("SimulatedXdp needs a loop on the fake driver, got driver "
                    + l.driverId() + "; open it with IoRuntime.builder().driver(\"fake\")");
        }
        return new SimulatedXdp(fake.kernel().xdp);
    }

    /** The simulated AF_XDP kernel of a {@link Simulation}. */
    public static SimulatedXdp of(Simulation sim) {
        return of(sim.runtime());
    }

    /** Declares an interface with {@code queues} RX queues, without zero-copy support. */
    public SimulatedXdp addInterface(String name, int queues) {
        return addInterface(name, queues, false);
    }

    /** Declares an interface; {@code zeroCopy} says whether its (simulated) driver supports AF_XDP zero-copy. */
    public SimulatedXdp addInterface(String name, int queues, boolean zeroCopy) {
        if (queues <= 0) {
            throw new IllegalArgumentException("queues must be positive, got " + queues);
        }
        network.addInterface(name, queues, zeroCopy);
        return this;
    }

    /** A frame arrives on {@code iface} queue {@code queue}. Any thread; the socket's loop is woken. */
    public Delivery deliver(String iface, int queue, byte[] frame) {
        return Delivery.valueOf(network.deliver(iface, queue, frame.clone()).name());
    }

    /** The frames transmitted on {@code iface} since the last call, oldest first. */
    public List<byte[]> takeTransmitted(String iface) {
        return network.takeTransmitted(iface);
    }

    /** Whether an XDP program (Veloq's, or one set with {@link #foreignProgram}) is attached to {@code iface}. */
    public boolean programAttached(String iface) {
        return network.programAttached(iface);
    }

    /** Pretends another owner attached an XDP program to {@code iface}, so attaching Veloq's fails with EBUSY. */
    public SimulatedXdp foreignProgram(String iface, boolean attached) {
        network.foreignProgram(iface, attached);
        return this;
    }

    /** Without privilege, opening a socket fails with EPERM naming CAP_NET_RAW. Default: privileged. */
    public SimulatedXdp privileged(boolean yes) {
        network.privileged(yes);
        return this;
    }

    /** RLIMIT_MEMLOCK for the UMEM, in bytes; -1 (the default) is unlimited. */
    public SimulatedXdp memlockLimit(long bytes) {
        network.memlockLimit(bytes);
        return this;
    }
}
