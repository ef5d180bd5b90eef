package io.veloq.driver.uring;

import io.veloq.api.Capability;
import io.veloq.api.IoRuntime;
import io.veloq.api.VeloqIoException;
import io.veloq.api.buffer.FixedBuf;
import io.veloq.api.xdp.UdpFrame;
import io.veloq.api.xdp.XdpAttach;
import io.veloq.api.xdp.XdpConfig;
import io.veloq.api.xdp.XdpMode;
import io.veloq.api.xdp.XdpSocket;
import io.veloq.api.xdp.XdpStatistics;
import io.veloq.testkit.VethPair;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.Inet4Address;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static io.veloq.driver.uring.XdpKernel.onLoop;
import static io.veloq.driver.uring.XdpKernel.waitFor;
import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * AF_XDP on the real kernel, over a veth pair whose peer sits in its own network namespace: batches in and
 * out byte for byte, fill-ring starvation, a full TX ring, close with frames everywhere (nothing left: the
 * socket, its mappings, the map, the program, the link), and each setup error with its fix.
 */
class XdpSocketTest {
    private static final int PORT = 9000;
    private VethPair veth;
    private final XdpKernel.Capturing provider = new XdpKernel.Capturing();

    @BeforeEach
    void veth() {
        assumeTrue(VethPair.missingPrivileges() == null, VethPair.missingPrivileges());
        veth = VethPair.create();
    }

    @AfterEach
    void removeVeth() {
        if (veth != null) {
            veth.close();
        }
    }

    private XdpConfig.Builder config() {
        return XdpConfig.builder(veth.hostIface()).udpPort(PORT).frames(4096, 512).rings(256);
    }

    @Test
    void capabilityIsReportedAndSocketBindsInCopyMode() throws Exception {
        try (IoRuntime rt = XdpKernel.open(provider);
             XdpSocket xsk = XdpSocket.open(rt.loop(), config().build())) {
            assertTrue(rt.capabilities().contains(Capability.XDP));
            assertEquals(XdpMode.COPY, xsk.mode());
            assertTrue(xsk.needWakeup());
            assertEquals(512, xsk.frameCount());
            assertEquals(512, xsk.freeFrames());
            assertTrue(veth.hostLinkDetails().contains("prog/xdp"), veth.hostLinkDetails());
        }
        assertFalse(veth.hostLinkDetails().contains("prog/xdp"), "program still attached after close:\n" + veth.hostLinkDetails());
    }

    /** Receives in multi-frame batches, checks every payload byte, reflects, and the peer gets every datagram back. */
    @Test
    void multiFrameBatchesInAndOutByteForByte() throws Exception {
        int count = 300;
        int size = 200;
        long seed = 7;
        try (IoRuntime rt = XdpKernel.open(provider);
             XdpSocket xsk = XdpSocket.open(rt.loop(), config().build())) {
            AtomicInteger maxBatch = new AtomicInteger();
            AtomicInteger received = new AtomicInteger();
            List<String> problems = new ArrayList<>();
            FixedBuf[] batch = new FixedBuf[64];
            FixedBuf[] done = new FixedBuf[64];
            XdpSocket.ReadyHandler h = new XdpSocket.ReadyHandler() {
                @Override
                public void ready(XdpSocket s, int events) {
                    int n = s.receive(batch, 0, batch.length);
                    maxBatch.accumulateAndGet(n, Math::max);
                    for (int i = 0; i < n; i++) {
                        FixedBuf f = batch[i];
                        check(f, seed, size, problems);
                        if (!UdpFrame.reflect(f) || !UdpFrame.checksumsValid(f)) {
                            problems.add("reflect failed or left bad checksums");
                        }
                    }
                    received.addAndGet(n);
                    int sent = s.transmit(batch, 0, n);
                    if (sent < n) {
                        problems.add("TX ring took " + sent + " of " + n);
                        s.free(batch, sent, n - sent);
                    }
                    int m;
                    while ((m = s.reclaim(done, 0, done.length)) > 0) {
                        s.fill(done, 0, m);
                    }
                    s.fill(s.freeFrames());
                    s.awaitReady(s.filled() == 0 ? XdpSocket.RX | XdpSocket.TX : XdpSocket.RX, this);
                }
            };
            onLoop(rt, () -> {
                xsk.fill(256);
                xsk.awaitReady(XdpSocket.RX, h);
                return null;
            });
            // At most 128 unanswered: fewer than the 256 frames filled, so a reflector run late drops nothing.
            VethPair.Exchange ex = veth.udpExchange(5001, PORT, count, size, seed, Duration.ofSeconds(15), 128);
            assertEquals(List.of(), problems);
            assertEquals(count, received.get());
            assertEquals(count, ex.received(), () -> String.join("\n", ex.lines()));
            assertEquals(0, ex.bad());
            assertTrue(maxBatch.get() > 1, "the kernel should have delivered several frames per batch, saw at most " + maxBatch);
            XdpStatistics st = xsk.statistics();
            assertEquals(0, st.rxInvalid());
            assertEquals(0, st.txInvalid());
        }
    }

