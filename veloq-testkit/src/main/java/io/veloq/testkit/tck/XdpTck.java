package io.veloq.testkit.tck;

import io.veloq.api.Capability;
import io.veloq.api.IoRuntime;
import io.veloq.api.VeloqIoException;
import io.veloq.api.buffer.FixedBuf;
import io.veloq.api.xdp.UdpFrame;
import io.veloq.api.xdp.XdpConfig;
import io.veloq.api.xdp.XdpMode;
import io.veloq.api.xdp.XdpSocket;
import io.veloq.api.xdp.XdpStatistics;
import io.veloq.spi.DriverProvider;
import io.veloq.testkit.DriverRuntimes;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The AF_XDP rules of the conformance kit, for drivers that report {@link Capability#XDP} (skipped, with
 * the reason, for others). A driver author supplies the provider and the link to test on; the rules open
 * runtimes through the host and sockets through {@link XdpSocket#open}, as applications do.
 *
 * <pre>{@code
 * class MyDriverXdpTckTest extends XdpTck {
 *     protected DriverProvider provider() { return new MyProvider(); }
 *     protected XdpPeer openPeer(IoRuntime rt) { return XdpPeer.veth(); }      // needs root
 * }
 * }</pre>
 *
 * Kept apart from {@link DriverTck} on purpose: its rules need a link (a veth pair, or a simulated one).
 *
 * @since 0.2
 */
public abstract class XdpTck {
    private static final int PORT = 9000;

    /** For subclasses. */
    protected XdpTck() {
    }

    /** The provider of the driver under test. */
    protected abstract DriverProvider provider();

    /** The link a rule binds its socket to; closed after the rule. May skip (an assumption) with the reason. */
    protected abstract XdpPeer openPeer(IoRuntime rt);

    /** How long a wait may take; {@code -Dveloq.tck.timeoutSeconds}, default 10 s. */
    protected Duration timeout() {
        return Duration.ofSeconds(Long.getLong("veloq.tck.timeoutSeconds", 10));
    }

    private interface Rule {
        void run(IoRuntime rt, XdpPeer peer) throws Exception;
    }

    private void rule(String name, Rule r) throws Exception {
        try (IoRuntime rt = DriverRuntimes.open(provider(), IoRuntime.builder())) {
            Assumptions.assumeTrue(rt.capabilities().contains(Capability.XDP),
                    "driver '" + rt.driverId() + "' does not report Capability.XDP");
            try (XdpPeer peer = openPeer(rt)) {
                r.run(rt, peer);
            } catch (AssertionError e) {
                throw new AssertionError("XDP TCK rule " + name + " failed for driver '" + rt.driverId() + "': "
                        + e.getMessage(), e);
            }
        }
    }

    private XdpConfig.Builder config(XdpPeer peer) {
        return XdpConfig.builder(peer.iface()).udpPort(PORT).frames(4096, 256).rings(64);
    }

    /** Checks {@code done} every 5 ms until it holds; fails naming {@code what} after {@link #timeout()}. */
    private void awaitCondition(String what, Callable<Boolean> done) throws Exception {
        long deadline = System.nanoTime() + timeout().toNanos();
        while (!done.call()) {
            if (System.nanoTime() - deadline >= 0) {
                throw new AssertionError("still not " + what + " after " + timeout().toSeconds() + " s");
            }
            Thread.sleep(5);
        }
    }

    private <T> T onLoop(IoRuntime rt, Callable<T> c) throws Exception {
        CompletableFuture<T> f = new CompletableFuture<>();
        rt.loop().execute(() -> {
            try {
                f.complete(c.call());
            } catch (Throwable t) {
                f.completeExceptionally(t);
            }
        });
        try {
            return f.get(timeout().toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof Exception x) {
                throw x;
            }
            throw e;
        }
    }

    /** A reflector armed on RX: receive, swap, transmit, recycle, re-arm. */
    private static final class Reflect implements XdpSocket.ReadyHandler {
        final FixedBuf[] batch = new FixedBuf[32];
        final FixedBuf[] done = new FixedBuf[32];

        @Override
        public void ready(XdpSocket s, int events) {
            int n = s.receive(batch, 0, batch.length);
            int keep = 0;
            for (int i = 0; i < n; i++) {
                if (UdpFrame.reflect(batch[i])) {
                    batch[keep++] = batch[i];
                } else {
                    s.free(batch[i]);
                }
            }
            int sent = s.transmit(batch, 0, keep);
            s.free(batch, sent, keep - sent);
            int m;
            while ((m = s.reclaim(done, 0, done.length)) > 0) {
                s.free(done, 0, m);
            }
            s.fill(s.freeFrames());
            s.awaitReady(s.filled() == 0 ? XdpSocket.RX | XdpSocket.TX : XdpSocket.RX, this);
        }
    }

    @Test
    public void required_socketBindsAndAttachesUntilClosed() throws Exception {
        rule("required_socketBindsAndAttachesUntilClosed", (rt, peer) -> {
            XdpSocket xsk = XdpSocket.open(rt.loop(), config(peer).build());
            assertEquals(XdpMode.COPY, xsk.mode(), "XdpMode.COPY binds copy mode");
            assertEquals(256, xsk.frameCount());
            assertEquals(256, xsk.freeFrames(), "every frame starts free");
            assertTrue(peer.programAttached(), "the redirect program must be attached while the socket is open");
            xsk.close();
            assertFalse(peer.programAttached(), "closing the last socket must detach the program");
            assertThrows(IllegalStateException.class, () -> xsk.fill(1), "a closed socket refuses ring calls");
        });
    }

    @Test
    public void required_reflectedDatagramsComeBackByteForByte() throws Exception {
        rule("required_reflectedDatagramsComeBackByteForByte", (rt, peer) -> {
            try (XdpSocket xsk = XdpSocket.open(rt.loop(), config(peer).build())) {
                onLoop(rt, () -> {
                    xsk.fill(xsk.frameCount());
                    xsk.awaitReady(XdpSocket.RX, new Reflect());
                    return null;
                });
                // 100 datagrams in batches of 25: a burst beyond the 64-entry RX ring is dropped by the kernel
                // (rx ring full) whenever the loop has not reflected the start of it yet, as on a loaded machine.
                for (int batch = 0; batch < 4; batch++) {
                    assertEquals(25, peer.exchange(5000, PORT, 25, 64, 11 + batch, timeout()),
                            "datagrams of batch " + batch + " back intact");
                }
            }
        });
    }

    @Test
    public void required_emptyFillRingDropsCountsAndRecovers() throws Exception {
        rule("required_emptyFillRingDropsCountsAndRecovers", (rt, peer) -> {
            try (XdpSocket xsk = XdpSocket.open(rt.loop(), config(peer).build())) {
                assertEquals(2, (int) onLoop(rt, () -> xsk.fill(2)));
                peer.exchange(5001, PORT, 10, 64, 12, Duration.ofMillis(500));
                // A kernel may account for the datagrams after the sender returns (softirq work deferred on a busy
                // machine): wait for the drops to be counted rather than read the rings at one moment.
                awaitCondition("8 drops counted", () -> xsk.statistics().rxDropped() >= 8);
                FixedBuf[] got = new FixedBuf[16];
                assertEquals(2, (int) onLoop(rt, () -> xsk.receive(got, 0, 16)), "only the filled frames hold packets");
                XdpStatistics st = xsk.statistics();
                assertTrue(st.fillRingEmpty() > 0 && st.rxDropped() >= 8, "drops counted: " + st);
                onLoop(rt, () -> {
                    xsk.free(got, 0, 2);
                    return xsk.fill(64);
                });
                peer.exchange(5001, PORT, 10, 64, 13, Duration.ofMillis(500));
                int[] received = {0};
                awaitCondition("10 datagrams received after refilling", () -> {
                    received[0] += onLoop(rt, () -> xsk.receive(got, 0, 16));
                    return received[0] >= 10;
                });
                assertEquals(10, received[0], "refilled, every packet arrives");
            }
        });
    }

    @Test
    public void required_fullTxRingTakesOnlyWhatFits() throws Exception {
        rule("required_fullTxRingTakesOnlyWhatFits", (rt, peer) -> {
            try (XdpSocket xsk = XdpSocket.open(rt.loop(), config(peer).rings(64, 64, 64, 16).build())) {
                FixedBuf[] frames = new FixedBuf[20];
                byte[] payload = new byte[18];
                int sent = onLoop(rt, () -> {
                    xsk.allocate(frames, 0, 20);
                    for (FixedBuf f : frames) {
                        UdpFrame.writeIpv4(f, peer.peerMac(), peer.localMac(), peer.localIp(), peer.peerIp(), PORT, 7, payload, 0, 18);
                    }
                    return xsk.transmit(frames, 0, 20);
                });
                assertEquals(16, sent, "a 16-entry TX ring takes 16 frames");
                FixedBuf[] back = new FixedBuf[32];
                int reclaimed = 0;
                long deadline = System.nanoTime() + timeout().toNanos();
                while (reclaimed < 16 && System.nanoTime() - deadline < 0) {
                    reclaimed += onLoop(rt, () -> xsk.reclaim(back, 0, back.length));
                    Thread.sleep(reclaimed < 16 ? 5 : 0);
                }
                assertEquals(16, reclaimed, "every transmitted frame comes back through the completion ring");
                assertEquals(4, (int) onLoop(rt, () -> xsk.transmit(frames, 16, 4)));
                assertEquals(0, xsk.statistics().txInvalid());
            }
        });
    }

    @Test
    public void required_setupErrorsNameTheProblem() throws Exception {
        rule("required_setupErrorsNameTheProblem", (rt, peer) -> {
            VeloqIoException e = assertThrows(VeloqIoException.class,
                    () -> XdpSocket.open(rt.loop(), XdpConfig.builder("nosuchxdp0").build()).close());
            assertEquals("ENODEV", e.codeName(), e.getMessage());
            e = assertThrows(VeloqIoException.class, () -> XdpSocket.open(rt.loop(), config(peer).queue(7).build()).close());
            assertEquals("EINVAL", e.codeName(), e.getMessage());
            assertTrue(e.getMessage().contains("queue 7 does not exist"), e.getMessage());
            try {
                XdpSocket.open(rt.loop(), config(peer).mode(XdpMode.ZERO_COPY).build()).close();
            } catch (VeloqIoException zc) {
                assertEquals("EOPNOTSUPP", zc.codeName(), zc.getMessage());
                assertTrue(zc.getMessage().contains("XdpMode.COPY"), zc.getMessage());
            }
            try (XdpSocket xsk = XdpSocket.open(rt.loop(), config(peer).mode(XdpMode.PREFER_ZERO_COPY).build())) {
                assertTrue(xsk.mode() == XdpMode.COPY || xsk.mode() == XdpMode.ZERO_COPY);
            }
            if (peer.programAttached()) {
                fail("program left attached after the failed and closed sockets");
            }
        });
    }
}
