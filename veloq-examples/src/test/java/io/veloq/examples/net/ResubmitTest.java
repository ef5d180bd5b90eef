package io.veloq.examples.net;

import io.veloq.api.Completer;
import io.veloq.api.EventLoop;
import io.veloq.api.IoErrorKind;
import io.veloq.api.IoRuntime;
import io.veloq.api.Op;
import io.veloq.api.OpState;
import io.veloq.api.op.Nop;
import io.veloq.api.op.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link EventLoop#resubmit}: reset and submit in one call, allocation-free, from any thread, cancelled
 * during close like submit; and the two forms of {@link Completer} sharing one path ({@link Completer.OfValue#adapt}).
 */
class ResubmitTest {

    @ParameterizedTest
    @MethodSource("io.veloq.examples.net.TestDrivers#all")
    void aCompleterResubmitsItsOpWithoutAllocating(String driver) throws Exception {
        int rounds = 20_000;
        try (IoRuntime rt = TestDrivers.open(driver)) {
            EventLoop loop = rt.loop();
            CompletableFuture<Long> loopThread = new CompletableFuture<>();
            loop.execute(() -> loopThread.complete(Thread.currentThread().getId()));
            long tid = loopThread.get(5, TimeUnit.SECONDS);
            com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
            AtomicLong allocatedAtWarm = new AtomicLong();
            AtomicLong allocatedAtEnd = new AtomicLong();
            AtomicInteger n = new AtomicInteger();
            CompletableFuture<Void> done = new CompletableFuture<>();
            Op<Nop> op = Op.of(new Nop(), o -> {
                int i = n.incrementAndGet();
                if (!o.isSuccess()) {
                    done.completeExceptionally(o.error());
                    return;
                }
                if (i == 1_000) {
                    allocatedAtWarm.set(mx.getThreadAllocatedBytes(tid)); // past warm-up (JIT, lazily built tables)
                }
                if (i == rounds) {
                    allocatedAtEnd.set(mx.getThreadAllocatedBytes(tid));
                    done.complete(null);
                    return;
                }
                loop.resubmit(o);
            });
            loop.submit(op);
            done.get(30, TimeUnit.SECONDS);
            assertEquals(rounds, n.get());
            long perOp = (allocatedAtEnd.get() - allocatedAtWarm.get()) / (rounds - 1_000);
            // The fake driver records a trace and builds kernel-side objects per op; the hot path is io_uring's.
            if (!driver.equals("fake")) {
                assertEquals(0, perOp, "bytes allocated per resubmit on the loop thread ("
                        + (allocatedAtEnd.get() - allocatedAtWarm.get()) + " over " + (rounds - 1_000) + ")");
            }
            // From another thread, once it has completed: reset and submit too.
            CompletableFuture<Void> again = new CompletableFuture<>();
            Op<Nop> other = Op.of(new Nop(), o -> again.complete(null));
            loop.submit(other);
            again.get(5, TimeUnit.SECONDS);
            loop.resubmit(other); // COMPLETED -> reset -> submitted from the test thread
            assertTrue(waitFor(() -> other.state() == OpState.COMPLETED), "resubmitted from another thread");
        }
    }

    @ParameterizedTest
    @MethodSource("io.veloq.examples.net.TestDrivers#all")
    void anOpInFlightCannotBeResubmitted(String driver) throws Exception {
        try (IoRuntime rt = TestDrivers.open(driver)) {
            EventLoop loop = rt.loop();
            CompletableFuture<Op<Timeout>> completed = new CompletableFuture<>();
            Op<Timeout> t = Op.of(Timeout.of(Duration.ofMinutes(5)), completed::complete);
            loop.submit(t);
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> loop.resubmit(t));
            assertTrue(e.getMessage().contains("still in flight") && e.getMessage().contains(t.toString()), e.getMessage());
            assertTrue(loop.cancel(t));
            assertEquals(IoErrorKind.CANCELLED, completed.get(5, TimeUnit.SECONDS).error().kind());
        }
    }

    @ParameterizedTest
    @MethodSource("io.veloq.examples.net.TestDrivers#all")
    void duringCloseTheResubmitPatternEndsWithCancelled(String driver) throws Exception {
        IoRuntime rt = TestDrivers.open(driver);
        EventLoop loop = rt.loop();
        ConcurrentLinkedQueue<String> outcomes = new ConcurrentLinkedQueue<>();
        CompletableFuture<Void> ended = new CompletableFuture<>();
        Op<Timeout> wait = Op.of(Timeout.of(Duration.ofMinutes(5)), op -> {
            outcomes.add(op.isSuccess() ? "success" : op.error().kind() + (loop.inLoop() ? " on the loop" : " elsewhere"));
            if (outcomes.size() == 1) {
                loop.resubmit(op); // close cancelled it; resubmitted on the loop thread, it comes back cancelled
                return;
            }
            ended.complete(null);
        });
        try {
            loop.submit(wait);
            rt.close();
            ended.get(5, TimeUnit.SECONDS);
            assertEquals(List.of("CANCELLED on the loop", "CANCELLED on the loop"), List.copyOf(outcomes));
            // From another thread after close: throws, and the op stays DEFINED (reset, not submitted).
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> loop.resubmit(wait));
            assertTrue(e.getMessage().contains("closed"), e.getMessage());
            assertEquals(OpState.DEFINED, wait.state());
        } finally {
            rt.close();
        }
    }

    @ParameterizedTest
    @MethodSource("io.veloq.examples.net.TestDrivers#all")
    void theValueFormIsTheOpFormAdapted(String driver) throws Exception {
        try (IoRuntime rt = TestDrivers.open(driver)) {
            EventLoop loop = rt.loop();
            CompletableFuture<Object[]> got = new CompletableFuture<>();
            Completer.OfValue<String> onValue = (v, e) -> got.complete(new Object[] {v, e, loop.inLoop()});
            loop.submit(Op.of(new Nop(), onValue.adapt(op -> "nop " + op.result())));
            Object[] r = got.get(5, TimeUnit.SECONDS);
            assertEquals("nop 0", r[0]);
            assertNull(r[1]);
            assertEquals(true, r[2], "on the loop thread");
            // A failed op hands over its error; a value function that throws hands over the exception.
            CompletableFuture<Throwable> failed = new CompletableFuture<>();
            Completer.OfValue<String> onError = (v, e) -> failed.complete(v == null ? e : null);
            Op<Timeout> t = Op.of(Timeout.of(Duration.ofMinutes(5)), onError.adapt(op -> "never"));
            loop.submit(t);
            loop.cancel(t);
            assertEquals(IoErrorKind.CANCELLED, ((io.veloq.api.VeloqIoException) failed.get(5, TimeUnit.SECONDS)).kind());
            CompletableFuture<Throwable> threw = new CompletableFuture<>();
            IllegalArgumentException boom = new IllegalArgumentException("cannot wrap");
            Completer.OfValue<String> onThrow = (v, e) -> threw.complete(e);
            loop.submit(Op.of(new Nop(), onThrow.adapt(op -> { throw boom; })));
            assertSame(boom, threw.get(5, TimeUnit.SECONDS));
        }
    }

    private static boolean waitFor(java.util.function.BooleanSupplier c) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (!c.getAsBoolean()) {
            if (System.nanoTime() > end) {
                return false;
            }
            Thread.sleep(1);
        }
        return true;
    }
}
