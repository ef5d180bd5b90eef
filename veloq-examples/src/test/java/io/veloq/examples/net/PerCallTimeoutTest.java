package io.veloq.examples.net;

import io.veloq.api.IoErrorKind;
import io.veloq.api.IoRuntime;
import io.veloq.api.VeloqIoException;
import io.veloq.api.buffer.FixedBuf;
import io.veloq.api.net.TcpListener;
import io.veloq.api.net.TcpStream;
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
