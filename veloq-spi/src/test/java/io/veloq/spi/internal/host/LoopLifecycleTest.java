package io.veloq.spi.internal.host;

import io.veloq.api.BackpressurePolicy;
import io.veloq.api.EventLoop;
import io.veloq.api.IoErrorKind;
import io.veloq.api.LoopExceptionHandler;
import io.veloq.api.Op;
import io.veloq.api.OpState;
import io.veloq.api.bootstrap.Delays;
import io.veloq.api.buffer.FixedBuf;
import io.veloq.api.op.Nop;
import io.veloq.api.op.OpKind;
import io.veloq.api.op.Recv;
import io.veloq.api.op.Timeout;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static io.veloq.spi.internal.host.ScriptedDriver.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The op lifecycle around the runtime's own lifecycle (#10): resubmitting during close, concurrent closes,
 * the exception handler, the bound on what other threads may queue, and durations too long for nanoseconds.
 */
class LoopLifecycleTest extends HostFixture {
    private final List<Throwable> handled = new CopyOnWriteArrayList<>();
    private final List<Object> handledSources = new CopyOnWriteArrayList<>();

    private LoopExceptionHandler recording() {
        return (loop, source, error) -> {
            handledSources.add(source);
            handled.add(error);
        };
    }

    private static void assertMentions(Throwable t, String... fragments) {
        String msg = String.valueOf(t.getMessage());
        for (String f : fragments) {
            assertTrue(msg.contains(f), () -> "expected the message to mention '" + f + "', but it was: " + msg);
        }
    }

    // ---- defect 2: the resubmit pattern during close ----

    @Test
    void aCompleterResubmittingDuringCloseGetsItsOpBackCancelledAndReturnsTheBuffer() throws Exception {
        open(b -> b.exceptionHandler(recording()));
        FixedBuf buf = pool.lease();
        List<IoErrorKind> outcomes = new CopyOnWriteArrayList<>();
        List<Thread> threads = new CopyOnWriteArrayList<>();
        Op<Recv> recv = Op.of(new Recv(FD, buf), op -> {
            threads.add(Thread.currentThread());
            if (!op.isSuccess()) {
                outcomes.add(op.error().kind());
                op.payload().buffer().release(); // the documented error path
                return;
            }
            outcomes.add(null);
            op.payload().buf().clear();
            rt.loop().resubmit(op); // the documented resubmit, now while the runtime closes
        });
        rt.loop().submit(recv);
        long ud = driver().awaitInFlight(OpKind.RECV, 1).get(0).userData();
        driver().cancelRefusalsLeft.set(Integer.MAX_VALUE); // close cannot cancel it: it completes by itself
        Thread closer = new Thread(rt::close, "closer");
        closer.start();
        eventually(() -> driver().cancelRefusals.get() > 0, () -> "close never tried to cancel the recv");
        assertTrue(rt.isClosed());
        assertTrue(rt.loop(0).isClosed(), "EventLoop.isClosed once close began");
        driver().complete(ud, 5); // it succeeds during close: the completer resubmits
        closer.join(TimeUnit.SECONDS.toMillis(10));
        assertFalse(closer.isAlive(), "close did not finish");
        assertEquals(java.util.Arrays.asList(null, IoErrorKind.CANCELLED), outcomes,
                "first the success, then the resubmitted op comes back cancelled through its completer");
        assertEquals(List.of(), handled, "the resubmit threw into the completer");
        assertEquals(OpState.COMPLETED, recv.state());
        assertEquals(1, driver().prepared.size(), "the resubmitted op never reached the driver");
        threads.forEach(t -> assertTrue(t.getName().startsWith("veloq-loop-"), "completer ran on " + t));
        // HostFixture checks that no buffer is left leased.
    }

