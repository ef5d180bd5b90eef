package io.veloq.examples.net;

import io.veloq.api.Completion;
import io.veloq.api.IoErrorKind;
import io.veloq.api.Op;
import io.veloq.api.IoRuntime;
import io.veloq.api.buffer.BufPool;
import io.veloq.api.buffer.FixedBuf;
import io.veloq.api.net.AddressFamily;
import io.veloq.api.net.ShutdownHow;
import io.veloq.api.net.StreamSocket;
import io.veloq.api.net.TcpListener;
import io.veloq.api.net.TcpStream;
import io.veloq.api.net.UdpSocket;
import io.veloq.api.net.UnixListener;
import io.veloq.api.net.UnixStream;
import io.veloq.api.op.Recv;
import io.veloq.api.op.RecvFrom;
import io.veloq.api.op.Send;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.net.ConnectException;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.SocketTimeoutException;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.ClosedChannelException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The networking API end to end, in its three shapes, on every test driver. */
class NetApiTest {
    private static final long WAIT = 10;

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    private static InetSocketAddress at(String host, int port) throws IOException {
        return new InetSocketAddress(InetAddress.getByName(host), port);
    }

    /** Sends {@code msg} from {@code a}, receives it on {@code b} (blocking shape). */
    private static void roundTrip(IoRuntime rt, StreamSocket a, StreamSocket b, String msg) throws IOException {
        FixedBuf out = rt.loop().bufPool().lease();
        FixedBuf in = rt.loop().bufPool().lease();
        try {
            out.put(ascii(msg));
            assertEquals(msg.length(), a.sendAll(out));
            while (in.readableBytes() < msg.length()) {
                assertTrue(b.recv(in) > 0, "unexpected end of stream");
            }
            assertArrayEquals(ascii(msg), in.getBytes());
        } finally {
            out.release();
            in.release();
        }
    }

    @ParameterizedTest
    @MethodSource("io.veloq.examples.net.TestDrivers#all")
    void tcpBlockingShapeOverIpv4AndIpv6(String driver) throws Exception {
        try (IoRuntime rt = TestDrivers.open(driver)) {
            for (String host : new String[] {"127.0.0.1", "::1"}) {
                try (TcpListener l = TcpListener.bind(rt.loop(), at(host, 0))) {
                    assertEquals(host.contains(":") ? AddressFamily.INET6 : AddressFamily.INET, l.family());
                    CompletableFuture<TcpStream> accepted = l.acceptAsync();
                    try (TcpStream c = TcpStream.connect(rt.loop(), at(host, l.port()));
                         TcpStream s = accepted.get(WAIT, TimeUnit.SECONDS)) {
                        assertEquals(c.localAddress(), s.remoteAddress(), "accept reports the peer");
                        assertEquals(l.port(), ((InetSocketAddress) c.remoteAddress()).getPort());
                        roundTrip(rt, c, s, "hello over " + host);
                        roundTrip(rt, s, c, "and back");
                    }
                }
            }
            assertEquals(0, rt.loop().bufPool().outstanding());
        }
    }

    @ParameterizedTest
    @MethodSource("io.veloq.examples.net.TestDrivers#all")
    void dualStackListenerOnWildcardAcceptsIpv4AndIpv6(String driver) throws Exception {
        try (IoRuntime rt = TestDrivers.open(driver);
             TcpListener l = TcpListener.bind(rt.loop(), at("::", 0))) {
            try (TcpStream v4 = TcpStream.connect(rt.loop(), at("127.0.0.1", l.port()));
                 TcpStream s4 = l.accept()) {
                assertInstanceOf(Inet4Address.class, ((InetSocketAddress) s4.remoteAddress()).getAddress(),
                        "an IPv4 client of a dual-stack listener shows as IPv4: " + s4.remoteAddress());
                roundTrip(rt, v4, s4, "v4 via ::");
            }
            try (TcpStream v6 = TcpStream.connect(rt.loop(), at("::1", l.port()));
                 TcpStream s6 = l.accept()) {
                assertInstanceOf(Inet6Address.class, ((InetSocketAddress) s6.remoteAddress()).getAddress());
                roundTrip(rt, v6, s6, "v6 via ::");
            }
        }
    }

