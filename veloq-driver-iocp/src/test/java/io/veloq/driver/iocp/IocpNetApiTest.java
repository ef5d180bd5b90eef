package io.veloq.driver.iocp;

import io.veloq.api.Completion;
import io.veloq.api.IoErrorKind;
import io.veloq.api.IoRuntime;
import io.veloq.api.VeloqIoException;
import io.veloq.api.buffer.FixedBuf;
import io.veloq.api.net.ShutdownHow;
import io.veloq.api.net.StreamSocket;
import io.veloq.api.net.TcpListener;
import io.veloq.api.net.TcpStream;
import io.veloq.api.net.UdpSocket;
import io.veloq.api.op.Connect;
import io.veloq.driver.iocp.sim.SimWin32;
import io.veloq.testkit.DriverRuntimes;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.BindException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardSocketOptions;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The networking API ({@code io.veloq.api.net}) on the IOCP driver: the net layer is built only on ops and
 * lifecycles, so on Windows its accept is AcceptEx into the socket {@link AcceptLifecycle} pre-creates, and
 * its connect is ConnectEx after {@link ConnectLifecycle}'s wildcard bind. Runs on the binding
 * {@link Bindings} chooses: the IOCP simulator here, the real Windows bindings in the Windows CI job.
 */
class IocpNetApiTest {
    private static final long WAIT = 10;

    private final SimWin32[] sim = new SimWin32[1];
    private IoRuntime rt;

    @BeforeEach
    void open() {
        // 1 MiB buffers: large enough for one sendAll of a big payload
        rt = DriverRuntimes.open(Bindings.provider(sim), IoRuntime.builder().buffers(1 << 20, 8));
    }

    @AfterEach
    void close() {
        rt.close();
        if (sim[0] != null) {
            List<String> failures = sim[0].failures();
            sim[0].close();
            assertEquals(List.of(), failures, "exceptions or Windows-unsafe calls inside the IOCP simulator");
        }
    }

