package io.veloq.driver.uring;

import io.veloq.api.IoFd;
import io.veloq.api.buffer.BufPool;
import io.veloq.api.buffer.FixedBuf;
import io.veloq.api.op.Cancel;
import io.veloq.api.op.Nop;
import io.veloq.api.op.Read;
import io.veloq.api.op.Recv;
import io.veloq.api.op.Timeout;
import io.veloq.spi.DriverConfig;
import io.veloq.spi.LinuxErrno;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/** The driver on its own, the way the host drives it: prepare, submitAndWait, cancel, wake-up, close. */
class UringDriverTest {
    private static final long MS = TimeUnit.MILLISECONDS.toNanos(1);

    static UringDriver open(int queueDepth, int maxInFlight, Map<String, String> options) throws Exception {
        return (UringDriver) new UringProvider().open(new DriverConfig(0, queueDepth, maxInFlight, 4, options));
    }

    /** Completions by user data, each counted. */
    static final class Sink implements io.veloq.spi.CompletionSink {
        final Map<Long, Long> results = new HashMap<>();
        final Map<Long, Integer> counts = new HashMap<>();

        @Override
        public void complete(long userData, long result) {
            results.put(userData, result);
            counts.merge(userData, 1, Integer::sum);
        }
    }

    @Test
    void prepareReturnsZeroWhenTheSubmissionQueueIsFullAndTheOpIsNotLost() throws Exception {
        try (UringDriver d = open(4, 64, Map.of())) {
            assertEquals(4, d.sqEntries());
            int queued = 0;
            while (d.prepare(queued, new Nop(), -1, 0) == 1) {
                queued++;
            }
            // the wake-up read armed at open holds one entry until the first submitAndWait
            assertEquals(3, queued);
            assertEquals(0, d.prepare(queued, new Nop(), -1, 0), "SQ full: the host keeps the op");
            Sink sink = new Sink();
            d.submitAndWait(-1, sink);
            assertEquals(1, d.prepare(queued, new Nop(), -1, 0), "room again after submitAndWait");
            queued++;
            while (sink.counts.size() < queued) {
                d.submitAndWait(-1, sink);
            }
            for (long i = 0; i < queued; i++) {
                assertEquals(1, sink.counts.get(i), "op " + i + " completed exactly once");
            }
        }
    }

    @Test
    void prepareCancelReturnsFalseWhenFullAndTheCancelStillLands() throws Exception {
        try (UringDriver d = open(4, 64, Map.of())) {
            Sink sink = new Sink();
            d.submitAndWait(0, sink); // submits the wake-up read
            assertEquals(1, d.prepare(10, new Timeout(60_000 * MS), -1, 0));
            assertEquals(1, d.prepare(11, new Timeout(60_000 * MS), -1, 0));
            long filler = 100;
            while (d.prepare(filler, new Nop(), -1, 0) == 1) {
                filler++;
            }
            assertFalse(d.prepareCancel(10), "no room: the host retries after submitAndWait");
            d.submitAndWait(0, sink);
            assertTrue(d.prepareCancel(10));
            assertTrue(d.prepareCancel(11));
            long deadline = System.nanoTime() + 5_000 * MS;
            while (!(sink.counts.containsKey(10L) && sink.counts.containsKey(11L)) && System.nanoTime() < deadline) {
                d.submitAndWait(100 * MS, sink);
            }
            assertEquals(-LinuxErrno.ECANCELED.code(), sink.results.get(10L));
            assertEquals(-LinuxErrno.ECANCELED.code(), sink.results.get(11L));
            assertTrue(d.prepareCancel(10), "a target that already completed is ignored");
        }
    }

