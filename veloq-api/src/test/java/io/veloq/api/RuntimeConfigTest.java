package io.veloq.api;

import org.junit.jupiter.api.Test;

import java.util.Map;

import static io.veloq.api.Messages.assertMentions;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RuntimeConfigTest {
    @Test
    void defaultsAndBuilder() {
        RuntimeConfig d = RuntimeConfig.defaults();
        assertNull(d.driver());
        assertEquals(1, d.threads());
        assertEquals(256, d.queueDepth());
        assertEquals(4096, d.maxInFlight());
        assertEquals(BackpressurePolicy.QUEUE, d.backpressure());
        assertEquals(16 * 1024, d.bufferSize());
        assertEquals(2048, d.bufferCount());
        assertEquals(32, d.initialBuffers());
        assertFalse(d.manual());
        assertEquals(d, IoRuntime.builder().config());

        RuntimeConfig c = IoRuntime.builder().driver("fake").threads(1).queueDepth(8).maxInFlight(3)
                .backpressure(BackpressurePolicy.WAIT).buffers(512, 2).registeredFiles(0).manual()
                .option("seed", "42").config();
        assertEquals("fake", c.driver());
        assertEquals(8, c.queueDepth());
        assertEquals(3, c.maxInFlight());
        assertEquals(BackpressurePolicy.WAIT, c.backpressure());
        assertEquals(512, c.bufferSize());
        assertEquals(2, c.bufferCount());
        assertEquals(2, c.initialBuffers(), "the first chunk is min(cap, 32)");
        assertTrue(c.manual());
        assertEquals(Map.of("seed", "42"), c.options());
    }

    @Test
    void badValuesAreRefusedWithTheValue() {
        assertMentions(assertThrows(IllegalArgumentException.class, () -> IoRuntime.builder().threads(0).config()), "threads", "got 0");
        assertMentions(assertThrows(IllegalArgumentException.class, () -> IoRuntime.builder().queueDepth(0).config()), "queueDepth", "1..32768", "got 0");
        assertMentions(assertThrows(IllegalArgumentException.class, () -> IoRuntime.builder().queueDepth(32769).config()), "got 32769");
        assertMentions(assertThrows(IllegalArgumentException.class, () -> IoRuntime.builder().maxInFlight(0).config()), "maxInFlight", "got 0");
        assertMentions(assertThrows(IllegalArgumentException.class, () -> IoRuntime.builder().buffers(0, 4).config()), "4 x 0");
        assertMentions(assertThrows(IllegalArgumentException.class, () -> IoRuntime.builder().buffers(16, -1).config()), "bufferCount");
        assertMentions(assertThrows(IllegalArgumentException.class, () -> IoRuntime.builder().registeredFiles(-1).config()), "registeredFiles", "-1");
        assertMentions(assertThrows(IllegalArgumentException.class, () -> IoRuntime.builder().manual().threads(2).config()),
                "manual runtime has exactly one loop", "threads=2");
        assertThrows(NullPointerException.class, () -> IoRuntime.builder().backpressure(null).config());
        assertEquals(0, IoRuntime.builder().buffers(0, 0).config().bufferCount(), "no pool at all is fine");
    }

    @Test
    void withoutTheSpiOnThePathOpenSaysWhatIsMissing() {
        // veloq-api's own tests have no host: exactly what a user sees with only the api jar.
        IllegalStateException e = assertThrows(IllegalStateException.class, IoRuntime::open);
        assertMentions(e, "no Veloq runtime found", "veloq-spi", "module path");
        assertMentions(assertThrows(IllegalStateException.class, IoRuntime::drivers), "no Veloq runtime found");
        assertMentions(assertThrows(NullPointerException.class, () -> IoRuntime.open(null)), "config");
    }
}