    private static void check(FixedBuf f, long seed, int size, List<String> problems) {
        int u = UdpFrame.udpOffset(f);
        if (u < 0 || UdpFrame.destinationPort(f) != PORT) {
            problems.add("not UDP to " + PORT);
            return;
        }
        int p = f.readerIndex() + u + 8;
        int len = f.getUnsignedShort(f.readerIndex() + u + 4) - 8;
        if (len != size) {
            problems.add("payload of " + len + " bytes, expected " + size);
            return;
        }
        int idx = f.getInt(p);
        byte[] want = VethPair.payload(seed, idx, size);
        for (int i = 0; i < size; i++) {
            if (f.getByte(p + i) != want[i]) {
                problems.add("datagram " + idx + " differs at byte " + i);
                return;
            }
        }
    }

    /** With only 4 frames in the fill ring, the kernel drops the rest and counts it; refilled, it receives again. */
    @Test
    void fillRingStarvationDropsAndCountsThenRecovers() throws Exception {
        try (IoRuntime rt = XdpKernel.open(provider);
             XdpSocket xsk = XdpSocket.open(rt.loop(), config().build())) {
            assertEquals(4, (int) onLoop(rt, () -> xsk.fill(4)));
            veth.udpExchange(5002, PORT, 50, 64, 1, Duration.ofMillis(500), 0);
            // The kernel handles each datagram in the sender's softirq, or later in ksoftirqd on a busy machine:
            // wait for all 50 to be accounted for, not for a moment.
            waitFor("46 drops counted", Duration.ofSeconds(10), () -> {
                try {
                    return xsk.statistics().rxDropped() >= 46;
                } catch (java.io.IOException e) {
                    throw new AssertionError(e);
                }
            });
            FixedBuf[] batch = new FixedBuf[64];
            int got = onLoop(rt, () -> xsk.receive(batch, 0, batch.length));
            assertEquals(4, got, "exactly the filled frames hold packets");
            XdpStatistics st = xsk.statistics();
            assertTrue(st.fillRingEmpty() > 0, "fill-ring-empty counter: " + st);
            assertEquals(46, st.rxDropped(), "dropped counter: " + st);
            assertEquals(0, xsk.filled());
            onLoop(rt, () -> {
                xsk.free(batch, 0, got);
                return xsk.fill(256);
            });
            veth.udpExchange(5002, PORT, 50, 64, 2, Duration.ofMillis(500), 0);
            AtomicInteger again = new AtomicInteger();
            FixedBuf[] more = new FixedBuf[64];
            waitFor("50 datagrams received after refilling", Duration.ofSeconds(10), () -> {
                try {
                    return again.addAndGet(onLoop(rt, () -> xsk.receive(more, again.get(), 64 - again.get()))) >= 50;
                } catch (Exception e) {
                    throw new AssertionError(e);
                }
            });
            assertEquals(50, again.get(), "after refilling, every datagram arrives");
            assertEquals(46, xsk.statistics().rxDropped(), "and none more was dropped");
        }
    }