    @ParameterizedTest
    @MethodSource("io.veloq.examples.net.TestDrivers#all")
    void futureShape(String driver) throws Exception {
        try (IoRuntime rt = TestDrivers.open(driver);
             TcpListener l = TcpListener.binder(rt.loop()).backlog(16).bindAsync(at("::1", 0)).get(WAIT, TimeUnit.SECONDS)) {
            CompletableFuture<TcpStream> accepted = l.acceptAsync();
            TcpStream c = TcpStream.connectAsync(rt.loop(), at("::1", l.port())).get(WAIT, TimeUnit.SECONDS);
            TcpStream s = accepted.get(WAIT, TimeUnit.SECONDS);
            FixedBuf out = rt.loop().bufPool().lease().put(ascii("future"));
            FixedBuf in = rt.loop().bufPool().lease();
            Completion<Send> sent = c.sendAllAsync(out).get(WAIT, TimeUnit.SECONDS);
            assertTrue(sent.isSuccess());
            assertEquals(6, sent.value());
            Completion<Recv> got = s.recvAsync(in).get(WAIT, TimeUnit.SECONDS);
            assertEquals(6, got.value());
            assertArrayEquals(ascii("future"), got.payload().buf().getBytes());
            assertTrue(s.shutdownAsync(ShutdownHow.WRITE).get(WAIT, TimeUnit.SECONDS).isSuccess());
            in.clear();
            assertEquals(0, c.recvAsync(in).get(WAIT, TimeUnit.SECONDS).value(), "FIN reads as end of stream");
            out.release();
            in.release();
            c.closeAsync().get(WAIT, TimeUnit.SECONDS);
            s.closeAsync().get(WAIT, TimeUnit.SECONDS);
            assertFalse(c.isOpen());
        }
    }

    @ParameterizedTest
    @MethodSource("io.veloq.examples.net.TestDrivers#all")
    void completerShapeReusesOneOpPerDirection(String driver) throws Exception {
        try (IoRuntime rt = TestDrivers.open(driver);
             TcpListener l = TcpListener.bind(rt.loop(), at("127.0.0.1", 0))) {
            CompletableFuture<TcpStream> server = new CompletableFuture<>();
            l.accept((s, e) -> {
                if (e != null) {
                    server.completeExceptionally(e);
                } else {
                    server.complete(s);
                }
            });
            CompletableFuture<TcpStream> client = new CompletableFuture<>();
            TcpStream.connect(rt.loop(), at("127.0.0.1", l.port()), (s, e) -> {
                if (e != null) {
                    client.completeExceptionally(e);
                } else {
                    client.complete(s);
                }
            });
            TcpStream c = client.get(WAIT, TimeUnit.SECONDS);
            TcpStream s = server.get(WAIT, TimeUnit.SECONDS);

            // Echo on the server with two reused ops; the client sends 100 messages one at a time.
            FixedBuf sb = rt.loop().bufPool().lease();
            AtomicReference<Op<Send>> echo = new AtomicReference<>();
            Op<Recv> srecv = s.recvOp(sb, op -> {
                if (!op.isSuccess() || op.result() == 0) {
                    op.payload().buffer().release();
                    return;
                }
                rt.loop().submit(echo.get());
            });
            echo.set(s.sendAllOp(sb, op -> {
                sb.clear();
                op.reset();
                rt.loop().resubmit(srecv);
            }));
            rt.loop().submit(srecv);

            // The client: a pending recv, and a send of an 8-byte counter each time the previous one came back.
            FixedBuf cout = rt.loop().bufPool().lease();
            FixedBuf cin = rt.loop().bufPool().lease();
            int rounds = 100;
            CountDownLatch done = new CountDownLatch(1);
            int[] count = {0};
            AtomicReference<String> failure = new AtomicReference<>();
            Op<Send> csend = c.sendAllOp(cout, op -> {
                if (!op.isSuccess()) {
                    failure.set(String.valueOf(op.error()));
                    done.countDown();
                }
            });
            Op<Recv> crecv = c.recvOp(cin, op -> {
                if (!op.isSuccess()) {
                    failure.set(String.valueOf(op.error()));
                    done.countDown();
                    return;
                }
                if (cin.readableBytes() < 8) {
                    rt.loop().resubmit(op);
                    return;
                }
                long v = 0;
                for (int i = 0; i < 8; i++) {
                    v = v << 8 | (cin.getByte(i) & 0xff);
                }
                if (v != count[0] && failure.get() == null) {
                    failure.set("echoed " + v + ", expected " + count[0]);
                }
                if (++count[0] == rounds) {
                    done.countDown();
                    return;
                }
                cin.clear();
                cout.clear();
                for (int i = 7; i >= 0; i--) {
                    cout.putByte((int) ((long) count[0] >>> (8 * i)));
                }
                rt.loop().resubmit(op);
                rt.loop().resubmit(csend);
            });
            rt.loop().execute(() -> {
                rt.loop().submit(crecv);
                for (int i = 0; i < 8; i++) {
                    cout.putByte(0);
                }
                rt.loop().submit(csend);
            });
            assertTrue(done.await(WAIT, TimeUnit.SECONDS), "echo rounds did not finish: " + count[0]);
            assertNull(failure.get());
            assertEquals(rounds, count[0]);
            c.close();
            s.close();
            // The server's recv sees end of stream or cancellation and releases its buffer.
            cout.release();
            cin.release();
            waitFor(() -> rt.loop().bufPool().outstanding() == 0, "server buffer returned");
        }
    }

