package io.veloq.driver.iocp;

import io.veloq.api.IoFd;
import io.veloq.api.buffer.BufPool;
import io.veloq.api.net.AddressFamily;
import io.veloq.api.op.Close;
import io.veloq.api.op.Fsync;
import io.veloq.api.op.Open;
import io.veloq.api.op.OpPayload;
import io.veloq.api.op.Send;
import io.veloq.api.op.Timeout;
import io.veloq.api.op.Write;
import io.veloq.driver.iocp.sim.SimWin32;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.StandardSocketOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * #16 item 5, on the simulator: FlushFileBuffers, CreateFileW and closesocket with SO_LINGER on and a timeout
 * block the calling thread on Windows. The simulator holds them as long as the test says (and flags any
 * made on a thread that waits on a completion port); the loop must keep turning meanwhile, and the op
 * completes when the call returns.
 */
public class BlockingCallsTest {
    private final SimWin32 sim = new SimWin32();
    private final BufPool pool = BufPool.allocate(4096, 4);

    @AfterEach
    void close() {
        List<String> failures = sim.failures();
        sim.close();
        assertEquals(List.of(), failures, "no blocking call on a loop thread, no exception inside the simulator");
    }

    /** Starts {@code blocking} with the simulator holding blocking calls; a Timeout must still fire on time. */
    private DriverHarness.Result whileHeld(DriverHarness h, OpPayload blocking) throws Exception {
        long op;
        try (AutoCloseable held = sim.holdBlockingCalls()) {
            op = h.start(blocking);
            long t0 = System.nanoTime();
            long timer = h.start(new Timeout(TimeUnit.MILLISECONDS.toNanos(20)));
            h.await(timer, Duration.ofSeconds(3));
            long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            assertTrue(ms < 1000, "a 20 ms Timeout took " + ms + " ms while " + blocking.describe() + " was blocked: "
                    + "the loop thread was stuck in it");
            assertFalse(h.isDone(op), blocking.describe() + " cannot be done while the call is held");
            long after = System.nanoTime();
            assertEquals(0, h.value(new io.veloq.api.op.Nop()));
            assertTrue(System.nanoTime() - after < TimeUnit.SECONDS.toNanos(1), "a Nop waited for the blocked call");
        }
        return h.await(op, Duration.ofSeconds(5));
    }

    @Test
    void fsyncRunsOffTheLoop(@TempDir Path dir) throws Exception {
        try (DriverHarness h = DriverHarness.open(Bindings.provider(sim), 16)) {
            IoFd fd = IoFd.raw(h.value(new Open(dir.resolve("f"), EnumSet.of(StandardOpenOption.WRITE,
                    StandardOpenOption.CREATE), 0644)));
            assertEquals(3, h.value(new Write(fd, pool.lease().put(new byte[]{1, 2, 3}), 0)));
            assertEquals(0, whileHeld(h, new Fsync(fd, false)).valueOrThrow());
            h.value(new Close(fd));
        }
    }

    @Test
    void openRunsOffTheLoop(@TempDir Path dir) throws Exception {
        try (DriverHarness h = DriverHarness.open(Bindings.provider(sim), 16)) {
            Path file = dir.resolve("opened");
            long handle = whileHeld(h, new Open(file, EnumSet.of(StandardOpenOption.WRITE, StandardOpenOption.CREATE),
                    0644)).valueOrThrow();
            assertTrue(Files.exists(file));
            IoFd fd = IoFd.raw(handle);
            assertEquals(2, h.value(new Write(fd, pool.lease().put(new byte[]{4, 5}), 0)), "the handle works");
            h.value(new Close(fd));
            assertEquals("ERROR_FILE_NOT_FOUND", whileHeld(h, Open.read(dir.resolve("missing"))).error().codeName());
        }
    }

    @Test
    void aLingeringCloseRunsOffTheLoop() throws Exception {
        try (DriverHarness h = DriverHarness.open(Bindings.provider(sim), 16)) {
            IoFd[] p = h.tcpPair(AddressFamily.INET);
            h.driver().setOption(p[0], StandardSocketOptions.SO_LINGER, 5);
            assertEquals(1, h.value(new Send(p[0], pool.lease().put(new byte[]{9}))));
            assertEquals(0, whileHeld(h, new Close(p[0])).valueOrThrow());
            assertFalse(sim.isOpen(((IoFd.Raw) p[0]).handle()), "the socket is closed once the call returned");
            h.value(new Close(p[1]));
        }
    }
}
