package io.veloq.driver.uring;

import io.veloq.api.Completion;
import io.veloq.api.IoErrorKind;
import io.veloq.api.IoFd;
import io.veloq.api.Op;
import io.veloq.api.IoRuntime;
import io.veloq.api.buffer.FixedBuf;
import io.veloq.api.net.AddressFamily;
import io.veloq.api.net.ShutdownHow;
import io.veloq.api.net.SockAddrStorage;
import io.veloq.api.net.SocketType;
import io.veloq.api.op.Accept;
import io.veloq.api.op.Close;
import io.veloq.api.op.Connect;
import io.veloq.api.op.Recv;
import io.veloq.api.op.RecvFrom;
import io.veloq.api.op.Send;
import io.veloq.api.op.SendTo;
import io.veloq.api.op.Shutdown;
import io.veloq.api.op.Socket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardSocketOptions;
import java.net.UnixDomainSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/** Sockets end to end through {@code IoRuntime.builder().driver("uring")}: the host and the real kernel. */
class RuntimeNetworkTest {
    private IoRuntime rt;

    @BeforeEach
    void open() {
        rt = IoRuntime.builder().driver("uring").buffers(4096, 16).open();
    }

    @AfterEach
    void close() {
        rt.close();
    }

    private IoFd socket(AddressFamily f, SocketType t) throws IOException {
        return IoFd.raw(rt.loop().call(new Socket(f, t)).valueOrThrow());
    }

    private IoFd listener(AddressFamily f, SocketAddress at) throws IOException {
        IoFd l = socket(f, SocketType.STREAM);
        if (f != AddressFamily.UNIX) {
            rt.loop().setOption(l, StandardSocketOptions.SO_REUSEADDR, true);
        }
        rt.loop().bind(l, at);
        rt.loop().listen(l, 16);
        return l;
    }

    /** Connects a new client to {@code listener}; returns {client, server side}. */
    private IoFd[] connectedPair(AddressFamily f, IoFd listener) throws Exception {
        SocketAddress where = rt.loop().localAddress(listener);
        SockAddrStorage peer = SockAddrStorage.allocate();
        CompletableFuture<Completion<Accept>> accepted = rt.loop().submitAsync(new Accept(listener, peer));
        IoFd client = socket(f, SocketType.STREAM);
        assertEquals(0, rt.loop().call(new Connect(client, SockAddrStorage.of(where))).valueOrThrow());
        IoFd server = IoFd.raw(accepted.get(5, TimeUnit.SECONDS).valueOrThrow());
        if (f != AddressFamily.UNIX) {
            assertEquals(rt.loop().localAddress(client), peer.toSocketAddress(), "Accept wrote the peer address");
        }
        return new IoFd[] {client, server};
    }

    private FixedBuf buf(String s) {
        FixedBuf b = rt.loop().bufPool().lease();
        b.put(s.getBytes(StandardCharsets.UTF_8));
        return b;
    }

    private static String text(FixedBuf b) {
        return new String(b.getBytes(), StandardCharsets.UTF_8);
    }

    private void echo(AddressFamily f, SocketAddress at) throws Exception {
        IoFd l = listener(f, at);
        IoFd[] pair = connectedPair(f, l);
        FixedBuf out = buf("hello over " + f);
        assertEquals(out.readableBytes(), rt.loop().call(new Send(pair[0], out)).valueOrThrow());
        assertEquals(0, out.readableBytes(), "Send advanced the reader index");
        FixedBuf in = rt.loop().bufPool().lease();
        long n = rt.loop().call(new Recv(pair[1], in)).valueOrThrow();
        assertEquals(in.readableBytes(), n);
        // echo back what the server got
        assertEquals(n, rt.loop().call(new Send(pair[1], in)).valueOrThrow());
        FixedBuf back = rt.loop().bufPool().lease();
        rt.loop().call(new Recv(pair[0], back)).valueOrThrow();
        assertEquals("hello over " + f, text(back));
        out.release();
        in.release();
        back.release();
        for (IoFd fd : new IoFd[] {pair[0], pair[1], l}) {
            assertEquals(0, rt.loop().call(new Close(fd)).valueOrThrow());
        }
    }

