package io.veloq.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Paths;
import java.util.List;
import org.junit.jupiter.api.Test;

class BenchOptionsTest {

    @Test
    void defaultsAreTheFullRun() {
        BenchOptions o = BenchOptions.parse();
        assertEquals(3, o.rounds);
        assertEquals(2.0, o.warmupSeconds);
        assertEquals(3.0, o.seconds);
        assertEquals(1024, o.fileSizeMib);
        assertEquals(List.of("nio", "netty-epoll", "netty-uring", "veloq", "veloq-nio"), o.servers);
        assertEquals(List.of(Scenario.values()), o.scenarios);
        assertEquals(Paths.get("target", "bench"), o.out);
    }

    @Test
    void quickShortensEverythingButExplicitFlagsWin() {
        BenchOptions o = BenchOptions.parse("--quick", "--rounds", "5");
        assertTrue(o.quick);
        assertEquals(5, o.rounds);
        assertEquals(0.3, o.warmupSeconds);
        assertEquals(0.8, o.seconds);
        assertEquals(256, o.fileSizeMib);
    }

    @Test
    void listsAndEqualsForm() {
        BenchOptions o = BenchOptions.parse("--servers=nio,netty-uring", "--scenarios", "latency,churn",
                "--out", "/tmp/x", "--warmup=0", "--seconds", "1.5");
        assertEquals(List.of("nio", "netty-uring"), o.servers);
        assertEquals(List.of(Scenario.LATENCY, Scenario.CHURN), o.scenarios);
        assertEquals(Paths.get("/tmp/x"), o.out);
        assertEquals(0.0, o.warmupSeconds);
        assertEquals(1.5, o.seconds);
    }

    @Test
    void badInputIsRejectedWithAReason() {
        assertThrows(IllegalArgumentException.class, () -> BenchOptions.parse("--servers", "tomcat"));
        assertThrows(IllegalArgumentException.class, () -> BenchOptions.parse("--scenarios", "tp1"));
        assertThrows(IllegalArgumentException.class, () -> BenchOptions.parse("--rounds", "0"));
        assertThrows(IllegalArgumentException.class, () -> BenchOptions.parse("--seconds", "0"));
        assertThrows(IllegalArgumentException.class, () -> BenchOptions.parse("--rounds"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> BenchOptions.parse("--fast"));
        assertTrue(e.getMessage().contains("--fast"));
    }
}
