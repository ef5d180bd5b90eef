package io.veloq.examples.net;

import io.veloq.api.EventLoop;
import io.veloq.api.IoRuntime;
import io.veloq.api.buffer.FixedBuf;
import io.veloq.api.net.TcpListener;
import io.veloq.api.net.TcpServer;
import io.veloq.api.net.TcpStream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link TcpServer}: a server on a two-loop runtime gets connections on both loops, each served on the loop
 * it landed on, with SO_REUSEPORT listeners and with hand-off; on the fake driver and on io_uring. (The IOCP
 * driver, which lacks SO_REUSEPORT, is covered by {@code IocpTcpServerTest}.)
 */
class TcpServerTest {
    private static final int CONNECTIONS = 32;

    /** What the server saw: per loop, connections served on that loop's own thread; and mistakes. */
    private static final class Served {
        final AtomicIntegerArray perLoop = new AtomicIntegerArray(2);
        final ConcurrentLinkedQueue<String> problems = new ConcurrentLinkedQueue<>();
        final CountDownLatch closed = new CountDownLatch(CONNECTIONS);

        /** Echoes one message, then closes: all on the stream's loop, from its completers. */
        void serve(TcpStream s, Throwable error) {
            if (error != null) {
                problems.add("accept failed: " + error);
                return;
            }
            EventLoop loop = s.loop();
            if (!loop.inLoop()) {
                problems.add("onAccept for " + s + " ran off its loop's thread: " + Thread.currentThread().getName());
            }
            perLoop.incrementAndGet(loop.index());
            FixedBuf buf = loop.bufPool().lease();
            s.recv(buf, op -> {
                if (!op.isSuccess() || op.result() == 0) {
                    problems.add("recv on " + s + ": " + (op.isSuccess() ? "end of stream" : op.error()));
                    buf.release();
                    s.closeAsync().thenRun(closed::countDown);
                    return;
                }
                s.sendAll(buf, sent -> {
                    if (!loop.inLoop()) {
                        problems.add("a completer of " + s + " ran off its loop");
                    }
                    buf.release();
                    s.closeAsync().thenRun(closed::countDown);
                });
            });
        }
    }

