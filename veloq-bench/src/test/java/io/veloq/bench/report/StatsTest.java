package io.veloq.bench.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class StatsTest {

    @Test
    void medianOfOddEvenAndNaN() {
        assertEquals(2.0, Stats.median(3, 1, 2));
        assertEquals(2.5, Stats.median(4, 1, 3, 2));
        assertEquals(2.0, Stats.median(Double.NaN, 1, 3));
        assertTrue(Double.isNaN(Stats.median()));
        assertTrue(Double.isNaN(Stats.median(Double.NaN)));
    }

    @Test
    void spreadIsRangeOverMedian() {
        assertEquals(0.2, Stats.spread(9, 10, 11), 1e-12);
        assertTrue(Double.isNaN(Stats.spread(5)));
    }

    @Test
    void ratioHandlesMissingValues() {
        assertEquals(0.5, Stats.ratio(1, 2));
        assertTrue(Double.isNaN(Stats.ratio(1, 0)));
        assertTrue(Double.isNaN(Stats.ratio(Double.NaN, 2)));
    }

    @Test
    void runRecordDerivedFigures() {
        RunRecord r = new RunRecord();
        r.seconds = 2;
        r.ops = 1_000_000;
        r.bytes = 64_000_000;
        r.cpuSeconds = 0.8;
        r.clientCpuSeconds = 1.9;
        r.otherCpuSeconds = 0.7;
        assertEquals(500_000, r.opsPerSecond());
        assertEquals(32, r.megabytesPerSecond());
        assertEquals(0.8, r.cpuMicrosPerOp(), 1e-12); // 0.8 s per million = 0.8 µs each
        assertEquals(0.95, r.clientCpuFraction());
        assertTrue(r.clientSaturated());
        assertTrue(r.disturbed(0.3));
        assertTrue(r.valid());
        r.errors = 1;
        assertTrue(!r.valid());
    }
}
