package io.veloq.api;

import io.veloq.api.bootstrap.ApiAccess;
import io.veloq.api.buffer.BufPool;
import io.veloq.api.buffer.FixedBuf;
import io.veloq.api.op.Nop;
import io.veloq.api.op.Recv;
import io.veloq.api.op.Send;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static io.veloq.api.Messages.assertMentions;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The op state machine and buffer ownership, driven through the same internal bridge the runtime host
 * uses ({@link ApiAccess}), so these rules hold whatever host runs them.
 */
class OpTest {
    private static final ApiAccess.Ops OPS = ApiAccess.ops();
    private static final Object HOST = new Object();
    private static final IoFd FD = IoFd.raw(7);

    private final BufPool pool = BufPool.allocate(64, 4);

    @AfterEach
    void poolIsWhole() {
        assertEquals(0, pool.outstanding(), "a test leaked a buffer");
        pool.close();
    }

    private static VeloqIoException reset() {
        return new VeloqIoException(IoErrorKind.CONNECTION_RESET, 104, "ECONNRESET", "Recv on fd 7", "connection reset by peer");
    }

    @Test
    void definedSubmittedCompleted() {
        List<Op<Nop>> calls = new ArrayList<>();
        Op<Nop> op = Op.of(new Nop(), calls::add);
        assertEquals(OpState.DEFINED, op.state());
        assertTrue(OPS.markSubmitted(op, HOST));
        assertEquals(OpState.SUBMITTED, op.state());
        assertSame(HOST, OPS.host(op));
        assertFalse(op.isSuccess());

        OPS.complete(op, 42, null);
        assertEquals(OpState.COMPLETED, op.state());
        assertEquals(List.of(op), calls);
        assertEquals(42, op.result());
        assertNull(op.error());
        assertTrue(op.isSuccess());
        assertNull(OPS.host(op), "a completed op is tied to no host");
        Completion<Nop> c = op.completion();
        assertEquals(42, c.value());
        assertTrue(c.isSuccess());
        assertSame(op.payload(), c.payload());
    }

    @Test
    void submittingTwiceOrAfterCompletionIsRefused() {
        Op<Nop> op = Op.of(new Nop(), o -> { });
        assertTrue(OPS.markSubmitted(op, HOST));
        assertFalse(OPS.markSubmitted(op, HOST), "second submit of a SUBMITTED op");
        OPS.complete(op, 0, null);
        assertFalse(OPS.markSubmitted(op, HOST), "submit after completion without reset");
        assertEquals(OpState.COMPLETED, op.state());
        op.reset();
        assertTrue(OPS.markSubmitted(op, HOST));
        OPS.complete(op, 0, null);
    }

    @Test
    void resetOnlyFromCompletedKeepsDeadlineAndAttachment() {
        Op<Nop> op = Op.of(new Nop()).deadline(Duration.ofMillis(5)).attach("conn-1");
        assertMentions(assertThrows(IllegalStateException.class, op::reset), "cannot reset", op.toString(), "DEFINED");
        OPS.markSubmitted(op, HOST);
        OPS.aux(op, "future");
        assertMentions(assertThrows(IllegalStateException.class, op::reset), "SUBMITTED", "not COMPLETED");
        OPS.complete(op, 0, reset());
        assertFalse(op.isSuccess());
        op.reset();
        assertEquals(OpState.DEFINED, op.state());
        assertEquals(Duration.ofMillis(5).toNanos(), op.deadlineNanos());
        assertEquals("conn-1", op.attachment());
        assertNull(OPS.aux(op), "host data is cleared on reset");
        assertMentions(assertThrows(IllegalStateException.class, op::result), "cannot read the result of", op.toString(), "DEFINED");
    }

