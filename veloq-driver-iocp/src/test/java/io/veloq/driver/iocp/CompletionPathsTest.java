package io.veloq.driver.iocp;

import io.veloq.api.IoFd;
import io.veloq.api.buffer.BufPool;
import io.veloq.api.buffer.FixedBuf;
import io.veloq.api.net.AddressFamily;
import io.veloq.api.net.AddressLayout;
import io.veloq.api.net.SockAddrStorage;
import io.veloq.api.net.SocketType;
import io.veloq.api.op.Accept;
import io.veloq.api.op.Close;
import io.veloq.api.op.Connect;
import io.veloq.api.op.Nop;
import io.veloq.api.op.Recv;
import io.veloq.api.op.RecvFrom;
import io.veloq.api.op.SendTo;
import io.veloq.api.op.Send;
import io.veloq.api.op.Socket;
import io.veloq.driver.iocp.sim.SimWin32;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Both ways an op can finish on IOCP, proven on the simulator: with FILE_SKIP_COMPLETION_PORT_ON_SUCCESS an
 * immediate success queues no packet and the driver completes the op itself; without it (a provider without
 * IFS handles, or the option turned off) every op, immediate or not, completes through a dequeued packet.
 * The same echo must move the same bytes either way.
 */
public class CompletionPathsTest {

    private record Outcome(long inline, long queued, long skippedPackets, long stale) {
    }

    private Outcome echo(SimWin32.Options simOptions, Map<String, String> driverOptions) throws Exception {
        SimWin32 sim = new SimWin32(simOptions);
        BufPool pool = BufPool.allocate(4096, 8);
        try (DriverHarness h = DriverHarness.open(Bindings.provider(sim), 32, driverOptions)) {
            IoFd l = IoFd.raw(h.value(new Socket(AddressFamily.INET, SocketType.STREAM)));
            h.driver().bind(l, SockAddrStorage.of(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
                    AddressLayout.WINDOWS));
            h.driver().listen(l, 4);
            SockAddrStorage where = SockAddrStorage.allocate(AddressLayout.WINDOWS);
            h.driver().localAddress(l, where);
            IoFd c = IoFd.raw(h.value(new Socket(AddressFamily.INET, SocketType.STREAM)));
            long accept = h.start(new Accept(l, SockAddrStorage.allocate(AddressLayout.WINDOWS)));
            h.value(new Connect(c, where));
            IoFd s = IoFd.raw(h.await(accept).valueOrThrow());
            FixedBuf out = pool.lease();
            FixedBuf in = pool.lease();
            for (int round = 0; round < 50; round++) {
                byte[] msg = ("message " + round).getBytes();
                out.clear().put(msg);
                in.clear();
                // recv first (pending: completes by packet), then send (small: succeeds at once)
                long recv = h.start(new Recv(s, in));
                h.turn(0);
                assertEquals(msg.length, h.value(new Send(c, out)));
                assertEquals(msg.length, h.await(recv).valueOrThrow());
                assertArrayEquals(msg, in.getBytes(), "round " + round);
            }
            h.value(new Close(c));
            h.value(new Close(s));
            h.value(new Close(l));
            Outcome o = new Outcome(h.iocp().inlineCompletions(), h.iocp().queuedCompletions(),
                    sim.stats().skippedPackets(), h.iocp().staleCompletions());
            assertEquals(java.util.List.of(), sim.failures());
            return o;
        } finally {
            sim.close();
        }
    }

