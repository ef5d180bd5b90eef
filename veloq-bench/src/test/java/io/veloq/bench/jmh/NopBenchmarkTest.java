package io.veloq.bench.jmh;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.veloq.api.Completion;
import io.veloq.api.IoErrorKind;
import io.veloq.api.IoRuntime;
import io.veloq.api.op.Nop;
import io.veloq.api.op.Timeout;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout.ThreadMode;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The microbenchmarks' code paths run outside JMH: each batch completes, on every driver they name. */
@org.junit.jupiter.api.Timeout(value = 60, threadMode = ThreadMode.SAME_THREAD)
class NopBenchmarkTest {

    @ParameterizedTest
    @ValueSource(strings = {"uring", "null", "fake"})
    void everyBatchCompletes(String driver) throws Exception {
        NopBenchmark b = new NopBenchmark();
        b.driver = driver;
        b.open();
        try {
            for (int i = 0; i < 100; i++) {
                assertEquals(1, b.runtimeBatch1());
                assertEquals(NopBenchmark.BATCH, b.runtimeBatch32());
                assertEquals(1, b.driverBatch1());
                assertEquals(NopBenchmark.BATCH, b.driverBatch32());
            }
        } finally {
            b.close();
        }
    }

    @Test
    void crossThreadBatchesComplete() {
        CrossThreadNopBenchmark b = new CrossThreadNopBenchmark();
        b.driver = "uring";
        b.open();
        try {
            for (int i = 0; i < 100; i++) {
                assertEquals(1, b.batch1());
                assertEquals(NopBenchmark.BATCH, b.batch32());
            }
        } finally {
            b.close();
        }
    }

    @Test
    void nullDriverCompletesNopsAndRefusesEverythingElse() {
        try (IoRuntime rt = IoRuntime.builder().driver(NullDriverProvider.ID).manual().buffers(4096, 0)
                .registeredFiles(0).open()) {
            assertTrue(rt.loop().call(new Nop()).isSuccess());
            Completion<Timeout> t = rt.loop().call(Timeout.of(Duration.ofMillis(1)));
            assertFalse(t.isSuccess(), "the null driver only does Nop");
            assertEquals(IoErrorKind.NOT_SUPPORTED, t.error().kind(), t.error().getMessage());
        }
    }
}
