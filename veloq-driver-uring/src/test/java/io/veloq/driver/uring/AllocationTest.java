package io.veloq.driver.uring;

import io.veloq.api.IoFd;
import io.veloq.api.buffer.BufPool;
import io.veloq.api.buffer.FixedBuf;
import io.veloq.api.op.Nop;
import io.veloq.api.op.Read;
import io.veloq.api.op.Timeout;
import io.veloq.api.op.Write;
import io.veloq.spi.CompletionSink;
import io.veloq.spi.DriverConfig;
import io.veloq.spi.IoBuffers;
import org.junit.jupiter.api.Test;

import java.lang.reflect.Method;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** The op path (prepare, submit, complete) allocates nothing on the Java heap. */
class AllocationTest {
    private long results;

    private static long allocatedBytes() throws Exception {
        // com.sun.management through reflection: this module does not read jdk.management.
        Object bean = Class.forName("java.lang.management.ManagementFactory").getMethod("getThreadMXBean").invoke(null);
        Method m = Class.forName("com.sun.management.ThreadMXBean").getMethod("getCurrentThreadAllocatedBytes");
        return (long) m.invoke(bean);
    }

    @Test
    void submittingAndCompletingOpsAllocatesNothing() throws Exception {
        int[] p = Pipes.open();
        try (UringDriver d = (UringDriver) new UringProvider().open(new DriverConfig(0, 64, 256, 0, Map.of()));
             BufPool pool = BufPool.allocate(4096, 2)) {
            FixedBuf out = pool.lease().put(new byte[64]);
            FixedBuf in = pool.lease();
            Nop nop = new Nop();
            Timeout minute = new Timeout(60_000_000_000L);
            Write write = new Write(IoFd.raw(p[1]), out, -1);
            Read read = new Read(IoFd.raw(p[0]), in, -1);
            CompletionSink sink = (u, r) -> results += r;
            Runnable round = () -> {
                try {
                    for (int j = 0; j < 8; j++) {
                        d.prepare(j, nop, -1, 0);
                    }
                    d.prepare(20, write, -1, 0);
                    d.prepare(21, read, -1, 1_000_000_000L); // with a linked timeout
                    d.prepare(22, minute, -1, 0);
                    d.prepareCancel(22);
                    int got = 0;
                    while (got < 11) {
                        got += d.submitAndWait(-1, sink);
                    }
                } catch (Exception e) {
                    throw new AssertionError(e);
                }
            };
            for (int i = 0; i < 10_000; i++) {
                round.run(); // warm up: JIT, caches of buffer addresses
            }
            long before = allocatedBytes();
            int rounds = 10_000;
            for (int i = 0; i < rounds; i++) {
                round.run();
            }
            long allocated = allocatedBytes() - before;
            System.out.println("allocated " + allocated + " bytes for " + rounds * 11 + " ops");
            assertTrue(allocated < 4096, "the op path allocated " + allocated + " bytes over " + rounds * 11 + " ops");
            assertEquals(64, IoBuffers.drainLength(out));
            out.release();
            in.release();
        } finally {
            Pipes.close(p);
        }
    }
}
