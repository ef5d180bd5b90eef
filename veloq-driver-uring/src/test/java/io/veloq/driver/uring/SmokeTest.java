package io.veloq.driver.uring;

import io.veloq.api.IoRuntime;
import io.veloq.api.op.Nop;
import io.veloq.api.op.Timeout;
import io.veloq.spi.DriverConfig;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

class SmokeTest {
    @Test
    void nopThroughDriver() throws Exception {
        UringProvider p = new UringProvider();
        assertTrue(p.availability().available(), p.availability().reason());
        System.out.println(p.details());
        System.out.println("JVM args: " + ProcessHandle.current().info().arguments().map(java.util.Arrays::toString).orElse("?"));
        assertTrue(UringDriver.class.getModule().isNamed(), "tests run on the module path");
        try (UringDriver d = (UringDriver) p.open(new DriverConfig(0, 32, 64, 8, Map.of()))) {
            System.out.println(d);
            assertEquals(1, d.prepare(5, new Nop(), -1, 0));
            List<long[]> got = new ArrayList<>();
            int n = d.submitAndWait(-1, (u, r) -> got.add(new long[] {u, r}));
            assertEquals(1, n);
            assertEquals(5, got.get(0)[0]);
            assertEquals(0, got.get(0)[1]);
        }
    }

    @Test
    void nopThroughRuntime() throws Exception {
        try (IoRuntime rt = IoRuntime.builder().driver("uring").open()) {
            assertEquals(0, rt.loop().call(new Nop()).valueOrThrow());
            long t0 = System.nanoTime();
            assertEquals(0, rt.loop().call(Timeout.of(Duration.ofMillis(20))).valueOrThrow());
            assertTrue(System.nanoTime() - t0 >= 19_000_000);
        }
    }
}