    private static InetSocketAddress loopback() throws IOException {
        return new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0);
    }

    private static IoRuntime twoLoops(String driver) {
        return IoRuntime.builder().driver(driver).threads(2).buffers(16 * 1024, 64).open();
    }

    /** CONNECTIONS clients, from both loops in turn, each sending 4 bytes and reading them back. */
    private static void clients(IoRuntime rt, TcpServer server, Served served) throws Exception {
        InetSocketAddress at = new InetSocketAddress(InetAddress.getByName("127.0.0.1"), server.port());
        for (int i = 0; i < CONNECTIONS; i++) {
            EventLoop loop = rt.loop(i % 2);
            try (TcpStream c = TcpStream.connect(loop, at)) {
                FixedBuf buf = loop.bufPool().lease();
                try {
                    byte[] msg = ByteBuffer.allocate(4).putInt(i).array();
                    c.sendAll(buf.put(msg));
                    buf.clear();
                    while (buf.readableBytes() < 4) {
                        assertTrue(c.recv(buf) > 0, "connection " + i + " ended before its echo");
                    }
                    assertArrayEquals(msg, buf.getBytes(), "echo of connection " + i);
                } finally {
                    buf.release();
                }
            }
        }
        assertTrue(served.closed.await(10, TimeUnit.SECONDS), "the server closed " + (CONNECTIONS - served.closed.getCount())
                + " of " + CONNECTIONS + " connections");
        assertEquals(List.of(), List.copyOf(served.problems));
        int total = served.perLoop.get(0) + served.perLoop.get(1);
        assertEquals(CONNECTIONS, total, "connections served");
        for (int i = 0; i < 2; i++) {
            assertEquals(served.perLoop.get(i), server.accepted(i), "accepted(" + i + ") against what loop " + i + " served");
        }
    }

    @ParameterizedTest
    @MethodSource("io.veloq.examples.net.TestDrivers#all")
    void twoLoopServerGetsConnectionsOnBothLoopsWithReusePort(String driver) throws Exception {
        Served served = new Served();
        try (IoRuntime rt = twoLoops(driver);
             TcpServer server = TcpServer.bind(rt, loopback(), served::serve)) {
            assertEquals(TcpServer.Distribution.REUSE_PORT, server.distribution(), "Linux semantics have SO_REUSEPORT");
            assertEquals(2, server.listeners().size(), "one listener per loop");
            for (int i = 0; i < 2; i++) {
                TcpListener l = server.listeners().get(i);
                assertEquals(i, l.loop().index(), "listener " + i + "'s loop");
                assertEquals(server.port(), l.port(), "every listener on the server's port");
                assertEquals(true, l.getOption(StandardSocketOptions.SO_REUSEPORT));
            }
            clients(rt, server, served);
            // The kernel (or the fake, in turn) spreads connections over the reuseport group: both loops get some.
            assertTrue(served.perLoop.get(0) > 0 && served.perLoop.get(1) > 0,
                    "connections per loop: " + served.perLoop + " (both loops should serve)");
        }
    }

    @ParameterizedTest
    @MethodSource("io.veloq.examples.net.TestDrivers#all")
    void handOffGivesEveryOtherConnectionToTheOtherLoop(String driver) throws Exception {
        Served served = new Served();
        try (IoRuntime rt = twoLoops(driver);
             TcpServer server = TcpServer.binder(rt).distribution(TcpServer.Distribution.HAND_OFF)
                     .bind(loopback(), served::serve)) {
            assertEquals(TcpServer.Distribution.HAND_OFF, server.distribution());
            assertEquals(1, server.listeners().size(), "one listener");
            assertEquals(false, server.listeners().get(0).getOption(StandardSocketOptions.SO_REUSEPORT));
            clients(rt, server, served);
            assertEquals(CONNECTIONS / 2, served.perLoop.get(0), "round-robin: loop 0's share");
            assertEquals(CONNECTIONS / 2, served.perLoop.get(1), "round-robin: loop 1's share (adopted streams)");
        }
    }

    @ParameterizedTest
    @MethodSource("io.veloq.examples.net.TestDrivers#all")
    void oneLoopRuntimeHasOneListener(String driver) throws Exception {
        AtomicInteger accepted = new AtomicInteger();
        CountDownLatch one = new CountDownLatch(1);
        try (IoRuntime rt = TestDrivers.open(driver);
             TcpServer server = TcpServer.bind(rt, loopback(), (s, e) -> {
                 accepted.incrementAndGet();
                 s.closeAsync();
                 one.countDown();
             })) {
            assertEquals(1, server.listeners().size());
            assertEquals(false, server.listeners().get(0).getOption(StandardSocketOptions.SO_REUSEPORT),
                    "one loop needs no SO_REUSEPORT");
            TcpStream.connect(rt.loop(), new InetSocketAddress(InetAddress.getByName("127.0.0.1"), server.port())).close();
            assertTrue(one.await(10, TimeUnit.SECONDS), "no connection accepted");
            assertEquals(1, server.accepted(0));
        }
    }

    @ParameterizedTest
    @MethodSource("io.veloq.examples.net.TestDrivers#all")
    void reusePortNeverJoinsSomeoneElsesListeners(String driver) throws Exception {
        try (IoRuntime rt = twoLoops(driver);
             // Another server on the port, with SO_REUSEPORT set as `nc -l` does: a blind SO_REUSEPORT bind would
             // join its group and steal half its connections.
             TcpListener other = TcpListener.binder(rt.loop(0)).option(StandardSocketOptions.SO_REUSEPORT, true)
                     .bind(loopback())) {
            InetSocketAddress taken = new InetSocketAddress(InetAddress.getByName("127.0.0.1"), other.port());
            assertThrows(BindException.class, () -> TcpServer.bind(rt, taken, (s, e) -> { }));
        }
    }

    @ParameterizedTest
    @MethodSource("io.veloq.examples.net.TestDrivers#all")
    void closeStopsAcceptingWithoutReportingTheCancelledAccepts(String driver) throws Exception {
        ConcurrentLinkedQueue<Throwable> reported = new ConcurrentLinkedQueue<>();
        try (IoRuntime rt = twoLoops(driver)) {
            TcpServer server = TcpServer.bind(rt, loopback(), (s, e) -> reported.add(e));
            int port = server.port();
            server.close();
            server.close(); // idempotent
            assertTrue(!server.isOpen() && !server.listeners().get(0).isOpen());
            assertThrows(java.net.ConnectException.class, () -> TcpStream.connect(rt.loop(0),
                    new InetSocketAddress(InetAddress.getByName("127.0.0.1"), port)));
            // close() returned after the Close ops, which the host runs only after the cancelled accepts completed.
            assertEquals(List.of(), List.copyOf(reported), "close is not an accept error");
        }
    }
}
