package io.veloq.driver.iocp;

import io.veloq.api.IoErrorKind;
import io.veloq.api.IoFd;
import io.veloq.api.buffer.BufPool;
import io.veloq.api.buffer.FixedBuf;
import io.veloq.api.net.AddressFamily;
import io.veloq.api.op.Recv;
import io.veloq.api.op.Send;
import io.veloq.driver.iocp.sim.SimWin32;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * One handle, two loops (two drivers of one provider, each turned by hand): Windows sends every packet of a
 * handle to the one port it is associated with, so the driver of the other loop starts its op itself and the
 * owner forwards the packet ({@link PortRelay}). Simulator-only: it counts the packets nobody could dequeue.
 */
public class CrossLoopTest {
    private final SimWin32 sim = new SimWin32();
    private final IocpDriverProvider provider = Bindings.provider(sim);
    private final BufPool pool = BufPool.allocate(4096, 16);
    private DriverHarness owner;
    private DriverHarness other;
    private IoFd client;
    private IoFd server;

    /** A connected pair made on the owner loop, both sockets associated with its port by a first exchange. */
    @BeforeEach
    void open() throws Exception {
        owner = DriverHarness.open(provider, 16);
        other = DriverHarness.open(provider, 16);
        IoFd[] p = owner.tcpPair(AddressFamily.INET);
        client = p[0];
        server = p[1];
        assertEquals(1, owner.value(new Send(client, pool.lease().put(new byte[]{1}))));
        assertEquals(1, owner.value(new Recv(server, pool.lease())));
        assertTrue(sim.isAssociated(((IoFd.Raw) server).handle()) && sim.isAssociated(((IoFd.Raw) client).handle()));
    }

    @AfterEach
    void close() throws Exception {
        if (other != null) {
            other.close();
        }
        if (owner != null) {
            owner.close();
        }
        sim.close();
        assertEquals(0, sim.stats().lostPackets(), "completion packets queued where nobody could dequeue them");
        assertEquals(java.util.List.of(), sim.failures());
    }

    @Test
    void aRecvAndASendOnAnotherLoopCompleteThroughTheOwnersPort() throws Exception {
        FixedBuf in = pool.lease();
        long recv = other.start(new Recv(server, in));
        other.turn(0);
        assertFalse(other.isDone(recv), "started on the other loop, not refused (it used to fail with "
                + "ERROR_INVALID_PARAMETER)");
        assertEquals(1, other.iocp().inKernel(), "the Recv waits in the kernel");
        assertEquals(1, owner.iocp().relay().routedHere(), "the owner knows one packet is due for another loop");
        // The bytes come from the other loop too: only the owner's port gets the Recv's packet.
        long send = other.start(new Send(client, pool.lease().put(new byte[]{7, 8, 9})));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (sim.queued(owner.iocp().port()) == 0) {
            assertTrue(System.nanoTime() - deadline < 0, "no packet reached the owner's port");
            other.turn(TimeUnit.MILLISECONDS.toNanos(5));
        }
        assertFalse(other.isDone(recv), "the Recv's packet went to the owner's port, as on Windows");
        owner.turn(TimeUnit.MILLISECONDS.toNanos(50));
        assertTrue(owner.iocp().relay().forwarded() >= 1, "the owner forwarded it");
        assertEquals(3, awaitBoth(send).valueOrThrow());
        assertEquals(3, other.await(recv).valueOrThrow());
        assertArrayEquals(new byte[]{7, 8, 9}, in.getBytes());
        assertEquals(0, owner.iocp().relay().routedHere());
        // A Send on the other loop whose packet takes the detour too (or that completed at once, skipping the port).
        long send2 = other.start(new Send(client, pool.lease().put(new byte[]{5, 6})));
        awaitBoth(send2);
        FixedBuf back = pool.lease();
        assertEquals(2, owner.value(new Recv(server, back)));
        assertArrayEquals(new byte[]{5, 6}, back.getBytes());
        assertEquals(0, owner.iocp().staleCompletions() + other.iocp().staleCompletions(), "no packet was stale");
    }