    @Test
    void afterCloseTheLoopThreadGetsCancelledCompletionsAndOtherThreadsAnException() throws Exception {
        open(b -> b.manual().exceptionHandler(recording()));
        rt.close();
        assertTrue(rt.isClosed() && rt.loop(0).isClosed());
        // The thread that drives a manual loop is its loop thread: a late submit completes cancelled.
        AtomicReference<Op<Nop>> seen = new AtomicReference<>();
        Op<Nop> late = Op.of(new Nop(), seen::set);
        rt.loop().submit(late);
        assertSame(late, seen.get(), "the completer ran at once");
        assertEquals(IoErrorKind.CANCELLED, late.error().kind());

        // Another thread: an exception, and the op is untouched, its buffer still the caller's.
        Op<Recv> foreign = recv();
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        Thread t = new Thread(() -> {
            try {
                rt.loop().submit(foreign);
            } catch (Throwable e) {
                thrown.set(e);
            }
        });
        t.start();
        t.join();
        assertTrue(thrown.get() instanceof IllegalStateException, String.valueOf(thrown.get()));
        assertMentions(thrown.get(), foreign.toString(), "closed");
        assertEquals(OpState.DEFINED, foreign.state());
        foreign.payload().buf().release();
        assertEquals(List.of(), handled);
    }

    // ---- defect 11: every close waits ----

    @Test
    void aSecondConcurrentCloseReturnsOnlyWhenTheShutdownIsComplete() throws Exception {
        open(b -> { });
        Op<Recv> stuck = recv();
        rt.loop().submit(stuck);
        long ud = driver().awaitInFlight(OpKind.RECV, 1).get(0).userData();
        driver().cancelRefusalsLeft.set(Integer.MAX_VALUE);
        ScriptedDriver d = driver();
        Thread first = new Thread(rt::close, "first closer");
        first.start();
        eventually(() -> d.cancelRefusals.get() > 0, () -> "close never tried to cancel the recv");
        AtomicInteger closesSeenBySecond = new AtomicInteger(-1);
        Thread second = new Thread(() -> {
            rt.close();
            closesSeenBySecond.set(d.closes.get());
        }, "second closer");
        second.start();
        second.join(300);
        assertTrue(second.isAlive(), "the second close returned while the first was still draining");
        d.complete(ud, 0);
        first.join(TimeUnit.SECONDS.toMillis(10));
        second.join(TimeUnit.SECONDS.toMillis(10));
        assertFalse(first.isAlive() || second.isAlive());
        assertEquals(1, closesSeenBySecond.get(), "the second close returned before the driver was closed");
        stuck.payload().buf().release();
    }

    @Test
    void closeFromACompleterStartsTheShutdownAndReturns() throws Exception {
        open(b -> { });
        CompletableFuture<Boolean> returned = new CompletableFuture<>();
        rt.loop().submit(Op.of(new Nop(), op -> {
            rt.close(); // cannot wait for its own loop
            returned.complete(rt.isClosed());
        }));
        assertTrue(returned.get(10, TimeUnit.SECONDS));
        rt.close(); // from the test thread: waits for the end
        assertEquals(1, driver().closes.get());
    }

    // ---- defect 3: the exception handler ----

    @Test
    void theExceptionHandlerGetsCompleterTaskAndTimerExceptionsAndTheLoopGoesOn() throws Exception {
        open(b -> b.exceptionHandler(recording()));
        Op<Nop> bad = Op.of(new Nop(), o -> {
            throw new IllegalStateException("boom from the completer");
        });
        rt.loop().submit(bad);
        awaitCompleted(bad);
        Runnable task = () -> {
            throw new IllegalArgumentException("boom from a task");
        };
        rt.loop().execute(task);
        Runnable timer = () -> {
            throw new UnsupportedOperationException("boom from a timer");
        };
        rt.loop().schedule(timer, Duration.ofMillis(1));
        eventually(() -> handled.size() == 3, () -> "handled: " + handled);
        assertSame(bad, handledSources.get(0), "the handler gets the op whose completer threw");
        assertEquals("boom from the completer", handled.get(0).getMessage());
        assertSame(task, handledSources.get(1));
        assertEquals("boom from a task", handled.get(1).getMessage());
        assertSame(timer, handledSources.get(2));
        assertTrue(rt.loop().call(new Nop()).isSuccess(), "the loop still runs ops");
    }

    @Test
    void aThrowingHandlerDoesNotStopTheLoopEither() {
        open(b -> b.exceptionHandler((loop, source, error) -> {
            throw new IllegalStateException("the handler fails too");
        }));
        rt.loop().execute(() -> {
            throw new IllegalStateException("boom");
        });
        assertTrue(rt.loop().call(new Nop()).isSuccess());
    }