    private static InetSocketAddress at(String host, int port) throws IOException {
        return new InetSocketAddress(InetAddress.getByName(host), port);
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    /** Sends {@code msg} from {@code a} with sendAll and reads it on {@code b} (blocking shape). */
    private void roundTrip(StreamSocket a, StreamSocket b, String msg) throws IOException {
        FixedBuf out = rt.loop().bufPool().lease();
        FixedBuf in = rt.loop().bufPool().lease();
        try {
            out.put(ascii(msg));
            assertEquals(msg.length(), a.sendAll(out));
            while (in.readableBytes() < msg.length()) {
                assertTrue(b.recv(in) > 0, "end of stream before '" + msg + "' arrived");
            }
            assertArrayEquals(ascii(msg), in.getBytes());
        } finally {
            out.release();
            in.release();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"127.0.0.1", "::1"})
    void tcpAcceptConnectEchoThroughTheLifecycles(String host) throws Exception {
        try (TcpListener l = TcpListener.bind(rt.loop(), at(host, 0))) {
            CompletableFuture<TcpStream> accepted = l.acceptAsync();  // AcceptEx into a pre-created socket
            try (TcpStream c = TcpStream.connect(rt.loop(), at(host, l.port()));  // wildcard bind, then ConnectEx
                 TcpStream s = accepted.get(WAIT, TimeUnit.SECONDS)) {
                assertEquals(c.localAddress(), s.remoteAddress(), "the peer GetAcceptExSockaddrs parsed");
                assertEquals(c.localAddress(), s.remoteAddress(), "getpeername after SO_UPDATE_ACCEPT_CONTEXT");
                assertEquals(at(host, l.port()), c.remoteAddress(), "getpeername after SO_UPDATE_CONNECT_CONTEXT");
                assertEquals(s.localAddress(), c.remoteAddress());
                roundTrip(c, s, "hello over " + host);
                roundTrip(s, c, "and back over " + host);
            }
            // A second accept on the same listener: a fresh pre-created socket, not the first one again.
            CompletableFuture<TcpStream> second = l.acceptAsync();
            try (TcpStream c2 = TcpStream.connect(rt.loop(), at(host, l.port()));
                 TcpStream s2 = second.get(WAIT, TimeUnit.SECONDS)) {
                roundTrip(c2, s2, "second connection");
            }
        }
        assertEquals(0, rt.loop().bufPool().outstanding());
    }

    @Test
    void sendAllOfALargePayloadArrivesWhole() throws Exception {
        byte[] payload = new byte[1 << 20];
        new Random(42).nextBytes(payload);
        int rounds = 6;
        try (TcpListener l = TcpListener.bind(rt.loop(), at("127.0.0.1", 0))) {
            CompletableFuture<TcpStream> accepted = l.acceptAsync();
            try (TcpStream c = TcpStream.connect(rt.loop(), at("127.0.0.1", l.port()));
                 TcpStream s = accepted.get(WAIT, TimeUnit.SECONDS)) {
                CompletableFuture<Long> sent = CompletableFuture.supplyAsync(() -> {
                    long total = 0;
                    for (int r = 0; r < rounds; r++) {
                        FixedBuf out = rt.loop().bufPool().lease();
                        try {
                            out.put(payload);
                            total += c.sendAll(out);
                        } catch (IOException e) {
                            throw new IllegalStateException("sendAll round " + r + " on " + c, e);
                        } finally {
                            out.release();
                        }
                    }
                    return total;
                });
                byte[] got = new byte[payload.length * rounds];
                int at = 0;
                FixedBuf in = rt.loop().bufPool().lease();
                try {
                    while (at < got.length) {
                        in.clear();
                        int n = s.recv(in);
                        assertTrue(n > 0, "end of stream after " + at + " of " + got.length + " bytes");
                        in.get(got, at, n);
                        at += n;
                    }
                } finally {
                    in.release();
                }
                assertEquals((long) got.length, sent.get(WAIT, TimeUnit.SECONDS));
                for (int r = 0; r < rounds; r++) {
                    int round = r;
                    assertTrue(Arrays.equals(payload, 0, payload.length, got, r * payload.length,
                            (r + 1) * payload.length), () -> "round " + round + " of the payload arrived corrupted");
                }
            }
        }
        assertEquals(0, rt.loop().bufPool().outstanding());
    }

    @Test
    void shutdownWriteGivesThePeerEndOfStreamAndKeepsTheOtherDirection() throws Exception {
        try (TcpListener l = TcpListener.bind(rt.loop(), at("::1", 0))) {
            CompletableFuture<TcpStream> accepted = l.acceptAsync();
            try (TcpStream c = TcpStream.connect(rt.loop(), at("::1", l.port()));
                 TcpStream s = accepted.get(WAIT, TimeUnit.SECONDS)) {
                roundTrip(c, s, "before the FIN");
                c.shutdown(ShutdownHow.WRITE);
                FixedBuf in = rt.loop().bufPool().lease();
                try {
                    assertEquals(0, s.recv(in), "the peer reads end of stream after shutdown(WRITE)");
                } finally {
                    in.release();
                }
                roundTrip(s, c, "still open the other way");
            }
        }
    }

    @Test
    void connectToAClosedPortIsRefused() throws Exception {
        int port;
        try (TcpListener l = TcpListener.bind(rt.loop(), at("127.0.0.1", 0))) {
            port = l.port();
        }
        ConnectException e = assertThrows(ConnectException.class, () -> TcpStream.connect(rt.loop(), at("127.0.0.1", port)));
        assertTrue(e.getMessage().contains("WSAECONNREFUSED"), e.getMessage());
        ExecutionException ee = assertThrows(ExecutionException.class,
                () -> TcpStream.connectAsync(rt.loop(), at("127.0.0.1", port)).get(WAIT, TimeUnit.SECONDS));
        assertInstanceOf(ConnectException.class, ee.getCause(), "future shape: " + ee.getCause());
    }

    @ParameterizedTest
    @ValueSource(strings = {"127.0.0.1", "::1"})
    void udpSendToAndRecvFrom(String host) throws Exception {
        try (UdpSocket a = UdpSocket.bind(rt.loop(), at(host, 0));
             UdpSocket b = UdpSocket.bind(rt.loop(), at(host, 0))) {
            FixedBuf buf = rt.loop().bufPool().lease();
            try {
                buf.put(ascii("datagram over " + host));
                assertEquals(buf.readableBytes(), a.sendTo(buf, b.localAddress()));
                buf.clear();
                SocketAddress from = b.recvFrom(buf);
                assertEquals(a.localAddress(), from, "recvFrom reports the sender");
                assertArrayEquals(ascii("datagram over " + host), buf.getBytes());
            } finally {
                buf.release();
            }
        }
    }

    @Test
    void udpConnectThenSendAndRecv() throws Exception {
        try (UdpSocket a = UdpSocket.bind(rt.loop(), at("127.0.0.1", 0));
             UdpSocket b = UdpSocket.bind(rt.loop(), at("127.0.0.1", 0))) {
            a.connect(b.localAddress());          // a Connect op on a datagram socket: no ConnectEx there
            Completion<Connect> cb = b.connectAsync(a.localAddress()).get(WAIT, TimeUnit.SECONDS);
            assertTrue(cb.isSuccess(), () -> "UdpSocket.connectAsync: " + cb.error());
            FixedBuf buf = rt.loop().bufPool().lease();
            try {
                buf.put(ascii("connected datagram"));
                assertEquals(18, a.send(buf));
                buf.clear();
                assertEquals(18, b.recv(buf));
                assertArrayEquals(ascii("connected datagram"), buf.getBytes());
                buf.clear().put(ascii("reply"));
                assertEquals(5, b.send(buf));
                buf.clear();
                SocketAddress from = a.recvFrom(buf);
                assertEquals(b.localAddress(), from);
                assertArrayEquals(ascii("reply"), buf.getBytes());
            } finally {
                buf.release();
            }
        }
        assertEquals(0, rt.loop().bufPool().outstanding());
    }

    @Test
    void socketOptionsThroughTheNetApi() throws Exception {
        try (TcpListener l = TcpListener.bind(rt.loop(), at("127.0.0.1", 0))) {
            assertTrue(l.getOption(StandardSocketOptions.SO_REUSEADDR), "the net layer's listener default reads back");
            CompletableFuture<TcpStream> accepted = l.acceptAsync();
            try (TcpStream c = TcpStream.connector(rt.loop()).option(StandardSocketOptions.TCP_NODELAY, true)
                    .connect(at("127.0.0.1", l.port()));
                 TcpStream s = accepted.get(WAIT, TimeUnit.SECONDS)) {
                assertTrue(c.getOption(StandardSocketOptions.TCP_NODELAY), "set by the connector before Connect");
                c.setOption(StandardSocketOptions.TCP_NODELAY, false);
                assertFalse(c.getOption(StandardSocketOptions.TCP_NODELAY));
                s.setOption(StandardSocketOptions.SO_RCVBUF, 256 * 1024);
                assertEquals(256 * 1024, s.getOption(StandardSocketOptions.SO_RCVBUF));
                s.setOption(StandardSocketOptions.SO_SNDBUF, 128 * 1024);
                assertEquals(128 * 1024, s.getOption(StandardSocketOptions.SO_SNDBUF));
                s.setOption(StandardSocketOptions.SO_KEEPALIVE, true);
                assertTrue(s.getOption(StandardSocketOptions.SO_KEEPALIVE));
                c.setOption(StandardSocketOptions.SO_LINGER, 5);
                assertEquals(5, c.getOption(StandardSocketOptions.SO_LINGER));
                c.setOption(StandardSocketOptions.SO_LINGER, -1);
                assertEquals(-1, c.getOption(StandardSocketOptions.SO_LINGER));
                c.setOption(StandardSocketOptions.SO_REUSEADDR, false);
                assertFalse(c.getOption(StandardSocketOptions.SO_REUSEADDR));
                UnsupportedOperationException u = assertThrows(UnsupportedOperationException.class,
                        () -> c.setOption(StandardSocketOptions.SO_REUSEPORT, true));
                assertTrue(u.getMessage().contains("SO_REUSEPORT") && u.getMessage().contains("Windows"), u.getMessage());
                roundTrip(c, s, "options do not disturb the stream");
            }
        }
        try (UdpSocket u = UdpSocket.binder(rt.loop()).option(StandardSocketOptions.SO_BROADCAST, true)
                .bind(at("127.0.0.1", 0))) {
            assertTrue(u.getOption(StandardSocketOptions.SO_BROADCAST));
        }
    }

    @Test
    void aSecondListenerCannotTakeTheBoundPort() throws Exception {
        // The net layer asks for SO_REUSEADDR=true on every TCP listener. Passed to Winsock as is, it would
        // let the second bind succeed and steal the port; the driver keeps Windows' safe behaviour instead.
        try (TcpListener first = TcpListener.bind(rt.loop(), at("127.0.0.1", 0))) {
            IOException e = assertThrows(IOException.class,
                    () -> TcpListener.bind(rt.loop(), at("127.0.0.1", first.port())).close());
            // Both shapes throw the java.net form, with the driver's exception as its cause.
            assertInstanceOf(BindException.class, e, "blocking shape: " + e);
            VeloqIoException v = assertInstanceOf(VeloqIoException.class, e.getCause(), "address in use: " + e);
            assertEquals(IoErrorKind.ADDRESS_IN_USE, v.kind(), v.getMessage());
            assertEquals("WSAEADDRINUSE", v.codeName(), v.getMessage());
            ExecutionException ee = assertThrows(ExecutionException.class,
                    () -> TcpListener.binder(rt.loop()).bindAsync(at("127.0.0.1", first.port())).get(WAIT, TimeUnit.SECONDS));
            assertInstanceOf(BindException.class, ee.getCause(), "future shape: " + ee.getCause());
            CompletableFuture<TcpStream> accepted = first.acceptAsync();
            try (TcpStream c = TcpStream.connect(rt.loop(), at("127.0.0.1", first.port()));
                 TcpStream s = accepted.get(WAIT, TimeUnit.SECONDS)) {
                roundTrip(c, s, "the first listener still owns the port");
            }
        }
    }

    @Test
    void aFailedConnectReportsTheWinsockNameAndKind() throws Exception {
        int port;
        try (TcpListener l = TcpListener.bind(rt.loop(), at("::1", 0))) {
            port = l.port();
        }
        CompletableFuture<TcpStream> f = TcpStream.connector(rt.loop()).connectAsync(at("::1", port));
        ExecutionException ee = assertThrows(ExecutionException.class, () -> f.get(WAIT, TimeUnit.SECONDS));
        Throwable cause = ee.getCause();
        assertInstanceOf(ConnectException.class, cause);
        VeloqIoException v = assertInstanceOf(VeloqIoException.class, cause.getCause(), "the driver's error behind " + cause);
        assertEquals(IoErrorKind.CONNECTION_REFUSED, v.kind());
        assertEquals("WSAECONNREFUSED", v.codeName());
        assertTrue(v.what().contains("Connect"), v.what());
    }
}