    /**
     * The blocking shape from many threads at once: virtual threads where the JDK has them (21+), plain
     * threads otherwise. Each thread runs its own connection's round trips through the one loop.
     */
    @ParameterizedTest
    @MethodSource("io.veloq.examples.net.TestDrivers#all")
    void blockingShapeFromManyThreads(String driver) throws Exception {
        java.util.concurrent.ThreadFactory factory;
        try {
            Object builder = Thread.class.getMethod("ofVirtual").invoke(null);
            factory = (java.util.concurrent.ThreadFactory) Class.forName("java.lang.Thread$Builder").getMethod("factory").invoke(builder);
        } catch (NoSuchMethodException jdk17) {
            factory = Thread::new;
        }
        int threads = 50;
        try (IoRuntime rt = IoRuntime.builder().driver(driver).buffers(1024, 2 * threads + 4).open()) {
            java.util.List<CompletableFuture<Void>> results = new java.util.ArrayList<>();
            for (int t = 0; t < threads; t++) {
                CompletableFuture<Void> r = new CompletableFuture<>();
                results.add(r);
                int id = t;
                factory.newThread(() -> {
                    try (TcpListener l = TcpListener.bind(rt.loop(), at("127.0.0.1", 0))) {
                        CompletableFuture<TcpStream> a = l.acceptAsync();
                        try (TcpStream c = TcpStream.connect(rt.loop(), at("127.0.0.1", l.port()));
                             TcpStream s = a.get(WAIT, TimeUnit.SECONDS)) {
                            for (int i = 0; i < 20; i++) {
                                roundTrip(rt, c, s, "thread " + id + " round " + i);
                            }
                        }
                        r.complete(null);
                    } catch (Throwable e) {
                        r.completeExceptionally(e);
                    }
                }).start();
            }
            for (CompletableFuture<Void> r : results) {
                r.get(WAIT * 3, TimeUnit.SECONDS);
            }
            waitFor(() -> rt.loop().bufPool().outstanding() == 0, "every buffer back");
        }
    }