    /**
     * A datagram too long for the buffer, already waiting when RecvFrom starts (WSARecvFrom fails at once with
     * WSAEMSGSIZE), then a datagram that fits, received through the same slot. A warning status is not
     * NT_SUCCESS, so its packet is queued even in skip mode; a driver that took the immediate failure as the
     * end of the op would see that packet later, for whatever the slot holds by then. Returns
     * {stale packets, packets queued}.
     */
    private long[] truncatedDatagrams(SimWin32.Options simOptions) throws Exception {
        SimWin32 sim = new SimWin32(simOptions);
        BufPool pool = BufPool.allocate(4096, 8);
        try (DriverHarness h = DriverHarness.open(Bindings.provider(sim), 1)) {
            SockAddrStorage aAddr = SockAddrStorage.allocate(AddressLayout.WINDOWS);
            SockAddrStorage to = SockAddrStorage.allocate(AddressLayout.WINDOWS);
            IoFd a = h.boundUdp(AddressFamily.INET, aAddr);
            IoFd b = h.boundUdp(AddressFamily.INET, to);
            for (int round = 0; round < 20; round++) {
                FixedBuf out = pool.lease().put("0123456789".getBytes());
                h.value(new SendTo(a, out, to));
                Thread.sleep(2);
                FixedBuf small = pool.lease();
                small.writerIndex(small.capacity() - 4);
                small.readerIndex(small.writerIndex());
                DriverHarness.Result r = h.run(new RecvFrom(b, small, SockAddrStorage.allocate(AddressLayout.WINDOWS)));
                assertEquals("WSAEMSGSIZE", r.error().codeName(), "round " + round);
                // the next ops reuse the one slot: a packet left behind by the failed receive must not complete them
                byte[] msg = ("fits " + round).getBytes();
                out.clear().put(msg);
                h.value(new SendTo(a, out, to));
                FixedBuf in = pool.lease();
                SockAddrStorage from = SockAddrStorage.allocate(AddressLayout.WINDOWS);
                assertEquals(msg.length, h.value(new RecvFrom(b, in, from)), "round " + round);
                assertArrayEquals(msg, in.getBytes(), "round " + round);
                assertEquals(aAddr.toSocketAddress(), from.toSocketAddress(), "round " + round);
                for (FixedBuf x : new FixedBuf[]{out, small, in}) {
                    x.release();
                }
            }
            h.turn(TimeUnit.MILLISECONDS.toNanos(50)); // a late packet would arrive by now
            assertFalse(sim.skipsCompletionPortOnSuccess(((IoFd.Raw) b).handle()),
                    "a datagram socket must not skip the port on success (Go: TCP only)");
            assertTrue(h.iocp().warningsAtOnce() >= 1, "at least one WSAEMSGSIZE came at once");
            long[] out = {h.iocp().staleCompletions(), sim.stats().queuedPackets()};
            h.value(new Close(a));
            h.value(new Close(b));
            assertEquals(java.util.List.of(), sim.failures());
            return out;
        } finally {
            sim.close();
        }
    }

    @Test
    void anImmediateWsaemsgsizeQueuesAPacketWhichTheDriverAwaits_inEitherMode() throws Exception {
        long[] ifs = truncatedDatagrams(SimWin32.Options.DEFAULTS);
        assertEquals(0, ifs[0], "IFS handles (skip mode would be allowed): no stale packet");
        long[] noIfs = truncatedDatagrams(new SimWin32.Options(false));
        assertEquals(0, noIfs[0], "without skip mode: no stale packet");
        assertTrue(noIfs[1] >= 20, "each truncated receive queued a packet: " + noIfs[1]);
    }