    @Test
    void readingTheOutcomeBeforeCompletionIsRefusedNamingTheOp() {
        Op<Nop> op = Op.of(new Nop());
        assertMentions(assertThrows(IllegalStateException.class, op::result), "Nop (op #" + op.id() + ")", "not COMPLETED");
        assertMentions(assertThrows(IllegalStateException.class, op::error), "cannot read the error of");
        assertMentions(assertThrows(IllegalStateException.class, op::completion), "cannot read the completion of");
    }

    @Test
    void deadlineOnlyWhileDefinedAndNeverNegative() {
        Op<Nop> op = Op.of(new Nop());
        assertMentions(assertThrows(IllegalArgumentException.class, () -> op.deadline(Duration.ofMillis(-1))),
                "must not be negative", op.toString());
        op.deadline(Duration.ofSeconds(1));
        op.deadline(null);
        assertEquals(0, op.deadlineNanos());
        OPS.markSubmitted(op, HOST);
        assertMentions(assertThrows(IllegalStateException.class, () -> op.deadline(Duration.ofSeconds(1))),
                "cannot set a deadline on", op.toString(), "SUBMITTED");
        OPS.complete(op, 0, null);
    }

    @Test
    void nullPayloadOrCompleterIsRefused() {
        assertMentions(assertThrows(NullPointerException.class, () -> Op.of(null)), "payload must not be null");
        assertMentions(assertThrows(NullPointerException.class, () -> Op.of(new Nop(), null)), "completer must not be null");
        assertFalse(OPS.hasCompleter(Op.of(new Nop())));
        assertTrue(OPS.hasCompleter(Op.of(new Nop(), o -> { })));
    }

    @Test
    void idsAreUniqueAndNamedInToString() {
        Op<Nop> a = Op.of(new Nop());
        Op<Recv> b = Op.of(new Recv(FD, leaseAndKeep()));
        assertNotEquals(a.id(), b.id());
        assertEquals("Nop (op #" + a.id() + ")", a.toString());
        assertEquals("Recv on fd 7 (op #" + b.id() + ")", b.toString());
        b.payload().buf().release();
    }

    private FixedBuf leaseAndKeep() {
        return pool.lease();
    }

    @Test
    void anInFlightBufferRefusesEveryAccessNamingTheOp() {
        FixedBuf buf = pool.lease();
        buf.put(new byte[] {1, 2});
        Op<Recv> recv = Op.of(new Recv(FD, buf));
        assertTrue(OPS.markSubmitted(recv, HOST));
        assertSame(recv, buf.owner());
        List<Runnable> touches = List.of(buf::readerIndex, buf::writerIndex, buf::readableBytes, buf::clear,
                () -> buf.put(new byte[1]), () -> buf.putByte(0), buf::getBytes, () -> buf.getByte(0), buf::compact);
        for (Runnable touch : touches) {
            assertMentions(assertThrows(IllegalStateException.class, touch::run), buf.toString(), "owned by",
                    recv.toString(), "kernel may be writing");
        }
        assertMentions(assertThrows(IllegalStateException.class, buf::release), "cannot release", recv.toString());
        assertTrue(buf.isLeased());

        // another op may not take it meanwhile
        Op<Send> send = Op.of(new Send(FD, buf));
        assertMentions(assertThrows(IllegalStateException.class, () -> OPS.markSubmitted(send, HOST)),
                "cannot submit " + send, "owned by " + recv);
        assertEquals(OpState.DEFINED, send.state(), "a refused submit leaves the op DEFINED");

        // completion gives it back and advances the writer index by the bytes received
        OPS.complete(recv, 5, null);
        assertNull(buf.owner());
        assertEquals(7, buf.writerIndex());
        assertEquals(0, buf.readerIndex());

        // a Send drains: the reader index moves by what was sent
        assertTrue(OPS.markSubmitted(send, HOST));
        OPS.complete(send, 3, null);
        assertEquals(3, buf.readerIndex());
        buf.release();
    }

