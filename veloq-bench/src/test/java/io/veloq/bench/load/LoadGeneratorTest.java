package io.veloq.bench.load;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.veloq.bench.echo.NioEchoServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(60)
class LoadGeneratorTest {

    private static LoadResult run(InetSocketAddress addr, int conns, int depth, int size, boolean churn,
                                  long warmMs, long measureMs) throws Exception {
        try (LoadGenerator lg = new LoadGenerator(new LoadConfig(addr, conns, depth, size, churn, 1))) {
            lg.start();
            Thread.sleep(warmMs);
            lg.beginMeasure();
            Thread.sleep(measureMs);
            return lg.endMeasure();
        }
    }

    private static void assertConsistent(LoadResult r, int size) {
        assertEquals(0, r.errors(), () -> "errors: " + r.firstError());
        assertNull(r.firstError());
        assertTrue(r.messages() > 100, "too few echoes: " + r.messages());
        // every echoed byte was verified; whole messages plus at most the partial ones in flight
        assertTrue(r.bytes() >= (r.messages() - 1) * (long) size, r.bytes() + " bytes for " + r.messages());
        assertEquals(r.messages(), r.latencyNanos().getTotalCount(), "one latency sample per echo");
        assertTrue(r.percentileMicros(50) > 0);
        assertTrue(r.percentileMicros(99.9) >= r.percentileMicros(50));
        assertTrue(r.nanos() > 300_000_000L, "window " + r.nanos());
    }

    @Test
    void pipelinedEchoAgainstNioServerIsVerified() throws Exception {
        NioEchoServer server = new NioEchoServer();
        int port = server.start(0);
        try {
            InetSocketAddress addr = new InetSocketAddress(InetAddress.getLoopbackAddress(), port);
            LoadResult r = run(addr, 8, 4, 64, false, 300, 700);
            assertConsistent(r, 64);
            // pipelined: bytes received in the window are within depth messages per connection of msgs x size
            long slack = 8L * 4 * 64;
            assertTrue(Math.abs(r.bytes() - r.messages() * 64L) <= slack, r.bytes() + " vs " + r.messages());
            // MB/s is derived from the same counters
            assertEquals(r.bytes() / r.seconds() / 1e6, r.megabytesPerSecond(), 1e-6);
        } finally {
            server.stop();
        }
    }

    @Test
    void largeMessagesArriveInPiecesAndAreStillVerified() throws Exception {
        NioEchoServer server = new NioEchoServer();
        int port = server.start(0);
        try {
            LoadResult r = run(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 2, 2, 100_000,
                    false, 200, 500);
            assertEquals(0, r.errors(), () -> "errors: " + r.firstError());
            assertTrue(r.messages() > 10, "echoes: " + r.messages());
        } finally {
            server.stop();
        }
    }

    @Test
    void churnConnectsEchoesAndCloses() throws Exception {
        NioEchoServer server = new NioEchoServer();
        int port = server.start(0);
        try {
            LoadResult r = run(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 2, 1, 64, true,
                    200, 600);
            assertConsistent(r, 64);
            // one echo per connection
            assertTrue(Math.abs(r.connections() - r.messages()) <= 2,
                    r.connections() + " connections for " + r.messages() + " echoes");
            assertEquals(r.messages() * 64, r.bytes());
        } finally {
            server.stop();
        }
    }

    @Test
    void corruptedEchoIsDetected() throws Exception {
        AtomicBoolean running = new AtomicBoolean(true);
        try (ServerSocket ss = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Thread t = new Thread(() -> {
                try (Socket s = ss.accept()) {
                    InputStream in = s.getInputStream();
                    OutputStream out = s.getOutputStream();
                    byte[] buf = new byte[4096];
                    long total = 0;
                    int n;
                    while (running.get() && (n = in.read(buf)) > 0) {
                        for (int i = 0; i < n; i++) {
                            if (total + i == 1000) {
                                buf[i] ^= 1; // flip one bit of byte 1000 of the stream
                            }
                        }
                        total += n;
                        out.write(buf, 0, n);
                    }
                } catch (IOException ignored) {
                    // client closed
                }
            });
            t.setDaemon(true);
            t.start();
            try (LoadGenerator lg = new LoadGenerator(new LoadConfig(
                    (InetSocketAddress) ss.getLocalSocketAddress(), 1, 1, 64, false, 1))) {
                lg.start();
                long deadline = System.nanoTime() + 5_000_000_000L;
                while (lg.errorsSoFar() == 0 && System.nanoTime() < deadline) {
                    Thread.sleep(10);
                }
                lg.beginMeasure();
                LoadResult r = lg.endMeasure();
                assertEquals(1, lg.errorsSoFar());
                assertNotNull(r.firstError());
                assertTrue(r.firstError().contains("stream offset 1000"), r.firstError());
            }
            running.set(false);
        }
    }

    @Test
    void patternSlicesAreContiguousAcrossThePeriod() {
        var buf = Pattern.newBuffer().duplicate();
        long pos = Pattern.PERIOD - 10;
        var s = Pattern.slice(buf, pos, 100);
        assertEquals(100, s.remaining());
        for (int i = 0; i < 100; i++) {
            assertEquals(Pattern.at(pos + i), s.get(s.position() + i));
        }
    }
}
