package io.veloq.spi.internal.xdp;

import io.veloq.api.Capability;
import io.veloq.api.EventLoop;
import io.veloq.api.IoRuntime;
import io.veloq.api.bootstrap.XdpFactory;
import io.veloq.api.xdp.XdpConfig;
import io.veloq.api.xdp.XdpSocket;
import io.veloq.spi.Driver;
import io.veloq.spi.internal.host.LoopHost;
import io.veloq.spi.xdp.XdpDriver;
import io.veloq.spi.xdp.XdpEndpoint;

import java.io.IOException;
import java.util.Objects;

/**
 * The host's {@link XdpFactory}: finds the loop's driver, asks it for its {@link XdpDriver} facet, and
 * wraps the endpoint it opens in a {@link HostXdpSocket}.
 */
public final class HostXdpFactory implements XdpFactory {
    /** For {@link java.util.ServiceLoader}. */
    public HostXdpFactory() {
    }

    @Override
    public XdpSocket open(EventLoop loop, XdpConfig config) throws IOException {
        Objects.requireNonNull(loop, "loop");
        Objects.requireNonNull(config, "config");
        if (loop instanceof IoRuntime rt) {
            loop = rt.loop(0);
        }
        if (!(loop instanceof LoopHost host)) {
            throw new IllegalArgumentException("XdpSocket.open needs a loop of a Veloq runtime, got " + loop.getClass().getName());
        }
        Driver driver = host.driver();
        XdpDriver xdp = driver == null ? null : driver.facet(XdpDriver.class);
        if (!host.capabilities().contains(Capability.XDP) || xdp == null) {
            throw new UnsupportedOperationException("the " + host.driverId() + " driver does not support AF_XDP "
                    + "(Capability.XDP); use the io_uring driver on Linux, or the testkit's fake driver in tests");
        }
        HostXdpSocket owner = null;
        if (config.sharedUmem() != null) {
            if (!(config.sharedUmem() instanceof HostXdpSocket o)) {
                throw new IllegalArgumentException("sharedUmem must be an XdpSocket opened by Veloq");
            }
            if (o.loop() != loop) {
                throw new IllegalArgumentException("sharedUmem: " + o + " belongs to loop " + o.loop().index()
                        + "; sockets sharing a UMEM must be on the same loop (its frames are loop-thread state)");
            }
            if (o.config().iface().equals(config.iface()) && o.config().queue() == config.queue()) {
                // The kernel would bind it (on the owner's fill and completion rings), but the program redirects a
                // queue to one socket: the newcomer would take the queue's packets from the owner.
                throw new IllegalArgumentException("sharedUmem: " + o + " is already bound to queue " + config.queue()
                        + " of " + config.iface() + ", and Veloq's XDP program steers each receive queue to one socket, "
                        + "so a second socket there would never share its packets; bind it to another queue (veth: "
                        + "`ip link add ... numrxqueues N`) or another interface");
            }
            owner = o;
        }
        XdpEndpoint ep = xdp.open(config, owner == null ? null : owner.endpoint());
        try {
            return new HostXdpSocket(loop, owner == null ? config : withUmemOf(config, owner.config()), ep, owner);
        } catch (RuntimeException | Error e) {
            ep.close();
            throw e;
        }
    }

    private static XdpConfig withUmemOf(XdpConfig c, XdpConfig owner) {
        return new XdpConfig(c.iface(), c.queue(), owner.frameSize(), owner.frameCount(), owner.headroom(),
                c.fillRingSize(), c.completionRingSize(), c.rxRingSize(), c.txRingSize(), c.mode(), c.attach(),
                c.udpPort(), c.needWakeup(), c.busyPoll(), c.sharedUmem());
    }
}