    @Test
    void aFailedOpGivesItsBufferBackUnchanged() {
        FixedBuf buf = pool.lease();
        buf.put(new byte[] {9});
        Op<Recv> recv = Op.of(new Recv(FD, buf));
        OPS.markSubmitted(recv, HOST);
        OPS.complete(recv, 0, reset());
        assertNull(buf.owner());
        assertEquals(1, buf.writerIndex());
        Completion<Recv> c = recv.completion();
        assertFalse(c.isSuccess());
        assertSame(buf, c.payload().buf(), "the payload, with its buffer, comes back on failure");
        assertEquals("ECONNRESET", c.error().codeName());
        buf.release();
    }

    @Test
    void submittingWithAReleasedOrFullBufferIsRefused() {
        FixedBuf buf = pool.lease();
        buf.release();
        Op<Recv> recv = Op.of(new Recv(FD, buf));
        assertMentions(assertThrows(IllegalStateException.class, () -> OPS.markSubmitted(recv, HOST)),
                "cannot submit " + recv, "released", "use after release");
        assertEquals(OpState.DEFINED, recv.state());
        assertNull(OPS.host(recv));

        FixedBuf full = pool.lease();
        full.put(new byte[64]);
        Op<Recv> noRoom = Op.of(new Recv(FD, full));
        assertMentions(assertThrows(IllegalArgumentException.class, () -> OPS.markSubmitted(noRoom, HOST)),
                "no free space", "clear() or compact()");
        assertEquals(OpState.DEFINED, noRoom.state());
        Op<Send> send = Op.of(new Send(FD, full));
        assertTrue(OPS.markSubmitted(send, HOST), "a full buffer is fine to send from");
        OPS.complete(send, 64, null);
        full.release();
    }

    @Test
    void twoThreadsSubmittingTheSameBufferAtOnceOnlyOneWins() throws Exception {
        FixedBuf buf = pool.lease();
        java.util.concurrent.CyclicBarrier barrier = new java.util.concurrent.CyclicBarrier(2);
        java.util.concurrent.ExecutorService other = java.util.concurrent.Executors.newSingleThreadExecutor();
        try {
            for (int i = 0; i < 2000; i++) {
                Op<Send> a = Op.of(new Send(FD, buf));
                Op<Send> b = Op.of(new Send(FD, buf));
                java.util.concurrent.Future<Boolean> fb = other.submit(() -> tryTake(barrier, b));
                boolean wonA = tryTake(barrier, a);
                boolean wonB = fb.get();
                assertTrue(wonA ^ wonB, "exactly one op may own " + buf + " (round " + i + "): a=" + wonA + " b=" + wonB);
                Op<Send> winner = wonA ? a : b;
                assertSame(winner, buf.owner());
                OPS.complete(winner, 0, null);
            }
        } finally {
            other.shutdownNow();
            buf.release();
        }
    }

    private static boolean tryTake(java.util.concurrent.CyclicBarrier barrier, Op<?> op) throws Exception {
        barrier.await();
        try {
            return OPS.markSubmitted(op, HOST);
        } catch (IllegalStateException e) {
            assertMentions(e, "is owned by");
            return false;
        }
    }

    @Test
    void testsRunOnTheModulePath() {
        assertEquals("veloq.api", Op.class.getModule().getName());
        assertEquals("veloq.api", OpTest.class.getModule().getName(), "test classes are patched into the module");
    }

    @Test
    void aCompleterMayResetAndResubmit() {
        AtomicInteger runs = new AtomicInteger();
        Op<Nop>[] self = new Op[1];
        self[0] = Op.of(new Nop(), o -> {
            if (runs.incrementAndGet() < 3) {
                o.reset();
                assertTrue(OPS.markSubmitted(o, HOST));
            }
        });
        OPS.markSubmitted(self[0], HOST);
        OPS.complete(self[0], 0, null);
        assertEquals(OpState.SUBMITTED, self[0].state());
        OPS.complete(self[0], 0, null);
        OPS.complete(self[0], 0, null);
        assertEquals(3, runs.get());
        assertEquals(OpState.COMPLETED, self[0].state());
    }
}