    /** A TX ring of 64 takes 64 of 100 frames; the rest go after the completions are reclaimed. */
    @Test
    void fullTxRingTakesWhatFitsAndCompletionsFreeIt() throws Exception {
        try (IoRuntime rt = XdpKernel.open(provider);
             XdpSocket xsk = XdpSocket.open(rt.loop(), config().rings(64).build())) {
            byte[] dstMac = mac(veth.peerMac());
            byte[] srcMac = mac(veth.hostMac());
            int src = ip(veth.hostAddress());
            int dst = ip(veth.peerAddress());
            byte[] payload = new byte[22];
            FixedBuf[] frames = new FixedBuf[100];
            int sent = onLoop(rt, () -> {
                assertEquals(100, xsk.allocate(frames, 0, 100));
                for (FixedBuf f : frames) {
                    UdpFrame.writeIpv4(f, dstMac, srcMac, src, dst, PORT, 7777, payload, 0, payload.length);
                    assertTrue(UdpFrame.checksumsValid(f));
                }
                return xsk.transmit(frames, 0, 100);
            });
            assertEquals(64, sent, "a 64-entry TX ring takes 64 frames");
            assertThrows(IllegalStateException.class, () -> onLoop(rt, () -> xsk.transmit(frames, 0, 1)),
                    "a frame already in the TX ring must be refused");
            FixedBuf[] back = new FixedBuf[128];
            AtomicInteger reclaimed = new AtomicInteger();
            waitFor("all 64 completed", Duration.ofSeconds(10), () -> {
                try {
                    reclaimed.addAndGet(onLoop(rt, () -> xsk.reclaim(back, 0, back.length)));
                } catch (Exception e) {
                    throw new AssertionError(e);
                }
                return reclaimed.get() == 64;
            });
            assertEquals(0, (int) onLoop(rt, xsk::transmitting));
            assertEquals(36, (int) onLoop(rt, () -> xsk.transmit(frames, 64, 36)));
            assertEquals(64, (int) onLoop(rt, () -> xsk.fill(back, 0, 64)));
            assertEquals(0, (int) onLoop(rt, () -> xsk.fill(1)), "the fill ring of 64 is full");
            assertEquals(0, xsk.statistics().txInvalid());
        }
    }

    static byte[] mac(String s) {
        byte[] b = new byte[6];
        String[] p = s.split(":");
        for (int i = 0; i < 6; i++) {
            b[i] = (byte) Integer.parseInt(p[i], 16);
        }
        return b;
    }

    static int ip(java.net.InetAddress a) {
        return ByteBuffer.wrap(((Inet4Address) a).getAddress()).getInt();
    }

    /** Close with frames in every place: the socket, its mappings, its map, program and link are all gone. */
    @Test
    void closeWithFramesOutstandingLeavesNothingBehind() throws Exception {
        try (IoRuntime rt = XdpKernel.open(provider)) {
            UringXdp facet = provider.driver.xdp();
            int liveBefore = facet.liveNativeAllocations();
            XdpSocket xsk = XdpSocket.open(rt.loop(), config().build());
            XskEndpoint ep = facet.openEndpoints().get(0);
            Bpf bpf = facet.bpf();
            int progId = bpf.objectId(ep.attachment.progFd);
            int mapId = bpf.objectId(ep.attachment.mapFd);
            int linkId = bpf.objectId(ep.attachment.linkFd);
            String socket = XdpKernel.fdTarget(ep.fd);
            assertTrue(socket.startsWith("socket:"), socket);
            assertTrue(facet.liveNativeAllocations() > liveBefore, "UMEM and rings are mapped");
            FixedBuf[] mine = new FixedBuf[8];
            onLoop(rt, () -> {
                xsk.fill(100);                       // in the fill ring
                xsk.allocate(mine, 0, 8);            // in the user's hands
                xsk.awaitReady(XdpSocket.RX, (s, e) -> fail("must not fire after close"));
                return null;
            });
            veth.udpExchange(5003, PORT, 10, 64, 3, Duration.ofMillis(300), 0); // some sit in the RX ring
            xsk.close();
            xsk.close(); // idempotent
            assertEquals(liveBefore, facet.liveNativeAllocations(), "UMEM, ring and scratch mappings left");
            assertEquals(0, facet.openSockets());
            waitFor("socket released", Duration.ofSeconds(10), () -> !socket.equals(XdpKernel.fdTarget(ep.fd)));
            waitFor("program, map and link freed", Duration.ofSeconds(10), () ->
                    !bpf.exists(Bpf.PROG_GET_FD_BY_ID, progId) && !bpf.exists(Bpf.MAP_GET_FD_BY_ID, mapId)
                            && !bpf.exists(Bpf.LINK_GET_FD_BY_ID, linkId));
            assertFalse(veth.hostLinkDetails().contains("prog/xdp"), veth.hostLinkDetails());
            assertThrows(IllegalStateException.class, () -> mine[0].getByte(0), "a frame kept after close must fail fast");
            assertThrows(IllegalStateException.class, () -> xsk.fill(1));
        }
    }

