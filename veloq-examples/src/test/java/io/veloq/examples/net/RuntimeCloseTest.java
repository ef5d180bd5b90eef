package io.veloq.examples.net;

import io.veloq.api.IoRuntime;
import io.veloq.api.Op;
import io.veloq.api.buffer.BufPool;
import io.veloq.api.buffer.FixedBuf;
import io.veloq.api.net.TcpListener;
import io.veloq.api.net.TcpStream;
import io.veloq.api.op.Recv;
import io.veloq.api.op.Send;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Closing the runtime while reusable ops resubmit themselves from their completers, as the {@code DataSocket}
 * Javadoc recommends (#10, defect 2): every op ends through its completer, nothing throws, and every
 * buffer comes back; many times over.
 */
class RuntimeCloseTest {
    static final int CONNECTIONS = 8;
    static final int ROUNDS = 25;

    @ParameterizedTest
    @MethodSource("io.veloq.examples.net.TestDrivers#all")
    void closingTheRuntimeWhileCompletersResubmitGivesEveryBufferBackWithoutAnException(String driver)
            throws Exception {
        for (int round = 0; round < ROUNDS; round++) {
            closeWhileDataFlows(IoRuntime.builder().driver(driver).buffers(4096, 64), round);
        }
    }

    /**
     * {@link #CONNECTIONS} connections, each with a reusable sendAll op on the client and a reusable recv
     * op on the server, both resubmitting on success; the runtime closes while they run.
     */
    static void closeWhileDataFlows(IoRuntime.Builder builder, int round) throws Exception {
        List<Throwable> thrown = new CopyOnWriteArrayList<>();
        AtomicInteger ended = new AtomicInteger();
        AtomicInteger received = new AtomicInteger();
        BufPool pool;
        IoRuntime rt = builder.exceptionHandler((loop, source, error) -> thrown.add(error)).open();
        try (TcpListener l = TcpListener.bind(rt.loop(), new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            pool = rt.loop().bufPool();
            List<Op<?>> ops = new ArrayList<>();
            for (int i = 0; i < CONNECTIONS; i++) {
                CompletableFuture<TcpStream> accepted = l.acceptAsync();
                TcpStream client = TcpStream.connect(rt.loop(), new InetSocketAddress(InetAddress.getLoopbackAddress(), l.port()));
                TcpStream server = accepted.get(10, TimeUnit.SECONDS);
                FixedBuf out = pool.lease().put(new byte[1024]);
                Op<Send> send = client.sendAllOp(out, op -> {
                    if (!op.isSuccess()) {
                        op.payload().buffer().release();
                        closeQuietly(client);
                        ended.incrementAndGet();
                        return;
                    }
                    op.payload().buf().clear().put(new byte[1024]);
                    rt.loop().resubmit(op);
                });
                FixedBuf in = pool.lease();
                Op<Recv> recv = server.recvOp(in, op -> {
                    if (!op.isSuccess() || op.result() == 0) {
                        op.payload().buffer().release();
                        closeQuietly(server);
                        ended.incrementAndGet();
                        return;
                    }
                    received.addAndGet((int) op.result());
                    op.payload().buf().clear();
                    rt.loop().resubmit(op);
                });
                ops.add(send);
                ops.add(recv);
            }
            ops.forEach(rt.loop()::submit);
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (received.get() < 64 * 1024 && System.nanoTime() - until < 0) {
                Thread.sleep(1);
            }
            assertTrue(received.get() > 0, "round " + round + ": no data flowed");
        } finally {
            rt.close(); // while the data flows (the listener's close above is one op among them)
        }
        assertEquals(List.of(), thrown, "round " + round + ": exceptions in completers during close");
        assertEquals(2 * CONNECTIONS, ended.get(), "round " + round + ": ops that did not end through their completer");
        assertEquals(0, pool.outstanding(), "round " + round + ": buffers still leased after close");
    }

    /**
     * The net layer owns its sockets' descriptors: closing the runtime closes every net socket the app left
     * open (a listener, both ends of a connection, one with a receive in flight, a UDP socket, a Unix
     * listener), as a Netty group's shutdown closes its channels. Checked on the kernel's own table: the
     * descriptor each socket had is gone, or now names another file (another inode). A socket the app made
     * itself with a {@code Socket} op is the app's and stays open.
     */
    @Test
    void closingTheRuntimeClosesEveryDescriptorOfTheNetSocketsTheAppLeftOpen() throws Exception {
        TestDrivers.assumeKernel("it reads the descriptors back from /proc/self/fd");
        java.nio.file.Path unixPath = java.nio.file.Files.createTempDirectory("veloq-host2").resolve("l.sock");
        IoRuntime rt = TestDrivers.open("uring");
        java.util.Map<Long, String> targets = new java.util.LinkedHashMap<>();
        long appSocket;
        FixedBuf receiving;
        CompletableFuture<Op<Recv>> recvEnded = new CompletableFuture<>();
        try {
            TcpListener l = TcpListener.bind(rt.loop(), new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            CompletableFuture<TcpStream> accepted = l.acceptAsync();
            TcpStream client = TcpStream.connect(rt.loop(), new InetSocketAddress(InetAddress.getLoopbackAddress(), l.port()));
            TcpStream server = accepted.get(10, TimeUnit.SECONDS);
            receiving = rt.loop().bufPool().lease();
            rt.loop().submit(server.recvOp(receiving, recvEnded::complete)); // in flight at close
            io.veloq.api.net.UdpSocket udp = io.veloq.api.net.UdpSocket.bind(rt.loop(),
                    new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            io.veloq.api.net.UnixListener unix = io.veloq.api.net.UnixListener.bind(rt.loop(),
                    java.net.UnixDomainSocketAddress.of(unixPath));
            for (io.veloq.api.net.NetSocket s : List.of(l, client, server, udp, unix)) {
                long n = ((io.veloq.api.IoFd.Raw) s.fd()).handle();
                targets.put(n, fdTarget(n));
            }
            appSocket = rt.loop().call(new io.veloq.api.op.Socket(io.veloq.api.net.AddressFamily.INET,
                    io.veloq.api.net.SocketType.STREAM)).valueOrThrow();
        } finally {
            rt.close(); // none of the net sockets was closed by the app
        }
        assertTrue(recvEnded.isDone(), "the receive in flight ended through its completer");
        receiving.release();
        for (java.util.Map.Entry<Long, String> e : targets.entrySet()) {
            String now = fdTarget(e.getKey());
            assertTrue(now == null || !now.equals(e.getValue()), "fd " + e.getKey() + " (" + e.getValue()
                    + ") of a net socket is still open after the runtime closed");
        }
        String app = fdTarget(appSocket);
        assertTrue(app != null && app.startsWith("socket:["), "the app's own socket (fd " + appSocket
                + ") was closed by the runtime: " + app);
        try (IoRuntime other = TestDrivers.open("uring")) {
            other.loop().call(new io.veloq.api.op.Close(io.veloq.api.IoFd.raw(appSocket))).valueOrThrow();
        }
        java.nio.file.Files.deleteIfExists(unixPath);
        java.nio.file.Files.deleteIfExists(unixPath.getParent());
    }

    /** What {@code /proc/self/fd/n} links to ({@code socket:[inode]}), or null when the descriptor is closed. */
    private static String fdTarget(long n) throws IOException {
        try {
            return java.nio.file.Files.readSymbolicLink(java.nio.file.Path.of("/proc/self/fd/" + n)).toString();
        } catch (java.nio.file.NoSuchFileException closed) {
            return null;
        }
    }

    /**
     * A socket left open when its runtime closed was closed by the runtime, so closing it afterwards (in any
     * shape, from another thread) is quiet: no exception, and nothing reaches a descriptor number that may
     * be someone else's by now.
     */
    @ParameterizedTest
    @MethodSource("io.veloq.examples.net.TestDrivers#all")
    void closingANetSocketAfterItsRuntimeClosedIsQuiet(String driver) throws Exception {
        IoRuntime rt = TestDrivers.open(driver);
        TcpListener l;
        io.veloq.api.net.UdpSocket a;
        io.veloq.api.net.UdpSocket b;
        try {
            l = TcpListener.bind(rt.loop(), new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            a = io.veloq.api.net.UdpSocket.bind(rt.loop(), new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            b = io.veloq.api.net.UdpSocket.bind(rt.loop(), new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        } finally {
            rt.close();
        }
        assertFalse(l.isOpen(), "the runtime closed it");
        assertThrows(java.nio.channels.ClosedChannelException.class, l::localAddress, "a call on a socket the runtime closed");
        l.close();
        assertTrue(a.closeAsync().get(10, TimeUnit.SECONDS).isSuccess());
        CompletableFuture<Throwable> closed = new CompletableFuture<>();
        b.close((v, error) -> closed.complete(error));
        assertEquals(null, closed.get(10, TimeUnit.SECONDS));
    }

    private static void closeQuietly(TcpStream s) {
        try {
            s.close(); // on the loop thread: does not wait
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