    @ParameterizedTest
    @MethodSource("io.veloq.examples.net.TestDrivers#all")
    void sendAllDeliversEveryByteDespiteShortWrites(String driver) throws Exception {
        try (IoRuntime rt = TestDrivers.open(driver);
             BufPool big = BufPool.allocate(1 << 20, 2);
             TcpListener l = TcpListener.bind(rt.loop(), at("127.0.0.1", 0))) {
            CompletableFuture<TcpStream> accepted = l.acceptAsync();
            TcpStream c = TcpStream.connector(rt.loop()).option(java.net.StandardSocketOptions.SO_SNDBUF, 4096)
                    .connect(at("127.0.0.1", l.port()));
            TcpStream s = accepted.get(WAIT, TimeUnit.SECONDS);
            FixedBuf out = big.lease();
            byte[] data = new byte[1 << 20];
            for (int i = 0; i < data.length; i++) {
                data[i] = (byte) (i * 7 + (i >>> 9));
            }
            out.put(data);
            int[] sends = {0};
            CompletableFuture<Long> sent = new CompletableFuture<>();
            rt.loop().execute(() -> c.sendAll(out, op -> sent.complete(op.isSuccess() ? (long) out.readerIndex() : -1)));
            FixedBuf in = big.lease();
            while (in.readableBytes() < data.length) {
                assertTrue(s.recv(in) > 0);
            }
            assertEquals(data.length, sent.get(WAIT, TimeUnit.SECONDS));
            assertEquals(0, out.readableBytes());
            assertArrayEquals(data, in.getBytes());
            out.release();
            in.release();
            c.close();
            s.close();
            assertEquals(0, sends[0]);
        }
    }

    @ParameterizedTest
    @MethodSource("io.veloq.examples.net.TestDrivers#all")
    void connectRefused(String driver) throws Exception {
        try (IoRuntime rt = TestDrivers.open(driver)) {
            int free;
            try (TcpListener l = TcpListener.bind(rt.loop(), at("127.0.0.1", 0))) {
                free = l.port();
            }
            IOException e = assertThrows(IOException.class, () -> TcpStream.connect(rt.loop(), at("127.0.0.1", free)));
            assertInstanceOf(ConnectException.class, e, e.toString());
            assertTrue(e.getMessage().contains("ECONNREFUSED"), e.getMessage());
        }
    }

    @ParameterizedTest
    @MethodSource("io.veloq.examples.net.TestDrivers#all")
    void connectDeadline(String driver) throws Exception {
        try (IoRuntime rt = TestDrivers.open(driver)) {
            // A listener whose backlog is full drops SYNs: the connect waits until its deadline.
            try (TcpListener l = TcpListener.binder(rt.loop()).backlog(0).bind(at("127.0.0.1", 0))) {
                TcpStream[] fillers = new TcpStream[3];
                IOException timeout = null;
                for (int i = 0; i < fillers.length && timeout == null; i++) {
                    try {
                        fillers[i] = TcpStream.connector(rt.loop()).deadline(Duration.ofMillis(300)).connect(at("127.0.0.1", l.port()));
                    } catch (IOException t) {
                        timeout = t;
                    }
                }
                if (timeout == null) {
                    timeout = assertThrows(IOException.class, () -> TcpStream.connector(rt.loop())
                            .deadline(Duration.ofMillis(300)).connect(at("127.0.0.1", l.port())));
                }
                assertInstanceOf(SocketTimeoutException.class, timeout, timeout.toString());
                for (TcpStream f : fillers) {
                    if (f != null) {
                        f.close();
                    }
                }
            }
        }
    }

