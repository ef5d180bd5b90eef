package io.veloq.examples.net;

import io.veloq.api.IoErrorKind;
import io.veloq.api.IoRuntime;
import io.veloq.api.VeloqIoException;
import io.veloq.api.buffer.BufVec;
import io.veloq.api.buffer.FixedBuf;
import io.veloq.api.net.TcpListener;
import io.veloq.api.net.TcpStream;
import io.veloq.api.net.UdpSocket;
import io.veloq.testkit.Peer;
import io.veloq.testkit.Simulation;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Timeouts on every net call: accept (the listener's {@code acceptTimeout} in every shape, and per call),
 * receive and send per call (beside the socket-wide read/write timeouts of {@code SocketTimeoutTest}), connect
 * (the connector's deadline). In virtual time on the Simulation, and in real time on every test driver.
 */
class PerCallTimeoutTest {
    private static final InetSocketAddress ADDR = new InetSocketAddress("127.0.0.1", 7000);

    @Test
    void acceptTimesOutInVirtualTimeInEveryShapeAndTheListenerStaysUsable() throws Exception {
        try (Simulation sim = Simulation.open()) {
            IoRuntime rt = sim.runtime();
            TcpListener l = TcpListener.bind(rt.loop(), ADDR);
            l.acceptTimeout(Duration.ofSeconds(10));
            assertEquals(Duration.ofSeconds(10), l.acceptTimeout());

            // Completer shape: the listener's cached Accept op carries the deadline.
            AtomicReference<Throwable> error = new AtomicReference<>();
            AtomicReference<TcpStream> got = new AtomicReference<>();
            l.accept((s, e) -> {
                got.set(s);
                error.set(e);
            });
            sim.advanceBy(Duration.ofMillis(9_999));
            assertNull(error.get(), "not before 10 s");
            sim.advanceBy(Duration.ofMillis(1));
            assertEquals(IoErrorKind.TIMED_OUT, ((VeloqIoException) error.get()).kind());
            assertInstanceOf(SocketTimeoutException.class, ((VeloqIoException) error.get()).toJava());

            // The next accept waits again and gets a connection that comes in time.
            error.set(null);
            l.accept((s, e) -> {
                got.set(s);
                error.set(e);
            });
            sim.advanceBy(Duration.ofSeconds(9));
            Peer peer = sim.connect(ADDR);
            sim.runCurrent();
            assertNull(error.get());
            assertTrue(got.get() != null && got.get().isOpen());

            // Blocking: virtual time moves exactly to the deadline; per call overrides the listener's timeout.
            Duration before = sim.currentTime();
            assertThrows(SocketTimeoutException.class, () -> l.accept());
            assertEquals(Duration.ofSeconds(10), sim.currentTime().minus(before));
            before = sim.currentTime();
            assertThrows(SocketTimeoutException.class, () -> l.accept(Duration.ofSeconds(2)));
            assertEquals(Duration.ofSeconds(2), sim.currentTime().minus(before));

            // Future shape.
            CompletableFuture<TcpStream> f = l.acceptAsync();
            sim.advanceBy(Duration.ofSeconds(10));
            ExecutionException e = assertThrows(ExecutionException.class, () -> f.get(1, TimeUnit.SECONDS));
            assertInstanceOf(SocketTimeoutException.class, e.getCause());

            IllegalArgumentException bad = assertThrows(IllegalArgumentException.class,
                    () -> l.acceptTimeout(Duration.ofSeconds(-1)));
            assertTrue(bad.getMessage().contains("accept timeout must not be negative"), bad.getMessage());
            l.acceptTimeout(null);
            assertEquals(Duration.ZERO, l.acceptTimeout());
            got.get().close();
            l.close();
            peer.close();
            sim.runCurrent();
        }
    }

    @Test
    void perCallReceiveAndSendAllTimeoutsInVirtualTime() throws Exception {
        try (Simulation sim = Simulation.open()) {
            IoRuntime rt = sim.runtime();
            TcpListener l = TcpListener.bind(rt.loop(), ADDR);
            CompletableFuture<TcpStream> accepted = l.acceptAsync();
            Peer peer = sim.connect(ADDR);
            TcpStream s = sim.await(accepted);
            s.readTimeout(Duration.ofMinutes(10)); // the socket-wide one; the calls below bring their own
            FixedBuf buf = rt.loop().bufPool().lease();
            Duration before = sim.currentTime();
            assertThrows(SocketTimeoutException.class, () -> s.recv(buf, Duration.ofSeconds(3)));
            assertEquals(Duration.ofSeconds(3), sim.currentTime().minus(before), "the per-call timeout wins");
            assertNull(buf.owner(), "buffer handed back");
            peer.send("x");
            assertEquals(1, s.recv(buf, Duration.ofSeconds(3)));

            // sendAll within one deadline for the whole transfer: a peer that reads nothing.
            peer.receiveWindow(0);
            FixedBuf out = rt.loop().bufPool().lease().put(new byte[1000]);
            before = sim.currentTime();
            assertThrows(SocketTimeoutException.class, () -> s.sendAll(out, Duration.ofSeconds(4)));
            Duration took = sim.currentTime().minus(before);
            assertTrue(!took.minus(Duration.ofSeconds(4)).isNegative() && took.compareTo(Duration.ofSeconds(5)) < 0,
                    "sendAll gave up after " + took);
            assertTrue(out.readableBytes() > 0, "what is left stays readable");
            out.release();
            buf.release();
            s.close();
            l.close();
            peer.close();
            sim.runCurrent();
        }
    }

    /**
     * The per-call timeouts of the vectored, heap and datagram calls, in virtual time: a vectored receive with
     * nothing to read, vectored and heap sendAll to a peer that reads nothing (one deadline for the whole
     * transfer; what was sent is accounted for), a single vectored send to a full window, a datagram receive with
     * nothing arriving. Each gives up at its own deadline, not the socket's.
     */
    @Test
    void vectoredHeapAndDatagramCallsTakeAPerCallTimeoutInVirtualTime() throws Exception {
        try (Simulation sim = Simulation.open()) {
            IoRuntime rt = sim.runtime();
            TcpListener l = TcpListener.bind(rt.loop(), ADDR);
            CompletableFuture<TcpStream> accepted = l.acceptAsync();
            Peer peer = sim.connect(ADDR);
            TcpStream s = sim.await(accepted);
            s.readTimeout(Duration.ofMinutes(10));
            s.writeTimeout(Duration.ofMinutes(10));
            FixedBuf a = rt.loop().bufPool().lease();
            FixedBuf b = rt.loop().bufPool().lease();
            BufVec in = BufVec.of(a, b);
            Duration before = sim.currentTime();
            assertThrows(SocketTimeoutException.class, () -> s.recv(in, Duration.ofSeconds(3)));
            assertEquals(Duration.ofSeconds(3), sim.currentTime().minus(before), "vectored recv: the per-call timeout");
            assertNull(in.owner(), "vector handed back");
            peer.send("xy");
            assertEquals(2, s.recv(in, Duration.ofSeconds(3)));

            // A peer that reads nothing, and a socket whose send buffer is full: a single vectored send waits for
            // room until its deadline.
            peer.receiveWindow(0);
            FixedBuf filler = rt.loop().bufPool().lease();
            boolean full = false;
            for (int i = 0; i < 10_000 && !full; i++) {
                filler.clear().put(new byte[filler.capacity()]);
                try {
                    s.send(filler, Duration.ofMillis(100));
                } catch (SocketTimeoutException e) {
                    full = true;
                }
            }
            assertTrue(full, "the socket never stopped taking bytes");
            filler.release();
            a.clear().put(new byte[600]);
            b.clear().put(new byte[600]);
            before = sim.currentTime();
            assertThrows(SocketTimeoutException.class, () -> s.send(in, Duration.ofSeconds(2)));
            assertEquals(Duration.ofSeconds(2), sim.currentTime().minus(before), "vectored send: the per-call timeout");
            before = sim.currentTime();
            assertThrows(SocketTimeoutException.class, () -> s.sendAll(in, Duration.ofSeconds(4)));
            Duration took = sim.currentTime().minus(before);
            assertTrue(!took.minus(Duration.ofSeconds(4)).isNegative() && took.compareTo(Duration.ofSeconds(5)) < 0,
                    "vectored sendAll gave up after " + took);
            assertEquals(1200, in.readableBytes(), "nothing was taken: every byte is still readable");

            // Heap sendAll: the position of src says what was sent, and the staging buffers go back.
            int leased = rt.loop().bufPool().outstanding();
            java.nio.ByteBuffer src = java.nio.ByteBuffer.wrap(new byte[3000]);
            before = sim.currentTime();
            assertThrows(SocketTimeoutException.class, () -> s.sendAll(src, Duration.ofSeconds(4)));
            took = sim.currentTime().minus(before);
            assertTrue(!took.minus(Duration.ofSeconds(4)).isNegative() && took.compareTo(Duration.ofSeconds(5)) < 0,
                    "heap sendAll gave up after " + took);
            assertEquals(0, src.position(), "nothing was sent, so src is where it started");
            assertEquals(leased, rt.loop().bufPool().outstanding(), "the staging buffers went back");
            a.release();
            b.release();
            s.close();
            l.close();
            peer.close();

            // A datagram receive with nothing arriving; a send with a timeout goes out at once.
            InetSocketAddress udpAt = new InetSocketAddress("127.0.0.1", 7001);
            try (UdpSocket u = UdpSocket.bind(rt.loop(), udpAt)) {
                u.readTimeout(Duration.ofMinutes(10));
                FixedBuf d = rt.loop().bufPool().lease();
                before = sim.currentTime();
                assertThrows(SocketTimeoutException.class, () -> u.recvFrom(d, Duration.ofSeconds(1)));
                assertEquals(Duration.ofSeconds(1), sim.currentTime().minus(before), "recvFrom: the per-call timeout");
                InetSocketAddress other = new InetSocketAddress("127.0.0.1", 7002);
                sim.bindDatagramPeer(other);
                d.clear().put("ping".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
                assertEquals(4, u.sendTo(d, other, Duration.ofSeconds(1)));
                sim.runCurrent();
                assertEquals(1, sim.takeDatagrams(other).size());
                assertTrue(sim.sendDatagram(other, udpAt, new byte[]{1, 2, 3}));
                d.clear();
                assertEquals(other, u.recvFrom(d, Duration.ofSeconds(1)));
                assertEquals(3, d.readableBytes());
                d.release();
            }
            sim.runCurrent();
        }
    }

    @ParameterizedTest
    @MethodSource("io.veloq.examples.net.TestDrivers#all")
    void acceptAndReceiveTimeoutsInRealTime(String driver) throws Exception {
        try (IoRuntime rt = TestDrivers.open(driver);
             TcpListener l = TcpListener.bind(rt.loop(), new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0))) {
            long t0 = System.nanoTime();
            assertThrows(SocketTimeoutException.class, () -> l.accept(Duration.ofMillis(200)));
            long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            assertTrue(ms >= 150 && ms < 5000, "accept timed out after " + ms + " ms, asked 200");
            try (TcpStream c = TcpStream.connector(rt.loop()).deadline(Duration.ofSeconds(5))
                    .connect(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), l.port()));
                 TcpStream s = l.accept(Duration.ofSeconds(5))) {
                FixedBuf buf = rt.loop().bufPool().lease();
                t0 = System.nanoTime();
                assertThrows(SocketTimeoutException.class, () -> s.recv(buf, Duration.ofMillis(200)));
                ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
                assertTrue(ms >= 150 && ms < 5000, "recv timed out after " + ms + " ms, asked 200");
                FixedBuf one = rt.loop().bufPool().lease().put(new byte[] {7});
                assertEquals(1, c.send(one, Duration.ofSeconds(5)));
                one.release();
                assertEquals(1, s.recv(buf, Duration.ofSeconds(5)));
                buf.release();
            }
            int port = l.port();
            l.close();
            // A connect to a port nobody listens on fails at once, deadline or not.
            assertThrows(ConnectException.class, () -> TcpStream.connector(rt.loop()).deadline(Duration.ofSeconds(5))
                    .connect(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), port)));
        }
    }
}