    @Test
    void atMostOneKernelEntryPerSubmitAndWait() throws Exception {
        try (UringDriver d = open(64, 256, Map.of())) {
            Sink sink = new Sink();
            for (int round = 0; round < 50; round++) {
                for (int i = 0; i < 40; i++) {
                    assertEquals(1, d.prepare(round * 100L + i, new Nop(), -1, 0));
                }
                long before = d.enters();
                d.submitAndWait(-1, sink);
                assertTrue(d.enters() - before <= 1, "enters in one call: " + (d.enters() - before));
            }
            while (sink.counts.size() < 50 * 40) {
                long before = d.enters();
                d.submitAndWait(-1, sink);
                assertTrue(d.enters() - before <= 1);
            }
            sink.counts.values().forEach(c -> assertEquals(1, c));
        }
    }

    @Test
    void completionQueueOverflowIsFlushedAndNothingIsLost() throws Exception {
        // With DEFER_TASKRUN the kernel posts deferred completions only as the CQ has room, so the overflow
        // list is exercised without it: timers completing from interrupt context into a CQ of 64 entries.
        overflowRun(Map.of("uring.cq-entries", "64"));
        assertTrue(overflowRun(Map.of("uring.cq-entries", "64", "uring.setup-flags", "none")) > 0,
                "the kernel held completions back (IORING_SQ_CQ_OVERFLOW) and they were flushed");
    }

    /** 248+ timers firing together into a 64-entry CQ: each completes exactly once. Returns overflow turns. */
    private static long overflowRun(Map<String, String> options) throws Exception {
        try (UringDriver d = open(64, 512, options)) {
            assertEquals(64, d.cqEntries());
            Sink sink = new Sink();
            int n = 0;
            for (int round = 0; round < 4; round++) {
                while (d.prepare(n, new Timeout(30 * MS), -1, 0) == 1) {
                    n++;
                }
                d.submitAndWait(0, sink);
            }
            Thread.sleep(80);
            long deadline = System.nanoTime() + 5_000 * MS;
            while (sink.counts.size() < n && System.nanoTime() < deadline) {
                d.submitAndWait(100 * MS, sink);
            }
            assertTrue(n > 200, "timers: " + n);
            assertEquals(n, sink.counts.size(), "every timer completed (" + options + ")");
            sink.counts.values().forEach(c -> assertEquals(1, c, "exactly once"));
            sink.results.values().forEach(r -> assertEquals(0L, r, "a fired Timeout completes with 0"));
            return d.overflowTurns();
        }
    }

    @Test
    void wakeupEndsABlockedWaitFromAnotherThreadAndIsCheapWhenRepeated() throws Exception {
        try (UringDriver d = open(8, 16, Map.of())) {
            Sink sink = new Sink();
            Thread t = new Thread(() -> {
                try {
                    Thread.sleep(50);
                } catch (InterruptedException e) {
                    return;
                }
                for (int i = 0; i < 10_000; i++) {
                    d.wakeup();
                }
            });
            long t0 = System.nanoTime();
            t.start();
            assertEquals(0, d.submitAndWait(-1, sink));
            long waited = System.nanoTime() - t0;
            t.join();
            assertTrue(waited >= 40 * MS && waited < 5_000 * MS, "woke after " + waited / MS + " ms");
            // A wake-up before the wait makes that wait return at once; later waits block again.
            d.wakeup();
            long t1 = System.nanoTime();
            d.submitAndWait(-1, sink);
            d.submitAndWait(0, sink);
            assertTrue(System.nanoTime() - t1 < 1_000 * MS);
            long t2 = System.nanoTime();
            d.submitAndWait(30 * MS, sink);
            assertTrue(System.nanoTime() - t2 >= 25 * MS, "no stale wake-up left behind");
            assertTrue(sink.counts.isEmpty(), "internal completions never reach the sink");
        }
    }

    @Test
    void timedWaitsReturnAfterTheTimeoutWithExtArgAndWithTheDeadlineTimer() throws Exception {
        for (String mode : new String[] {"ext-arg", "timer"}) {
            try (UringDriver d = open(8, 16, Map.of("uring.timed-wait", mode))) {
                Sink sink = new Sink();
                for (int i = 0; i < 3; i++) {
                    long t0 = System.nanoTime();
                    assertEquals(0, d.submitAndWait(20 * MS, sink));
                    long ms = (System.nanoTime() - t0) / MS;
                    assertTrue(ms >= 19 && ms < 2000, mode + ": waited " + ms + " ms");
                }
                // a completion ends a timed wait early
                assertEquals(1, d.prepare(1, new Timeout(5 * MS), -1, 0));
                long t0 = System.nanoTime();
                int got = 0;
                while (got == 0) {
                    got = d.submitAndWait(2_000 * MS, sink);
                }
                assertTrue(System.nanoTime() - t0 < 1_000 * MS, mode);
                assertEquals(0L, sink.results.get(1L));
            }
        }
    }