    @Test
    void oneGetQueuedCompletionStatusExDeliversManyCompletions() throws Exception {
        SimWin32 sim = new SimWin32();
        BufPool pool = BufPool.allocate(1024, 32);
        IocpDriverProvider provider = Bindings.provider(sim);
        // Servers on driver A, clients on driver B (two loops): B's sends never drain A's port.
        try (DriverHarness a = DriverHarness.open(provider, 64); DriverHarness b = DriverHarness.open(provider, 64)) {
            IoFd l = IoFd.raw(a.value(new Socket(AddressFamily.INET, SocketType.STREAM)));
            a.driver().bind(l, SockAddrStorage.of(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
                    AddressLayout.WINDOWS));
            a.driver().listen(l, 16);
            SockAddrStorage where = SockAddrStorage.allocate(AddressLayout.WINDOWS);
            a.driver().localAddress(l, where);
            int n = 8;
            IoFd[] clients = new IoFd[n];
            long[] recvs = new long[n];
            for (int i = 0; i < n; i++) {
                clients[i] = IoFd.raw(b.value(new Socket(AddressFamily.INET, SocketType.STREAM)));
                long accept = a.start(new Accept(l, SockAddrStorage.allocate(AddressLayout.WINDOWS)));
                b.value(new Connect(clients[i], where));
                IoFd server = IoFd.raw(a.await(accept).valueOrThrow());
                recvs[i] = a.start(new Recv(server, pool.lease()));
            }
            a.turn(0);
            assertEquals(n, a.iocp().inKernel(), "eight receives wait in the kernel");
            for (int i = 0; i < n; i++) {
                b.value(new Send(clients[i], pool.lease().put(new byte[]{(byte) i})));
            }
            long deadline = System.nanoTime() + 5_000_000_000L;
            while (sim.queued(a.iocp().port()) < n && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            assertEquals(n, a.turn(0), "all eight receives delivered by one submitAndWait");
            assertTrue(sim.stats().largestBatch() >= n, "one GetQueuedCompletionStatusEx returned them: " + sim.stats());
            for (long r : recvs) {
                assertEquals(1, a.await(r).valueOrThrow());
            }
        } finally {
            sim.close();
        }
    }

    @Test
    void withSkipOnSuccessImmediateSuccessesCompleteWithoutAPacket() throws Exception {
        Outcome o = echo(SimWin32.Options.DEFAULTS, Map.of());
        assertTrue(o.inline() >= 50, "sends that succeeded at once were completed by the driver: " + o);
        assertEquals(o.inline(), o.skippedPackets(), "each of them had its packet suppressed: " + o);
        assertTrue(o.queued() >= 50, "receives posted before the data completed through packets: " + o);
        assertEquals(0, o.stale(), "no packet arrived for an op already completed: " + o);
    }

    @Test
    void withoutIfsHandlesEveryOpCompletesThroughAPacket() throws Exception {
        Outcome o = echo(new SimWin32.Options(false), Map.of());
        assertEquals(0, o.inline(), o.toString());
        assertEquals(0, o.skippedPackets(), o.toString());
        assertTrue(o.queued() >= 100, "sends and receives all came back as packets: " + o);
        assertEquals(0, o.stale(), o.toString());
    }

    @Test
    void skipModeCanBeTurnedOffByDriverOption() throws Exception {
        Outcome o = echo(SimWin32.Options.DEFAULTS, Map.of("iocp.skip-completion-port-on-success", "false"));
        assertEquals(0, o.inline(), o.toString());
        assertTrue(o.queued() >= 100, o.toString());
    }

    /**
     * #16 item 5: overlapped ReadFile/WriteFile often complete at once on Windows (cached reads, writes that
     * extend the file). The simulator does so for half of them (seeded); the bytes must come out right either
     * way, with and without skip mode.
     */
    @Test
    void fileIoIsRightWhetherReadFileAndWriteFileCompleteAtOnceOrLater(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        for (SimWin32.Options o : new SimWin32.Options[]{SimWin32.Options.DEFAULTS, new SimWin32.Options(false)}) {
            SimWin32 sim = new SimWin32(o);
            BufPool pool = BufPool.allocate(4096, 4);
            java.util.Random r = new java.util.Random(7);
            byte[] model = new byte[8192];
            try (DriverHarness h = DriverHarness.open(Bindings.provider(sim), 8)) {
                java.nio.file.Path file = dir.resolve("sync-" + o.ifsHandles());
                IoFd fd = IoFd.raw(h.value(new io.veloq.api.op.Open(file, java.util.EnumSet.of(
                        java.nio.file.StandardOpenOption.READ, java.nio.file.StandardOpenOption.WRITE,
                        java.nio.file.StandardOpenOption.CREATE), 0644)));
                int size = 0;
                for (int i = 0; i < 200; i++) {
                    FixedBuf b = pool.lease();
                    if (i % 2 == 0 || size == 0) {
                        int at = r.nextInt(4096);
                        byte[] chunk = new byte[1 + r.nextInt(512)];
                        r.nextBytes(chunk);
                        b.put(chunk);
                        assertEquals(chunk.length, h.value(new io.veloq.api.op.Write(fd, b, at)), "write " + i);
                        System.arraycopy(chunk, 0, model, at, chunk.length);
                        size = Math.max(size, at + chunk.length);
                    } else {
                        int at = r.nextInt(size);
                        int n = (int) h.value(new io.veloq.api.op.Read(fd, b, at));
                        assertEquals(Math.min(b.capacity(), size - at), n, "read " + i + " at " + at);
                        assertArrayEquals(java.util.Arrays.copyOfRange(model, at, at + n), b.getBytes(), "read " + i);
                    }
                    b.release();
                }
                h.value(new Close(fd));
                assertTrue(sim.stats().fileAtOnce() > 20 && sim.stats().filePended() > 20,
                        "both ways were taken: " + sim.stats());
                assertEquals(0, h.iocp().staleCompletions());
                assertEquals(java.util.List.of(), sim.failures());
            } finally {
                sim.close();
            }
        }
    }
}
