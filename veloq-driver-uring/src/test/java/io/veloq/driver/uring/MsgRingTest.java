package io.veloq.driver.uring;

import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Cross-loop wake-ups by IORING_OP_MSG_RING: a ring blocked in its wait returns when another ring (another
 * loop) sends it a message with that loop's next submit; no eventfd write is made for it. Each ring is driven
 * by its own thread, as SINGLE_ISSUER wants.
 */
class MsgRingTest {

    /** Opens a driver on its own thread and runs {@code body} there (the ring's single issuer). */
    private static final class Loop extends Thread {
        final CompletableFuture<UringDriver> driver = new CompletableFuture<>();
        final CountDownLatch stop = new CountDownLatch(1);
        final CompletableFuture<Long> returnedAfterNanos = new CompletableFuture<>();
        volatile boolean waitOnce;

        Loop(String name) {
            super(name);
            setDaemon(true);
        }

        @Override
        public void run() {
            try (UringDriver d = UringDriverTest.open(64, 64, Map.of())) {
                driver.complete(d);
                UringDriverTest.Sink sink = new UringDriverTest.Sink();
                d.submitAndWait(0, sink); // arms the eventfd read
                while (!waitOnce) {
                    Thread.onSpinWait();
                }
                long t0 = System.nanoTime();
                d.submitAndWait(TimeUnit.SECONDS.toNanos(10), sink); // blocks until woken (or 10 s)
                returnedAfterNanos.complete(System.nanoTime() - t0);
                stop.await();
            } catch (Throwable t) {
                driver.completeExceptionally(t);
                returnedAfterNanos.completeExceptionally(t);
            }
        }
    }

    @Test
    void aMessageFromAnotherRingWakesAWaitingRingWithoutAnEventfdWrite() throws Exception {
        Loop target = new Loop("msg-ring-target");
        target.start();
        UringDriver b = target.driver.get(10, TimeUnit.SECONDS);
        try (UringDriver a = UringDriverTest.open(64, 64, Map.of())) {
            UringDriverTest.Sink sink = new UringDriverTest.Sink();
            a.submitAndWait(0, sink);
            target.waitOnce = true;
            Thread.sleep(100); // the target is (very likely) inside io_uring_enter, waiting
            assertFalse(target.returnedAfterNanos.isDone(), "nothing has woken the target yet");
            long writesBefore = b.eventfdWrites();
            assertTrue(a.wake(b), "a 6.x kernel has MSG_RING: the wake-up rides on this ring");
            assertFalse(a.wake(a), "a ring does not message itself");
            a.submitAndWait(0, sink); // this loop's next submit carries the message
            long waited = target.returnedAfterNanos.get(5, TimeUnit.SECONDS);
            assertTrue(waited < TimeUnit.SECONDS.toNanos(5), "the target returned from its wait after " + waited + " ns");
            assertEquals(writesBefore, b.eventfdWrites(), "no eventfd write on the MSG_RING path");
            assertEquals(1, a.msgRingsSent());
            assertEquals(0, a.msgRingFailures());
            assertTrue(sink.counts.isEmpty(), "internal messages never reach the sink: " + sink.counts);
        } finally {
            target.stop.countDown();
            target.join(10_000);
        }
    }

    @Test
    void theRingIsEnteredByItsRegisteredIndexAndStillWorks() throws Exception {
        try (UringDriver d = UringDriverTest.open(64, 64, Map.of());
             UringDriver plain = UringDriverTest.open(64, 64, Map.of("uring.registered-ring", "off"))) {
            assertTrue(d.registeredRing(), "SINGLE_ISSUER on 6.x: IORING_REGISTER_RING_FDS, enters by index");
            assertFalse(plain.registeredRing());
            for (UringDriver x : new UringDriver[] {d, plain}) {
                UringDriverTest.Sink sink = new UringDriverTest.Sink();
                for (int i = 0; i < 10; i++) {
                    assertEquals(1, x.prepare(i, new io.veloq.api.op.Nop(), -1, 0));
                }
                while (sink.counts.size() < 10) {
                    x.submitAndWait(-1, sink);
                }
                assertEquals(10, sink.counts.size());
            }
        }
    }

    @Test
    void withMsgRingOffTheHostFallsBackToTheEventfd() throws Exception {
        try (UringDriver a = UringDriverTest.open(64, 64, Map.of("uring.msg-ring", "off"));
             UringDriver b = UringDriverTest.open(64, 64, Map.of())) {
            assertFalse(a.wake(b), "uring.msg-ring=off: the host must use b.wakeup()");
        }
    }
}
