package io.veloq.spi.internal.host;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TimerQueueTest {
    @Test
    void pollsByDeadlineThenBySchedulingOrder() {
        TimerQueue q = new TimerQueue();
        List<String> order = new ArrayList<>();
        q.add(30, () -> order.add("30"));
        q.add(10, () -> order.add("10a"));
        q.add(10, () -> order.add("10b"));
        q.add(-5, () -> order.add("-5"));
        q.add(Long.MAX_VALUE, () -> order.add("max"));
        TimerQueue.Timer t;
        while ((t = q.poll()) != null) {
            t.task.run();
        }
        assertEquals(List.of("-5", "10a", "10b", "30", "max"), order);
        assertEquals(0, q.size());
        assertNull(q.peek());
    }

    @Test
    void removeFromAnywhereKeepsTheHeapOrderedAgainstAReference() {
        Random r = new Random(42); // fixed seed: rerun gives the same sequence
        TimerQueue q = new TimerQueue();
        List<TimerQueue.Timer> live = new ArrayList<>();
        for (int round = 0; round < 5000; round++) {
            if (live.isEmpty() || r.nextInt(3) > 0) {
                live.add(q.add(r.nextInt(100), () -> { }));
            } else {
                TimerQueue.Timer victim = live.remove(r.nextInt(live.size()));
                assertTrue(q.remove(victim), "seed 42, round " + round);
                assertFalse(q.remove(victim), "a removed timer is not found twice");
            }
            assertEquals(live.size(), q.size());
        }
        live.sort(Comparator.<TimerQueue.Timer>comparingLong(x -> x.deadline).thenComparingLong(x -> x.seq));
        for (TimerQueue.Timer expected : live) {
            assertEquals(expected, q.poll());
        }
        assertNull(q.poll());
    }
}