    /** A socket the user forgot is closed with the runtime: program detached, mappings gone. */
    @Test
    void runtimeCloseClosesForgottenSockets() throws Exception {
        UringXdp facet;
        int progId;
        Bpf bpf;
        try (IoRuntime rt = XdpKernel.open(provider)) {
            facet = provider.driver.xdp();
            XdpSocket xsk = XdpSocket.open(rt.loop(), config().build());
            onLoop(rt, () -> {
                xsk.fill(10);
                xsk.awaitReady(XdpSocket.RX | XdpSocket.TX, (s, e) -> { });
                return null;
            });
            bpf = facet.bpf();
            progId = bpf.objectId(facet.openEndpoints().get(0).attachment.progFd);
        }
        assertEquals(0, facet.openSockets());
        assertEquals(0, facet.liveNativeAllocations());
        waitFor("program freed", Duration.ofSeconds(10), () -> !bpf.exists(Bpf.PROG_GET_FD_BY_ID, progId));
        assertFalse(veth.hostLinkDetails().contains("prog/xdp"), veth.hostLinkDetails());
    }

    // ------------------------------------------------------------------ errors, each with its fix

    private VeloqIoException openFails(IoRuntime rt, XdpConfig c) {
        return assertThrows(VeloqIoException.class, () -> XdpSocket.open(rt.loop(), c).close());
    }

    @Test
    void noSuchInterface() {
        try (IoRuntime rt = XdpKernel.open(provider)) {
            VeloqIoException e = openFails(rt, XdpConfig.builder("xdpnothere0").build());
            assertEquals("ENODEV", e.codeName());
            assertTrue(e.getMessage().contains("no network interface named \"xdpnothere0\""), e.getMessage());
        }
    }

    @Test
    void queueTheInterfaceDoesNotHave() {
        try (IoRuntime rt = XdpKernel.open(provider)) {
            VeloqIoException e = openFails(rt, config().queue(3).build());
            assertEquals("EINVAL", e.codeName());
            assertTrue(e.getMessage().contains("has 1 RX queue (queue 0); queue 3 does not exist"), e.getMessage());
        }
    }

    @Test
    void zeroCopyOnVethIsRefusedAndFallsBackOnlyWhenAsked() throws Exception {
        try (IoRuntime rt = XdpKernel.open(provider)) {
            VeloqIoException e = openFails(rt, config().mode(XdpMode.ZERO_COPY).build());
            assertEquals("EOPNOTSUPP", e.codeName(), e.getMessage());
            assertTrue(e.getMessage().contains("does not support AF_XDP zero-copy: use XdpMode.COPY"), e.getMessage());
            assertEquals(0, provider.driver.xdp().liveNativeAllocations(), "a failed open leaves nothing");
            try (XdpSocket xsk = XdpSocket.open(rt.loop(), config().mode(XdpMode.PREFER_ZERO_COPY).build())) {
                assertEquals(XdpMode.COPY, xsk.mode(), "veth has no zero-copy: the kernel fell back to copy");
            }
        }
    }

    @Test
    void nativeAttachOnVethWorks() throws Exception {
        try (IoRuntime rt = XdpKernel.open(provider);
             XdpSocket xsk = XdpSocket.open(rt.loop(), config().attach(XdpAttach.NATIVE).build())) {
            assertTrue(veth.hostLinkDetails().contains("prog/xdp"), veth.hostLinkDetails());
            assertEquals(10, (int) onLoop(rt, () -> xsk.fill(10)));
            veth.udpExchange(5004, PORT, 5, 64, 4, Duration.ofMillis(300), 0);
            assertEquals(5, (int) onLoop(rt, () -> xsk.receive(new FixedBuf[16], 0, 16)));
        }
    }

