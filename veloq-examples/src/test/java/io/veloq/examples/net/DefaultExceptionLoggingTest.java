package io.veloq.examples.net;

import io.veloq.api.IoRuntime;
import io.veloq.api.Op;
import io.veloq.api.OpState;
import io.veloq.api.op.Nop;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Without a handler of its own, a runtime logs what completers and tasks throw through {@link System.Logger}
 * (logger {@code io.veloq}; {@code java.util.logging} is its default backend), not to {@code System.err},
 * and the loop goes on (#10, defect 3).
 */
class DefaultExceptionLoggingTest {

    @Test
    void aThrowingCompleterIsLoggedThroughSystemLoggerAndTheLoopGoesOn() throws Exception {
        Logger jul = Logger.getLogger("io.veloq");
        List<LogRecord> records = new CopyOnWriteArrayList<>();
        Handler capture = new Handler() {
            @Override
            public void publish(LogRecord r) {
                records.add(r);
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        jul.addHandler(capture);
        boolean parents = jul.getUseParentHandlers();
        jul.setUseParentHandlers(false); // keep the expected error out of the build log
        try (IoRuntime rt = IoRuntime.builder().driver("fake").open()) {
            Op<Nop> bad = Op.of(new Nop(), o -> {
                throw new IllegalStateException("boom for the log");
            });
            rt.loop().submit(bad);
            assertTrue(rt.loop().call(new Nop()).isSuccess(), "the loop still runs ops");
            assertEquals(OpState.COMPLETED, bad.state());
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (records.isEmpty() && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            assertEquals(1, records.size(), "log records: " + records);
            LogRecord r = records.get(0);
            assertEquals(Level.SEVERE, r.getLevel());
            assertNotNull(r.getThrown());
            assertEquals("boom for the log", r.getThrown().getMessage());
            assertTrue(r.getMessage().contains(bad.toString()) && r.getMessage().contains("threw"), r.getMessage());
        } finally {
            jul.removeHandler(capture);
            jul.setUseParentHandlers(parents);
        }
    }
}
