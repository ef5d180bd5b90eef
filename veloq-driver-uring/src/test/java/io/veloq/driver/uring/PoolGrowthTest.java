package io.veloq.driver.uring;

import io.veloq.api.Capability;
import io.veloq.api.IoFd;
import io.veloq.api.IoRuntime;
import io.veloq.api.buffer.BufPool;
import io.veloq.api.buffer.FixedBuf;
import io.veloq.api.op.Close;
import io.veloq.api.op.Open;
import io.veloq.api.op.ReadFixed;
import io.veloq.api.op.Read;
import io.veloq.api.op.Write;
import io.veloq.api.op.WriteFixed;
import io.veloq.spi.Availability;
import io.veloq.spi.Driver;
import io.veloq.spi.DriverConfig;
import io.veloq.spi.DriverProvider;
import io.veloq.testkit.DriverRuntimes;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.lang.ref.WeakReference;
import java.lang.reflect.Method;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Issue #10 defect 10 / #13 "Buffers": a loop's pool grows on demand to its cap, and every region it adds
 * is registered with the ring, so ReadFixed/WriteFixed work on buffers from every slab. Real kernel.
 */
class PoolGrowthTest {
    private static final int SIZE = 4096;

    /** The io_uring provider, handing the test each driver instance it opens (to look at its buffer table). */
    static final class Capturing implements DriverProvider {
        final List<UringDriver> opened = new CopyOnWriteArrayList<>();
        private final UringProvider real = new UringProvider();

        @Override
        public String id() {
            return real.id();
        }

        @Override
        public int priority() {
            return real.priority();
        }

        @Override
        public Availability availability() {
            return real.availability();
        }

        @Override
        public Set<Capability> capabilities() {
            return real.capabilities();
        }

        @Override
        public Driver open(DriverConfig config) throws IOException {
            UringDriver d = (UringDriver) real.open(config);
            opened.add(d);
            return d;
        }
    }

    /** Reads loop-thread state of the loop's driver on its own thread. */
    private static <T> T onLoop(IoRuntime rt, java.util.function.Supplier<T> what) throws Exception {
        CompletableFuture<T> f = new CompletableFuture<>();
        rt.loop(0).execute(() -> f.complete(what.get()));
        return f.get(10, TimeUnit.SECONDS);
    }

    private static byte[] pattern(int i) {
        byte[] b = new byte[SIZE];
        for (int j = 0; j < SIZE; j++) {
            b[j] = (byte) (i * 31 + j);
        }
        return b;
    }

    @Test
    void theDefaultPoolServesMoreThan32TwoBufferConnections() {
        // Before: 64 buffers pre-allocated, the 65th lease threw "BufPool exhausted".
        try (IoRuntime rt = IoRuntime.builder().driver("uring").open()) {
            BufPool pool = rt.loop().bufPool();
            assertEquals(32, pool.capacity(), "only the first chunk is allocated at open");
            assertEquals(2048, pool.maxCapacity());
            List<FixedBuf> held = new ArrayList<>();
            for (int conn = 0; conn < 200; conn++) {
                held.add(pool.lease());
                held.add(pool.lease());
            }
            assertEquals(400, pool.outstanding());
            assertTrue(pool.capacity() >= 400 && pool.capacity() <= 2048, pool.toString());
            held.forEach(FixedBuf::release);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"sparse", "reregister"})
    void readFixedAndWriteFixedWorkOnBuffersFromEverySlab(String table, @TempDir Path dir) throws Exception {
        Capturing provider = new Capturing();
        try (IoRuntime rt = DriverRuntimes.open(provider, IoRuntime.builder().buffers(SIZE, 2, 64)
                .option("uring.buffer-table", table))) {
            UringDriver d = provider.opened.get(0);
            BufPool pool = rt.loop().bufPool();
            assertEquals(2, pool.capacity());
            assertEquals(1, pool.regionCount());
            assertEquals(1, (int) onLoop(rt, () -> d.bufferTable().regions()));
            assertEquals(table.equals("sparse") ? BufferTable.Mode.SPARSE : BufferTable.Mode.REREGISTER,
                    onLoop(rt, () -> d.bufferTable().mode()));

            FixedBuf[] bufs = new FixedBuf[64];
            for (int i = 0; i < 64; i++) {
                bufs[i] = pool.lease();
            }
            assertNull(pool.tryLease(), "at the cap");
            // 2, then slabs doubling the pool: 2, 4, 8, 16, 32
            assertEquals(6, pool.regionCount(), pool.toString());
            assertEquals(64, pool.capacity());
            Set<Integer> regions = new java.util.TreeSet<>();
            for (FixedBuf b : bufs) {
                regions.add(b.regionIndex());
            }
            assertEquals(Set.of(0, 1, 2, 3, 4, 5), regions);

            Path f = dir.resolve("fixed.bin");
            IoFd fd = IoFd.raw(rt.loop().call(new Open(f, EnumSet.of(StandardOpenOption.READ, StandardOpenOption.WRITE,
                    StandardOpenOption.CREATE), 0600)).valueOrThrow());
            for (int i = 0; i < 64; i++) {
                bufs[i].put(pattern(i));
                assertEquals(SIZE, rt.loop().call(new WriteFixed(fd, bufs[i], (long) i * SIZE)).valueOrThrow(),
                        "WriteFixed from " + bufs[i]);
            }
            byte[] file = Files.readAllBytes(f);
            for (int i = 0; i < 64; i++) {
                assertArrayEquals(pattern(i), Arrays.copyOfRange(file, i * SIZE, (i + 1) * SIZE), "block " + i);
            }
            for (int i = 0; i < 64; i++) {
                int block = (i + 7) % 64;
                bufs[i].clear();
                assertEquals(SIZE, rt.loop().call(new ReadFixed(fd, bufs[i], (long) block * SIZE)).valueOrThrow(),
                        "ReadFixed into " + bufs[i]);
                assertArrayEquals(pattern(block), bufs[i].getBytes(), "ReadFixed into " + bufs[i]);
            }
            assertEquals(6, (int) onLoop(rt, () -> d.bufferTable().regions()), "every region registered");
            rt.loop().call(new Close(fd)).valueOrThrow();
            for (FixedBuf b : bufs) {
                b.release();
            }
        }
    }

