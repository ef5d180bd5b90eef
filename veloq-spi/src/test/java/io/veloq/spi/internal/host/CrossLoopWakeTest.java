package io.veloq.spi.internal.host;

import io.veloq.api.EventLoop;
import io.veloq.api.Op;
import io.veloq.api.op.Nop;
import org.junit.jupiter.api.Test;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A submit from one loop's thread to another loop wakes it through the submitting loop's driver
 * ({@code Driver.wake}: MSG_RING on io_uring), not the target's own wake-up (eventfd); other threads still use
 * the target's wake-up.
 */
class CrossLoopWakeTest extends HostFixture {

    @Test
    void aCompleterOnOneLoopWakesAnotherThroughItsOwnDriverNotTheEventfd() throws Exception {
        open(b -> b.threads(2), d -> d.carriesWakes = true);
        EventLoop a = rt.loop(0);
        EventLoop b = rt.loop(1);
        ScriptedDriver da = provider.opened.get(0);
        ScriptedDriver db = provider.opened.get(1);
        int rounds = 200;
        AtomicInteger done = new AtomicInteger();
        CompletableFuture<Void> finished = new CompletableFuture<>();
        class PingPong {
            void next(EventLoop to) {
                EventLoop back = to == a ? b : a;
                to.submit(Op.of(new Nop(), op -> {
                    if (done.incrementAndGet() == rounds) {
                        finished.complete(null);
                    } else {
                        next(back);
                    }
                }));
            }
        }
        int aBefore = da.wakeups.get();
        int bBefore = db.wakeups.get();
        a.execute(() -> new PingPong().next(b)); // from the test's thread: loop 0's own wake-up, once
        finished.get(10, TimeUnit.SECONDS);
        assertTrue(da.wakeups.get() <= aBefore + 1, "loop 0 woken by its own wake-up only for the test's execute");
        assertEquals(rounds, done.get());
        int carried = da.carried.get() + db.carried.get();
        assertTrue(carried > 0, "cross-loop wake-ups rode on the submitting loop's driver");
        assertEquals(bBefore, db.wakeups.get(), "no loop-to-loop submit used the target's own wake-up (the eventfd)");
        for (Thread t : da.carriedOn) {
            assertTrue(t.getName().startsWith("veloq-loop-0"), "loop 0's driver carries from loop 0's thread: " + t);
        }
        // The waking loop counts a carried wake-up after the driver carried it, so the woken loop may finish
        // the last round first: wait for the count to settle instead of racing it.
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (rt.loopHosts().get(0).wakesByOtherLoops() + rt.loopHosts().get(1).wakesByOtherLoops() != carried
                && System.nanoTime() - end < 0) {
            Thread.sleep(1);
        }
        assertEquals(carried, rt.loopHosts().get(0).wakesByOtherLoops() + rt.loopHosts().get(1).wakesByOtherLoops());
    }

    @Test
    void aForeignThreadStillUsesTheTargetsWakeup() throws Exception {
        open(b -> b.threads(2), d -> d.carriesWakes = true);
        ScriptedDriver db = provider.opened.get(1);
        int before = db.wakeups.get();
        CompletableFuture<Void> ran = new CompletableFuture<>();
        rt.loop(1).execute(() -> ran.complete(null));
        ran.get(10, TimeUnit.SECONDS);
        assertTrue(db.wakeups.get() > before, "a plain thread wakes the loop through its driver's wakeup()");
        assertEquals(0, provider.opened.get(0).carried.get() + db.carried.get());
    }
}
