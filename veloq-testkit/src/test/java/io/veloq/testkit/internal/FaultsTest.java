package io.veloq.testkit.internal;

import io.veloq.testkit.FaultPlan;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

class FaultsTest {
    private static List<Integer> shortReads(Faults f, boolean interleaveOthers) {
        List<Integer> out = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            out.add(f.shortRead(1000));
            if (interleaveOthers) {
                f.delay();
                f.reset();
                f.shortWrite(1000);
                f.submissionFull();
            }
        }
        return out;
    }

    @Test
    void eachAreaHasItsOwnStream() {
        FaultPlan readsOnly = FaultPlan.none().withShortReads(0.5);
        FaultPlan everything = readsOnly.withDelays(0.5, Duration.ofMillis(3)).withResets(0.5).withShortWrites(0.5)
                .withSubmissionFull(0.5);
        assertEquals(shortReads(new Faults(42, readsOnly), false), shortReads(new Faults(42, everything), true),
                "turning other fault areas on changed the short-read choices");
        assertNotEquals(shortReads(new Faults(42, readsOnly), false), shortReads(new Faults(43, readsOnly), false));
    }
}