    @Test
    void interfaceWithAnotherProgramIsRefused() throws Exception {
        try (IoRuntime rt = XdpKernel.open(provider)) {
            // Another owner's program: loaded and linked directly, outside the driver's bookkeeping.
            Bpf bpf = provider.driver.xdp().bpf();
            int ifindex = (int) provider.driver.xdp().syscalls().ifNameToIndex(veth.hostIface());
            int map = bpf.createXskMap(1, veth.hostIface());
            int prog = bpf.loadXdp(XdpProgram.redirect(map, 0), veth.hostIface());
            int link = bpf.linkXdp(prog, ifindex, Bpf.XDP_FLAGS_SKB_MODE, veth.hostIface());
            try {
                VeloqIoException e = openFails(rt, config().build());
                assertTrue(e.getMessage().contains("already has another XDP program attached"), e.getMessage());
                assertEquals(0, provider.driver.xdp().openSockets());
            } finally {
                var sys = provider.driver.xdp().syscalls();
                sys.close(link);
                sys.close(prog);
                sys.close(map);
            }
        }
    }

    @Test
    void withoutPrivilegesTheErrorNamesTheCapabilities() throws Exception {
        try (IoRuntime rt = XdpKernel.open(provider)) {
            CompletableFuture<Throwable> r = new CompletableFuture<>();
            Thread t = new Thread(() -> {
                XdpKernel.dropEffective(XdpKernel.CAP_NET_RAW, XdpKernel.CAP_NET_ADMIN, XdpKernel.CAP_BPF,
                        XdpKernel.CAP_SYS_ADMIN);
                try {
                    XdpSocket.open(rt.loop(), config().build()).close();
                    r.complete(null);
                } catch (Throwable e) {
                    r.complete(e);
                }
            });
            t.start();
            Throwable e = r.get(30, TimeUnit.SECONDS);
            assertInstanceOf(VeloqIoException.class, e);
            assertEquals("EPERM", ((VeloqIoException) e).codeName());
            assertTrue(e.getMessage().contains("CAP_NET_RAW"), e.getMessage());
        }
    }

    @Test
    void memlockLimitTooLowForTheUmemNamesTheLimit() throws Exception {
        var sys = io.veloq.driver.uring.ffi.Syscalls.load();
        long rl = sys.malloc(16);
        try (IoRuntime rt = XdpKernel.open(provider)) {
            assertEquals(0, sys.getrlimit(8, rl));
            ByteBuffer v = sys.view(rl, 16);
            long soft = v.getLong(0);
            CompletableFuture<Throwable> r = new CompletableFuture<>();
            Thread t = new Thread(() -> {
                // Only this thread loses CAP_IPC_LOCK, so only its locked-memory accounting sees the low limit.
                XdpKernel.dropEffective(XdpKernel.CAP_IPC_LOCK);
                v.putLong(0, 64 * 1024);
                sys.setrlimit(8, rl);
                try {
                    XdpSocket.open(rt.loop(), config().frames(4096, 4096).build()).close();
                    r.complete(null);
                } catch (Throwable e) {
                    r.complete(e);
                } finally {
                    v.putLong(0, soft);
                    sys.setrlimit(8, rl);
                }
            });
            t.start();
            Throwable e = r.get(30, TimeUnit.SECONDS);
            assertInstanceOf(VeloqIoException.class, e, String.valueOf(e));
            assertTrue(e.getMessage().contains("RLIMIT_MEMLOCK is 65536 bytes"), e.getMessage());
            assertTrue(e.getMessage().contains("CAP_IPC_LOCK"), e.getMessage());
        } finally {
            sys.free(rl);
        }
    }

    @Test
    void frameSizeMustBeAPowerOfTwoInRange() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> XdpConfig.builder("eth0").frames(3000, 16).build());
        assertTrue(e.getMessage().contains("frame size 3000 is not a power of two"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> XdpConfig.builder("eth0").frames(1024, 16).build());
        assertTrue(e.getMessage().contains("frame size 1024 is out of range"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> XdpConfig.builder("eth0").frames(8192, 16).build());
    }
}
