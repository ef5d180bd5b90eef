package io.veloq.examples.net;

import io.veloq.api.Completion;
import io.veloq.api.IoRuntime;
import io.veloq.api.Op;
import io.veloq.api.VeloqIoException;
import io.veloq.api.buffer.BufPool;
import io.veloq.api.buffer.FixedBuf;
import io.veloq.api.net.StreamSocket;
import io.veloq.api.net.TcpListener;
import io.veloq.api.net.TcpStream;
import io.veloq.api.op.Accept;
import io.veloq.api.op.Recv;
import io.veloq.api.op.Send;
import io.veloq.api.net.SockAddrStorage;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.ClosedChannelException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A socket's ops are bound to the socket's lifetime (#10, defect 1): after close, an op built by or for the
 * socket completes with a closed-channel error and never reaches the driver, even when the descriptor
 * number already belongs to a newer socket.
 */
class SocketLifetimeTest {
    private static final long WAIT = 10;
    private static final byte[] SECRET = "B's private bytes".getBytes(StandardCharsets.US_ASCII);

    /** A connected pair: the client and the server side. */
    private record Pair(TcpStream client, TcpStream server) {
        void close() throws IOException {
            client.close();
            server.close();
        }
    }

    private static Pair connect(IoRuntime rt, TcpListener l) throws Exception {
        CompletableFuture<TcpStream> accepted = l.acceptAsync();
        TcpStream c = TcpStream.connect(rt.loop(), new InetSocketAddress(InetAddress.getLoopbackAddress(), l.port()));
        return new Pair(c, accepted.get(WAIT, TimeUnit.SECONDS));
    }

    /**
     * Opens connections until one of their sockets gets {@code number} back (the lowest free one, on the kernel
     * and on the fake alike) and returns that pair turned so that its {@code client()} holds the number and
     * {@code server()} is its peer; the other pairs are closed again. Either side may get it: when another
     * thread of this JVM frees a lower descriptor meanwhile, a client takes that one and its server takes
     * {@code number}.
     */
    private static Pair reuseNumber(IoRuntime rt, TcpListener l, long number) throws Exception {
        io.veloq.api.IoFd wanted = io.veloq.api.IoFd.raw(number);
        List<Pair> others = new ArrayList<>();
        try {
            for (int i = 0; i < 50; i++) {
                Pair p = connect(rt, l);
                if (p.client().fd().equals(wanted)) {
                    return p;
                }
                if (p.server().fd().equals(wanted)) {
                    return new Pair(p.server(), p.client());
                }
                others.add(p);
            }
        } finally {
            for (Pair p : others) {
                p.close();
            }
        }
        throw new AssertionError("no new connection got fd " + number + " back within 50 connections; on the kernel "
                + "drivers that number is now held by " + holder(number));
    }

    /** What holds descriptor {@code number} in this process now (for a failure message). */
    private static String holder(long number) {
        try {
            return String.valueOf(java.nio.file.Files.readSymbolicLink(java.nio.file.Path.of("/proc/self/fd/" + number)));
        } catch (IOException | UnsupportedOperationException e) {
            return "nothing readable (" + e + ")";
        }
    }

    private static void send(StreamSocket s, byte[] bytes, BufPool pool) throws IOException {
        FixedBuf out = pool.lease().put(bytes);
        try {
            s.sendAll(out);
        } finally {
            out.release();
        }
    }

    /** {@code s} receives exactly {@code expected} next. */
    private static void assertReceives(StreamSocket s, byte[] expected, BufPool pool) throws IOException {
        FixedBuf in = pool.lease();
        try {
            while (in.readableBytes() < expected.length) {
                assertTrue(s.recv(in) > 0, "end of stream before " + expected.length + " bytes");
            }
            assertArrayEquals(expected, in.getBytes());
        } finally {
            in.release();
        }
    }

    private static void assertClosedChannel(Completion<?> c, String what) {
        VeloqIoException e = c.error();
        assertNotNull(e, what + " succeeded after its socket was closed (value " + c.value() + ")");
        assertInstanceOf(ClosedChannelException.class, e.toJava(), what + ": " + e);
    }

    /** The exact repro of the issue: close A (fd N), connect B (fd N), submit A's reusable recv op again. */
    @ParameterizedTest
    @MethodSource("io.veloq.examples.net.TestDrivers#reusingNumbers")
    void aReusableRecvOpOfAClosedStreamNeverReadsTheStreamThatReusedItsNumber(String driver) throws Exception {
        try (IoRuntime rt = TestDrivers.open(driver);
             TcpListener l = TcpListener.bind(rt.loop(), new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            BufPool pool = rt.loop().bufPool();
            Pair a = connect(rt, l);
            FixedBuf buf = pool.lease();
            AtomicReference<CompletableFuture<Completion<Recv>>> next = new AtomicReference<>(new CompletableFuture<>());
            Op<Recv> recv = a.client().recvOp(buf, op -> next.get().complete(op.completion()));
            send(a.server(), "for A".getBytes(StandardCharsets.US_ASCII), pool);
            rt.loop().submit(recv);
            assertEquals(5, next.get().get(WAIT, TimeUnit.SECONDS).value(), "the op works while A is open");
            buf.clear();

            long number = ((io.veloq.api.IoFd.Raw) a.client().fd()).handle();
            a.close();
            Pair b = reuseNumber(rt, l, number);
            send(b.server(), SECRET, pool);

            next.set(new CompletableFuture<>());
            rt.loop().resubmit(recv);
            Completion<Recv> c = next.get().get(WAIT, TimeUnit.SECONDS);
            assertClosedChannel(c, "A's reusable recv on fd " + number);
            assertEquals(0, buf.readableBytes(), "A's buffer got bytes after A was closed");

            assertReceives(b.client(), SECRET, pool); // A's op never touched B: B reads every one of its bytes
            buf.release();
            b.close();
            assertEquals(0, pool.outstanding());
        }
    }

    /** Every way to build an op for the socket is bound to it: send ops, one-shots, ops built with fd(), accept. */
    @ParameterizedTest
    @MethodSource("io.veloq.examples.net.TestDrivers#reusingNumbers")
    void everyOpBuiltForAClosedSocketFailsClosedEvenWhenItsNumberIsReused(String driver) throws Exception {
        try (IoRuntime rt = TestDrivers.open(driver);
             TcpListener l = TcpListener.bind(rt.loop(), new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            BufPool pool = rt.loop().bufPool();
            Pair a = connect(rt, l);
            FixedBuf out = pool.lease().put("A's reply".getBytes(StandardCharsets.US_ASCII));
            FixedBuf in = pool.lease();
            CompletableFuture<Completion<Send>> sendDone = new CompletableFuture<>();
            Op<Send> sendAll = a.client().sendAllOp(out, op -> sendDone.complete(op.completion()));
            Op<Recv> byHand = Op.of(new Recv(a.client().fd(), in));   // built by the user with fd()
            long number = ((io.veloq.api.IoFd.Raw) a.client().fd()).handle();
            a.close();
            Pair b = reuseNumber(rt, l, number);
            send(b.server(), SECRET, pool);

            rt.loop().submit(sendAll);
            assertClosedChannel(sendDone.get(WAIT, TimeUnit.SECONDS), "sendAllOp");
            assertEquals("A's reply".length(), out.readableBytes(), "nothing of A's buffer was sent to B's peer");
            assertClosedChannel(rt.loop().submitAsync(byHand).get(WAIT, TimeUnit.SECONDS), "an op built with fd()");
            assertEquals(0, in.readableBytes());

            // A closed listener's accept op, while a new listener may hold its number.
            TcpListener old = TcpListener.bind(rt.loop(), new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            Op<Accept> accept = Op.of(new Accept(old.fd(), SockAddrStorage.allocate(rt.loop().addressLayout())));
            old.close();
            try (TcpListener fresh = TcpListener.bind(rt.loop(), new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
                assertClosedChannel(rt.loop().submitAsync(accept).get(WAIT, TimeUnit.SECONDS), "accept of a closed listener");
                assertTrue(fresh.isOpen());
            }

            assertReceives(b.client(), SECRET, pool);
            out.release();
            in.release();
            b.close();
            assertEquals(0, pool.outstanding());
        }
    }

    /**
     * A close from another thread races the completer that resubmits the reusable recv while A's peer keeps
     * sending: many rounds, and A's op always ends (no op left behind on the descriptor), never delivers a
     * byte of the connection that took its number, and gives its buffer back.
     */
    @ParameterizedTest
    @MethodSource("io.veloq.examples.net.TestDrivers#all")
    void aCloseFromAnotherThreadRacingTheResubmittingCompleterNeverLeaksAnotherSocketsBytes(String driver)
            throws Exception {
        int rounds = 200;
        java.util.Random random = new java.util.Random(10);
        try (IoRuntime rt = TestDrivers.open(driver);
             TcpListener l = TcpListener.bind(rt.loop(), new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            BufPool pool = rt.loop().bufPool();
            AtomicInteger foreign = new AtomicInteger();
            for (int round = 0; round < rounds; round++) {
                Pair a = connect(rt, l);
                FixedBuf buf = pool.lease();
                CountDownLatch ended = new CountDownLatch(1);
                CountDownLatch receiving = new CountDownLatch(1);
                Op<Recv> recv = a.client().recvOp(buf, op -> {
                    if (!op.isSuccess() || op.result() == 0) {
                        op.payload().buffer().release();
                        ended.countDown();
                        return;
                    }
                    for (byte x : op.payload().buf().getBytes()) {
                        if (x != 'a') {
                            foreign.incrementAndGet();
                        }
                    }
                    op.payload().buf().clear();
                    receiving.countDown();
                    long until = System.nanoTime() + 20_000; // widen the window in which the close lands
                    while (System.nanoTime() - until < 0) {
                        Thread.onSpinWait();
                    }
                    rt.loop().resubmit(op);
                });
                rt.loop().submit(recv);
                // A's peer sends until A is about to close; once B is talking, it sends A one more message.
                CountDownLatch closing = new CountDownLatch(1);
                CountDownLatch bTalks = new CountDownLatch(1);
                Thread sender = new Thread(() -> {
                    FixedBuf out = pool.lease();
                    try {
                        while (closing.getCount() > 0) {
                            out.clear().put(new byte[] {'a', 'a', 'a', 'a'});
                            a.server().sendAll(out);
                        }
                        bTalks.await();
                        out.clear().put(new byte[] {'a', 'a', 'a', 'a'});
                        a.server().sendAll(out);
                    } catch (IOException | RuntimeException | InterruptedException closed) {
                        // the test closed A's peer: done
                    } finally {
                        out.release();
                    }
                }, "A's peer");
                sender.start();
                assertTrue(receiving.await(WAIT, TimeUnit.SECONDS), "round " + round + ": A received nothing");
                TimeUnit.MICROSECONDS.sleep(random.nextInt(500));
                closing.countDown();
                a.client().close();
                Pair b = connect(rt, l);
                send(b.server(), "bbbbbbbb".getBytes(StandardCharsets.US_ASCII), pool);
                bTalks.countDown();
                assertTrue(ended.await(WAIT, TimeUnit.SECONDS), "round " + round + ": A's recv op was still in "
                        + "flight " + WAIT + " s after A was closed (" + foreign.get() + " foreign bytes seen)");
                sender.join(TimeUnit.SECONDS.toMillis(WAIT));
                assertFalse(sender.isAlive(), "A's peer is still sending");
                a.server().close();
                assertReceives(b.client(), "bbbbbbbb".getBytes(StandardCharsets.US_ASCII), pool);
                b.close();
                assertFalse(a.client().isOpen());
            }
            assertEquals(0, foreign.get(), "A's completer saw bytes that were not A's");
            assertEquals(0, pool.outstanding(), "buffers still leased after " + rounds + " rounds");
        }
    }

    /**
     * The socket's synchronous calls are bound to its lifetime too (#10): one thread closes a socket while two
     * others call setOption/getOption/localAddress on it (through the socket, and through the loop with the
     * socket's handle) and a fourth opens sockets that reuse the number. No call ever reaches a socket that
     * took the number: each completes against the old socket or fails with ClosedChannelException, so
     * SO_RCVBUF set on the old socket never shows on a new one.
     */
    @ParameterizedTest
    @MethodSource("io.veloq.examples.net.TestDrivers#reusingNumbers")
    void syncCallsRacingACloseNeverReachTheSocketThatReusedTheNumber(String driver) throws Exception {
        int rounds = 150;
        int mark = 4099;
        java.util.Random random = new java.util.Random(11);
        List<String> errors = new java.util.concurrent.CopyOnWriteArrayList<>();
        int reused = 0;
        try (IoRuntime rt = TestDrivers.open(driver)) {
            long probe = rt.loop().call(new io.veloq.api.op.Socket(io.veloq.api.net.AddressFamily.INET,
                    io.veloq.api.net.SocketType.DATAGRAM)).valueOrThrow();
            int untouched = rt.loop().getOption(io.veloq.api.IoFd.raw(probe), java.net.StandardSocketOptions.SO_RCVBUF);
            rt.loop().setOption(io.veloq.api.IoFd.raw(probe), java.net.StandardSocketOptions.SO_RCVBUF, mark);
            int marked = rt.loop().getOption(io.veloq.api.IoFd.raw(probe), java.net.StandardSocketOptions.SO_RCVBUF);
            rt.loop().call(new io.veloq.api.op.Close(io.veloq.api.IoFd.raw(probe))).valueOrThrow();
            assertTrue(untouched != marked, "SO_RCVBUF " + mark + " must show (" + marked + " vs " + untouched + ")");

            for (int round = 0; round < rounds; round++) {
                io.veloq.api.net.UdpSocket old = io.veloq.api.net.UdpSocket.bind(rt.loop(),
                        new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
                long number = ((io.veloq.api.IoFd.Raw) old.fd()).handle();
                java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
                CountDownLatch calling = new CountDownLatch(2);
                int r = round;
                Thread viaLoop = caller("calls through the loop with the socket's handle", calling, stop, errors, r,
                        () -> {
                            rt.loop().setOption(old.fd(), java.net.StandardSocketOptions.SO_RCVBUF, mark);
                            rt.loop().getOption(old.fd(), java.net.StandardSocketOptions.SO_RCVBUF);
                            rt.loop().localAddress(old.fd());
                        });
                Thread viaSocket = caller("calls through the socket", calling, stop, errors, r, () -> {
                    old.setOption(java.net.StandardSocketOptions.SO_RCVBUF, mark);
                    old.getOption(java.net.StandardSocketOptions.SO_RCVBUF);
                    old.localAddress();
                });
                List<Long> fresh = new java.util.concurrent.CopyOnWriteArrayList<>();
                Thread opener = new Thread(() -> {
                    try {
                        for (int i = 0; i < 6; i++) {
                            fresh.add(rt.loop().call(new io.veloq.api.op.Socket(io.veloq.api.net.AddressFamily.INET,
                                    io.veloq.api.net.SocketType.DATAGRAM)).valueOrThrow());
                        }
                    } catch (Throwable t) {
                        errors.add("round " + r + ": opening: " + t);
                    }
                }, "opener");
                assertTrue(calling.await(WAIT, TimeUnit.SECONDS));
                opener.start();
                TimeUnit.MICROSECONDS.sleep(random.nextInt(200));
                old.close();
                opener.join(TimeUnit.SECONDS.toMillis(WAIT));
                TimeUnit.MILLISECONDS.sleep(2); // the callers keep calling on the closed socket meanwhile
                stop.set(true);
                viaLoop.join(TimeUnit.SECONDS.toMillis(WAIT));
                viaSocket.join(TimeUnit.SECONDS.toMillis(WAIT));
                assertFalse(viaLoop.isAlive() || viaSocket.isAlive() || opener.isAlive(), "round " + round + ": stuck");
                for (long n : fresh) {
                    if (n == number) {
                        reused++;
                    }
                    int v = rt.loop().getOption(io.veloq.api.IoFd.raw(n), java.net.StandardSocketOptions.SO_RCVBUF);
                    if (v != untouched) {
                        errors.add("round " + round + ": a call on the closed socket (fd " + number + ") set SO_RCVBUF "
                                + v + " on the new socket fd " + n);
                    }
                    rt.loop().call(new io.veloq.api.op.Close(io.veloq.api.IoFd.raw(n))).valueOrThrow();
                }
            }
        }
        assertTrue(errors.isEmpty(), errors.size() + " failures, the first: " + errors.subList(0, Math.min(5, errors.size())));
        assertTrue(reused > 0, "no new socket reused a closed socket's number in " + rounds + " rounds: the race was "
                + "never run");
    }

    private interface SocketCalls {
        void run() throws IOException;
    }

    /**
     * Calls {@code calls} until the socket reports itself closed (ClosedChannelException) or the round ends;
     * any other failure (EBADF: a closed number reached) is an error.
     */
    private static Thread caller(String name, CountDownLatch calling, java.util.concurrent.atomic.AtomicBoolean stop,
                                 List<String> errors, int round, SocketCalls calls) {
        Thread t = new Thread(() -> {
            calling.countDown();
            try {
                while (!stop.get()) {
                    calls.run();
                }
            } catch (ClosedChannelException expected) {
                // the socket is closed: the call never reached the driver
            } catch (Throwable e) {
                errors.add("round " + round + ": " + name + ": " + e);
            }
        }, name);
        t.start();
        return t;
    }
}
