package io.veloq.api.buffer;

import io.veloq.api.bootstrap.ApiAccess;
import io.veloq.api.bootstrap.SlabMemory;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;

import static io.veloq.api.Messages.assertMentions;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BufPoolTest {
    private static final ApiAccess.Bufs BUFS = ApiAccess.bufs();

    /** Slab memory that records what it hands out and what it is asked to free. */
    static final class CountingMemory implements SlabMemory {
        final List<ByteBuffer> allocated = new ArrayList<>();
        final Map<ByteBuffer, Integer> freed = new IdentityHashMap<>();

        @Override
        public ByteBuffer allocate(int bytes) {
            ByteBuffer b = SlabMemory.DIRECT.allocate(bytes);
            allocated.add(b);
            return b;
        }

        @Override
        public void free(ByteBuffer slab) {
            freed.merge(slab, 1, Integer::sum);
        }
    }

    @Test
    void leasesEveryBufferOnceAndCountsOutstanding() {
        try (BufPool pool = BufPool.allocate(1000, 4)) {
            assertEquals(4, pool.capacity());
            assertEquals(1000, pool.bufferSize());
            assertEquals(1, pool.regionCount());
            assertFalse(pool.isRegistered());
            Set<FixedBuf> seen = new HashSet<>();
            for (int i = 0; i < 4; i++) {
                FixedBuf b = pool.lease();
                assertTrue(seen.add(b), "leased twice: " + b);
                assertSame(pool, b.pool());
                assertTrue(b.isLeased());
                assertEquals(1000, b.capacity());
                assertEquals(0, b.readerIndex());
                assertEquals(0, b.writerIndex());
                assertEquals(i + 1, pool.outstanding());
            }
            assertNull(pool.tryLease());
            assertMentions(assertThrows(IllegalStateException.class, pool::lease), "BufPool is exhausted", "all 4 buffers",
                    "1000 bytes", "(its cap)", "4 leased", "BufPool.allocate(size, count)", "tryLease()");
            for (FixedBuf b : seen) {
                b.release();
            }
            assertEquals(0, pool.outstanding());
        }
    }

    @Test
    void buffersKnowTheirRegionAndOffsetAndSlabsArePageAligned() {
        // 16 MiB + 4 KiB buffers: three fit in one 64 MiB slab, so four buffers need two regions.
        int size = (16 << 20) + 4096;
        CountingMemory memory = new CountingMemory();
        BufPool pool = BUFS.newPool("test pool", "the test", size, 4, 4, memory);
        assertEquals(2, pool.regionCount());
        ByteBuffer[] slabs = BUFS.slabs(pool);
        assertEquals(2, slabs.length);
        assertEquals(3L * size, slabs[0].capacity());
        assertEquals(size, slabs[1].capacity());
        for (ByteBuffer slab : slabs) {
            assertTrue(slab.isDirect());
            assertEquals(0, slab.alignmentOffset(0, 4096), "slab not page-aligned");
        }
        List<FixedBuf> all = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            all.add(pool.lease());
        }
        all.sort((a, b) -> Long.compare((long) a.regionIndex() * Integer.MAX_VALUE + BUFS.offsetInRegion(a),
                (long) b.regionIndex() * Integer.MAX_VALUE + BUFS.offsetInRegion(b)));
        long[][] expected = {{0, 0}, {0, size}, {0, 2L * size}, {1, 0}};
        for (int i = 0; i < 4; i++) {
            FixedBuf b = all.get(i);
            assertEquals(expected[i][0], b.regionIndex(), b.toString());
            assertEquals(expected[i][1], BUFS.offsetInRegion(b), b.toString());
            ByteBuffer mem = BUFS.memory(b);
            assertEquals(size, mem.capacity());
            // the buffer's memory lies where the region index and offset say
            assertEquals(BUFS.offsetInRegion(b) % 4096, mem.alignmentOffset(0, 4096));
            mem.put(0, (byte) (i + 1));
            assertEquals(i + 1, slabs[b.regionIndex()].get((int) BUFS.offsetInRegion(b)));
        }
        all.forEach(FixedBuf::release);
        pool.close();
        assertEquals(2, memory.allocated.size());
        for (ByteBuffer slab : memory.allocated) {
            assertEquals(1, memory.freed.get(slab), "each slab freed exactly once");
        }
    }

    @Test
    void closeRefusesWhileLeasedAndFreesOnceAfter() {
        CountingMemory memory = new CountingMemory();
        BufPool pool = BUFS.newPool("test pool", "the test", 4096, 8, 8, memory);
        FixedBuf b = pool.lease();
        assertMentions(assertThrows(IllegalStateException.class, pool::close), "cannot close test pool", "1 of 8 buffers are still leased");
        assertTrue(memory.freed.isEmpty(), "nothing may be freed while a buffer is leased");
        assertFalse(pool.isClosed());
        b.release();
        pool.close();
        pool.close(); // idempotent
        assertTrue(pool.isClosed());
        assertEquals(1, memory.freed.size());
        assertEquals(1, memory.freed.values().iterator().next());
        assertMentions(assertThrows(IllegalStateException.class, pool::lease), "test pool is closed");
    }

    @Test
    void doubleReleaseIsDetected() {
        try (BufPool pool = BufPool.allocate(64, 2)) {
            FixedBuf b = pool.lease();
            b.release();
            IllegalStateException e = assertThrows(IllegalStateException.class, b::release);
            assertMentions(e, "double release", b.toString());
            assertEquals(0, pool.outstanding(), "a double release must not corrupt the free list");
            // the free list holds each buffer once: two leases give two different buffers
            FixedBuf x = pool.lease();
            FixedBuf y = pool.lease();
            assertFalse(x == y);
            x.release();
            y.release();
        }
    }

    @Test
    void useAfterReleaseIsDetectedOnEveryAccess() {
        try (BufPool pool = BufPool.allocate(64, 1)) {
            FixedBuf b = pool.lease();
            b.put(new byte[] {1, 2, 3});
            b.release();
            List<Runnable> uses = List.of(b::readerIndex, b::writerIndex, b::readableBytes, b::writableBytes, b::clear,
                    b::compact, () -> b.put(new byte[1]), () -> b.putByte(1), b::getBytes, () -> b.getByte(0),
                    () -> b.get(ByteBuffer.allocate(4)), () -> b.readerIndex(0), () -> b.writerIndex(0));
            for (Runnable use : uses) {
                assertMentions(assertThrows(IllegalStateException.class, use::run), "use after release", b.toString());
            }
            assertFalse(b.isLeased());
        }
    }

    @Test
    void leaseResetsIndices() {
        try (BufPool pool = BufPool.allocate(16, 1)) {
            FixedBuf b = pool.lease();
            b.put(new byte[] {1, 2, 3, 4}).readerIndex(2);
            b.release();
            FixedBuf again = pool.lease();
            assertSame(b, again);
            assertEquals(0, again.readerIndex());
            assertEquals(0, again.writerIndex());
            again.release();
        }
    }

    @Test
    void indicesAndCopies() {
        try (BufPool pool = BufPool.allocate(8, 2)) {
            FixedBuf b = pool.lease();
            b.put(new byte[] {1, 2, 3, 4, 5});
            assertEquals(5, b.readableBytes());
            assertEquals(3, b.writableBytes());
            byte[] two = new byte[2];
            b.get(two, 0, 2);
            assertEquals(2, b.readerIndex());
            assertEquals(1, two[0]);
            b.compact();
            assertEquals(0, b.readerIndex());
            assertEquals(3, b.writerIndex());
            assertEquals(3, b.getByte(0));
            assertMentions(assertThrows(IndexOutOfBoundsException.class, () -> b.put(new byte[6])), "cannot write 6 bytes", "5 of 8 free");
            assertMentions(assertThrows(IndexOutOfBoundsException.class, () -> b.readerIndex(4)), "readerIndex 4", "[0, 3]");
            assertMentions(assertThrows(IndexOutOfBoundsException.class, () -> b.writerIndex(9)), "writerIndex 9");
            assertMentions(assertThrows(IndexOutOfBoundsException.class, () -> b.get(new byte[4], 0, 4)), "asked for 4", "3 readable");

            FixedBuf c = pool.lease();
            c.transferFrom(b);
            assertEquals(0, b.readableBytes());
            assertEquals(3, c.readableBytes());
            ByteBuffer dst = ByteBuffer.allocate(2);
            assertEquals(2, c.get(dst));
            assertEquals(3, dst.get(0));
            assertEquals(4, dst.get(1));
            c.putByte(9).put(ByteBuffer.wrap(new byte[] {7}));
            assertEquals(3, c.readableBytes());
            assertEquals(5, c.getBytes()[0]);
            b.clear();
            assertEquals(0, b.writerIndex());
            b.release();
            c.release();
        }
    }

    @Test
    void leaseAndReleaseFromManyThreads() throws InterruptedException {
        try (BufPool pool = BufPool.allocate(32, 8)) {
            Set<FixedBuf> held = ConcurrentHashMap.newKeySet();
            AtomicReference<Throwable> failure = new AtomicReference<>();
            CountDownLatch start = new CountDownLatch(1);
            List<Thread> threads = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                threads.add(new Thread(() -> {
                    try {
                        start.await();
                        for (int i = 0; i < 5000; i++) {
                            FixedBuf b = pool.tryLease();
                            if (b == null) {
                                continue;
                            }
                            if (!held.add(b)) {
                                throw new AssertionError(b + " leased to two threads at once");
                            }
                            held.remove(b);
                            b.release();
                        }
                    } catch (Throwable e) {
                        failure.compareAndSet(null, e);
                    }
                }));
            }
            threads.forEach(Thread::start);
            start.countDown();
            for (Thread t : threads) {
                t.join();
            }
            if (failure.get() != null) {
                throw new AssertionError(failure.get());
            }
            assertEquals(0, pool.outstanding());
        }
    }

    /** Slab memory that refuses (as the JDK does past -XX:MaxDirectMemorySize) once asked for more than it allows. */
    static final class LimitedMemory implements SlabMemory {
        final CountingMemory inner = new CountingMemory();
        long limit;
        long used;

        LimitedMemory(long limit) {
            this.limit = limit;
        }

        @Override
        public ByteBuffer allocate(int bytes) {
            if (used + bytes > limit) {
                throw new OutOfMemoryError("Cannot reserve " + bytes + " bytes of direct buffer memory (allocated: "
                        + used + ", limit: " + limit + ")");
            }
            used += bytes;
            return inner.allocate(bytes);
        }

        @Override
        public void free(ByteBuffer slab) {
            used -= slab.capacity();
            inner.free(slab);
        }
    }

    @Test
    void growsOnDemandOneSlabAtATimeUpToTheCap() {
        CountingMemory memory = new CountingMemory();
        BufPool pool = BUFS.newPool("loop 3's buffer pool", "IoRuntime.builder().buffers(size, max)", 1000, 4, 40, memory);
        assertEquals(4, pool.capacity(), "only the first chunk at creation");
        assertEquals(4, pool.initialCapacity());
        assertEquals(40, pool.maxCapacity());
        assertEquals(1, pool.regionCount());
        assertEquals(1, memory.allocated.size());
        List<FixedBuf> held = new ArrayList<>();
        List<Integer> capacities = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            held.add(pool.lease());
            capacities.add(pool.capacity());
        }
        // each growth adds about the pool's size (at least the first chunk), the last one stops at the cap
        assertEquals(List.of(4, 8, 16, 32, 40), capacities.stream().distinct().toList());
        assertEquals(5, pool.regionCount());
        assertEquals(List.of(4000, 4000, 8000, 16000, 8000), memory.allocated.stream().map(ByteBuffer::capacity).toList());
        assertEquals(40_000, pool.allocatedBytes());
        Set<FixedBuf> distinct = new HashSet<>(held);
        assertEquals(40, distinct.size());
        ByteBuffer[] slabs = BUFS.slabs(pool);
        for (FixedBuf b : held) {
            // every buffer lies inside its region, where its index and offset say
            ByteBuffer slab = slabs[b.regionIndex()];
            long off = BUFS.offsetInRegion(b);
            assertTrue(off + 1000 <= slab.capacity(), b.toString());
            BUFS.memory(b).put(0, (byte) 7);
            assertEquals(7, slab.get((int) off));
            assertEquals(0, slab.alignmentOffset(0, 4096), "slab not page-aligned");
        }
        assertNull(pool.tryLease(), "at the cap");
        IllegalStateException e = assertThrows(IllegalStateException.class, pool::lease);
        assertMentions(e, "loop 3's buffer pool is exhausted", "all 40 buffers of 1000 bytes (its cap)", "40 leased",
                "IoRuntime.builder().buffers(size, max)", "tryLease()");
        held.forEach(FixedBuf::release);
        pool.close();
        assertEquals(0, pool.allocatedBytes());
        assertEquals(5, memory.freed.size(), "close frees every slab");
        for (ByteBuffer slab : memory.allocated) {
            assertEquals(1, memory.freed.get(slab), "each slab freed exactly once");
        }
    }

    @Test
    void releasedBuffersAreReusedBeforeThePoolGrows() {
        CountingMemory memory = new CountingMemory();
        BufPool pool = BUFS.newPool("p", "s", 64, 2, 100, memory);
        FixedBuf a = pool.lease();
        FixedBuf b = pool.lease();
        for (int i = 0; i < 1000; i++) {
            b.release();
            b = pool.lease();
            a.release();
            a = pool.lease();
        }
        assertEquals(2, pool.capacity(), "never grew: two buffers were enough");
        assertEquals(1, memory.allocated.size());
        FixedBuf c = pool.lease(); // now it must grow
        assertEquals(4, pool.capacity());
        c.release();
        FixedBuf again = pool.lease();
        assertSame(c, again, "the last released buffer is leased first");
        List.of(a, b, again).forEach(FixedBuf::release);
        pool.close();
    }

    @Test
    void aGrowthFailureNamesTheCauseAndTheFixesAndLeavesThePoolUsable() throws InterruptedException {
        // room for the first chunk (8 x 16 KiB) and one growth of 8; the third slab is refused
        LimitedMemory memory = new LimitedMemory(16 * 16384);
        BufPool pool = BUFS.newPool("loop 1's buffer pool", "IoRuntime.builder().buffers(size, max)", 16384, 8, 1024, memory);
        List<FixedBuf> held = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
            held.add(pool.lease());
        }
        assertEquals(16, pool.capacity());
        IllegalStateException e = assertThrows(IllegalStateException.class, pool::lease);
        assertMentions(e, "loop 1's buffer pool cannot grow", "Cannot reserve", "direct buffer memory",
                "It holds 16 buffers", "of its cap of 1024", "-XX:MaxDirectMemorySize", "-Xmx", "fewer event loops",
                "smaller buffers or a lower cap", "IoRuntime.builder().buffers(size, max)", "--buffer-size", "--max-conns");
        assertFalse(e.getMessage().contains("driver"), "a memory limit is not the driver's fault: " + e.getMessage());
        assertNull(pool.tryLease(), "tryLease: null, the caller applies back-pressure");
        // the pool still works with what it has
        held.remove(0).release();
        FixedBuf reused = pool.lease();
        held.add(reused);
        // memory comes back: after the retry pause the pool grows again
        memory.limit = 64 * 16384;
        Thread.sleep(1100);
        FixedBuf grown = pool.lease();
        assertEquals(32, pool.capacity());
        grown.release();
        held.forEach(FixedBuf::release);
        pool.close();
        assertEquals(0, memory.used, "every slab freed");
    }

    @Test
    void whenTheWantedSlabIsRefusedASmallerOneIsTried() {
        // growth wants a slab the size of the pool (32), the memory has room for the first chunk's size (8) only
        LimitedMemory memory = new LimitedMemory(40 * 4096);
        BufPool pool = BUFS.newPool("p", "s", 4096, 8, 1024, memory);
        List<FixedBuf> held = new ArrayList<>();
        for (int i = 0; i < 32; i++) {
            held.add(pool.lease()); // 8 -> 16 -> 32
        }
        FixedBuf more = pool.lease();
        assertEquals(40, pool.capacity(), "fell back to a slab of the growth chunk");
        held.add(more);
        assertTrue(BUFS.maxRegions(pool) >= pool.regionCount());
        held.forEach(FixedBuf::release);
        pool.close();
    }

    @Test
    void theFirstChunkFailingSaysSoAndLeavesNothingAllocated() {
        LimitedMemory memory = new LimitedMemory(4096);
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> BUFS.newPool("loop 0's buffer pool", "IoRuntime.builder().buffers(size, max)", 16384, 32, 2048, memory));
        assertMentions(e, "loop 0's buffer pool cannot allocate its first 32 buffers", "-XX:MaxDirectMemorySize",
                "fewer event loops");
        assertEquals(0, memory.used);
    }

    @Test
    void anEmptyFirstChunkGrowsOnTheFirstLease() {
        CountingMemory memory = new CountingMemory();
        BufPool pool = BUFS.newPool("p", "s", 512, 0, 10, memory);
        assertEquals(0, pool.capacity());
        assertEquals(0, pool.regionCount());
        FixedBuf b = pool.lease();
        assertEquals(1, pool.regionCount());
        b.release();
        pool.close();
        assertEquals(1, memory.freed.size());
    }

    @Test
    void regionsStayWithinWhatADriverCanRegister() {
        // a first chunk of 1 and a cap of 100,000: growth slabs are at least 1/512 of the cap
        BufPool pool = BUFS.newPool("p", "s", 64, 1, 100_000, new CountingMemory());
        assertTrue(BUFS.maxRegions(pool) <= 600, "max regions " + BUFS.maxRegions(pool));
        pool.close();
        // 1 KiB buffers of 64 MiB slabs: a cap of 16 GiB still fits; a cap of a petabyte does not
        assertMentions(assertThrows(IllegalArgumentException.class,
                () -> BUFS.newPool("p", "s", 1 << 20, 1, 1 << 30, new CountingMemory())), "regions", "16384");
        assertMentions(assertThrows(IllegalArgumentException.class, () -> BufPool.allocate(64, 5, 4)),
                "initial buffer count must be in 0..4", "got 5");
    }

    @Test
    void growingFromManyThreadsNeverHandsOutABufferTwice() throws InterruptedException {
        CountingMemory memory = new CountingMemory();
        BufPool pool = BUFS.newPool("p", "s", 32, 1, 256, memory);
        Set<FixedBuf> held = ConcurrentHashMap.newKeySet();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        CountDownLatch start = new CountDownLatch(1);
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            threads.add(new Thread(() -> {
                try {
                    start.await();
                    List<FixedBuf> mine = new ArrayList<>();
                    for (int round = 0; round < 200; round++) {
                        for (int i = 0; i < 60; i++) {
                            FixedBuf b = pool.lease();
                            if (!held.add(b)) {
                                throw new AssertionError(b + " leased to two threads at once");
                            }
                            mine.add(b);
                        }
                        for (FixedBuf b : mine) {
                            held.remove(b);
                            b.release();
                        }
                        mine.clear();
                    }
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                }
            }));
        }
        threads.forEach(Thread::start);
        start.countDown();
        for (Thread t : threads) {
            t.join();
        }
        if (failure.get() != null) {
            throw new AssertionError(failure.get());
        }
        assertEquals(0, pool.outstanding());
        assertTrue(pool.capacity() >= 60 && pool.capacity() <= 256, pool.toString());
        assertEquals(pool.regionCount(), memory.allocated.size());
        pool.close();
    }

    @Test
    void argumentsAreChecked() {
        assertMentions(assertThrows(IllegalArgumentException.class, () -> BufPool.allocate(0, 1)), "buffer size must be positive", "0");
        assertMentions(assertThrows(IllegalArgumentException.class, () -> BufPool.allocate(10, 0)), "buffer count must be positive");
        assertMentions(assertThrows(IllegalArgumentException.class, () -> BufPool.allocate((64 << 20) + 1, 1)), "exceeds the largest slab");
        assertNotNull(BufPool.allocate(1, 1).toString());
    }
}
