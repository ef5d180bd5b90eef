package io.veloq.driver.uring;

import io.veloq.api.IoErrorKind;
import io.veloq.api.IoFd;
import io.veloq.api.Op;
import io.veloq.api.IoRuntime;
import io.veloq.api.buffer.FixedBuf;
import io.veloq.api.op.Nop;
import io.veloq.api.op.OpPayload;
import io.veloq.api.op.Read;
import io.veloq.api.op.Timeout;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicIntegerArray;

import static org.junit.jupiter.api.Assertions.*;

/** Many more ops in flight than submission-queue entries: each completes exactly once, none is lost. */
class LoadTest {
    @Test
    void tenThousandOpsInFlightThroughA32EntrySubmissionQueue() throws Exception {
        int n = 10_000;
        AtomicIntegerArray completions = new AtomicIntegerArray(n);
        AtomicIntegerArray failures = new AtomicIntegerArray(n);
        CountDownLatch done = new CountDownLatch(n);
        SplittableRandom random = new SplittableRandom(42);
        try (IoRuntime rt = IoRuntime.builder().driver("uring").queueDepth(32).maxInFlight(n).buffers(4096, 1).open()) {
            List<Op<? extends OpPayload>> ops = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                final int id = i;
                // mostly timers of 1..200 ms (all in flight together), some immediate Nops
                OpPayload p = i % 10 == 0 ? new Nop() : new Timeout(TimeUnit.MILLISECONDS.toNanos(1 + random.nextInt(200)));
                ops.add(Op.of(p, op -> {
                    completions.incrementAndGet(id);
                    if (!op.isSuccess()) {
                        failures.incrementAndGet(id);
                    }
                    done.countDown();
                }));
            }
            long t0 = System.nanoTime();
            for (Op<? extends OpPayload> op : ops) {
                rt.loop().submit(op);
            }
            assertTrue(done.await(30, TimeUnit.SECONDS), "still waiting for " + done.getCount() + " of " + n);
            long ms = (System.nanoTime() - t0) / 1_000_000;
            System.out.println(n + " ops through a 32-entry SQ in " + ms + " ms");
        }
        for (int i = 0; i < n; i++) {
            assertEquals(1, completions.get(i), "op " + i + " completions");
            assertEquals(0, failures.get(i), "op " + i + " failed");
        }
    }

    @Test
    void cancellingMoreOpsThanTheQueueHoldsLosesNoCancel() throws Exception {
        int n = 300;
        int[] p = Pipes.open();
        try (IoRuntime rt = IoRuntime.builder().driver("uring").queueDepth(4).maxInFlight(n).buffers(4096, n).open()) {
            List<Op<Read>> reads = new ArrayList<>();
            CountDownLatch done = new CountDownLatch(n);
            AtomicIntegerArray kinds = new AtomicIntegerArray(n);
            for (int i = 0; i < n; i++) {
                final int id = i;
                FixedBuf b = rt.loop().bufPool().lease();
                Op<Read> r = Op.of(new Read(IoFd.raw(p[0]), b, -1), op -> {
                    kinds.set(id, op.isSuccess() ? -1 : op.error().kind().ordinal());
                    op.payload().buf().release();
                    done.countDown();
                });
                reads.add(r);
                rt.loop().submit(r);
            }
            Thread.sleep(50);
            assertEquals(n, done.getCount(), "the pipe is empty: every read is blocked");
            for (Op<Read> r : reads) {
                rt.loop().cancel(r);
            }
            assertTrue(done.await(10, TimeUnit.SECONDS), done.getCount() + " reads never completed after cancel");
            for (int i = 0; i < n; i++) {
                assertEquals(IoErrorKind.CANCELLED.ordinal(), kinds.get(i), "read " + i);
            }
        } finally {
            Pipes.close(p);
        }
    }
}