    @Test
    void theKernelTableIsSparseHereAndDoctorSaysSo() {
        String how = new UringProvider().details().get("registered-buffers");
        assertNotNull(how, "details() reports how the registered-buffer table grows");
        assertTrue(how.contains("sparse table") && how.contains("IORING_REGISTER_BUFFERS_UPDATE"), how);
    }

    @Test
    void atTheCapLeaseSaysSoAndTryLeaseReturnsNull() {
        try (IoRuntime rt = IoRuntime.builder().driver("uring").threads(2).buffers(1024, 4, 10).open()) {
            BufPool pool = rt.loop(1).bufPool();
            List<FixedBuf> held = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                held.add(pool.lease());
            }
            assertNull(pool.tryLease());
            IllegalStateException e = assertThrows(IllegalStateException.class, pool::lease);
            for (String part : List.of("loop 1's buffer pool is exhausted", "all 10 buffers of 1024 bytes (its cap)",
                    "10 leased", "IoRuntime.builder().buffers(size, max)", "tryLease()")) {
                assertTrue(e.getMessage().contains(part), "missing '" + part + "' in: " + e.getMessage());
            }
            held.remove(0).release();
            FixedBuf again = pool.lease(); // freed buffers are reused
            assertEquals(10, pool.capacity());
            again.release();
            held.forEach(FixedBuf::release);
        }
    }

    @Test
    void readAndWriteUseBuffersFromEverySlab() throws Exception {
        int[] sv = Pipes.open();
        try (IoRuntime rt = IoRuntime.builder().driver("uring").buffers(SIZE, 1, 16).open()) {
            BufPool pool = rt.loop().bufPool();
            FixedBuf[] bufs = new FixedBuf[16];
            for (int i = 0; i < 16; i++) {
                bufs[i] = pool.lease();
            }
            assertTrue(pool.regionCount() >= 4, pool.toString());
            for (int i = 0; i < 16; i++) {
                byte[] msg = ("message " + i + " from region " + bufs[i].regionIndex()).getBytes();
                bufs[i].put(msg);
                assertEquals(msg.length, rt.loop().call(new Write(IoFd.raw(sv[1]), bufs[i], -1)).valueOrThrow());
                FixedBuf in = bufs[(i + 5) % 16];
                in.clear();
                assertEquals(msg.length, rt.loop().call(new Read(IoFd.raw(sv[0]), in, -1)).valueOrThrow());
                assertArrayEquals(msg, in.getBytes());
                bufs[i].clear();
            }
            for (FixedBuf b : bufs) {
                b.release();
            }
        } finally {
            Pipes.close(sv);
        }
    }

    @Test
    void closeLetsGoOfEverySlabThePoolAllocated() throws Exception {
        Capturing provider = new Capturing();
        IoRuntime rt = DriverRuntimes.open(provider, IoRuntime.builder().buffers(SIZE, 4, 100));
        UringDriver d = provider.opened.get(0);
        BufPool pool = rt.loop().bufPool();
        List<FixedBuf> held = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            held.add(pool.lease());
        }
        Path f = Files.createTempFile("veloq-pool", ".bin");
        try {
            IoFd fd = IoFd.raw(rt.loop().call(Open.read(f)).valueOrThrow());
            // a ReadFixed on the last buffer registers every region
            assertEquals(0, rt.loop().call(new ReadFixed(fd, held.get(99), 0)).valueOrThrow());
            rt.loop().call(new Close(fd)).valueOrThrow();
        } finally {
            Files.delete(f);
        }
        ByteBuffer[] slabs = onLoop(rt, () -> d.bufferTable().registeredSlabs());
        assertEquals(pool.regionCount(), slabs.length);
        long total = 0;
        List<WeakReference<ByteBuffer>> refs = new ArrayList<>();
        for (ByteBuffer s : slabs) {
            total += s.capacity();
            refs.add(new WeakReference<>(s));
        }
        assertEquals(total, pool.allocatedBytes(), "the pool counts exactly the slabs it allocated");
        held.forEach(FixedBuf::release);
        held.clear();
        Arrays.fill(slabs, null);
        rt.close();
        assertTrue(pool.isClosed());
        assertEquals(0, pool.allocatedBytes());
        assertEquals(0, d.liveNativeAllocations(), "native allocations of the driver (buffer-table arguments included)");
        // Nothing (pool, host, driver) still holds a slab: the JDK frees their direct memory.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (refs.stream().anyMatch(r -> r.get() != null) && System.nanoTime() < deadline) {
            System.gc();
            Thread.sleep(20);
        }
        long alive = refs.stream().filter(r -> r.get() != null).count();
        assertEquals(0, alive, "slabs still reachable after close");
    }

    @Test
    void leaseAndReleaseAllocateNothingOnceThePoolHasGrown() throws Exception {
        try (IoRuntime rt = IoRuntime.builder().driver("uring").buffers(SIZE, 1, 64).open()) {
            BufPool pool = rt.loop().bufPool();
            FixedBuf[] bufs = new FixedBuf[48];
            Runnable round = () -> {
                for (int i = 0; i < bufs.length; i++) {
                    bufs[i] = pool.lease();
                }
                for (FixedBuf b : bufs) {
                    b.release();
                }
            };
            round.run(); // grows to its working size
            for (int i = 0; i < 10_000; i++) {
                round.run(); // warm up: JIT
            }
            allocatedBytes(); // warm up the measurement itself (reflection)
            long before = allocatedBytes();
            for (int i = 0; i < 10_000; i++) {
                round.run();
            }
            long allocated = allocatedBytes() - before;
            // a few KiB is the JIT and the measurement, not the pool: one byte per lease would be 480,000
            assertTrue(allocated < 4096, "480,000 leases and releases allocated " + allocated + " bytes");
        }
    }

    private static long allocatedBytes() throws Exception {
        Object bean = Class.forName("java.lang.management.ManagementFactory").getMethod("getThreadMXBean").invoke(null);
        Method m = Class.forName("com.sun.management.ThreadMXBean").getMethod("getCurrentThreadAllocatedBytes");
        return (long) m.invoke(bean);
    }

    @Test
    void driverLevelRegistrationKeepsRegionIndicesAndRefusesBeyondTheTable() throws Exception {
        try (UringDriver d = (UringDriver) new UringProvider().open(new DriverConfig(0, 8, 16, 0, Map.of()))) {
            ByteBuffer[] slabs = {page(), page(), page()};
            d.registerBuffers(new ByteBuffer[] {slabs[0]}, 2);
            assertEquals(BufferTable.Mode.SPARSE, d.bufferTable().mode());
            d.addBufferRegion(new ByteBuffer[] {slabs[0], slabs[1]});
            assertEquals(2, d.bufferTable().regions());
            io.veloq.api.VeloqIoException e = assertThrows(io.veloq.api.VeloqIoException.class,
                    () -> d.addBufferRegion(slabs));
            assertTrue(e.getMessage().contains("sparse table has 2 slots"), e.getMessage());
            assertEquals(2, d.bufferTable().regions(), "the regions before stay registered");
            assertTrue(d.bufferTable().describe().contains("2 of 2 slots"), d.bufferTable().describe());
        }
    }

    private static ByteBuffer page() {
        return ByteBuffer.allocateDirect(2 * 4096).alignedSlice(4096);
    }
}
