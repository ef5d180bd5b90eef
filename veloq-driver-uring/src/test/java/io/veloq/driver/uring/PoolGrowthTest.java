package io.veloq.driver.uring;

import io.veloq.api.IoRuntime;
import io.veloq.api.buffer.BufPool;
import io.veloq.api.buffer.FixedBuf;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

class PoolGrowthTest {
    @Test
    void theDefaultPoolServesMoreThan32TwoBufferConnections() {
        try (IoRuntime rt = IoRuntime.builder().driver("uring").open()) {
            BufPool pool = rt.bufPool();
            List<FixedBuf> held = new ArrayList<>();
            for (int conn = 0; conn < 200; conn++) {
                held.add(pool.lease());
                held.add(pool.lease());
            }
            held.forEach(FixedBuf::release);
        }
    }
}
