package io.veloq.driver.iocp;

import io.veloq.api.EventLoop;
import io.veloq.api.IoRuntime;
import io.veloq.api.buffer.FixedBuf;
import io.veloq.api.net.TcpServer;
import io.veloq.api.net.TcpStream;
import io.veloq.driver.iocp.sim.SimWin32;
import io.veloq.testkit.DriverRuntimes;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicIntegerArray;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link TcpServer} on IOCP, which has no SO_REUSEPORT: the server falls back to one listener and hands each
 * accepted stream to the next loop. The adopted socket's first overlapped op runs on its new loop, which
 * associates it with that loop's completion port (a socket can be associated with one port, for good: the
 * listener's loop never touches it). Runs on the IOCP simulator here, on Windows in CI.
 */
class IocpTcpServerTest {
    private static final int CONNECTIONS = 16;
    private final SimWin32[] sim = new SimWin32[1];
    private IoRuntime rt;

    @AfterEach
    void close() {
        if (rt != null) {
            rt.close();
        }
        if (sim[0] != null) {
            List<String> failures = sim[0].failures();
            sim[0].close();
            assertEquals(List.of(), failures, "exceptions or Windows-unsafe calls inside the IOCP simulator");
        }
    }

    @Test
    void handsConnectionsToBothLoopsWithoutReusePort() throws Exception {
        rt = DriverRuntimes.open(Bindings.provider(sim), IoRuntime.builder().threads(2).buffers(4096, 64));
        AtomicIntegerArray perLoop = new AtomicIntegerArray(2);
        ConcurrentLinkedQueue<String> problems = new ConcurrentLinkedQueue<>();
        CountDownLatch done = new CountDownLatch(CONNECTIONS);
        try (TcpServer server = TcpServer.bind(rt, new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0),
                (s, e) -> {
                    if (e != null) {
                        problems.add("accept: " + e);
                        return;
                    }
                    EventLoop loop = s.loop();
                    if (!loop.inLoop()) {
                        problems.add("onAccept off the stream's loop");
                    }
                    perLoop.incrementAndGet(loop.index());
                    FixedBuf buf = loop.bufPool().lease();
                    s.recv(buf, op -> {                      // the first op: associates the socket with this loop's port
                        if (!op.isSuccess()) {
                            problems.add("recv on loop " + loop.index() + ": " + op.error());
                            buf.release();
                            s.closeAsync().thenRun(done::countDown);
                            return;
                        }
                        s.sendAll(buf, sent -> {
                            if (!sent.isSuccess()) {
                                problems.add("send on loop " + loop.index() + ": " + sent.error());
                            }
                            buf.release();
                            s.closeAsync().thenRun(done::countDown);
                        });
                    });
                })) {
            assertEquals(TcpServer.Distribution.HAND_OFF, server.distribution(), "IOCP has no SO_REUSEPORT");
            assertEquals(1, server.listeners().size());
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
            assertTrue(done.await(10, TimeUnit.SECONDS), "server-side closes");
            assertEquals(List.of(), List.copyOf(problems));
            assertEquals(CONNECTIONS / 2, perLoop.get(0), "loop 0's share");
            assertEquals(CONNECTIONS / 2, perLoop.get(1), "loop 1's share: sockets accepted on loop 0, served on loop 1");
            assertEquals(CONNECTIONS / 2, server.accepted(1));
        }
    }

    @Test
    void reusePortOnRequestIsRefusedWithTheWayOut() throws Exception {
        rt = DriverRuntimes.open(Bindings.provider(sim), IoRuntime.builder().threads(2).buffers(4096, 8));
        UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class, () ->
                TcpServer.binder(rt).distribution(TcpServer.Distribution.REUSE_PORT)
                        .bind(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0), (s, err) -> { }));
        assertTrue(e.getMessage().contains("SO_REUSEPORT") && e.getMessage().contains("HAND_OFF"), e.getMessage());
    }
}
