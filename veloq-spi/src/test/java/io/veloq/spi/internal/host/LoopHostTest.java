package io.veloq.spi.internal.host;

import io.veloq.api.BackpressurePolicy;
import io.veloq.api.Completion;
import io.veloq.api.EventLoop;
import io.veloq.api.IoErrorKind;
import io.veloq.api.Op;
import io.veloq.api.OpLifecycle;
import io.veloq.api.OpState;
import io.veloq.api.VeloqIoException;
import io.veloq.api.buffer.FixedBuf;
import io.veloq.api.op.Accept;
import io.veloq.api.op.Cancel;
import io.veloq.api.op.Nop;
import io.veloq.api.op.OpKind;
import io.veloq.api.op.Recv;
import io.veloq.api.op.Timeout;
import io.veloq.api.net.SockAddrStorage;
import io.veloq.spi.LinuxErrno;
import org.junit.jupiter.api.Test;

import java.net.StandardSocketOptions;
import java.nio.channels.AsynchronousCloseException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static io.veloq.spi.internal.host.ScriptedDriver.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The runtime host against a scripted driver: op table, budget, backlog, cancellation, timers, close. */
class LoopHostTest extends HostFixture {

    private static void assertMentions(Throwable t, String... fragments) {
        String msg = String.valueOf(t.getMessage());
        for (String f : fragments) {
            assertTrue(msg.contains(f), () -> "expected the message to mention '" + f + "', but it was: " + msg);
        }
    }

    private static void assertError(Op<?> op, IoErrorKind kind, LinuxErrno code) {
        VeloqIoException e = op.error();
        assertNotNull(e, op + " succeeded, expected " + code);
        assertEquals(kind, e.kind(), e.getMessage());
        assertEquals(code.code(), e.code(), e.getMessage());
        assertEquals(code.name(), e.codeName());
        assertMentions(e, op.toString());
    }

    // ---- op table: slot + generation ----

    @Test
    void aStaleCompletionNeverCompletesTheNewerOpInTheSameSlot() {
        open(b -> b.maxInFlight(1));
        Op<Recv> first = recv();
        rt.loop().submit(first);
        ScriptedDriver.Submission s1 = driver().awaitInFlight(OpKind.RECV, 1).get(0);
        driver().complete(s1.userData(), 3);
        awaitCompleted(first);
        assertEquals(3, first.result());

        Op<Recv> second = recv();
        rt.loop().submit(second);
        ScriptedDriver.Submission s2 = driver().awaitInFlight(OpKind.RECV, 1).get(0);
        assertEquals(s1.slot(), s2.slot(), "the only slot is reused");
        assertNotEquals(s1.userData(), s2.userData(), "with a new generation");

        driver().deliverRaw(s1.userData(), 99); // a late duplicate for the first op
        eventually(() -> rt.loopHosts().get(0).staleCompletions() == 1, () -> "the stale completion was not seen");
        assertEquals(OpState.SUBMITTED, second.state(), "a stale completion must not complete the newer op");

        driver().complete(s2.userData(), 5);
        awaitCompleted(second);
        assertEquals(5, second.result());
        assertEquals(List.of(first, second), completed);
    }

    @Test
    void opTableGenerationsAndCapacity() {
        OpTable t = new OpTable(2);
        Op<Nop> a = Op.of(new Nop());
        Op<Nop> b = Op.of(new Nop());
        long ta = t.add(a);
        long tb = t.add(b);
        assertSame(a, t.get(ta));
        assertTrue(t.isFull());
        assertMentions(assertThrows(IllegalStateException.class, () -> t.add(Op.of(new Nop()))), "op table full", "2 slots");
        t.remove(ta);
        assertNull(t.get(ta), "a removed token is stale");
        long tc = t.add(Op.of(new Nop()));
        assertEquals((int) ta, (int) tc, "slot reused");
        assertNull(t.get(ta), "the old token stays stale after reuse");
        assertNotNull(t.get(tc));
        assertNull(t.get(-1));
        assertNull(t.get(7));
        List<Long> live = new ArrayList<>();
        t.forEachToken(live::add);
        assertEquals(2, live.size());
        assertTrue(live.contains(tb) && live.contains(tc), "live tokens " + live);
        t.setFlag(tc, OpTable.USER_CANCELLED);
        assertTrue(t.hasFlag(tc, OpTable.USER_CANCELLED));
        assertFalse(t.hasFlag(tc, OpTable.DEADLINE_EXPIRED));
        assertEquals(2, t.size());
    }