    @ParameterizedTest
    @MethodSource("io.veloq.examples.net.TestDrivers#all")
    void closeWithLingerZeroResetsThePeer(String driver) throws Exception {
        try (IoRuntime rt = TestDrivers.open(driver);
             TcpListener l = TcpListener.bind(rt.loop(), at("127.0.0.1", 0))) {
            CompletableFuture<TcpStream> accepted = l.acceptAsync();
            try (TcpStream c = TcpStream.connect(rt.loop(), at("127.0.0.1", l.port()))) {
                TcpStream s = accepted.get(WAIT, TimeUnit.SECONDS);
                s.setOption(java.net.StandardSocketOptions.SO_LINGER, 0);
                s.close(); // an abortive close: RST instead of FIN
                FixedBuf buf = rt.loop().bufPool().lease();
                IOException e = assertThrows(IOException.class, () -> c.recv(buf));
                assertTrue(String.valueOf(e.getMessage()).contains("ECONNRESET"), e.toString());
                assertNull(buf.owner(), "the failed recv handed its buffer back");
                buf.release();
            }
        }
    }

    @ParameterizedTest
    @MethodSource("io.veloq.examples.net.TestDrivers#all")
    void closeCancelsABlockedRecvAndHandsTheBufferBack(String driver) throws Exception {
        try (IoRuntime rt = TestDrivers.open(driver);
             TcpListener l = TcpListener.bind(rt.loop(), at("::1", 0))) {
            CompletableFuture<TcpStream> accepted = l.acceptAsync();
            TcpStream c = TcpStream.connect(rt.loop(), at("::1", l.port()));
            TcpStream s = accepted.get(WAIT, TimeUnit.SECONDS);
            FixedBuf buf = rt.loop().bufPool().lease();
            CompletableFuture<Throwable> outcome = new CompletableFuture<>();
            Thread reader = new Thread(() -> {
                try {
                    s.recv(buf);
                    outcome.complete(null);
                } catch (Throwable t) {
                    outcome.complete(t);
                }
            });
            reader.start();
            waitFor(() -> buf.owner() != null, "recv in flight");
            s.close();
            Throwable t = outcome.get(WAIT, TimeUnit.SECONDS);
            assertTrue(t instanceof AsynchronousCloseException || t instanceof ClosedChannelException,
                    "close of a stream with a blocked recv: " + t);
            assertNull(buf.owner(), "the cancelled recv handed its buffer back");
            buf.release();
            assertThrows(ClosedChannelException.class, () -> s.recv(buf));
            c.close();

            // A blocked accept is cancelled by closing the listener.
            CompletableFuture<TcpStream> pending = l.acceptAsync();
            l.close();
            Throwable e = assertThrows(Exception.class, () -> pending.get(WAIT, TimeUnit.SECONDS)).getCause();
            assertTrue(e instanceof AsynchronousCloseException || e instanceof ClosedChannelException, String.valueOf(e));
        }
    }

    @ParameterizedTest
    @MethodSource("io.veloq.examples.net.TestDrivers#all")
    void udpSendToRecvFromAndConnected(String driver) throws Exception {
        try (IoRuntime rt = TestDrivers.open(driver)) {
            for (String host : new String[] {"127.0.0.1", "::1"}) {
                try (UdpSocket a = UdpSocket.bind(rt.loop(), at(host, 0));
                     UdpSocket b = UdpSocket.bind(rt.loop(), at(host, 0))) {
                    FixedBuf buf = rt.loop().bufPool().lease();
                    buf.put(ascii("datagram " + host));
                    assertEquals(buf.readableBytes(), a.sendTo(buf, b.localAddress()));
                    buf.clear();
                    SocketAddress from = b.recvFrom(buf);
                    assertEquals(a.localAddress(), from);
                    assertArrayEquals(ascii("datagram " + host), buf.getBytes());

                    // Future shape, then connected send/recv.
                    buf.clear().put(ascii("reply"));
                    assertTrue(b.sendToAsync(buf, from).get(WAIT, TimeUnit.SECONDS).isSuccess());
                    buf.clear();
                    Completion<RecvFrom> r = a.recvFromAsync(buf).get(WAIT, TimeUnit.SECONDS);
                    assertEquals(5, r.value());
                    assertEquals(b.localAddress(), r.payload().from().toSocketAddress());
                    a.connect(b.localAddress());
                    buf.clear().put(ascii("connected"));
                    assertEquals(9, a.send(buf));
                    buf.clear();
                    assertEquals(9, b.recv(buf));
                    buf.release();
                }
            }
        }
    }

