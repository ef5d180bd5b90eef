package io.veloq.examples.net;

import io.veloq.api.IoRuntime;
import io.veloq.api.buffer.FixedBuf;
import io.veloq.api.net.TcpListener;
import io.veloq.api.net.TcpStream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.ByteArrayOutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Sending heap data: {@code sendAll(ByteBuffer)} stages a {@code byte[]} through pooled buffers (several
 * buffer-fulls), blocking and with a completer, every byte arriving in order; the staging buffers go back to
 * the pool. A payload of many buffer-fulls goes out several buffers per op. On the fake, nio and io_uring.
 */
class HeapSendTest {
    private static final int BUF = 4096;

    @ParameterizedTest
    @MethodSource("io.veloq.examples.net.TestDrivers#all")
    void heapBytesAreStagedThroughThePool(String driver) throws Exception {
        try (IoRuntime rt = IoRuntime.builder().driver(driver).buffers(BUF, 8).open();
             TcpListener l = TcpListener.bind(rt.loop(), new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0));
             TcpStream c = TcpStream.connect(rt.loop(), new InetSocketAddress(InetAddress.getByName("127.0.0.1"), l.port()));
             TcpStream s = l.accept()) {
            byte[] first = new byte[BUF * 5 + 123];
            byte[] second = new byte[BUF * 3 + 7];
            new Random(42).nextBytes(first);
            new Random(43).nextBytes(second);
            int leasedBefore = rt.loop().bufPool().outstanding();

            ByteBuffer a = ByteBuffer.wrap(first);
            assertEquals(first.length, c.sendAll(a), "blocking: bytes sent");
            assertFalse(a.hasRemaining());
            assertArrayEquals(first, receive(rt, s, first.length), "blocking sendAll(ByteBuffer)");
            assertEquals(leasedBefore, rt.loop().bufPool().outstanding(), "the staging buffer went back");

            CompletableFuture<ByteBuffer> done = new CompletableFuture<>();
            ByteBuffer b = ByteBuffer.wrap(second);
            c.sendAll(b, (v, e) -> {
                if (e != null) {
                    done.completeExceptionally(e);
                } else {
                    done.complete(v);
                }
            });
            assertArrayEquals(second, receive(rt, s, second.length), "completer sendAll(ByteBuffer)");
            assertSame(b, done.get(10, TimeUnit.SECONDS));
            assertFalse(b.hasRemaining());
            assertEquals(leasedBefore, rt.loop().bufPool().outstanding(), "the staging buffer went back");
        }
    }

    /**
     * A heap payload far larger than the kernel can buffer, to a peer that does not read yet: the send stalls
     * with one op in flight, and that op holds several staged buffers (a vector of buffer-fulls per op, not one
     * buffer per op and round trip). Then the peer reads: every byte arrives in order and every staging buffer
     * goes back. Before the vectored staging the stalled send held exactly one buffer.
     */
    @ParameterizedTest
    @MethodSource("io.veloq.examples.net.TestDrivers#all")
    void aLargeHeapPayloadGoesOutSeveralBuffersPerOp(String driver) throws Exception {
        try (IoRuntime rt = IoRuntime.builder().driver(driver).buffers(BUF, 64).open();
             TcpListener l = TcpListener.bind(rt.loop(), new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0));
             TcpStream c = TcpStream.connect(rt.loop(), new InetSocketAddress(InetAddress.getByName("127.0.0.1"), l.port()));
             TcpStream s = l.accept()) {
            byte[] payload = new byte[24 * 1024 * 1024 + 5]; // beyond any loopback send + receive buffer
            new Random(44).nextBytes(payload);
            int before = rt.loop().bufPool().outstanding();
            CompletableFuture<ByteBuffer> done = new CompletableFuture<>();
            c.sendAll(ByteBuffer.wrap(payload), (v, e) -> {
                if (e != null) {
                    done.completeExceptionally(e);
                } else {
                    done.complete(v);
                }
            });
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            int staged = 0;
            while (staged <= 1 && System.nanoTime() < end) {
                staged = Math.max(staged, rt.loop().bufPool().outstanding() - before);
                Thread.sleep(5);
            }
            assertTrue(staged > 1, "the stalled heap send held " + staged + " staging buffer(s); several expected");
            assertTrue(staged <= 16, staged + " staging buffers: more than one vector's worth");
            assertFalse(done.isDone(), "the peer has not read: the send cannot have finished");
            assertArrayEquals(payload, receive(rt, s, payload.length), "every byte, in order");
            assertFalse(done.get(20, TimeUnit.SECONDS).hasRemaining());
            assertEquals(before, rt.loop().bufPool().outstanding(), "every staging buffer went back");
        }
    }

    /**
     * The completer shape stages each next part in the completer and resubmits the same op: once warm, a heap
     * transfer of many parts allocates nothing on the loop thread per part (measured on a second transfer, the
     * peer a plain JDK socket read by the test thread, so the loop thread runs only the send). With 4 KiB
     * buffers a 32 MiB payload is at least 512 parts: one object per part would be 8 KiB or more. What is
     * bounded is the average per part (a loaded machine adds a one-off here and there: 176 B in all seen on
     * io_uring during a full build), on io_uring, the hot path; the nio driver's figure is reported.
     */
    @ParameterizedTest
    @MethodSource("io.veloq.examples.net.TestDrivers#real")
    void aHeapTransferAllocatesNothingPerPartOnTheLoopThread(String driver) throws Exception {
        int size = 4 * 1024;
        try (IoRuntime rt = IoRuntime.builder().driver(driver).buffers(size, 64).open();
             TcpListener l = TcpListener.bind(rt.loop(), new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0));
             java.net.Socket peer = new java.net.Socket(InetAddress.getByName("127.0.0.1"), l.port());
             TcpStream s = l.accept()) {
            CompletableFuture<Long> loopThread = new CompletableFuture<>();
            rt.loop().execute(() -> loopThread.complete(Thread.currentThread().getId()));
            long tid = loopThread.get(5, TimeUnit.SECONDS);
            com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
            byte[] payload = new byte[32 * 1024 * 1024];
            new Random(45).nextBytes(payload);
            long parts = payload.length / (16L * size); // the fewest ops: one per full vector
            long allocated = 0;
            for (int round = 0; round < 2; round++) {
                ByteBuffer src = ByteBuffer.wrap(payload);
                CompletableFuture<Long> allocatedAtEnd = new CompletableFuture<>();
                long atStart = mx.getThreadAllocatedBytes(tid);
                s.sendAll(src, (v, e) -> {
                    if (e != null) {
                        allocatedAtEnd.completeExceptionally(e);
                    } else {
                        allocatedAtEnd.complete(mx.getThreadAllocatedBytes(tid));
                    }
                });
                byte[] got = peer.getInputStream().readNBytes(payload.length);
                assertArrayEquals(payload, got, "round " + round + ": every byte, in order");
                allocated = allocatedAtEnd.get(20, TimeUnit.SECONDS) - atStart;
            }
            System.out.printf("%s: a 32 MiB heap sendAll (>= %d parts) allocated %d B on the loop thread%n",
                    driver, parts, allocated);
            if (driver.equals("uring")) {
                // The call itself (its op, payload and completers) is allocated on the calling thread.
                assertTrue(allocated < 4 * parts, allocated + " B allocated on the loop thread over >= " + parts
                        + " parts: more than 4 B per part means something is allocated per part");
            }
        }
    }

    private static byte[] receive(IoRuntime rt, TcpStream s, int n) throws Exception {
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        FixedBuf in = rt.loop().bufPool().lease();
        try {
            while (got.size() < n) {
                in.clear();
                int k = s.recv(in);
                if (k == 0) {
                    break;
                }
                got.write(in.getBytes());
            }
        } finally {
            in.release();
        }
        return got.toByteArray();
    }
}