    // ---- budget and backlog ----

    @Test
    void queuePolicyHoldsOpsBeyondTheBudgetAndDropsNothing() {
        open(b -> b.maxInFlight(2));
        List<Op<Recv>> ops = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            Op<Recv> op = recv();
            ops.add(op);
            rt.loop().submit(op);
        }
        driver().awaitInFlight(OpKind.RECV, 2);
        assertEquals(5, rt.inFlight(), "submitted and not completed, in the driver or the backlog");
        for (int done = 0; done < 5; done++) {
            ScriptedDriver.Submission next = driver().awaitInFlight(OpKind.RECV, 1).get(0);
            assertTrue(driver().inFlight.size() <= 2, "budget exceeded: " + driver().inFlight.size());
            driver().complete(next.userData(), done);
            awaitCompleted(ops.get(done));
        }
        assertEquals(ops, completed, "completed in submission order, none dropped");
        assertEquals(2, driver().maxInFlightSeen.get());
        assertEquals(0, rt.inFlight());
    }

    @Test
    void waitPolicyBlocksOtherThreadsUntilTheLoopIsBelowBudget() throws Exception {
        open(b -> b.maxInFlight(1).backpressure(BackpressurePolicy.WAIT));
        Op<Recv> first = recv();
        rt.loop().submit(first);
        ScriptedDriver.Submission s = driver().awaitInFlight(OpKind.RECV, 1).get(0);

        Op<Recv> second = recv();
        CountDownLatch submitted = new CountDownLatch(1);
        Thread t = new Thread(() -> {
            rt.loop().submit(second);
            submitted.countDown();
        }, "waiting-submitter");
        t.start();
        eventually(() -> t.getState() == Thread.State.TIMED_WAITING || t.getState() == Thread.State.WAITING,
                () -> "the submitter should wait for budget, it is " + t.getState());
        assertFalse(submitted.await(50, TimeUnit.MILLISECONDS), "submit returned while over budget");
        assertEquals(OpState.DEFINED, second.state());

        driver().complete(s.userData(), 1);
        assertTrue(submitted.await(5, TimeUnit.SECONDS), "submit still blocked after a completion freed budget");
        ScriptedDriver.Submission s2 = driver().awaitInFlight(OpKind.RECV, 1).get(0);
        driver().complete(s2.userData(), 2);
        awaitCompleted(second);
        t.join();
    }

    @Test
    void waitPolicyOnTheLoopThreadQueuesInsteadOfBlocking() {
        open(b -> b.maxInFlight(1).backpressure(BackpressurePolicy.WAIT));
        List<Op<Recv>> fromLoop = new ArrayList<>();
        CountDownLatch done = new CountDownLatch(1);
        rt.loop().execute(() -> {
            for (int i = 0; i < 3; i++) {
                Op<Recv> op = recv();
                fromLoop.add(op);
                rt.loop().submit(op); // would deadlock if the loop thread waited for its own budget
            }
            done.countDown();
        });
        eventually(() -> done.getCount() == 0, () -> "the loop thread blocked on its own budget");
        for (int i = 0; i < 3; i++) {
            driver().complete(driver().awaitInFlight(OpKind.RECV, 1).get(0).userData(), 0);
            awaitCompleted(fromLoop.get(i));
        }
    }

    @Test
    void aCancelOpIsNeverHeldBackByTheBudget() {
        for (BackpressurePolicy policy : BackpressurePolicy.values()) {
            open(b -> b.maxInFlight(1).backpressure(policy));
            Op<Recv> stuck = recv();
            rt.loop().submit(stuck);
            driver().awaitInFlight(OpKind.RECV, 1);
            Op<Recv> queued = recv();
            rt.loop().execute(() -> rt.loop().submit(queued)); // over budget: the loop thread queues it in the backlog
            eventually(() -> rt.inFlight() == 2, () -> "queued op not admitted");
            // at budget, with a backlog, from another thread (WAIT would block an ordinary op here): a Cancel
            // op must still go through at once
            CompletableFuture<Completion<Cancel>> cancel = rt.loop().submitAsync(new Cancel(stuck));
            Completion<Cancel> c = cancel.orTimeout(5, TimeUnit.SECONDS).join();
            assertEquals(1, c.value(), policy + ": the target was in flight");
            awaitCompleted(stuck);
            assertError(stuck, IoErrorKind.CANCELLED, LinuxErrno.ECANCELED);
            // the freed budget lets the queued op in
            driver().complete(driver().awaitInFlight(OpKind.RECV, 1).get(0).userData(), 0);
            awaitCompleted(queued);
            rt.close();
            closeBuffers();
        }
    }

    private void closeBuffers() {
        for (Op<?> o : completed) {
            FixedBuf b = o.payload().buffer();
            if (b != null && b.isLeased() && b.owner() == null) {
                b.release();
            }
        }
        completed.clear();
    }

    @Test
    void aCancelTheDriverHasNoRoomForIsRetriedNotDropped() {
        open(b -> { }, d -> d.cancelRefusalsLeft.set(3));
        Op<Recv> op = recv();
        rt.loop().submit(op);
        driver().awaitInFlight(OpKind.RECV, 1);
        assertTrue(rt.loop().cancel(op));
        awaitCompleted(op);
        assertError(op, IoErrorKind.CANCELLED, LinuxErrno.ECANCELED);
        assertEquals(3, driver().cancelRefusals.get(), "refused three times, then accepted");
        assertEquals(1, driver().cancelRequests.size());
    }

    @Test
    void aFullSubmissionQueueIsRetriedWithoutWaitingForACompletion() {
        // One SQ entry: each turn the host can hand the driver one op, then must submit before the next.
        open(b -> { }, d -> d.sqCapacity = 1);
        List<Op<Recv>> ops = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            ops.add(recv());
        }
        rt.loop().execute(() -> ops.forEach(rt.loop()::submit)); // one loop turn: the second finds the queue full
        // Nothing completes: the ops must still all reach the kernel (a receive may wait forever).
        driver().awaitInFlight(OpKind.RECV, 3);
        assertTrue(driver().sqFullReturns.get() >= 1, "the queue was full at least once");
        for (ScriptedDriver.Submission s : driver().inFlightOf(OpKind.RECV)) {
            driver().complete(s.userData(), 1);
        }
        ops.forEach(this::awaitCompleted);
    }

    // ---- explicit cancellation ----

    @Test
    void cancellingGivesTheBufferBackWithACancellationError() {
        open(b -> { });
        FixedBuf buf = pool.lease();
        buf.put(new byte[] {1, 2});
        Op<Recv> op = op(new Recv(FD, buf));
        assertFalse(rt.loop().cancel(op), "never submitted");
        rt.loop().submit(op);
        driver().awaitInFlight(OpKind.RECV, 1);
        assertThrows(IllegalStateException.class, buf::readableBytes, "in flight: the driver owns it");
        assertTrue(rt.loop().cancel(op));
        awaitCompleted(op);
        assertError(op, IoErrorKind.CANCELLED, LinuxErrno.ECANCELED);
        assertInstanceOf(AsynchronousCloseException.class, op.completion().error().toJava());
        assertNull(buf.owner());
        assertEquals(2, buf.readableBytes(), "back, unchanged");
        assertFalse(rt.loop().cancel(op), "already completed");
    }

    @Test
    void cancellingABackloggedOpCompletesItWithoutTheDriver() {
        open(b -> b.maxInFlight(1));
        Op<Recv> first = recv();
        Op<Recv> second = recv();
        rt.loop().submit(first);
        rt.loop().submit(second);
        driver().awaitInFlight(OpKind.RECV, 1);
        assertTrue(rt.loop().cancel(second));
        awaitCompleted(second);
        assertError(second, IoErrorKind.CANCELLED, LinuxErrno.ECANCELED);
        assertEquals(1, driver().prepared.size(), "the backlogged op never reached the driver");
        assertTrue(driver().cancelRequests.isEmpty());
        driver().complete(driver().awaitInFlight(OpKind.RECV, 1).get(0).userData(), 0);
        awaitCompleted(first);
    }

    @Test
    void interruptingABlockingCallCancelsTheOpAndStillReturnsItsPayload() throws Exception {
        open(b -> { });
        FixedBuf buf = pool.lease();
        AtomicReference<Completion<Recv>> result = new AtomicReference<>();
        AtomicReference<Boolean> interruptedAfter = new AtomicReference<>();
        Thread caller = new Thread(() -> {
            result.set(rt.loop().call(new Recv(FD, buf)));
            interruptedAfter.set(Thread.currentThread().isInterrupted());
        });
        caller.start();
        driver().awaitInFlight(OpKind.RECV, 1);
        caller.interrupt();
        caller.join(5000);
        assertFalse(caller.isAlive(), "call() did not return after interrupt");
        assertEquals(IoErrorKind.CANCELLED, result.get().error().kind());
        assertSame(buf, result.get().payload().buf());
        assertTrue(interruptedAfter.get(), "the interrupt flag is set again");
        buf.release();
    }

    // ---- timers and deadlines ----

    @Test
    void scheduledTasksRunOnTheLoopThreadInDeadlineOrder() {
        open(b -> { });
        List<String> ran = new java.util.concurrent.CopyOnWriteArrayList<>();
        List<Boolean> onLoop = new java.util.concurrent.CopyOnWriteArrayList<>();
        AtomicInteger elapsedMs = new AtomicInteger();
        long t0 = System.nanoTime();
        // Armed in one loop task, so the deadlines are 40 ms, then 20 ms and 20 ms a little later each.
        rt.loop().execute(() -> {
            rt.loop().schedule(() -> { ran.add("40"); onLoop.add(rt.loop().inLoop()); elapsedMs.set((int) ((System.nanoTime() - t0) / 1_000_000)); },
                    Duration.ofMillis(40));
            rt.loop().schedule(() -> { ran.add("20a"); onLoop.add(rt.loop().inLoop()); }, Duration.ofMillis(20));
            rt.loop().schedule(() -> { ran.add("20b"); onLoop.add(rt.loop().inLoop()); }, Duration.ofMillis(20));
        });
        // and one from another thread, handed over through the inbox
        rt.loop().schedule(() -> { ran.add("other-thread"); onLoop.add(rt.loop().inLoop()); }, Duration.ZERO);
        EventLoop.Scheduled cancelled = rt.loop().schedule(() -> ran.add("cancelled"), Duration.ofMillis(10));
        assertTrue(cancelled.cancel());
        assertFalse(cancelled.cancel(), "a second cancel reports false");
        eventually(() -> ran.size() == 4, () -> "timers ran: " + ran);
        assertEquals(List.of("20a", "20b", "40"), ran.stream().filter(r -> !r.equals("other-thread")).toList());
        assertTrue(ran.contains("other-thread"));
        assertEquals(List.of(true, true, true, true), onLoop);
        assertTrue(elapsedMs.get() >= 40, "ran early: " + elapsedMs.get() + " ms");
        assertMentions(assertThrows(IllegalArgumentException.class, () -> rt.loop().schedule(() -> { }, Duration.ofMillis(-1))),
                "must not be negative");
    }

    @Test
    void aPerOpDeadlineCancelsTheOpAsTimedOutAndGivesTheBufferBack() {
        open(b -> { });
        FixedBuf buf = pool.lease();
        Op<Recv> op = op(new Recv(FD, buf)).deadline(Duration.ofMillis(50));
        long t0 = System.nanoTime();
        rt.loop().submit(op);
        awaitCompleted(op);
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertTrue(ms >= 50, "timed out early: " + ms + " ms");
        assertError(op, IoErrorKind.TIMED_OUT, LinuxErrno.ETIMEDOUT);
        assertEquals(0, driver().prepared.get(0).deadlineNanos(), "no LINKED_TIMEOUTS: the host keeps the deadline");
        assertEquals(1, driver().cancelRequests.size());
        assertNull(buf.owner());
    }

    @Test
    void anOpThatCompletesBeforeItsDeadlineIsNotCancelledLater() throws Exception {
        open(b -> { });
        Op<Recv> op = recv().deadline(Duration.ofMillis(400)); // ample, so a slow machine completes it first
        rt.loop().submit(op);
        driver().complete(driver().awaitInFlight(OpKind.RECV, 1).get(0).userData(), 4);
        awaitCompleted(op);
        Thread.sleep(450);
        rt.loop().call(new Nop()); // one more turn past the deadline
        assertTrue(op.isSuccess());
        assertTrue(driver().cancelRequests.isEmpty(), "the deadline timer was not removed");
    }

    @Test
    void withLinkedTimeoutsTheDriverGetsTheDeadline() {
        open(b -> { }, d -> d.capabilities = java.util.Set.of(io.veloq.api.Capability.LINKED_TIMEOUTS));
        Op<Recv> op = recv().deadline(Duration.ofMillis(70));
        rt.loop().submit(op);
        ScriptedDriver.Submission s = driver().awaitInFlight(OpKind.RECV, 1).get(0);
        assertEquals(Duration.ofMillis(70).toNanos(), s.deadlineNanos());
        driver().complete(s.userData(), -LinuxErrno.ECANCELED.code()); // the linked timeout fired
        awaitCompleted(op);
        assertError(op, IoErrorKind.TIMED_OUT, LinuxErrno.ETIMEDOUT);
    }

    @Test
    void timeoutOpsCompleteSuccessfully() {
        open(b -> { });
        long t0 = System.nanoTime();
        Completion<Timeout> c = rt.loop().call(Timeout.of(Duration.ofMillis(25)));
        assertTrue(c.isSuccess(), String.valueOf(c.error()));
        assertTrue(System.nanoTime() - t0 >= 25_000_000);
    }

    // ---- threads ----

    @Test
    void opsSubmittedFromManyThreadsAllCompleteOnTheLoopThread() throws Exception {
        open(b -> b.maxInFlight(64));
        int threads = 4;
        int perThread = 250;
        AtomicInteger done = new AtomicInteger();
        AtomicReference<Thread> loopThread = new AtomicReference<>();
        AtomicInteger offLoop = new AtomicInteger();
        CountDownLatch start = new CountDownLatch(1);
        List<Thread> submitters = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            submitters.add(new Thread(() -> {
                try {
                    start.await();
                } catch (InterruptedException e) {
                    return;
                }
                for (int i = 0; i < perThread; i++) {
                    rt.loop().submit(Op.of(new Nop(), o -> {
                        loopThread.compareAndSet(null, Thread.currentThread());
                        if (!rt.loop().inLoop() || loopThread.get() != Thread.currentThread()) {
                            offLoop.incrementAndGet();
                        }
                        done.incrementAndGet();
                    }));
                }
            }));
        }
        submitters.forEach(Thread::start);
        start.countDown();
        for (Thread t : submitters) {
            t.join();
        }
        eventually(() -> done.get() == threads * perThread, () -> done.get() + " of " + threads * perThread + " completed");
        assertEquals(0, offLoop.get(), "completers ran off the loop thread");
        assertSame(driver().openedOn, loopThread.get(), "the driver was opened on the loop thread");
        assertEquals(0, rt.inFlight());
        assertTrue(driver().maxInFlightSeen.get() <= 64);
    }

    // ---- close ----

    @Test
    void closeCancelsEverythingInFlightGivesBuffersBackAndClosesTheDriverOnceAfterwards() {
        open(b -> b.maxInFlight(2));
        List<Op<Recv>> ops = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            Op<Recv> op = recv();
            ops.add(op);
            rt.loop().submit(op); // two in the driver, two in the backlog
        }
        driver().awaitInFlight(OpKind.RECV, 2);
        AtomicInteger timerRuns = new AtomicInteger();
        rt.loop().schedule(timerRuns::incrementAndGet, Duration.ofSeconds(30));
        ScriptedDriver d = driver();

        rt.close();
        assertTrue(rt.isClosed());
        for (Op<Recv> op : ops) {
            assertEquals(OpState.COMPLETED, op.state(), op + " not completed by close()");
            assertError(op, IoErrorKind.CANCELLED, LinuxErrno.ECANCELED);
            assertNull(op.payload().buf().owner(), "buffer of " + op + " not given back");
        }
        assertEquals(1, d.closes.get(), "driver closed exactly once");
        assertEquals(0, d.inFlightAtClose, "driver closed with ops still in it");
        assertEquals(2, d.deliveredAtClose, "both driver ops completed before the driver closed");
        assertEquals(2, d.prepared.size(), "backlogged ops are cancelled, not handed to a closing driver");
        assertTrue(rt.loop().bufPool().isClosed(), "the loop's own pool is freed with the runtime");
        assertEquals(0, timerRuns.get());

        rt.close(); // idempotent
        assertEquals(1, d.closes.get());
        Op<Nop> late = Op.of(new Nop(), o -> { });
        assertMentions(assertThrows(IllegalStateException.class, () -> rt.loop().submit(late)),
                "cannot submit " + late, "the runtime is closed");
        assertEquals(OpState.DEFINED, late.state());
        assertMentions(assertThrows(IllegalStateException.class, () -> rt.loop().execute(() -> { })), "runtime is closed");
    }

    @Test
    void aLeasedLoopBufferKeepsThePoolOpenAfterClose() {
        open(b -> { });
        FixedBuf b = rt.loop().bufPool().lease();
        rt.close();
        assertFalse(rt.loop().bufPool().isClosed(), "its memory is still the application's");
        b.release();
    }

    // ---- manual mode ----

    @Test
    void aManualLoopRunsOnlyWhenDriven() throws Exception {
        open(b -> b.manual());
        assertTrue(rt.loop().inLoop(), "the opening thread drives a manual loop");
        Op<Nop> op = op(new Nop());
        rt.loop().submit(op);
        assertEquals(OpState.SUBMITTED, op.state(), "nothing runs until runOnce");
        assertTrue(rt.loop().runOnce(Duration.ZERO) >= 1);
        assertEquals(OpState.COMPLETED, op.state());
        assertSame(Thread.currentThread(), completerThreads.get(0));
        assertEquals(0, rt.loop().call(new Nop()).value(), "call() drives the loop itself");

        AtomicReference<Throwable> fromOther = new AtomicReference<>();
        Thread other = new Thread(() -> {
            try {
                rt.loop().runOnce(Duration.ZERO);
            } catch (Throwable t) {
                fromOther.set(t);
            }
        }, "not-the-driver");
        other.start();
        other.join();
        assertInstanceOf(IllegalStateException.class, fromOther.get());
        assertMentions(fromOther.get(), "driven by the thread that opened it", "not-the-driver");
    }

    @Test
    void runOnceIsOnlyForManualRuntimes() {
        open(b -> { });
        assertMentions(assertThrows(IllegalStateException.class, () -> rt.loop().runOnce(Duration.ZERO)),
                "runOnce is for manual runtimes", "own thread");
    }

    // ---- lifecycle and refusals ----

    @Test
    void theDriverLifecycleWrapsAnOp() throws Exception {
        List<String> calls = new ArrayList<>();
        OpLifecycle<Accept> lc = new OpLifecycle<>() {
            @Override
            public long preAlloc(Accept payload) {
                calls.add("preAlloc");
                return 77;
            }

            @Override
            public long intoOutput(Accept payload, long preAllocated, long result) {
                calls.add("intoOutput " + preAllocated + " " + result);
                return preAllocated;
            }

            @Override
            public void discard(Accept payload, long preAllocated) {
                calls.add("discard " + preAllocated);
            }
        };
        open(b -> { }, d -> d.acceptLifecycle = lc);
        CompletableFuture<Completion<Accept>> ok = rt.loop().submitAsync(new Accept(FD, SockAddrStorage.allocate()));
        ScriptedDriver.Submission s = driver().awaitInFlight(OpKind.ACCEPT, 1).get(0);
        assertEquals(77, s.preAllocated(), "the driver gets what preAlloc made");
        driver().complete(s.userData(), 0);
        assertEquals(77, ok.get(5, TimeUnit.SECONDS).value(), "intoOutput makes the value");

        CompletableFuture<Completion<Accept>> failed = rt.loop().submitAsync(new Accept(FD, SockAddrStorage.allocate()));
        driver().complete(driver().awaitInFlight(OpKind.ACCEPT, 1).get(0).userData(), -LinuxErrno.ECONNABORTED.code());
        assertEquals(IoErrorKind.CONNECTION_ABORTED, failed.get(5, TimeUnit.SECONDS).error().kind());
        assertEquals(List.of("preAlloc", "intoOutput 77 0", "preAlloc", "discard 77"), calls);
    }

    @Test
    void anOpTheDriverRefusesCompletesAtOnceWithItsCode() {
        open(b -> { }, d -> d.refusals.put(OpKind.RECV, LinuxErrno.EOPNOTSUPP.code()));
        Op<Recv> op = recv();
        rt.loop().submit(op);
        awaitCompleted(op);
        assertError(op, IoErrorKind.NOT_SUPPORTED, LinuxErrno.EOPNOTSUPP);
        assertNull(op.payload().buf().owner());
        assertTrue(driver().prepared.isEmpty());
    }

    @Test
    void aDriverThatCannotOpenIsReportedWithItsReason() {
        ScriptedDriver.Provider p = new ScriptedDriver.Provider();
        p.openFailure = new java.io.IOException("io_uring_setup failed: EPERM");
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> RuntimeHost.open(io.veloq.api.IoRuntime.builder().threads(2).config(), p));
        assertMentions(e, "cannot open the scripted driver for loop 0", "io_uring_setup failed: EPERM");
    }

    // ---- several loops ----

    @Test
    void eachLoopHasItsOwnThreadAndDriverAndCancelsFindTheirTarget() throws Exception {
        open(b -> b.threads(2));
        assertEquals(2, provider.opened.size());
        assertNotEquals(provider.opened.get(0).openedOn, provider.opened.get(1).openedOn);
        assertEquals(0, provider.opened.get(0).config.loopIndex());
        assertEquals(1, provider.opened.get(1).config.loopIndex());
        EventLoop a = rt.next();
        EventLoop b = rt.next();
        assertNotEquals(a.index(), b.index(), "next() spreads round-robin");
        assertSame(a, rt.next());

        EventLoop second = rt.loop(1);
        Op<Recv> op = recv();
        second.submit(op);
        provider.opened.get(1).awaitInFlight(OpKind.RECV, 1);
        // a Cancel submitted to loop 0 reaches the op on loop 1
        assertEquals(1, rt.loop(0).call(new Cancel(op)).value());
        awaitCompleted(op);
        assertError(op, IoErrorKind.CANCELLED, LinuxErrno.ECANCELED);
        assertTrue(rt.toString().contains("2 loops"));
        // A runtime is not a loop: loop() is for one-loop runtimes and says what to use instead.
        IllegalStateException e = assertThrows(IllegalStateException.class, rt::loop);
        assertTrue(e.getMessage().contains("has 2 loops") && e.getMessage().contains("loop(i) or next()")
                && e.getMessage().contains("TcpServer"), e.getMessage());
    }

    // ---- bad input ----

    @Test
    void misuseIsRefusedWithAMessageNamingTheOp() throws Exception {
        open(b -> { });
        assertMentions(assertThrows(NullPointerException.class, () -> rt.loop().submitAsync((Nop) null)), "payload must not be null");
        assertMentions(assertThrows(NullPointerException.class, () -> rt.loop().call((Nop) null)), "payload must not be null");
        assertMentions(assertThrows(NullPointerException.class, () -> rt.loop().submit(null)), "op must not be null");

        Op<Nop> noCompleter = Op.of(new Nop());
        assertMentions(assertThrows(IllegalStateException.class, () -> rt.loop().submit(noCompleter)),
                "cannot submit " + noCompleter, "no completer");
        Op<Nop> withCompleter = Op.of(new Nop(), o -> { });
        assertMentions(assertThrows(IllegalStateException.class, () -> rt.loop().submitAsync(withCompleter)),
                "cannot submitAsync " + withCompleter, "has a completer");

        Op<Recv> pending = recv();
        rt.loop().submit(pending);
        assertMentions(assertThrows(IllegalStateException.class, () -> rt.loop().submit(pending)),
                "cannot submit " + pending, "SUBMITTED already (submitted twice)");
        driver().complete(driver().awaitInFlight(OpKind.RECV, 1).get(0).userData(), 0);
        awaitCompleted(pending);
        assertMentions(assertThrows(IllegalStateException.class, () -> rt.loop().submit(pending)),
                "cannot submit " + pending, "COMPLETED", "call reset() to submit it again");
        pending.payload().buf().clear();
        pending.reset();
        rt.loop().submit(pending); // after reset it is fine
        driver().complete(driver().awaitInFlight(OpKind.RECV, 1).get(0).userData(), 0);
        awaitCompleted(pending);

        AtomicReference<Throwable> onLoop = new AtomicReference<>();
        rt.loop().submit(Op.of(new Nop(), o -> {
            try {
                rt.loop().call(new Nop());
            } catch (Throwable t) {
                onLoop.set(t);
            }
        }));
        eventually(() -> onLoop.get() != null, () -> "call() on the loop thread did not fail");
        assertMentions(onLoop.get(), "on the loop thread", "would wait for itself");

        assertMentions(assertThrows(IllegalArgumentException.class,
                () -> rt.loop().setOption(FD, StandardSocketOptions.SO_RCVBUF, -1)), "SO_RCVBUF must be positive", "-1", "fd 9");
        assertMentions(assertThrows(IllegalArgumentException.class,
                () -> rt.loop().setOption(FD, StandardSocketOptions.IP_TOS, 256)), "IP_TOS", "0..255", "256");
        assertMentions(assertThrows(IllegalArgumentException.class, () -> rt.loop().listen(FD, -1)), "backlog", "-1", "fd 9");
        assertMentions(assertThrows(UnsupportedOperationException.class, () -> rt.loop().registerFile(io.veloq.api.IoFd.raw(3))),
                "scripted driver does not support registered files");
        rt.loop().setOption(FD, StandardSocketOptions.TCP_NODELAY, true);
        assertEquals(true, rt.loop().getOption(FD, StandardSocketOptions.TCP_NODELAY));
        assertEquals("/127.0.0.1:4000", rt.loop().localAddress(FD).toString());
    }
}
