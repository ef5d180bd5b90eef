package io.veloq.examples.net;

import io.veloq.api.EventLoop;
import io.veloq.api.IoRuntime;
import io.veloq.api.buffer.FixedBuf;
import io.veloq.api.net.TcpListener;
import io.veloq.api.net.TcpStream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Per-socket writability: a server that writes to a peer that does not read sees its write queue grow past the
 * high watermark and is told (so it can stop reading from that peer); once the peer reads, the queue drains
 * and it is told again. On the fake (whose receive window and send buffer follow the options) and io_uring.
 */
class WritabilityTest {
    private static final int CHUNK = 16 * 1024;
    private static final long LOW = 16 * 1024;
    private static final long HIGH = 64 * 1024;

    @ParameterizedTest
    @MethodSource("io.veloq.examples.net.TestDrivers#all")
    void aPeerThatDoesNotReadMakesTheSocketUnwritableUntilItReads(String driver) throws Exception {
        try (IoRuntime rt = IoRuntime.builder().driver(driver).buffers(CHUNK, 128).open();
             TcpListener l = TcpListener.bind(rt.loop(), new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0));
             TcpStream peer = TcpStream.connector(rt.loop()).option(StandardSocketOptions.SO_RCVBUF, 4096)
                     .connect(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), l.port()));
             TcpStream s = l.accept()) {
            EventLoop loop = rt.loop();
            s.setOption(StandardSocketOptions.SO_SNDBUF, 4096);
            List<String> changes = new CopyOnWriteArrayList<>();
            ConcurrentLinkedQueue<String> problems = new ConcurrentLinkedQueue<>();
            s.writeWatermarks(LOW, HIGH, writable -> {
                if (!loop.inLoop()) {
                    problems.add("listener off the loop thread");
                }
                changes.add((writable ? "writable" : "unwritable") + " at " + s.bytesQueued());
            });
            assertTrue(s.isWritable());
            assertEquals(0, s.bytesQueued());
            // Write chunks while the socket says it can take more; the peer reads nothing.
            AtomicInteger completed = new AtomicInteger();
            long sent = 0;
            int chunks = 0;
            byte[] pattern = new byte[CHUNK];
            for (int i = 0; i < CHUNK; i++) {
                pattern[i] = (byte) i;
            }
            while (changes.isEmpty() && chunks < 100) {
                FixedBuf buf = loop.bufPool().lease().put(pattern);
                s.sendAll(buf, op -> {
                    if (!op.isSuccess()) {
                        problems.add("sendAll failed: " + op.error());
                    }
                    buf.release();
                    completed.incrementAndGet();
                });
                sent += CHUNK;
                chunks++;
            }
            await(() -> !changes.isEmpty(), "the unwritable report");
            assertTrue(changes.get(0).startsWith("unwritable"), "first change: " + changes);
            assertFalse(s.isWritable());
            assertTrue(s.bytesQueued() > HIGH, "queued " + s.bytesQueued() + " after " + chunks + " chunks");
            // The peer reads everything: the queue drains to the low mark and below, and the socket says so.
            FixedBuf in = loop.bufPool().lease();
            long got = 0;
            while (got < sent) {
                in.clear();
                int n = peer.recv(in);
                assertTrue(n > 0, "end of stream after " + got + " of " + sent);
                for (int i = 0; i < n; i++) {
                    assertEquals((byte) ((got + i) % CHUNK), in.getByte(i), "byte " + (got + i));
                }
                got += n;
            }
            in.release();
            int all = chunks;
            await(() -> completed.get() == all, "every sendAll to complete");
            await(() -> changes.size() == 2, "the writable report");
            assertTrue(changes.get(1).startsWith("writable"), "second change: " + changes);
            assertTrue(s.isWritable());
            assertEquals(0, s.bytesQueued());
            assertEquals(List.of(), new ArrayList<>(problems));
            assertThrows(IllegalArgumentException.class, () -> s.writeWatermarks(10, 5, w -> { }));
        }
    }

    private static void await(BooleanSupplier c, String what) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!c.getAsBoolean()) {
            if (System.nanoTime() > end) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(1);
        }
    }
}
