package io.veloq.testkit;

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
import io.veloq.api.op.Fsync;
import io.veloq.api.op.Nop;
import io.veloq.api.op.Open;
import io.veloq.api.op.Read;
import io.veloq.api.op.Recv;
import io.veloq.api.op.RecvFrom;
import io.veloq.api.op.Send;
import io.veloq.api.op.SendTo;
import io.veloq.api.op.Shutdown;
import io.veloq.api.op.Socket;
import io.veloq.api.op.Timeout;
import io.veloq.api.op.Write;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.EnumSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The fake driver through the public API, on its own loop thread (real clock), as other modules' tests use it. */
class FakeDriverTest {
    private IoRuntime rt;

    @BeforeEach
    void open() {
        rt = IoRuntime.builder().driver("fake").open();
    }

    @AfterEach
    void close() {
        rt.close();
    }

    private IoFd.Raw socket(AddressFamily f, SocketType t) {
        return IoFd.raw(rt.loop().call(new Socket(f, t)).value());
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    /** A listening TCP socket on 127.0.0.1 with an ephemeral port. */
    private IoFd.Raw listener() throws Exception {
        IoFd.Raw l = socket(AddressFamily.INET, SocketType.STREAM);
        rt.loop().bind(l, new InetSocketAddress("127.0.0.1", 0));
        rt.loop().listen(l, 16);
        return l;
    }

    private IoFd.Raw[] connectedPair() throws Exception {
        IoFd.Raw l = listener();
        SocketAddress where = rt.loop().localAddress(l);
        CompletableFuture<Completion<Accept>> accepted = rt.loop().submitAsync(new Accept(l, SockAddrStorage.allocate()));
        IoFd.Raw c = socket(AddressFamily.INET, SocketType.STREAM);
        rt.loop().call(new Connect(c, SockAddrStorage.of(where))).valueOrThrow();
        IoFd.Raw s = IoFd.raw(accepted.get(5, TimeUnit.SECONDS).valueOrThrow());
        return new IoFd.Raw[] {c, s, l};
    }

    @Test
    void nopAndTimeoutComplete() {
        assertEquals(0, rt.loop().call(new Nop()).value());
        long t0 = System.nanoTime();
        Completion<Timeout> t = rt.loop().call(Timeout.of(Duration.ofMillis(20)));
        assertTrue(t.isSuccess(), () -> "timeout failed: " + t.error());
        assertTrue(System.nanoTime() - t0 >= TimeUnit.MILLISECONDS.toNanos(19), "timeout fired early");
    }

    @Test
    void descriptorsStartAtThreeAndReuseTheLowest() {
        IoFd.Raw a = socket(AddressFamily.INET, SocketType.STREAM);
        IoFd.Raw b = socket(AddressFamily.INET, SocketType.STREAM);
        assertEquals(3, a.handle());
        assertEquals(4, b.handle());
        assertTrue(rt.loop().call(new Close(a)).isSuccess());
        assertEquals(3, socket(AddressFamily.INET6, SocketType.DATAGRAM).handle());
    }

    @Test
    void tcpRoundTripAndEofAfterPeerClose() throws Exception {
        IoFd.Raw[] p = connectedPair();
        FixedBuf out = rt.loop().bufPool().lease();
        FixedBuf in = rt.loop().bufPool().lease();
        out.put(ascii("hello"));
        assertEquals(5, rt.loop().call(new Send(p[0], out)).valueOrThrow());
        assertEquals(5, rt.loop().call(new Recv(p[1], in)).valueOrThrow());
        assertEquals("hello", new String(in.getBytes(), StandardCharsets.US_ASCII));
        assertEquals(rt.loop().localAddress(p[0]), rt.loop().remoteAddress(p[1]));
        rt.loop().call(new Close(p[0])).valueOrThrow();
        in.clear();
        assertEquals(0, rt.loop().call(new Recv(p[1], in)).valueOrThrow(), "recv after peer close is EOF");
        out.release();
        in.release();
    }

    @Test
    void connectToClosedPortIsRefused() throws Exception {
        IoFd.Raw l = listener();
        SocketAddress where = rt.loop().localAddress(l);
        rt.loop().call(new Close(l)).valueOrThrow();
        IoFd.Raw c = socket(AddressFamily.INET, SocketType.STREAM);
        Completion<Connect> r = rt.loop().call(new Connect(c, SockAddrStorage.of(where)));
        assertEquals(IoErrorKind.CONNECTION_REFUSED, r.error().kind());
        assertEquals("ECONNREFUSED", r.error().codeName());
    }

    @Test
    void closedDescriptorIsEbadf() {
        IoFd.Raw s = socket(AddressFamily.INET, SocketType.STREAM);
        rt.loop().call(new Close(s));
        FixedBuf b = rt.loop().bufPool().lease();
        Completion<Recv> r = rt.loop().call(new Recv(s, b));
        assertEquals(IoErrorKind.BAD_DESCRIPTOR, r.error().kind());
        assertEquals("EBADF", r.error().codeName());
        assertEquals(0, b.readableBytes(), "the buffer is usable again");
        b.release();
    }

    @Test
    void sendAfterShutdownWriteIsEpipeAndPeerSeesEof() throws Exception {
        IoFd.Raw[] p = connectedPair();
        rt.loop().call(new Shutdown(p[0], ShutdownHow.WRITE)).valueOrThrow();
        FixedBuf b = rt.loop().bufPool().lease().put(ascii("x"));
        Completion<Send> s = rt.loop().call(new Send(p[0], b));
        assertEquals("EPIPE", s.error().codeName());
        assertEquals(IoErrorKind.BROKEN_PIPE, s.error().kind());
        b.clear();
        assertEquals(0, rt.loop().call(new Recv(p[1], b)).valueOrThrow());
        b.release();
    }

    @Test
    void closeWithUnreadDataResetsThePeer() throws Exception {
        IoFd.Raw[] p = connectedPair();
        FixedBuf b = rt.loop().bufPool().lease().put(ascii("unread"));
        rt.loop().call(new Send(p[0], b)).valueOrThrow();
        rt.loop().call(new Close(p[1])).valueOrThrow();
        b.clear();
        Completion<Recv> r = rt.loop().call(new Recv(p[0], b));
        assertEquals("ECONNRESET", r.error().codeName());
        b.clear();
        assertEquals(0, rt.loop().call(new Recv(p[0], b)).valueOrThrow(), "after the reset is reported, EOF");
        b.release();
    }

    @Test
    void cancelPendingRecvGivesBufferBack() throws Exception {
        IoFd.Raw[] p = connectedPair();
        FixedBuf b = rt.loop().bufPool().lease();
        Op<Recv> op = Op.of(new Recv(p[1], b));
        CompletableFuture<Completion<Recv>> f = rt.loop().submitAsync(op);
        Thread.sleep(20);
        assertFalse(f.isDone());
        assertTrue(rt.loop().cancel(op));
        Completion<Recv> c = f.get(5, TimeUnit.SECONDS);
        assertEquals(IoErrorKind.CANCELLED, c.error().kind());
        assertNull(b.owner());
        b.release();
    }

    @Test
    void udpSendToRecvFromOnIpv6() throws Exception {
        IoFd.Raw a = socket(AddressFamily.INET6, SocketType.DATAGRAM);
        IoFd.Raw b = socket(AddressFamily.INET6, SocketType.DATAGRAM);
        rt.loop().bind(b, new InetSocketAddress("::1", 9000));
        FixedBuf out = rt.loop().bufPool().lease().put(ascii("datagram"));
        FixedBuf in = rt.loop().bufPool().lease();
        SockAddrStorage from = SockAddrStorage.allocate();
        CompletableFuture<Completion<RecvFrom>> r = rt.loop().submitAsync(new RecvFrom(b, in, from));
        assertEquals(8, rt.loop().call(new SendTo(a, out, SockAddrStorage.of(new InetSocketAddress("::1", 9000)))).valueOrThrow());
        assertEquals(8, r.get(5, TimeUnit.SECONDS).valueOrThrow());
        assertEquals("datagram", new String(in.getBytes(), StandardCharsets.US_ASCII));
        assertEquals(rt.loop().localAddress(a), from.toSocketAddress());
        out.release();
        in.release();
    }

    @Test
    void unixStreamSockets() throws Exception {
        IoFd.Raw l = socket(AddressFamily.UNIX, SocketType.STREAM);
        rt.loop().bind(l, UnixDomainSocketAddress.of("/tmp/veloq-fake.sock"));
        rt.loop().listen(l, 4);
        CompletableFuture<Completion<Accept>> acc = rt.loop().submitAsync(new Accept(l, SockAddrStorage.allocate()));
        IoFd.Raw c = socket(AddressFamily.UNIX, SocketType.STREAM);
        rt.loop().call(new Connect(c, SockAddrStorage.of(UnixDomainSocketAddress.of("/tmp/veloq-fake.sock")))).valueOrThrow();
        IoFd.Raw s = IoFd.raw(acc.get(5, TimeUnit.SECONDS).valueOrThrow());
        FixedBuf b = rt.loop().bufPool().lease().put(ascii("unix"));
        rt.loop().call(new Send(s, b)).valueOrThrow();
        b.clear();
        assertEquals(4, rt.loop().call(new Recv(c, b)).valueOrThrow());
        IoFd.Raw other = socket(AddressFamily.UNIX, SocketType.STREAM);
        Completion<Connect> missing = rt.loop().call(new Connect(other, SockAddrStorage.of(UnixDomainSocketAddress.of("/tmp/none.sock"))));
        assertEquals("ENOENT", missing.error().codeName());
        b.release();
    }

    @Test
    void fileWriteReadFsync() throws Exception {
        Path path = Path.of("/sim/data/file.bin");
        long fd = rt.loop().call(new Open(path, EnumSet.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.READ), 0644)).valueOrThrow();
        FixedBuf b = rt.loop().bufPool().lease().put(ascii("file content"));
        assertEquals(12, rt.loop().call(new Write(IoFd.raw(fd), b, 0)).valueOrThrow());
        assertEquals(0, rt.loop().call(new Fsync(IoFd.raw(fd), false)).valueOrThrow());
        b.clear();
        assertEquals(7, rt.loop().call(new Read(IoFd.raw(fd), b, 5)).valueOrThrow());
        assertEquals("content", new String(b.getBytes(), StandardCharsets.US_ASCII));
        rt.loop().call(new Close(IoFd.raw(fd))).valueOrThrow();
        Completion<Open> missing = rt.loop().call(Open.read(Path.of("/sim/nothing")));
        assertEquals("ENOENT", missing.error().codeName());
        b.release();
    }

    @Test
    void manualRuntimeIsDrivenByTheCaller() {
        try (IoRuntime manual = IoRuntime.builder().driver("fake").manual().open()) {
            assertEquals(0, manual.loop().call(new Nop()).value());
            CompletableFuture<Completion<Timeout>> t = manual.loop().submitAsync(Timeout.of(Duration.ofMillis(5)));
            while (!t.isDone()) {
                manual.loop().runOnce(Duration.ofMillis(50));
            }
            assertTrue(t.join().isSuccess());
        }
    }
}