    // ---- defect 12: what other threads may queue is bounded ----

    @Test
    void underQueueAForeignSubmitBeyondTheBoundIsRefusedNamingTheLoopAndTheSetting() throws Exception {
        open(b -> b.maxInFlight(4).maxQueued(8).backpressure(BackpressurePolicy.QUEUE));
        List<Op<Timeout>> accepted = new ArrayList<>();
        AtomicReference<RejectedExecutionException> refused = new AtomicReference<>();
        Op<Timeout> last = Op.of(Timeout.of(Duration.ofHours(1)), o -> { });
        Thread submitter = new Thread(() -> {
            for (int i = 0; i < 12; i++) {
                Op<Timeout> op = Op.of(Timeout.of(Duration.ofHours(1)), o -> { });
                rt.loop().submit(op);
                accepted.add(op);
            }
            try {
                rt.loop().submit(last);
            } catch (RejectedExecutionException e) {
                refused.set(e);
            }
        });
        submitter.start();
        submitter.join(TimeUnit.SECONDS.toMillis(10));
        assertEquals(12, accepted.size());
        assertNotNull(refused.get(), "the 13th op was accepted beyond maxInFlight 4 + maxQueued 8");
        assertMentions(refused.get(), last.toString(), "EventLoop#0", "maxInFlight 4", "maxQueued 8",
                "IoRuntime.builder().maxQueued", "BackpressurePolicy.WAIT");
        assertEquals(OpState.DEFINED, last.state(), "a refused op stays the caller's");
        // The loop thread itself is never refused.
        CompletableFuture<Op<Timeout>> fromLoop = new CompletableFuture<>();
        rt.loop().execute(() -> {
            Op<Timeout> op = Op.of(Timeout.of(Duration.ofHours(1)), o -> { });
            rt.loop().submit(op);
            fromLoop.complete(op);
        });
        assertEquals(OpState.SUBMITTED, fromLoop.get(10, TimeUnit.SECONDS).state());
        long t0 = System.nanoTime();
        rt.close();
        assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(5), "close with a bounded queue is quick");
        accepted.forEach(op -> assertEquals(IoErrorKind.CANCELLED, op.error().kind()));
    }

    @Test
    void underWaitAForeignSubmitterWaitsInsteadOfBeingRefused() throws Exception {
        open(b -> b.maxInFlight(2).maxQueued(0).backpressure(BackpressurePolicy.WAIT));
        List<Op<Recv>> ops = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            Op<Recv> op = recv();
            ops.add(op);
            rt.loop().submit(op);
        }
        Op<Recv> third = recv();
        Thread waiter = new Thread(() -> rt.loop().submit(third));
        waiter.start();
        waiter.join(300);
        assertTrue(waiter.isAlive(), "WAIT let a third op in beyond the budget");
        long ud = driver().awaitInFlight(OpKind.RECV, 2).get(0).userData();
        driver().complete(ud, 1);
        waiter.join(TimeUnit.SECONDS.toMillis(10));
        assertFalse(waiter.isAlive());
        assertEquals(OpState.SUBMITTED, third.state());
    }

    // ---- tasks from other threads are bounded like ops ----

    /** Blocks the loop thread in a task until the returned latch is counted down. */
    private CountDownLatch blockTheLoop() throws InterruptedException {
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch blocked = new CountDownLatch(1);
        rt.loop().execute(() -> {
            blocked.countDown();
            try {
                release.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        assertTrue(blocked.await(10, TimeUnit.SECONDS));
        return release;
    }

    @Test
    void underQueueForeignTasksBeyondTheBoundAreRefusedNamingTheLoopAndTheSetting() throws Exception {
        open(b -> b.maxInFlight(4).maxQueued(8).backpressure(BackpressurePolicy.QUEUE));
        AtomicInteger ran = new AtomicInteger();
        CountDownLatch release = blockTheLoop();
        for (int i = 0; i < 12; i++) {
            rt.loop().execute(ran::incrementAndGet);
        }
        Runnable thirteenth = ran::incrementAndGet;
        RejectedExecutionException refused = assertThrows(RejectedExecutionException.class,
                () -> rt.loop().execute(thirteenth), "a 13th task queued beyond maxInFlight 4 + maxQueued 8");
        assertMentions(refused, thirteenth.toString(), "EventLoop#0", "12 tasks", "maxInFlight 4", "maxQueued 8",
                "IoRuntime.builder().maxQueued", "BackpressurePolicy.WAIT");
        assertThrows(RejectedExecutionException.class, () -> rt.loop().schedule(thirteenth, Duration.ZERO));
        release.countDown();
        eventually(() -> ran.get() == 12, () -> "ran " + ran.get() + " of the 12 accepted tasks");

        // Scheduled tasks count until they run or are cancelled.
        List<EventLoop.Scheduled> later = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            later.add(rt.loop().schedule(ran::incrementAndGet, Duration.ofHours(1)));
        }
        assertThrows(RejectedExecutionException.class, () -> rt.loop().execute(thirteenth), "12 timers are pending");
        assertTrue(later.get(0).cancel());
        rt.loop().execute(ran::incrementAndGet); // the cancelled one made room
        eventually(() -> ran.get() == 13, () -> "the task after the cancel did not run");

        // The loop thread itself is never refused.
        CompletableFuture<Integer> fromLoop = new CompletableFuture<>();
        for (int i = 1; i < later.size(); i++) {
            later.get(i).cancel();
        }
        rt.loop().execute(() -> {
            for (int i = 0; i < 100; i++) {
                rt.loop().execute(ran::incrementAndGet);
                rt.loop().schedule(ran::incrementAndGet, Duration.ofHours(1));
            }
            fromLoop.complete(100);
        });
        assertEquals(100, fromLoop.get(10, TimeUnit.SECONDS));
        eventually(() -> ran.get() == 113, () -> "ran " + ran.get());
    }

    @Test
    void underWaitAForeignTaskWaitsForRoomInsteadOfBeingRefused() throws Exception {
        open(b -> b.maxInFlight(1).maxQueued(1).backpressure(BackpressurePolicy.WAIT));
        AtomicInteger ran = new AtomicInteger();
        CountDownLatch release = blockTheLoop();
        rt.loop().execute(ran::incrementAndGet);
        rt.loop().execute(ran::incrementAndGet);
        Thread waiter = new Thread(() -> rt.loop().execute(ran::incrementAndGet), "waiter");
        waiter.start();
        waiter.join(300);
        assertTrue(waiter.isAlive(), "WAIT let a third task in beyond maxInFlight 1 + maxQueued 1");
        release.countDown();
        waiter.join(TimeUnit.SECONDS.toMillis(10));
        assertFalse(waiter.isAlive());
        eventually(() -> ran.get() == 3, () -> "ran " + ran.get());
    }

    @Test
    void maxQueuedIsValidated() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> io.veloq.api.IoRuntime.builder().maxQueued(-1).config());
        assertMentions(e, "maxQueued", "-1");
    }

    // ---- defect 13: durations too long for nanoseconds ----

    @Test
    void durationsTooLongForNanosecondsSaturateInsteadOfOverflowing() throws Exception {
        open(b -> { });
        Duration forever = Duration.ofSeconds(Long.MAX_VALUE, 999_999_999);
        Op<Nop> op = Op.of(new Nop(), o -> { }).deadline(forever);
        assertEquals(Delays.MAX_NANOS, op.deadlineNanos());
        assertEquals(Delays.MAX_NANOS, Timeout.of(forever).nanos());
        AtomicInteger ran = new AtomicInteger();
        EventLoop.Scheduled never = rt.loop().schedule(ran::incrementAndGet, forever);
        rt.loop().submit(op);
        awaitCompleted(op);
        assertTrue(op.isSuccess(), "a deadline of 'forever' does not expire at once: " + op.error());
        CompletableFuture<Integer> later = new CompletableFuture<>();
        rt.loop().schedule(() -> later.complete(ran.get()), Duration.ofMillis(20));
        assertEquals(0, later.get(10, TimeUnit.SECONDS), "a task scheduled for 'forever' ran");
        assertTrue(never.cancel());
        assertThrows(IllegalArgumentException.class, () -> Timeout.of(Duration.ofNanos(-1)));
        assertThrows(IllegalArgumentException.class, () -> rt.loop().schedule(() -> { }, Duration.ofSeconds(-1)));
    }
}
