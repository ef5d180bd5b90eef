package io.veloq.driver.iocp;

import io.veloq.api.IoFd;
import io.veloq.api.buffer.BufPool;
import io.veloq.api.net.AddressFamily;
import io.veloq.api.net.AddressLayout;
import io.veloq.api.net.SockAddrStorage;
import io.veloq.api.net.SocketType;
import io.veloq.api.op.Accept;
import io.veloq.api.op.Connect;
import io.veloq.api.op.Nop;
import io.veloq.api.buffer.FixedBuf;
import io.veloq.api.op.Recv;
import io.veloq.api.op.Send;
import io.veloq.api.op.Socket;
import io.veloq.driver.iocp.win32.NativeMemory;
import io.veloq.driver.iocp.win32.Structs;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What the driver guarantees on its own, below the host: packets that name no live op are ignored, and
 * close() takes every OVERLAPPED back from the kernel before freeing the memory it lives in.
 */
public class DriverInternalsTest {

    @Test
    void packetsForFreeSlotsOrForeignOverlappedsAreIgnored() throws Exception {
        try (DriverHarness h = DriverHarness.open(Bindings.provider((io.veloq.driver.iocp.sim.SimWin32[]) null), 8)) {
            IocpDriver d = h.iocp();
            long slot3 = d.overlappedOf(3);
            // slot 3 is free; a packet naming its OVERLAPPED (a late duplicate, a bug) must not complete anything
            assertTrue(d.win32().postQueuedCompletionStatus(d.port(), 5, IocpDriver.IO_KEY, slot3));
            // the slot's other OVERLAPPED (the one of its previous or next arm)
            assertTrue(d.win32().postQueuedCompletionStatus(d.port(), 5, IocpDriver.IO_KEY, slot3 + Structs.Overlapped.SIZE));
            // an address inside the arena but not at an OVERLAPPED, and one outside it
            assertTrue(d.win32().postQueuedCompletionStatus(d.port(), 5, IocpDriver.IO_KEY, slot3 + 8));
            assertTrue(d.win32().postQueuedCompletionStatus(d.port(), 5, IocpDriver.IO_KEY, 0x1000));
            // a blocking-call packet for a slot that runs no blocking call
            assertTrue(d.win32().postQueuedCompletionStatus(d.port(), 0, IocpDriver.BLOCKING_KEY, slot3));
            assertEquals(0, h.turn(TimeUnit.MILLISECONDS.toNanos(200)));
            assertEquals(5, d.staleCompletions());
            assertEquals(0, h.value(new Nop()), "the driver carries on");
        }
    }

    /**
     * A packet carries only its key and OVERLAPPED address: a stale or stray one naming the OVERLAPPED of an op
     * still in the kernel must not complete it. While the request is outstanding Windows keeps
     * STATUS_PENDING in OVERLAPPED.Internal, so the driver can tell.
     */
    @Test
    void aPacketNamingAPendingRecvDoesNotCompleteIt() throws Exception {
        BufPool pool = BufPool.allocate(1024, 4);
        try (DriverHarness h = DriverHarness.open(Bindings.provider((io.veloq.driver.iocp.sim.SimWin32[]) null), 8)) {
            IoFd[] p = h.tcpPair(AddressFamily.INET);
            FixedBuf in = pool.lease();
            long recv = h.start(new Recv(p[1], in));
            h.turn(0);
            IocpDriver d = h.iocp();
            assertEquals(1, d.inKernel(), "the Recv waits in the kernel");
            long overlapped = d.overlappedOf((int) recv);
            assertTrue(d.win32().postQueuedCompletionStatus(d.port(), 5, IocpDriver.IO_KEY, overlapped));
            h.turn(TimeUnit.MILLISECONDS.toNanos(200));
            assertFalse(h.isDone(recv), "a packet whose OVERLAPPED still says STATUS_PENDING completed the Recv");
            assertEquals(1, d.staleCompletions(), "and it is counted as stale");
            assertEquals(3, h.value(new Send(p[0], pool.lease().put(new byte[]{7, 8, 9}))));
            assertEquals(3, h.await(recv).valueOrThrow(), "the real completion still arrives");
            assertArrayEquals(new byte[]{7, 8, 9}, in.getBytes());
            assertEquals(1, d.staleCompletions());
        }
    }

    @Test
    void closeCancelsWhatIsStillInTheKernelAndFreesTheSlotsAfterItCameBack() throws Exception {
        long before = NativeMemory.liveBytes();
        DriverHarness h = DriverHarness.open(Bindings.provider((io.veloq.driver.iocp.sim.SimWin32[]) null), 16);
        BufPool pool = BufPool.allocate(1024, 4);
        IoFd l = IoFd.raw(h.value(new Socket(AddressFamily.INET, SocketType.STREAM)));
        h.driver().bind(l, SockAddrStorage.of(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), AddressLayout.WINDOWS));
        h.driver().listen(l, 4);
        SockAddrStorage where = SockAddrStorage.allocate(AddressLayout.WINDOWS);
        h.driver().localAddress(l, where);
        IoFd c = IoFd.raw(h.value(new Socket(AddressFamily.INET, SocketType.STREAM)));
        long accept = h.start(new Accept(l, SockAddrStorage.allocate(AddressLayout.WINDOWS)));
        h.value(new Connect(c, where));
        IoFd s = IoFd.raw(h.await(accept).valueOrThrow());
        h.start(new Recv(s, pool.lease()));
        h.start(new Recv(c, pool.lease()));
        h.start(new Accept(l, SockAddrStorage.allocate(AddressLayout.WINDOWS)));
        h.turn(TimeUnit.MILLISECONDS.toNanos(10));
        assertEquals(3, h.iocp().inKernel(), "two receives and an accept wait in the kernel");
        h.driver().close(); // straight to the driver: no host drain before it
        assertEquals(0, h.iocp().inKernel(), "every OVERLAPPED came back (cancelled) before close returned");
        assertEquals(before, NativeMemory.liveBytes(), "and only then was the slot memory freed");
    }
}
