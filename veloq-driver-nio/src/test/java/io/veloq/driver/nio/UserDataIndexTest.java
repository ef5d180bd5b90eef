package io.veloq.driver.nio;

import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The cancel index against a HashMap, through many random puts and removes (clustered keys included). */
class UserDataIndexTest {
    @Test
    void agreesWithAHashMapThroughRandomPutsAndRemoves() {
        int capacity = 64;
        UserDataIndex idx = new UserDataIndex(capacity);
        Map<Long, Integer> ref = new HashMap<>();
        SplittableRandom rnd = new SplittableRandom(42);
        for (int step = 0; step < 200_000; step++) {
            // Keys like the host's tokens: small, sequential-ish, reused.
            long key = rnd.nextInt(4) == 0 ? rnd.nextLong(Long.MAX_VALUE) : rnd.nextInt(300);
            if (ref.containsKey(key) || ref.size() == capacity) {
                if (!ref.isEmpty() && (ref.containsKey(key) || rnd.nextBoolean())) {
                    long victim = ref.containsKey(key) ? key : ref.keySet().iterator().next();
                    idx.remove(victim);
                    ref.remove(victim);
                }
                continue;
            }
            int v = rnd.nextInt(capacity);
            idx.put(key, v);
            ref.put(key, v);
            if (step % 97 == 0) {
                for (Map.Entry<Long, Integer> e : ref.entrySet()) {
                    assertEquals((int) e.getValue(), idx.get(e.getKey()), "key " + e.getKey() + " at step " + step);
                }
                assertEquals(-1, idx.get(1_000_000_007L));
            }
        }
    }
}
