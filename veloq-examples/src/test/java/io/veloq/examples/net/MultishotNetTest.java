package io.veloq.examples.net;

import io.veloq.api.Capability;
import io.veloq.api.IoErrorKind;
import io.veloq.api.IoRuntime;
import io.veloq.api.VeloqIoException;
import io.veloq.api.buffer.BufRing;
import io.veloq.api.buffer.FixedBuf;
import io.veloq.api.net.ChunkReceiver;
import io.veloq.api.net.TcpListener;
import io.veloq.api.net.TcpStream;
import io.veloq.spi.LinuxErrno;
import io.veloq.testkit.Peer;
import io.veloq.testkit.Simulation;
import io.veloq.api.op.OpKind;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.ByteArrayOutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The net API on multishot ops: a listener's {@code acceptEach} (one multishot accept for every connection,
 * one-shot accepts where the driver lacks them, re-armed after a failure, with a pause for EMFILE) and a
 * stream's {@code recvEach} on a buffer ring (re-armed by itself once the application gives a buffer back).
 */
class MultishotNetTest {

    private static void waitFor(BooleanSupplier c, String what) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!c.getAsBoolean()) {
            if (System.nanoTime() - end > 0) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(2);
        }
    }

    static List<String> modes() {
        List<String> m = new ArrayList<>();
        m.add("fake");
        m.add("nio"); // no MULTISHOT: one-shot accepts re-armed by the listener
        if (TestDrivers.kernelAvailable()) {
            m.add("uring");
            m.add("uring-no-multishot");
        }
        return m;
    }

    private static IoRuntime open(String mode) {
        IoRuntime.Builder b = IoRuntime.builder().buffers(4096, 64);
        if (mode.equals("uring-no-multishot")) {
            b.driver("uring").option("uring.multishot", "off");
        } else {
            b.driver(mode);
        }
        return b.open();
    }

    @ParameterizedTest
    @MethodSource("modes")
    void acceptEachServesEveryConnectionFromOneCall(String mode) throws Exception {
        try (IoRuntime rt = open(mode)) {
            assertEquals(!mode.equals("uring-no-multishot") && !mode.equals("nio"),
                    rt.capabilities().contains(Capability.MULTISHOT), mode);
            TcpListener l = TcpListener.bind(rt.loop(), new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            List<TcpStream> served = new CopyOnWriteArrayList<>();
            List<Throwable> errors = new CopyOnWriteArrayList<>();
            l.acceptEach((s, e) -> {
                if (e != null) {
                    errors.add(e);
                } else {
                    served.add(s);
                }
            });
            SocketAddress at = l.localAddress();
            List<TcpStream> clients = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                clients.add(TcpStream.connect(rt.loop(), at));
            }
            waitFor(() -> served.size() == 6, "6 connections served, got " + served.size());
            assertEquals(List.of(), errors);
            assertEquals(1, rt.inFlight(), "one accept in flight for all of them (" + mode + ")");
            for (TcpStream s : served) {
                assertEquals(clients.get(0).localAddress().getClass(), s.remoteAddress().getClass());
            }
            assertThrows(IllegalStateException.class, () -> l.acceptEach((s, e) -> { }), "one acceptEach per listener");
            l.close();
            waitFor(() -> errors.size() == 1, "the end of acceptEach reported once after close");
            assertTrue(errors.get(0) instanceof VeloqIoException v && v.kind() == IoErrorKind.CANCELLED
                            || errors.get(0) instanceof java.nio.channels.AsynchronousCloseException,
                    "closing the listener ends acceptEach with a cancellation: " + errors.get(0));
            for (TcpStream s : served) {
                s.close();
            }
            for (TcpStream c : clients) {
                c.close();
            }
        }
    }

    @Test
    void acceptEachRearmsAfterEmfileOnlyAfterAPause() throws Exception {
        try (Simulation sim = Simulation.open()) {
            IoRuntime rt = sim.runtime();
            TcpListener l = TcpListener.bind(rt.loop(), new InetSocketAddress("127.0.0.1", 7100));
            sim.failNext(OpKind.ACCEPT_MULTISHOT, LinuxErrno.EMFILE);
            List<Throwable> errors = new ArrayList<>();
            List<Duration> failedAt = new ArrayList<>();
            List<Duration> acceptedAt = new ArrayList<>();
            l.acceptEach((s, e) -> {
                if (e != null) {
                    errors.add(e);
                    failedAt.add(sim.currentTime());
                } else {
                    acceptedAt.add(sim.currentTime());
                }
            });
            sim.runCurrent();
            assertEquals(1, errors.size(), "the completer hears the EMFILE");
            assertEquals(IoErrorKind.TOO_MANY_OPEN_FILES, ((VeloqIoException) errors.get(0)).kind());
            Peer p = sim.connect(new InetSocketAddress("127.0.0.1", 7100)); // queued in the backlog meanwhile
            sim.advanceBy(Duration.ofMillis(4));
            assertEquals(List.of(), acceptedAt, "no accept re-armed within the pause");
            sim.advanceBy(Duration.ofMillis(2));
            assertEquals(1, acceptedAt.size(), "re-armed after 5 ms: the queued connection is accepted");
            assertTrue(acceptedAt.get(0).minus(failedAt.get(0)).compareTo(Duration.ofMillis(5)) >= 0,
                    "paused at least 5 ms: " + failedAt + " -> " + acceptedAt);
            Peer q = sim.connect(new InetSocketAddress("127.0.0.1", 7100));
            assertTrue(sim.scheduler().runUntil(() -> acceptedAt.size() == 2, Duration.ofSeconds(1)), "the next connection");
            assertEquals(1, errors.size(), "the stream went on");
            p.close();
            q.close();
            l.close();
            sim.runUntilIdle();
        }
    }

    @ParameterizedTest
    @MethodSource("io.veloq.examples.net.TestDrivers#all")
    void recvEachRearmsItselfOnceABufferIsBackAndEndsOnceAtEndOfStream(String driver) throws Exception {
        try (IoRuntime rt = TestDrivers.open(driver)) {
            TcpListener l = TcpListener.bind(rt.loop(), new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            CompletableFuture<TcpStream> accepted = l.acceptAsync();
            TcpStream client = TcpStream.connect(rt.loop(), l.localAddress());
            TcpStream server = accepted.get(10, TimeUnit.SECONDS);
            if (!rt.capabilities().contains(Capability.MULTISHOT)) {
                // nio: no provided-buffer rings, and it says so (a receiver there uses recvOp and one buffer)
                UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class, () -> rt.loop().openBufRing(2));
                assertTrue(e.getMessage().contains("MULTISHOT") && e.getMessage().contains(driver), e.getMessage());
                client.close();
                server.close();
                l.close();
                return;
            }
            BufRing ring = rt.loop().openBufRing(2);
            ByteArrayOutputStream got = new ByteArrayOutputStream();
            List<FixedBuf> held = new ArrayList<>();
            List<Throwable> ends = new CopyOnWriteArrayList<>();
            CompletableFuture<Void> ended = new CompletableFuture<>();
            boolean[] holding = {true};
            server.recvEach(ring, new ChunkReceiver() {
                @Override
                public void onChunk(FixedBuf buf) {
                    synchronized (got) {
                        byte[] b = buf.getBytes();
                        got.write(b, 0, b.length);
                    }
                    if (holding[0]) {
                        held.add(buf); // hold them all: the ring runs dry, the receive must wait, not fail
                    } else {
                        buf.release();
                    }
                }

                @Override
                public void onEnd(Throwable error) {
                    ends.add(error == null ? new Throwable("end of stream") : error);
                    ended.complete(null);
                }
            });
            byte[] data = new byte[5 * ring.bufferSize()];
            for (int i = 0; i < data.length; i++) {
                data[i] = (byte) (i * 31 + 7);
            }
            CompletableFuture<Void> sender = CompletableFuture.runAsync(() -> {
                try {
                    FixedBuf b = rt.loop().bufPool().lease().put(data, 0, ring.bufferSize());
                    for (int i = 0; i < 5; i++) {
                        client.sendAll(b);
                        b.clear();
                        if (i < 4) {
                            b.put(data, (i + 1) * ring.bufferSize(), ring.bufferSize());
                        }
                    }
                    b.release();
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            });
            waitFor(() -> held.size() == 2, "the ring's two buffers held by the application");
            Thread.sleep(100);
            assertTrue(ends.isEmpty(), "a dry ring does not end recvEach: " + ends);
            CompletableFuture<Void> released = new CompletableFuture<>();
            rt.loop().execute(() -> {
                holding[0] = false;
                held.forEach(FixedBuf::release); // the receive re-arms itself once a buffer is back
                held.clear();
                released.complete(null);
            });
            released.get(10, TimeUnit.SECONDS);
            sender.get(10, TimeUnit.SECONDS);
            waitFor(() -> {
                synchronized (got) {
                    return got.size() == data.length;
                }
            }, "every byte after the re-arm");
            synchronized (got) {
                assertArrayEquals(data, got.toByteArray(), "nothing lost or reordered across the dry ring");
            }
            client.shutdown(io.veloq.api.net.ShutdownHow.WRITE);
            ended.get(10, TimeUnit.SECONDS);
            Thread.sleep(50);
            assertEquals(1, ends.size(), "onEnd runs once: " + ends);
            assertEquals("end of stream", ends.get(0).getMessage());
            ring.close();
            server.close();
            client.close();
            l.close();
        }
    }
}