    /**
     * A host timer makes every wait of its loop a timed one (the echo server's idle timers do): a timed
     * io_uring_enter must not allocate. The six-argument EXT_ARG form goes through jnr-ffi's heap invocation
     * buffer (one per call); the default keeps one absolute-deadline TIMEOUT SQE armed instead.
     */
    @Test
    void timedWaitsAllocateNothing() throws Exception {
        // By reflection: this module does not read java.management (core reflection needs no read edge).
        Object mx = Class.forName("java.lang.management.ManagementFactory").getMethod("getThreadMXBean").invoke(null);
        java.lang.reflect.Method allocated = Class.forName("com.sun.management.ThreadMXBean")
                .getMethod("getThreadAllocatedBytes", long.class);
        long me = Thread.currentThread().getId();
        try (UringDriver d = open(8, 16, Map.of())) {
            long[] completed = new long[1];
            io.veloq.spi.CompletionSink sink = (userData, result) -> completed[0]++; // allocates nothing itself
            Nop nop = new Nop();
            long enters = 0;
            long before = 0;
            for (int round = 0; round < 2; round++) { // the first round warms up (class loading, JIT)
                before = (Long) allocated.invoke(mx, me);
                enters = d.enters();
                for (int i = 0; i < 20_000; i++) {
                    d.prepare(1, nop, -1, 0);
                    int got = 0;
                    while (got == 0) {
                        got = d.submitAndWait(5_000 * MS, sink); // timed: waits in io_uring_enter for the nop
                    }
                }
            }
            long bytes = (Long) allocated.invoke(mx, me) - before;
            assertEquals(40_000, completed[0]);
            assertTrue(d.enters() - enters >= 20_000, "every turn entered the kernel: " + (d.enters() - enters));
            assertTrue(bytes < 20_000, "20000 timed waits allocated " + bytes + " bytes");
        }
    }

    /** A wait shorter than the deadline timer still armed from a longer wait moves the timer earlier. */
    @Test
    void aShortWaitAfterALongOneReturnsAfterTheShortTimeout() throws Exception {
        try (UringDriver d = open(8, 16, Map.of())) {
            Sink sink = new Sink();
            d.prepare(1, new Nop(), -1, 0);
            int got = 0;
            while (got == 0) {
                got = d.submitAndWait(10_000 * MS, sink); // arms a 10 s timer, returns with the nop
            }
            for (int i = 0; i < 3; i++) {
                long t0 = System.nanoTime();
                assertEquals(0, d.submitAndWait(20 * MS, sink));
                long ms = (System.nanoTime() - t0) / MS;
                assertTrue(ms >= 19 && ms < 5_000, "waited " + ms + " ms for a 20 ms timeout");
            }
        }
    }

    @Test
    void worksWithoutAnyOptionalSetupFlag() throws Exception {
        try (UringDriver d = open(8, 16, Map.of("uring.setup-flags", "none"))) {
            assertEquals("CQSIZE|CLAMP", d.setupFlags());
            Sink sink = new Sink();
            d.prepare(1, new Nop(), -1, 0);
            d.prepare(2, new Timeout(10 * MS), -1, 0);
            while (sink.counts.size() < 2) {
                d.submitAndWait(-1, sink);
            }
            assertEquals(0L, sink.results.get(2L));
            Thread t = new Thread(() -> {
                try {
                    Thread.sleep(30);
                } catch (InterruptedException ignored) {
                    // fall through
                }
                d.wakeup();
            });
            t.start();
            d.submitAndWait(-1, sink);
            t.join();
        }
        try (UringDriver d = open(8, 16, Map.of())) {
            assertTrue(d.setupFlags().contains("SINGLE_ISSUER") && d.setupFlags().contains("DEFER_TASKRUN"),
                    d.setupFlags());
        }
    }