    @Test
    void tcpEchoOverIpv4Loopback() throws Exception {
        echo(AddressFamily.INET, new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0));
    }

    @Test
    void tcpEchoOverIpv6Loopback() throws Exception {
        echo(AddressFamily.INET6, new InetSocketAddress(InetAddress.getByName("::1"), 0));
    }

    @Test
    void unixStreamEcho(@TempDir Path dir) throws Exception {
        echo(AddressFamily.UNIX, UnixDomainSocketAddress.of(dir.resolve("echo.sock")));
    }

    @Test
    void udpSendToAndRecvFromCarryTheAddresses() throws Exception {
        IoFd a = socket(AddressFamily.INET, SocketType.DATAGRAM);
        IoFd b = socket(AddressFamily.INET, SocketType.DATAGRAM);
        rt.loop().bind(a, new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0));
        rt.loop().bind(b, new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0));
        SockAddrStorage from = SockAddrStorage.allocate();
        FixedBuf in = rt.loop().bufPool().lease();
        CompletableFuture<Completion<RecvFrom>> got = rt.loop().submitAsync(new RecvFrom(b, in, from));
        FixedBuf out = buf("datagram");
        assertEquals(8, rt.loop().call(new SendTo(a, out, SockAddrStorage.of(rt.loop().localAddress(b)))).valueOrThrow());
        assertEquals(8, got.get(5, TimeUnit.SECONDS).valueOrThrow());
        assertEquals("datagram", text(in));
        assertEquals(rt.loop().localAddress(a), from.toSocketAddress(), "RecvFrom wrote the sender and its length");
        assertEquals(16, from.length());
        rt.loop().call(new Close(a));
        rt.loop().call(new Close(b));
        in.release();
        out.release();
    }

    @Test
    void connectToAClosedPortIsRefused() throws Exception {
        IoFd l = listener(AddressFamily.INET, new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0));
        SocketAddress dead = rt.loop().localAddress(l);
        rt.loop().call(new Close(l)).valueOrThrow();
        IoFd c = socket(AddressFamily.INET, SocketType.STREAM);
        Completion<Connect> r = rt.loop().call(new Connect(c, SockAddrStorage.of(dead)));
        assertFalse(r.isSuccess());
        assertEquals(IoErrorKind.CONNECTION_REFUSED, r.error().kind());
        assertEquals("ECONNREFUSED", r.error().codeName());
        assertThrows(java.net.ConnectException.class, r::valueOrThrow);
        rt.loop().call(new Close(c));
    }

    @Test
    void peerResetIsReportedOnRecv() throws Exception {
        IoFd l = listener(AddressFamily.INET, new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0));
        IoFd[] pair = connectedPair(AddressFamily.INET, l);
        // SO_LINGER 0 makes close send RST instead of FIN.
        rt.loop().setOption(pair[1], StandardSocketOptions.SO_LINGER, 0);
        assertEquals(0, rt.loop().getOption(pair[1], StandardSocketOptions.SO_LINGER));
        FixedBuf data = buf("unread");
        rt.loop().call(new Send(pair[0], data)).valueOrThrow();
        rt.loop().call(new Close(pair[1])).valueOrThrow();
        FixedBuf in = rt.loop().bufPool().lease();
        Completion<Recv> r = rt.loop().call(new Recv(pair[0], in));
        assertEquals(IoErrorKind.CONNECTION_RESET, r.error().kind(), String.valueOf(r.error()));
        assertEquals("ECONNRESET", r.error().codeName());
        assertEquals(0, in.readableBytes());
        rt.loop().call(new Close(pair[0]));
        rt.loop().call(new Close(l));
        data.release();
        in.release();
    }

    @Test
    void shutdownWriteGivesThePeerEndOfStream() throws Exception {
        IoFd l = listener(AddressFamily.INET, new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0));
        IoFd[] pair = connectedPair(AddressFamily.INET, l);
        assertEquals(0, rt.loop().call(new Shutdown(pair[0], ShutdownHow.WRITE)).valueOrThrow());
        FixedBuf in = rt.loop().bufPool().lease();
        assertEquals(0, rt.loop().call(new Recv(pair[1], in)).valueOrThrow(), "EOF");
        in.release();
        for (IoFd fd : new IoFd[] {pair[0], pair[1], l}) {
            rt.loop().call(new Close(fd));
        }
    }

    @Test
    void cancelledRecvGivesItsBufferBackAndTheSocketStaysUsable() throws Exception {
        IoFd l = listener(AddressFamily.INET, new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0));
        IoFd[] pair = connectedPair(AddressFamily.INET, l);
        FixedBuf in = rt.loop().bufPool().lease();
        Op<Recv> recv = Op.of(new Recv(pair[1], in));
        CompletableFuture<Completion<Recv>> f = rt.loop().submitAsync(recv);
        Thread.sleep(20);
        assertFalse(f.isDone(), "nothing was sent: the recv must be blocked");
        assertThrows(IllegalStateException.class, in::readableBytes, "the driver owns the buffer while in flight");
        assertTrue(rt.loop().cancel(recv));
        Completion<Recv> c = f.get(5, TimeUnit.SECONDS);
        assertEquals(IoErrorKind.CANCELLED, c.error().kind());
        assertEquals("ECANCELED", c.error().codeName());
        assertEquals(0, in.readableBytes(), "the buffer is back, empty");
        // the socket still works
        FixedBuf out = buf("after cancel");
        rt.loop().call(new Send(pair[0], out)).valueOrThrow();
        assertEquals(12, rt.loop().call(new Recv(pair[1], in)).valueOrThrow());
        assertEquals("after cancel", text(in));
        in.release();
        out.release();
        for (IoFd fd : new IoFd[] {pair[0], pair[1], l}) {
            rt.loop().call(new Close(fd));
        }
    }

    @Test
    void cancelledAcceptLeavesTheListenerUsable() throws Exception {
        IoFd l = listener(AddressFamily.INET, new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0));
        Op<Accept> accept = Op.of(new Accept(l, SockAddrStorage.allocate()));
        CompletableFuture<Completion<Accept>> f = rt.loop().submitAsync(accept);
        Thread.sleep(20);
        assertFalse(f.isDone());
        assertTrue(rt.loop().cancel(accept));
        assertEquals(IoErrorKind.CANCELLED, f.get(5, TimeUnit.SECONDS).error().kind());
        IoFd[] pair = connectedPair(AddressFamily.INET, l);
        for (IoFd fd : new IoFd[] {pair[0], pair[1], l}) {
            rt.loop().call(new Close(fd));
        }
    }

    @Test
    void recvWithADeadlineTimesOutThroughALinkedTimeout() throws Exception {
        assertTrue(rt.capabilities().contains(io.veloq.api.Capability.LINKED_TIMEOUTS));
        IoFd l = listener(AddressFamily.INET, new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0));
        IoFd[] pair = connectedPair(AddressFamily.INET, l);
        FixedBuf in = rt.loop().bufPool().lease();
        long t0 = System.nanoTime();
        Completion<Recv> c = rt.loop().call(Op.of(new Recv(pair[1], in)).deadline(Duration.ofMillis(50)));
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertEquals(IoErrorKind.TIMED_OUT, c.error().kind(), String.valueOf(c.error()));
        assertTrue(ms >= 45 && ms < 2000, "timed out after " + ms + " ms");
        // A deadline that is not reached changes nothing.
        FixedBuf out = buf("in time");
        rt.loop().call(new Send(pair[0], out)).valueOrThrow();
        assertEquals(7, rt.loop().call(Op.of(new Recv(pair[1], in)).deadline(Duration.ofSeconds(5))).valueOrThrow());
        in.release();
        out.release();
        for (IoFd fd : new IoFd[] {pair[0], pair[1], l}) {
            rt.loop().call(new Close(fd));
        }
    }

    @Test
    void opsOnABadDescriptorFailWithEbadf() throws Exception {
        FixedBuf in = rt.loop().bufPool().lease();
        Completion<Recv> c = rt.loop().call(new Recv(IoFd.raw(1_000_000), in));
        assertEquals(IoErrorKind.BAD_DESCRIPTOR, c.error().kind());
        assertEquals("EBADF", c.error().codeName());
        assertTrue(c.error().getMessage().contains("fd 1000000"), c.error().getMessage());
        IoFd s = socket(AddressFamily.INET, SocketType.STREAM);
        rt.loop().call(new Close(s)).valueOrThrow();
        assertEquals("EBADF", rt.loop().call(new Close(s)).error().codeName(), "closing twice");
        in.release();
    }

    @Test
    void socketOptionsRoundTrip() throws Exception {
        IoFd s = socket(AddressFamily.INET6, SocketType.STREAM);
        rt.loop().setOption(s, StandardSocketOptions.TCP_NODELAY, true);
        assertTrue(rt.loop().getOption(s, StandardSocketOptions.TCP_NODELAY));
        rt.loop().setOption(s, StandardSocketOptions.TCP_NODELAY, false);
        assertFalse(rt.loop().getOption(s, StandardSocketOptions.TCP_NODELAY));
        rt.loop().setOption(s, StandardSocketOptions.SO_RCVBUF, 65536);
        assertTrue(rt.loop().getOption(s, StandardSocketOptions.SO_RCVBUF) >= 65536);
        rt.loop().setOption(s, StandardSocketOptions.IP_TOS, 0x10);
        assertEquals(0x10, rt.loop().getOption(s, StandardSocketOptions.IP_TOS), "IPV6_TCLASS on an IPv6 socket");
        assertEquals(-1, rt.loop().getOption(s, StandardSocketOptions.SO_LINGER));
        java.net.SocketOption<Integer> madeUp = new java.net.SocketOption<>() {
            public String name() {
                return "SO_MADE_UP";
            }

            public Class<Integer> type() {
                return Integer.class;
            }
        };
        UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class,
                () -> rt.loop().getOption(s, madeUp));
        assertTrue(e.getMessage().contains("SO_MADE_UP") && e.getMessage().contains("Linux"), e.getMessage());
        rt.loop().call(new Close(s));
    }
}
