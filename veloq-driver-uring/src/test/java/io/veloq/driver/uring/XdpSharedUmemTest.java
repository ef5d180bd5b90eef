package io.veloq.driver.uring;

import io.veloq.api.IoRuntime;
import io.veloq.api.buffer.FixedBuf;
import io.veloq.api.xdp.UdpFrame;
import io.veloq.api.xdp.XdpAttach;
import io.veloq.api.xdp.XdpConfig;
import io.veloq.api.xdp.XdpSocket;
import io.veloq.testkit.VethPair;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static io.veloq.driver.uring.XdpKernel.onLoop;
import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@code XdpConfig.sharedUmem(owner)} on the real kernel: one UMEM under sockets on two queues of one veth and
 * under sockets on two veth pairs (each with fill and completion rings of its own, Linux 5.10+), every datagram
 * reflected byte for byte through whichever socket received it; and the case Veloq cannot serve, a second
 * socket on the owner's own interface and queue, refused with the reason.
 */
class XdpSharedUmemTest {
    private static final int PORT = 9000;
    private final List<VethPair> veths = new ArrayList<>();
    private final XdpKernel.Capturing provider = new XdpKernel.Capturing();

    private VethPair veth(int queues) {
        assumeTrue(VethPair.missingPrivileges() == null, VethPair.missingPrivileges());
        VethPair v = VethPair.create(queues);
        veths.add(v);
        return v;
    }

    @AfterEach
    void removeVeths() {
        for (VethPair v : veths) {
            v.close();
        }
    }

    /** Reflects every UDP frame a socket receives, through that socket; counts them per socket. */
    private static final class Reflector implements XdpSocket.ReadyHandler {
        final AtomicInteger received = new AtomicInteger();
        final List<String> problems;
        private final FixedBuf[] batch = new FixedBuf[64];

        Reflector(List<String> problems) {
            this.problems = problems;
        }

        @Override
        public void ready(XdpSocket s, int events) {
            int n = s.receive(batch, 0, batch.length);
            for (int i = 0; i < n; i++) {
                if (!UdpFrame.reflect(batch[i])) {
                    problems.add(s + " received a frame that is not UDP");
                }
            }
            received.addAndGet(n);
            int sent = s.transmit(batch, 0, n);
            s.free(batch, sent, n - sent);
            int m;
            while ((m = s.reclaim(batch, 0, batch.length)) > 0) {
                s.free(batch, 0, m);
            }
            s.fill(Math.min(s.freeFrames(), 64));
            s.awaitReady(XdpSocket.RX | (s.transmitting() > 0 ? XdpSocket.TX : 0), this);
        }
    }

    private static void start(IoRuntime rt, XdpSocket s, Reflector r) throws Exception {
        onLoop(rt, () -> {
            s.fill(64);
            s.awaitReady(XdpSocket.RX, r);
            return null;
        });
    }

    /** Two queues of one veth (native attach, where veth keeps each queue's packets on that queue), one UMEM. */
    @Test
    void socketsOnTwoQueuesOfOneInterfaceShareTheUmem() throws Exception {
        VethPair veth = veth(2);
        List<String> problems = new ArrayList<>();
        try (IoRuntime rt = XdpKernel.open(provider);
             XdpSocket owner = XdpSocket.open(rt.loop(), XdpConfig.builder(veth.hostIface()).queue(0).udpPort(PORT)
                     .attach(XdpAttach.NATIVE).frames(4096, 256).rings(64).build());
             XdpSocket second = XdpSocket.open(rt.loop(), XdpConfig.builder(veth.hostIface()).queue(1).udpPort(PORT)
                     .attach(XdpAttach.NATIVE).rings(64).sharedUmem(owner).build())) {
            assertEquals(256, second.frameCount(), "the sharer sees the owner's UMEM");
            assertEquals(4096, second.frameSize());
            FixedBuf[] one = new FixedBuf[1];
            onLoop(rt, () -> {
                assertEquals(1, second.allocate(one, 0, 1));
                assertEquals(255, owner.freeFrames(), "one free stack for both");
                owner.free(one[0]); // a frame of the UMEM goes back through either socket
                return null;
            });
            assertEquals(256, owner.freeFrames());
            Reflector r0 = new Reflector(problems);
            Reflector r1 = new Reflector(problems);
            start(rt, owner, r0);
            start(rt, second, r1);
            int total = 0;
            // The peer's transmit queue (and so the host's receive queue) is picked by a hash of the flow:
            // send from several source ports until both queues have seen traffic.
            for (int port = 5001; port <= 5032 && (r0.received.get() == 0 || r1.received.get() == 0); port++) {
                VethPair.Exchange ex = veth.udpExchange(port, PORT, 20, 100, port, Duration.ofSeconds(15), 32);
                assertEquals(20, ex.received(), () -> String.join("\n", ex.lines()));
                assertEquals(0, ex.bad(), "every byte comes back");
                total += 20;
            }
            assertEquals(List.of(), problems);
            assertTrue(r0.received.get() > 0 && r1.received.get() > 0, "both queues received: queue 0 "
                    + r0.received + ", queue 1 " + r1.received);
            assertEquals(total, r0.received.get() + r1.received.get());
        }
        assertEquals(0, provider.driver.xdp().liveNativeAllocations(), "UMEM and rings unmapped after both closed");
    }

