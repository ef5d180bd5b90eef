package io.veloq.examples.echo;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LatencyHistogramTest {

    @Test
    void percentilesAreWithinOnePercentOfTheExactOnes() {
        Random r = new Random(42);
        long[] values = new long[200_000];
        LatencyHistogram h = new LatencyHistogram();
        for (int i = 0; i < values.length; i++) {
            // Log-normal-ish latencies from ~1 µs to ~100 ms.
            values[i] = (long) Math.exp(7 + r.nextGaussian() * 2.0);
            h.record(values[i]);
        }
        Arrays.sort(values);
        for (double p : new double[] {0, 1, 50, 90, 99, 99.9, 99.99, 100}) {
            long exact = values[(int) Math.max(0, Math.ceil(p / 100 * values.length) - 1)];
            long got = h.percentile(p);
            assertTrue(got >= exact && got <= exact + Math.max(1, exact / 64),
                    "p" + p + ": exact " + exact + ", histogram " + got);
        }
        assertEquals(values[values.length - 1], h.max());
        assertEquals(values[0], h.min());
        assertEquals(values.length, h.count());
    }

    @Test
    void smallValuesAreExactAndBucketsTileTheRange() {
        LatencyHistogram h = new LatencyHistogram();
        for (int v = 0; v < 128; v++) {
            h.record(v);
        }
        assertEquals(63, h.percentile(50));
        assertEquals(127, h.percentile(100));
        for (long v : new long[] {128, 129, 255, 256, 1000, 123_456_789, Long.MAX_VALUE / 3}) {
            int i = LatencyHistogram.index(v);
            assertTrue(LatencyHistogram.upperBound(i) >= v && (i == 0 || LatencyHistogram.upperBound(i - 1) < v),
                    "value " + v + " in bucket " + i);
        }
    }

    @Test
    void mergingAddsCounts() {
        LatencyHistogram a = new LatencyHistogram();
        LatencyHistogram b = new LatencyHistogram();
        a.record(1_000);
        b.record(3_000);
        b.record(5_000);
        a.add(b);
        assertEquals(3, a.count());
        assertEquals(5_000, a.max());
        assertEquals(1_000, a.min());
        assertEquals(3_000, a.mean(), 0.001);
        assertTrue(Math.abs(a.percentile(50) - 3_000) <= 3_000 / 64);
        assertThrows(IllegalArgumentException.class, () -> a.percentile(101));
        assertEquals(0, new LatencyHistogram().percentile(99));
    }
}
