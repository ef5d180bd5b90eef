package io.veloq.driver.uring;

import io.veloq.api.Completion;
import io.veloq.api.IoErrorKind;
import io.veloq.api.IoFd;
import io.veloq.api.Op;
import io.veloq.api.IoRuntime;
import io.veloq.api.buffer.BufPool;
import io.veloq.api.buffer.FixedBuf;
import io.veloq.api.op.Read;
import io.veloq.api.op.Timeout;
import io.veloq.spi.DriverConfig;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Close frees everything: native memory, mappings, descriptors; ops still in flight come back cancelled.
 * Descriptors are checked one by one, the exact ones the drivers opened ({@link DriverDescriptors}), not by
 * counting the process's: the JVM's other threads open and close files whenever they like.
 */
class ResourceLeakTest {
    /** A descriptor someone else in the process opens while the drivers live: it must not count against them. */
    private static java.nio.channels.FileChannel unrelatedOpen() throws IOException {
        return java.nio.channels.FileChannel.open(Path.of("/proc/self/stat"));
    }

    @Test
    void driverCloseFreesEveryAllocationMappingAndDescriptor() throws Exception {
        new UringProvider().availability(); // jnr-ffi loaded before counting
        int[] p = Pipes.open();
        try (BufPool pool = BufPool.allocate(4096, 4)) {
            for (int round = 0; round < 3; round++) {
                Map<Integer, String> before = DriverDescriptors.snapshot();
                long liveBefore = NativeMemory.processLive();
                UringDriver d = (UringDriver) new UringProvider().open(new DriverConfig(0, 16, 32, 8, Map.of()));
                Map<Integer, String> created = DriverDescriptors.createdSince(before);
                assertTrue(d.liveNativeAllocations() > 0);
                assertEquals(1, DriverDescriptors.count(created, "io_uring"), "the ring's descriptor: " + created);
                assertEquals(1, DriverDescriptors.count(created, "eventfd"), "the wake-up eventfd: " + created);
                java.nio.channels.FileChannel unrelated = unrelatedOpen();
                d.registerBuffers(poolSlabs(pool));
                int slot = d.registerFile(p[0]);
                FixedBuf b = pool.lease();
                // ops left in the kernel on purpose: a blocked read (raw and fixed), a long timer, a deadline op
                assertEquals(1, d.prepare(1, new Read(IoFd.raw(p[0]), b, -1), -1, 0));
                assertEquals(1, d.prepare(2, new Timeout(TimeUnit.SECONDS.toNanos(60)), -1, 0));
                FixedBuf b2 = pool.lease();
                assertEquals(1, d.prepare(3, new Read(IoFd.fixed(slot), b2, -1), -1, TimeUnit.SECONDS.toNanos(60)));
                d.submitAndWait(0, (u, r) -> fail("nothing can complete yet: " + u + " -> " + r));
                d.close();
                d.close(); // idempotent
                assertEquals(0, d.liveNativeAllocations(), "native allocations left after close");
                assertEquals(liveBefore, NativeMemory.processLive());
                assertEquals(Map.of(), DriverDescriptors.stillOpen(created), "descriptors the driver opened, left after close");
                unrelated.close();
                b.release();
                b2.release();
            }
        } finally {
            Pipes.close(p);
        }
    }

    private static ByteBuffer[] poolSlabs(BufPool pool) {
        // The host passes the pool's slabs; a test builds the same from leased buffers' regions.
        List<ByteBuffer> slabs = new ArrayList<>();
        FixedBuf b = pool.lease();
        slabs.add(io.veloq.spi.IoBuffers.memory(b));
        b.release();
        return slabs.toArray(ByteBuffer[]::new);
    }

    @Test
    void runtimeCloseCancelsInFlightOpsAndLeavesNothingBehind() throws Exception {
        try (IoRuntime warm = IoRuntime.builder().driver("uring").open()) {
            warm.loop().call(new io.veloq.api.op.Nop());
        }
        long liveBefore = NativeMemory.processLive();
        int[] p = Pipes.open();
        List<CompletableFuture<Completion<Read>>> reads = new ArrayList<>();
        List<CompletableFuture<Completion<Timeout>>> timers = new ArrayList<>();
        Map<Integer, String> before = DriverDescriptors.snapshot();
        IoRuntime rt = IoRuntime.builder().driver("uring").threads(2).buffers(4096, 8).open();
        Map<Integer, String> created = DriverDescriptors.createdSince(before);
        assertEquals(2, DriverDescriptors.count(created, "io_uring"), "one ring per loop: " + created);
        assertEquals(2, DriverDescriptors.count(created, "eventfd"), "one wake-up eventfd per loop: " + created);
        java.nio.channels.FileChannel unrelated = unrelatedOpen();
        try {
            for (int i = 0; i < 4; i++) {
                reads.add(rt.loop(i % 2).submitAsync(new Read(IoFd.raw(p[0]), rt.loop(i % 2).bufPool().lease(), -1)));
                timers.add(rt.loop(i % 2).submitAsync(Op.of(Timeout.of(java.time.Duration.ofMinutes(5)))));
            }
            Thread.sleep(20);
        } finally {
            rt.close();
        }
        for (CompletableFuture<Completion<Read>> f : reads) {
            Completion<Read> c = f.get(5, TimeUnit.SECONDS);
            assertEquals(IoErrorKind.CANCELLED, c.error().kind());
            c.payload().buf().release(); // the buffer came back
        }
        for (CompletableFuture<Completion<Timeout>> f : timers) {
            assertEquals(IoErrorKind.CANCELLED, f.get(5, TimeUnit.SECONDS).error().kind());
        }
        Pipes.close(p);
        assertEquals(liveBefore, NativeMemory.processLive(), "native allocations left by the runtime's drivers");
        assertEquals(Map.of(), DriverDescriptors.stillOpen(created), "descriptors the runtime's drivers opened, left after close");
        unrelated.close();
    }
}
