package io.veloq.examples.net;

import io.veloq.api.IoRuntime;
import io.veloq.api.buffer.BufPool;
import io.veloq.api.buffer.FixedBuf;
import io.veloq.api.net.TcpListener;
import io.veloq.api.net.TcpStream;
import io.veloq.api.tls.TlsCompleter;
import io.veloq.api.tls.TlsConfig;
import io.veloq.api.tls.TlsStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import javax.net.ssl.SSLException;
import javax.net.ssl.SSLHandshakeException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link TlsStream} between two Veloq endpoints, on every test driver, in every completion shape. */
class TlsStreamTest {
    private static final long WAIT = 30;
    private static TlsFixtures certs;

    @BeforeAll
    static void certificates() throws Exception {
        certs = TlsFixtures.create();
    }

    @AfterAll
    static void removeCertificates() throws IOException {
        certs.close();
    }

    /** A connected TLS pair over loopback: client (checks "localhost") and server. */
    record TlsPair(TlsStream client, TlsStream server, TcpListener listener) implements AutoCloseable {
        @Override
        public void close() throws IOException {
            client.close();
            server.close();
            listener.close();
        }
    }

    static TlsPair pair(IoRuntime rt, TlsConfig clientConfig, TlsConfig serverConfig) throws Exception {
        TcpListener l = TcpListener.bind(rt.loop(), new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        CompletableFuture<TcpStream> accepted = l.acceptAsync();
        TcpStream c = TcpStream.connect(rt.loop(), new InetSocketAddress(InetAddress.getLoopbackAddress(), l.port()));
        TcpStream s = accepted.get(WAIT, TimeUnit.SECONDS);
        return new TlsPair(TlsStream.client(c, clientConfig, "localhost"), TlsStream.server(s, serverConfig), l);
    }

    static byte[] sha256(byte[] b) throws Exception {
        return MessageDigest.getInstance("SHA-256").digest(b);
    }

    @ParameterizedTest
    @MethodSource("io.veloq.examples.net.TestDrivers#all")
    void handshakeAlpnAndRecordsInEveryShape(String driver) throws Exception {
        try (IoRuntime rt = TestDrivers.open(driver);
             BufPool records = BufPool.allocate(32 * 1024, 8)) {
            TlsConfig server = TlsConfig.builder(certs.serverContext()).applicationProtocols("h2", "http/1.1")
                    .recordBuffers(records).build();
            TlsConfig client = TlsConfig.builder(certs.clientContext()).applicationProtocols("http/1.1", "h2")
                    .recordBuffers(records).build();
            try (TlsPair p = pair(rt, client, server)) {
                // Server: completer shape, on the loop thread: echo each record until end of stream.
                FixedBuf sbuf = rt.loop().bufPool().lease();
                CompletableFuture<Integer> echoed = new CompletableFuture<>();
                int[] total = {0};
                rt.loop().execute(() -> p.server().recv(sbuf, new TlsCompleter() {
                    @Override
                    public void onComplete(int n, IOException e) {
                        if (e != null || n == 0) {
                            sbuf.release();
                            if (e != null) {
                                echoed.completeExceptionally(e);
                            } else {
                                echoed.complete(total[0]);
                            }
                            return;
                        }
                        total[0] += n;
                        TlsCompleter next = this;
                        p.server().sendAll(sbuf, (sent, x) -> {
                            sbuf.clear();
                            p.server().recv(sbuf, next);
                        });
                    }
                }));
                // Client: blocking handshake, then futures and blocking calls.
                p.client().handshake();
                assertEquals("h2", p.client().applicationProtocol(), "the server's preference wins");
                assertEquals("TLSv1.3", p.client().session().getProtocol());
                FixedBuf out = rt.loop().bufPool().lease().put("hello over TLS".getBytes(StandardCharsets.US_ASCII));
                assertEquals(14, p.client().sendAllAsync(out).get(WAIT, TimeUnit.SECONDS));
                FixedBuf in = rt.loop().bufPool().lease();
                while (in.readableBytes() < 14) {
                    assertTrue(p.client().recvAsync(in).get(WAIT, TimeUnit.SECONDS) > 0);
                }
                assertEquals("hello over TLS", new String(in.getBytes(), StandardCharsets.US_ASCII));
                assertEquals("h2", p.server().applicationProtocol());

                out.clear().put("second".getBytes(StandardCharsets.US_ASCII));
                assertEquals(6, p.client().send(out));
                in.clear();
                while (in.readableBytes() < 6) {
                    assertTrue(p.client().recv(in) > 0);
                }
                assertEquals("second", new String(in.getBytes(), StandardCharsets.US_ASCII));

                p.client().shutdownOutput(); // close_notify: the server's recv reads end of stream
                assertEquals(20, echoed.get(WAIT, TimeUnit.SECONDS));
                out.release();
                in.release();
            }
            waitFor(() -> records.outstanding() == 0, "both streams gave their record buffers back");
            assertEquals(0, rt.loop().bufPool().outstanding());
        }
    }

    @ParameterizedTest(name = "{0}, {1} threads")
    @MethodSource("io.veloq.examples.net.TestThreads#driversAndThreads")
    void sixteenMebibytesEachWayThroughTheStreamViews(String driver, String kind) throws Exception {
        byte[] up = new byte[16 << 20];
        byte[] down = new byte[16 << 20];
        new Random(1).nextBytes(up);
        new Random(2).nextBytes(down);
        try (IoRuntime rt = TestDrivers.open(driver)) {
            TlsConfig server = TlsConfig.of(certs.serverContext());
            TlsConfig client = TlsConfig.of(certs.clientContext());
            try (TlsPair p = pair(rt, client, server)) {
                CompletableFuture<byte[]> serverGot = StreamViewsTest.on(kind, () -> p.server().inputStream().readAllBytes());
                CompletableFuture<byte[]> clientGot = StreamViewsTest.on(kind, () -> p.client().inputStream().readAllBytes());
                CompletableFuture<Void> serverSent = StreamViewsTest.on(kind, () -> {
                    OutputStream o = p.server().outputStream();
                    o.write(down);
                    o.flush();
                    p.server().shutdownOutput();
                    return null;
                });
                OutputStream o = p.client().outputStream();
                for (int at = 0; at < up.length; at += 100_000) {
                    o.write(up, at, Math.min(100_000, up.length - at));
                }
                o.flush();
                p.client().shutdownOutput();
                serverSent.get(WAIT * 2, TimeUnit.SECONDS);
                assertArrayEquals(sha256(up), sha256(serverGot.get(WAIT * 2, TimeUnit.SECONDS)), "client to server");
                assertArrayEquals(sha256(down), sha256(clientGot.get(WAIT * 2, TimeUnit.SECONDS)), "server to client");
            }
            waitFor(() -> rt.loop().bufPool().outstanding() == 0, "the views gave their buffers back");
        }
    }

    static java.util.stream.Stream<org.junit.jupiter.params.provider.Arguments> driversAndProtocols() {
        return TestDrivers.all().flatMap(d -> java.util.stream.Stream.of("TLSv1.2", "TLSv1.3")
                .map(p -> org.junit.jupiter.params.provider.Arguments.of(d, p)));
    }

    /**
     * Sends before any handshake, in the completer shape: the send waits for the handshake and goes out when
     * it ends, which under TLS 1.2 is in the client's unwrap of the server's Finished, not in a wrap.
     */
    @ParameterizedTest(name = "{0}, {1}")
    @MethodSource("driversAndProtocols")
    void aSendStartedBeforeTheHandshakeGoesOutWhenItEnds(String driver, String protocol) throws Exception {
        try (IoRuntime rt = TestDrivers.open(driver)) {
            TlsConfig server = TlsConfig.builder(certs.serverContext()).parameters(p -> p.setProtocols(new String[] {protocol})).build();
            try (TlsPair p = pair(rt, TlsConfig.of(certs.clientContext()), server)) {
                FixedBuf out = rt.loop().bufPool().lease();
                out.writerIndex(out.capacity());
                FixedBuf in = rt.loop().bufPool().lease();
                CompletableFuture<Integer> sent = new CompletableFuture<>();
                CompletableFuture<Long> received = new CompletableFuture<>();
                long[] total = {0};
                rt.loop().execute(() -> {
                    p.client().sendAll(out, (n, e) -> {
                        if (e != null) {
                            sent.completeExceptionally(e);
                        } else {
                            sent.complete(n);
                        }
                    });
                    p.server().recv(in, new TlsCompleter() {
                        @Override
                        public void onComplete(int n, IOException e) {
                            if (e != null || n == 0) {
                                received.completeExceptionally(e != null ? e : new AssertionError("end of stream after " + total[0]));
                                return;
                            }
                            total[0] += n;
                            in.clear();
                            if (total[0] == out.capacity()) {
                                received.complete(total[0]);
                            } else {
                                p.server().recv(in, this);
                            }
                        }
                    });
                });
                assertEquals(out.capacity(), sent.get(WAIT, TimeUnit.SECONDS));
                assertEquals(out.capacity(), received.get(WAIT, TimeUnit.SECONDS));
                assertEquals(protocol, p.client().session().getProtocol());
                out.release();
                in.release();
            }
        }
    }

    @ParameterizedTest
    @MethodSource("io.veloq.examples.net.TestDrivers#all")
    void theSocketsReadTimeoutEndsARecvAndTheTlsStreamGoesOn(String driver) throws Exception {
        try (IoRuntime rt = TestDrivers.open(driver)) {
            try (TlsPair p = pair(rt, TlsConfig.of(certs.clientContext()), TlsConfig.of(certs.serverContext()))) {
                CompletableFuture<TlsStream> hs = p.server().handshakeAsync();
                p.client().handshake();
                hs.get(WAIT, TimeUnit.SECONDS);
                p.client().socket().readTimeout(java.time.Duration.ofMillis(200));
                FixedBuf in = rt.loop().bufPool().lease();
                assertThrows(java.net.SocketTimeoutException.class, () -> p.client().recv(in));
                assertThrows(java.net.SocketTimeoutException.class, () -> p.client().inputStream().read(),
                        "the stream view reports it too");
                FixedBuf out = rt.loop().bufPool().lease().put("late".getBytes(StandardCharsets.US_ASCII));
                p.server().sendAll(out);
                while (in.readableBytes() < 4) {
                    assertTrue(p.client().recv(in) > 0, "the stream goes on after a timeout");
                }
                assertEquals("late", new String(in.getBytes(), StandardCharsets.US_ASCII));
                in.release();
                out.release();
            }
        }
    }

    @ParameterizedTest
    @MethodSource("io.veloq.examples.net.TestDrivers#all")
    void aPeerSilentDuringTheHandshakeTimesOutAndTheStreamIsClosed(String driver) throws Exception {
        try (IoRuntime rt = TestDrivers.open(driver);
             TcpListener l = TcpListener.bind(rt.loop(), new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            CompletableFuture<TcpStream> accepted = l.acceptAsync();
            // A client that connects and never says hello.
            try (TcpStream silent = TcpStream.connect(rt.loop(), new InetSocketAddress(InetAddress.getLoopbackAddress(), l.port()))) {
                TcpStream s = accepted.get(WAIT, TimeUnit.SECONDS);
                s.readTimeout(java.time.Duration.ofMillis(200));
                TlsStream server = TlsStream.server(s, TlsConfig.of(certs.serverContext()));
                java.net.SocketTimeoutException e = assertThrows(java.net.SocketTimeoutException.class, server::handshake);
                assertTrue(e.getMessage().contains("handshake"), e.getMessage());
                FixedBuf in = rt.loop().bufPool().lease();
                assertThrows(java.net.SocketTimeoutException.class, () -> server.recv(in), "the failure is sticky");
                in.release();
                long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT);
                while (s.isOpen() && System.nanoTime() < until) {
                    Thread.sleep(5);
                }
                assertFalse(s.isOpen(), "the socket of a timed-out handshake is closed");
                FixedBuf end = rt.loop().bufPool().lease();
                assertEquals(0, silent.recv(end), "the silent client sees the connection end");
                end.release();
                server.close();
            }
        }
    }

    @ParameterizedTest
    @MethodSource("io.veloq.examples.net.TestDrivers#real")
    void aSendToAPeerThatDoesNotReadTimesOutAndClosesTheStream(String driver) throws Exception {
        try (IoRuntime rt = TestDrivers.open(driver);
             TcpListener l = TcpListener.bind(rt.loop(), new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            CompletableFuture<TcpStream> accepted = l.acceptAsync();
            // A JDK client that completes the handshake, then never reads.
            try (javax.net.ssl.SSLSocket client = (javax.net.ssl.SSLSocket) certs.clientContext().getSocketFactory()
                    .createSocket(InetAddress.getLoopbackAddress(), l.port())) {
                TcpStream s = accepted.get(WAIT, TimeUnit.SECONDS);
                TlsStream server = TlsStream.server(s, TlsConfig.builder(certs.serverContext())
                        .closeTimeout(java.time.Duration.ofMillis(500)).build());
                CompletableFuture<TlsStream> hs = server.handshakeAsync();
                client.startHandshake();
                hs.get(WAIT, TimeUnit.SECONDS);
                s.writeTimeout(java.time.Duration.ofMillis(300));
                FixedBuf out = rt.loop().bufPool().lease();
                long sent = 0;
                java.net.SocketTimeoutException timeout = null;
                while (timeout == null) {
                    out.clear().put(new byte[out.capacity()]);
                    try {
                        sent += server.sendAll(out);
                    } catch (java.net.SocketTimeoutException e) {
                        timeout = e;
                    }
                    assertTrue(sent < (1L << 30), "1 GiB went into a peer that reads nothing");
                }
                // A record may be half sent: the stream cannot go on, and its socket closes even though the
                // peer does not read the alert either.
                out.clear().putByte(1);
                assertThrows(java.net.SocketTimeoutException.class, () -> server.sendAll(out), "the failure is sticky");
                out.release();
                long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT);
                while (s.isOpen() && System.nanoTime() < until) {
                    Thread.sleep(5);
                }
                assertFalse(s.isOpen(), "the socket of a stream whose send timed out is closed");
                server.close();
            }
        }
    }

    @ParameterizedTest
    @MethodSource("io.veloq.examples.net.TestDrivers#all")
    void aConnectionClosedWithoutCloseNotifyIsATruncation(String driver) throws Exception {
        try (IoRuntime rt = TestDrivers.open(driver)) {
            try (TlsPair p = pair(rt, TlsConfig.of(certs.clientContext()), TlsConfig.of(certs.serverContext()))) {
                CompletableFuture<Void> hs = p.server().handshakeAsync().thenAccept(s -> { });
                p.client().handshake();
                hs.get(WAIT, TimeUnit.SECONDS);
                p.server().socket().close(); // TCP FIN with no close_notify before it
                FixedBuf in = rt.loop().bufPool().lease();
                IOException e = assertThrows(IOException.class, () -> p.client().recv(in));
                assertInstanceOf(SSLException.class, e, e.toString());
                in.release();
            }
        }
    }

    @ParameterizedTest
    @MethodSource("io.veloq.examples.net.TestDrivers#all")
    void aTls12RenegotiationIsRefused(String driver) throws Exception {
        try (IoRuntime rt = TestDrivers.open(driver)) {
            TlsConfig client = TlsConfig.builder(certs.clientContext())
                    .parameters(p -> p.setProtocols(new String[] {"TLSv1.2"})).build();
            try (TlsPair p = pair(rt, client, TlsConfig.of(certs.serverContext()))) {
                CompletableFuture<TlsStream> hs = p.server().handshakeAsync();
                p.client().handshake();
                hs.get(WAIT, TimeUnit.SECONDS);
                assertEquals("TLSv1.2", p.server().session().getProtocol());
                FixedBuf sin = rt.loop().bufPool().lease();
                CompletableFuture<Integer> serverRead = p.server().recvAsync(sin);
                // The client asks for a new handshake: its engine sends a ClientHello on the live connection.
                AtomicReference<Throwable> begin = new AtomicReference<>();
                p.client().configureEngine(e -> {
                    try {
                        e.beginHandshake();
                    } catch (SSLException x) {
                        begin.set(x);
                    }
                });
                FixedBuf cout = rt.loop().bufPool().lease().put(new byte[] {1});
                CompletableFuture<Integer> clientSend = p.client().sendAsync(cout);
                Throwable refused = assertThrows(java.util.concurrent.ExecutionException.class,
                        () -> serverRead.get(WAIT, TimeUnit.SECONDS)).getCause();
                assertInstanceOf(SSLHandshakeException.class, refused);
                assertTrue(refused.getMessage().contains("renegotiation refused"), refused.getMessage());
                waitFor(() -> !p.server().socket().isOpen(), "the server to close the connection");
                // The client sees the server's close_notify (then end of stream), not a hang.
                FixedBuf cin = rt.loop().bufPool().lease();
                CompletableFuture<Integer> clientRead = p.client().recvAsync(cin);
                try {
                    assertEquals(0, clientRead.get(WAIT, TimeUnit.SECONDS));
                } catch (java.util.concurrent.ExecutionException e) {
                    assertInstanceOf(IOException.class, e.getCause());
                }
                try {
                    clientSend.get(WAIT, TimeUnit.SECONDS);
                } catch (java.util.concurrent.ExecutionException e) {
                    assertInstanceOf(IOException.class, e.getCause());
                }
                sin.release();
                cin.release();
                cout.release();
                assertEquals(null, begin.get());
            }
        }
    }

    @ParameterizedTest
    @MethodSource("io.veloq.examples.net.TestDrivers#all")
    void aWrongHostNameFailsTheHandshake(String driver) throws Exception {
        try (IoRuntime rt = TestDrivers.open(driver);
             TcpListener l = TcpListener.bind(rt.loop(), new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            CompletableFuture<TcpStream> accepted = l.acceptAsync();
            TcpStream c = TcpStream.connect(rt.loop(), new InetSocketAddress(InetAddress.getLoopbackAddress(), l.port()));
            TlsStream server = TlsStream.server(accepted.get(WAIT, TimeUnit.SECONDS), TlsConfig.of(certs.serverContext()));
            CompletableFuture<TlsStream> serverHs = server.handshakeAsync();
            TlsStream client = TlsStream.client(c, TlsConfig.of(certs.clientContext()), "example.org");
            assertThrows(SSLHandshakeException.class, client::handshake);
            assertThrows(java.util.concurrent.ExecutionException.class, () -> serverHs.get(WAIT, TimeUnit.SECONDS));
            assertFalse(client.isOpen());
            client.close();
            server.close();
        }
    }

    static void waitFor(java.util.function.BooleanSupplier c, String what) throws InterruptedException {
        StreamViewsTest.waitFor(c, what);
    }
}