    @Test
    void aCancelOnTheOtherLoopAbortsItsOpThroughTheOwner() throws Exception {
        long recv = other.start(new Recv(server, pool.lease()));
        other.turn(0);
        other.cancel(recv);
        DriverHarness.Result r = awaitBoth(recv);
        assertEquals(IoErrorKind.CANCELLED, r.error().kind(), r.error().getMessage());
        assertEquals(0, other.iocp().inKernel());
        assertEquals(0, owner.iocp().relay().routedHere());
    }

    @Test
    void closingTheOwnerFirstCancelsTheOtherLoopsOpsAndLosesNoPacket() throws Exception {
        long recv = other.start(new Recv(server, pool.lease()));
        other.turn(0);
        CompletableFuture<Void> closed = CompletableFuture.runAsync(() -> owner.driver().close());
        // The owner wakes the other loop, which cancels its Recv; the cancellation's packet still comes through
        // the owner, whose port stays open until then.
        DriverHarness.Result r = other.await(recv, Duration.ofSeconds(4));
        assertEquals(IoErrorKind.CANCELLED, r.error().kind(), r.error().getMessage());
        closed.get(4, TimeUnit.SECONDS);
        owner = null;
        assertEquals(0, other.iocp().inKernel());
        // The handle's packets would now go to a port nobody reads: the op is refused, clearly.
        DriverHarness.Result late = other.run(new Recv(server, pool.lease()));
        assertEquals(Win32Error.ERROR_INVALID_PARAMETER.code(), late.error().code(), late.error().getMessage());
        assertTrue(late.error().getMessage().contains("closed"), late.error().getMessage());
        assertEquals(0, other.iocp().staleCompletions());
    }

    @Test
    void closingTheOtherLoopFirstTakesItsOpsBackThroughTheOwner() throws Exception {
        other.start(new Recv(server, pool.lease()));
        other.start(new Recv(client, pool.lease()));
        other.turn(0);
        assertEquals(2, other.iocp().inKernel());
        AtomicBoolean stop = new AtomicBoolean();
        CompletableFuture<Void> ownerLoop = CompletableFuture.runAsync(() -> {
            try {
                while (!stop.get()) {
                    owner.turn(TimeUnit.MILLISECONDS.toNanos(10));
                }
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        long t0 = System.nanoTime();
        other.driver().close(); // straight to the driver: it cancels and drains by itself
        long took = System.nanoTime() - t0;
        stop.set(true);
        ownerLoop.get(4, TimeUnit.SECONDS);
        assertEquals(0, other.iocp().inKernel(), "both cancelled Recvs came back before close freed their memory");
        assertTrue(took < TimeUnit.SECONDS.toNanos(4), "close drained through the owner, it did not time out: "
                + took / 1_000_000 + " ms");
        other = null;
        assertEquals(0, owner.iocp().relay().routedHere());
        assertEquals(2, owner.iocp().relay().forwarded());
        assertEquals(1, owner.value(new Send(client, pool.lease().put(new byte[]{3}))), "the owner carries on");
        assertEquals(1, owner.value(new Recv(server, pool.lease())));
    }

    /**
     * Windows gives a closed port's handle value to the next handle opened (the simulator too): a loop opened
     * after the owner closed may get the owner's port value, and must not take the dead port's handles for its
     * own (their packets still go to the dead port).
     */
    @Test
    void aNewLoopThatGetsAClosedOwnersPortValueDoesNotTakeItsHandles() throws Exception {
        long deadPort = owner.iocp().port();
        owner.close();
        owner = null;
        DriverHarness next = DriverHarness.open(provider, 16);
        try {
            assertEquals(deadPort, next.iocp().port(), "the simulator reuses the closed port's value at once");
            DriverHarness.Result r = next.run(new Recv(server, pool.lease()));
            assertEquals(Win32Error.ERROR_INVALID_PARAMETER.code(), r.error().code(), r.error().getMessage());
            assertEquals(0, next.iocp().inKernel(), "nothing was started whose packet would go to the dead port");
        } finally {
            next.close();
        }
    }

    /** Turns both loops (one thread, in turn) until {@code token} of the other loop completed. */
    private DriverHarness.Result awaitBoth(long token) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (!other.isDone(token)) {
            assertTrue(System.nanoTime() - deadline < 0, "op " + token + " of the other loop did not complete");
            owner.turn(TimeUnit.MILLISECONDS.toNanos(5));
            other.turn(TimeUnit.MILLISECONDS.toNanos(5));
        }
        return other.await(token);
    }
}