    @Test
    void queueSizesBeyondTheKernelsLimitsAreClamped() throws Exception {
        try (UringDriver d = open(1_000_000, 1 << 20, Map.of())) {
            assertEquals(32768, d.sqEntries());
            assertEquals(65536, d.cqEntries());
            Sink sink = new Sink();
            d.prepare(1, new Nop(), -1, 0);
            d.submitAndWait(-1, sink);
            assertEquals(0L, sink.results.get(1L));
        }
    }

    @Test
    void refusesWhatItCannotExpressWithAnErrno() throws Exception {
        try (UringDriver d = open(8, 16, Map.of());
             BufPool pool = BufPool.allocate(4096, 1)) {
            FixedBuf b = pool.lease();
            assertEquals(-LinuxErrno.EINVAL.code(), d.prepare(1, new Cancel(io.veloq.api.Op.of(new Nop())), -1, 0));
            assertEquals(-LinuxErrno.EBADF.code(), d.prepare(2, new Recv(IoFd.fixed(3), b), -1, 0),
                    "an empty registered-file slot");
            assertEquals(-LinuxErrno.EBADF.code(), d.prepare(3, new Recv(IoFd.fixed(99), b), -1, 0));
            assertEquals(-LinuxErrno.EBADF.code(), d.prepare(4, new Recv(IoFd.raw(1L << 40), b), -1, 0));
            b.release();
        }
    }

    @Test
    void anyUserDataWorksNotOnlyTheHostsSlotNumbers() throws Exception {
        int[] p = Pipes.open();
        try (UringDriver d = open(16, 8, Map.of());
             BufPool pool = BufPool.allocate(4096, 4)) {
            Sink sink = new Sink();
            long[] uds = {7L << 40 | 3, 3, Long.MAX_VALUE, 123_456_789_012L};
            FixedBuf[] bufs = new FixedBuf[uds.length];
            for (int i = 0; i < uds.length; i++) {
                bufs[i] = pool.lease();
                assertEquals(1, d.prepare(uds[i], new Read(IoFd.raw(p[0]), bufs[i], -1), -1, 0));
            }
            d.submitAndWait(0, sink);
            for (long ud : uds) {
                assertTrue(d.prepareCancel(ud));
            }
            long deadline = System.nanoTime() + 5_000 * MS;
            while (sink.counts.size() < uds.length && System.nanoTime() < deadline) {
                d.submitAndWait(100 * MS, sink);
            }
            for (long ud : uds) {
                assertEquals(-LinuxErrno.ECANCELED.code(), sink.results.get(ud), "user data " + ud);
            }
            for (FixedBuf b : bufs) {
                b.release();
            }
        } finally {
            Pipes.close(p);
        }
    }

    @Test
    void linkedTimeoutCancelsASlowOpWithTheCancelledCode() throws Exception {
        int[] p = Pipes.open();
        try (UringDriver d = open(16, 8, Map.of());
             BufPool pool = BufPool.allocate(4096, 1)) {
            Sink sink = new Sink();
            FixedBuf b = pool.lease();
            assertEquals(1, d.prepare(5, new Read(IoFd.raw(p[0]), b, -1), -1, 30 * MS));
            long t0 = System.nanoTime();
            while (sink.counts.isEmpty()) {
                d.submitAndWait(-1, sink);
            }
            long ms = (System.nanoTime() - t0) / MS;
            // the host turns ECANCELED of an op with a deadline into TIMED_OUT
            assertEquals(-LinuxErrno.ECANCELED.code(), sink.results.get(5L));
            assertTrue(ms >= 25 && ms < 2000, "cancelled after " + ms + " ms");
            b.release();
        } finally {
            Pipes.close(p);
        }
    }
}