    @ParameterizedTest
    @MethodSource("io.veloq.examples.net.TestDrivers#all")
    void udpDualStack(String driver) throws Exception {
        try (IoRuntime rt = TestDrivers.open(driver)) {
            // Dual stack: an IPv6 socket on :: reaches an IPv4 peer (mapped to ::ffff:127.0.0.1).
            try (UdpSocket v6 = UdpSocket.bind(rt.loop(), at("::", 0));
                 UdpSocket v4 = UdpSocket.bind(rt.loop(), at("127.0.0.1", 0))) {
                FixedBuf buf = rt.loop().bufPool().lease().put(ascii("mapped"));
                v6.sendTo(buf, v4.localAddress());
                buf.clear();
                InetSocketAddress from = (InetSocketAddress) v4.recvFrom(buf);
                assertEquals(((InetSocketAddress) v6.localAddress()).getPort(), from.getPort());
                buf.release();
            }
        }
    }

    @ParameterizedTest
    @MethodSource("io.veloq.examples.net.TestDrivers#all")
    void unixDomainStreams(String driver) throws Exception {
        Path dir = Files.createTempDirectory("veloq-unix");
        Path path = dir.resolve("s.sock");
        try (IoRuntime rt = TestDrivers.open(driver);
             UnixListener l = UnixListener.bind(rt.loop(), UnixDomainSocketAddress.of(path))) {
            assertEquals(AddressFamily.UNIX, l.family());
            CompletableFuture<UnixStream> accepted = l.acceptAsync();
            try (UnixStream c = UnixStream.connect(rt.loop(), UnixDomainSocketAddress.of(path));
                 UnixStream s = accepted.get(WAIT, TimeUnit.SECONDS)) {
                roundTrip(rt, c, s, "over a unix socket");
                roundTrip(rt, s, c, "and back");
                assertEquals(UnixDomainSocketAddress.of(path), c.remoteAddress());
                // The client never bound: its address is the unnamed one (family only), and it converts
                // both ways (#10 defect 6).
                java.net.SocketAddress unnamed = s.remoteAddress();
                assertEquals(UnixDomainSocketAddress.of(""), unnamed);
                io.veloq.api.net.SockAddrStorage stored = io.veloq.api.net.SockAddrStorage.of(unnamed);
                assertEquals(2, stored.length());
                assertEquals(unnamed, stored.toSocketAddress());
            }
        } finally {
            Files.deleteIfExists(path);
            Files.deleteIfExists(dir);
        }
    }

    @ParameterizedTest
    @MethodSource("io.veloq.examples.net.TestDrivers#all")
    void wrongAddressTypesAreRefusedUpFront(String driver) throws Exception {
        try (IoRuntime rt = TestDrivers.open(driver)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> TcpStream.connect(rt.loop(), UnixDomainSocketAddress.of("/tmp/x.sock")));
            assertTrue(e.getMessage().contains("InetSocketAddress"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class,
                    () -> UnixListener.bind(rt.loop(), new InetSocketAddress(0)));
            assertTrue(e.getMessage().contains("UnixDomainSocketAddress"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class,
                    () -> TcpStream.connect(rt.loop(), InetSocketAddress.createUnresolved("nowhere.invalid", 1)));
            assertTrue(e.getMessage().contains("unresolved"), e.getMessage());
        }
    }

    static void waitFor(java.util.function.BooleanSupplier cond, String what) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT);
        while (!cond.getAsBoolean()) {
            if (System.nanoTime() - end > 0) {
                throw new AssertionError("timed out waiting for: " + what);
            }
            Thread.sleep(2);
        }
    }

    @SuppressWarnings("unused")
    private static void kinds(IoErrorKind k) {
    }
}