    /** Two veth pairs, one socket on each, the second sharing the first's UMEM (generic attach). */
    @Test
    void socketsOnTwoInterfacesShareTheUmem() throws Exception {
        VethPair a = veth(1);
        VethPair b = veth(1);
        List<String> problems = new ArrayList<>();
        try (IoRuntime rt = XdpKernel.open(provider);
             XdpSocket owner = XdpSocket.open(rt.loop(), XdpConfig.builder(a.hostIface()).udpPort(PORT).frames(4096, 256)
                     .rings(64).build());
             XdpSocket second = XdpSocket.open(rt.loop(), XdpConfig.builder(b.hostIface()).udpPort(PORT).rings(64)
                     .sharedUmem(owner).build())) {
            Reflector ra = new Reflector(problems);
            Reflector rb = new Reflector(problems);
            start(rt, owner, ra);
            start(rt, second, rb);
            VethPair.Exchange exA = a.udpExchange(5001, PORT, 100, 300, 1, Duration.ofSeconds(15), 32);
            VethPair.Exchange exB = b.udpExchange(5002, PORT, 100, 300, 2, Duration.ofSeconds(15), 32);
            assertEquals(100, exA.received(), () -> String.join("\n", exA.lines()));
            assertEquals(100, exB.received(), () -> String.join("\n", exB.lines()));
            assertEquals(0, exA.bad() + exB.bad());
            assertEquals(List.of(), problems);
            assertEquals(100, ra.received.get());
            assertEquals(100, rb.received.get());
            second.close();
            // The owner keeps working after its sharer left.
            VethPair.Exchange again = a.udpExchange(5003, PORT, 50, 64, 3, Duration.ofSeconds(15), 32);
            assertEquals(50, again.received(), () -> String.join("\n", again.lines()));
        }
        assertEquals(0, provider.driver.xdp().liveNativeAllocations());
    }

    /**
     * The kernel lets a second socket bind to the owner's interface and queue (using the owner's fill and
     * completion rings), but Veloq's program steers each queue to exactly one socket, so that socket would
     * never receive and would take the queue from the owner: refused, saying so and what to do instead.
     */
    @Test
    void aSecondSocketOnTheOwnersQueueIsRefused() throws Exception {
        VethPair veth = veth(1);
        try (IoRuntime rt = XdpKernel.open(provider);
             XdpSocket owner = XdpSocket.open(rt.loop(), XdpConfig.builder(veth.hostIface()).udpPort(PORT).frames(4096, 256)
                     .rings(64).build())) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> XdpSocket.open(rt.loop(),
                    XdpConfig.builder(veth.hostIface()).udpPort(PORT).sharedUmem(owner).build()));
            assertTrue(e.getMessage().contains("queue 0 of " + veth.hostIface()) && e.getMessage().contains("another queue"),
                    e.getMessage());
            assertEquals(1, provider.driver.xdp().openSockets(), "nothing was opened");
            // The owner still receives.
            Reflector r = new Reflector(new ArrayList<>());
            start(rt, owner, r);
            VethPair.Exchange ex = veth.udpExchange(5001, PORT, 20, 64, 1, Duration.ofSeconds(15), 32);
            assertEquals(20, ex.received(), () -> String.join("\n", ex.lines()));

            // Below the host's check, the kernel itself accepts the bind: it is Veloq's steering that cannot serve it.
            XskEndpoint ownerEndpoint = provider.driver.xdp().openEndpoints().get(0);
            io.veloq.spi.xdp.XdpEndpoint sameQueue = provider.driver.xdp().open(
                    XdpConfig.builder(veth.hostIface()).udpPort(PORT).rings(64).build(), ownerEndpoint);
            try {
                assertTrue(sameQueue.sharesRings(), "bound on the owner's fill and completion rings");
            } finally {
                onLoop(rt, () -> {
                    sameQueue.close();
                    return null;
                });
            }
        }
    }
}
