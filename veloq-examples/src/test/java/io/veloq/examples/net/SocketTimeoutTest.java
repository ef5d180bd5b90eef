package io.veloq.examples.net;

import io.veloq.api.Completion;
import io.veloq.api.IoErrorKind;
import io.veloq.api.IoRuntime;
import io.veloq.api.Op;
import io.veloq.api.buffer.FixedBuf;
import io.veloq.api.net.TcpListener;
import io.veloq.api.net.TcpStream;
import io.veloq.api.op.Recv;
import io.veloq.api.op.Send;
import io.veloq.testkit.Peer;
import io.veloq.testkit.Simulation;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.net.StandardSocketOptions;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code DataSocket.readTimeout}/{@code writeTimeout}: a receive that gets no byte (a send that moves none)
 * within the timeout fails with TIMED_OUT ({@code SocketTimeoutException} in the java.net form), hands its
 * buffer back and leaves the socket usable. In virtual time on the fake's Simulation, and in real time on
 * every test driver.
 */
class SocketTimeoutTest {
    private static final InetSocketAddress ADDR = new InetSocketAddress("127.0.0.1", 7000);

    /** A loopback connection: {@code client} made with {@code connector}, {@code server} accepted by {@code listener}. */
    private record Pair(TcpListener listener, TcpStream client, TcpStream server) implements AutoCloseable {
        static Pair open(IoRuntime rt, io.veloq.api.net.ConnectBuilder<TcpStream> connector) throws Exception {
            TcpListener l = TcpListener.bind(rt.loop(), new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            CompletableFuture<TcpStream> accepted = l.acceptAsync();
            TcpStream c = connector.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), l.port()));
            return new Pair(l, c, accepted.get(10, TimeUnit.SECONDS));
        }

        @Override
        public void close() throws IOException {
            client.close();
            server.close();
            listener.close();
        }
    }

    /** A simulated connection: {@code peer} scripted by the test, {@code server} accepted by {@code listener}. */
    private record SimPair(TcpListener listener, Peer peer, TcpStream server) {
        static SimPair open(Simulation sim) throws IOException {
            TcpListener l = TcpListener.bind(sim.runtime().loop(), ADDR);
            CompletableFuture<TcpStream> accepted = l.acceptAsync();
            Peer peer = sim.connect(ADDR);
            return new SimPair(l, peer, sim.await(accepted));
        }

        void close(Simulation sim) throws IOException {
            server.close();
            listener.close();
            peer.close();
            sim.runCurrent();
        }
    }

    @Test
    void aReusableReceiveTimesOutInVirtualTimeAndTheSocketStaysUsable() throws Exception {
        try (Simulation sim = Simulation.open()) {
            IoRuntime rt = sim.runtime();
            SimPair pair = SimPair.open(sim);
            Peer peer = pair.peer();
            TcpStream s = pair.server();
            s.readTimeout(Duration.ofSeconds(30));
            assertEquals(Duration.ofSeconds(30), s.readTimeout());
            FixedBuf buf = rt.loop().bufPool().lease();
            AtomicReference<Op<Recv>> done = new AtomicReference<>();
            Op<Recv> recv = s.recvOp(buf, done::set);
            rt.loop().submit(recv);

            sim.advanceBy(Duration.ofSeconds(29));
            assertNull(done.get(), "still waiting after 29 of 30 s");
            peer.send("hi");
            sim.runCurrent();
            assertTrue(done.get().isSuccess(), () -> "data before the deadline is received: " + done.get().error());
            assertEquals(2, done.get().result());

            // The deadline counts from each submission, not from the first.
            buf.clear();
            done.set(null);
            rt.loop().resubmit(recv);
            sim.advanceBy(Duration.ofSeconds(29));
            assertNull(done.get(), "the resubmitted receive has its own 30 s");
            sim.advanceBy(Duration.ofSeconds(1));
            Op<Recv> timedOut = done.get();
            assertTrue(timedOut != null && !timedOut.isSuccess(), "timed out at 30 s");
            assertEquals(IoErrorKind.TIMED_OUT, timedOut.error().kind(), timedOut.error().getMessage());
            assertInstanceOf(SocketTimeoutException.class, timedOut.error().toJava());
            assertNull(buf.owner(), "the timed-out receive handed its buffer back");

            // Nothing is lost and the socket still works: the next receive gets what the peer sends now.
            done.set(null);
            rt.loop().resubmit(recv);
            peer.send("late");
            sim.runCurrent();
            assertTrue(done.get().isSuccess());
            assertEquals("late", new String(buf.getBytes(), StandardCharsets.US_ASCII));

            // The blocking shape on the manual runtime: virtual time moves exactly to the deadline.
            buf.clear();
            Duration before = sim.currentTime();
            assertThrows(SocketTimeoutException.class, () -> s.recv(buf));
            assertEquals(Duration.ofSeconds(30), sim.currentTime().minus(before));
            buf.release();
            pair.close(sim);
        }
    }

    @Test
    void aSendThatMovesNothingTimesOutInVirtualTime() throws Exception {
        try (Simulation sim = Simulation.open()) {
            IoRuntime rt = sim.runtime();
            SimPair pair = SimPair.open(sim);
            TcpStream s = pair.server();
            pair.peer().receiveWindow(0); // reads nothing: every send blocks
            s.writeTimeout(Duration.ofSeconds(5));
            FixedBuf buf = rt.loop().bufPool().lease().put(new byte[100]);
            AtomicReference<Op<Send>> done = new AtomicReference<>();
            rt.loop().submit(s.sendAllOp(buf, done::set));
            sim.advanceBy(Duration.ofMillis(4999));
            assertNull(done.get(), "not yet");
            sim.advanceBy(Duration.ofMillis(1));
            assertEquals(IoErrorKind.TIMED_OUT, done.get().error().kind());
            assertTrue(buf.readableBytes() > 0, "the peer took at most a byte, and the reader index says so");
            buf.release();
            pair.close(sim);
        }
    }

    @Test
    void timeoutsAreValidated() throws Exception {
        try (Simulation sim = Simulation.open()) {
            SimPair pair = SimPair.open(sim);
            TcpStream s = pair.server();
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> s.readTimeout(Duration.ofSeconds(-1)));
            assertTrue(e.getMessage().contains("read timeout must not be negative"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> s.writeTimeout(Duration.ofSeconds(Long.MAX_VALUE)));
            assertTrue(e.getMessage().contains("too long"), e.getMessage());
            s.readTimeout(Duration.ofMillis(5));
            s.readTimeout(null);
            assertEquals(Duration.ZERO, s.readTimeout());
            s.writeTimeout(Duration.ZERO);
            assertEquals(Duration.ZERO, s.writeTimeout());
            pair.close(sim);
        }
    }

    @ParameterizedTest
    @MethodSource("io.veloq.examples.net.TestDrivers#all")
    void readTimeoutInRealTimeInEveryShape(String driver) throws Exception {
        try (IoRuntime rt = TestDrivers.open(driver);
             Pair pair = Pair.open(rt, TcpStream.connector(rt.loop()))) {
            TcpStream c = pair.client();
            TcpStream s = pair.server();
            s.readTimeout(Duration.ofMillis(300));
            FixedBuf buf = rt.loop().bufPool().lease();

            long t0 = System.nanoTime();
            SocketTimeoutException blocking = assertThrows(SocketTimeoutException.class, () -> s.recv(buf));
            long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            assertTrue(ms >= 250 && ms < 5000, "timed out after " + ms + " ms, asked 300");
            assertTrue(blocking.getMessage().contains("Recv"), blocking.getMessage());
            assertNull(buf.owner());

            Completion<Recv> async = s.recvAsync(buf).get(10, TimeUnit.SECONDS);
            assertEquals(IoErrorKind.TIMED_OUT, async.error().kind());

            FixedBuf out = rt.loop().bufPool().lease().put("ok".getBytes(StandardCharsets.US_ASCII));
            c.sendAll(out);
            out.release();
            assertEquals(2, s.recv(buf), "data arriving in time is received");
            buf.release();
        }
    }

    @ParameterizedTest
    @MethodSource("io.veloq.examples.net.TestDrivers#all")
    void writeTimeoutWhenThePeerStopsReading(String driver) throws Exception {
        try (IoRuntime rt = TestDrivers.open(driver);
             Pair pair = Pair.open(rt, TcpStream.connector(rt.loop()).option(StandardSocketOptions.SO_RCVBUF, 4096))) {
            TcpStream s = pair.server();
            s.setOption(StandardSocketOptions.SO_SNDBUF, 4096);
            s.writeTimeout(Duration.ofMillis(300));
            FixedBuf buf = rt.loop().bufPool().lease();
            long sent = 0;
            IOException failure = null;
            for (int i = 0; i < 10_000 && failure == null; i++) { // c never reads: the buffers fill up
                buf.clear().put(new byte[buf.capacity()]);
                try {
                    s.sendAll(buf);
                } catch (IOException e) {
                    failure = e;
                }
                sent += buf.capacity() - buf.readableBytes(); // the reader index shows how far it got
            }
            assertInstanceOf(SocketTimeoutException.class, failure, "after " + sent + " bytes: " + failure);
            assertTrue(sent > 0 && sent < 64L << 20, "sent " + sent + " before the peer's window closed");
            buf.release();
        }
    }
}
