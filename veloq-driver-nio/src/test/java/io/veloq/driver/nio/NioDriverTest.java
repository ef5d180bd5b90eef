package io.veloq.driver.nio;

import io.veloq.api.Completion;
import io.veloq.api.EventLoop;
import io.veloq.api.IoErrorKind;
import io.veloq.api.IoFd;
import io.veloq.api.IoRuntime;
import io.veloq.api.VeloqIoException;
import io.veloq.api.buffer.FixedBuf;
import io.veloq.api.net.AddressFamily;
import io.veloq.api.net.SockAddrStorage;
import io.veloq.api.net.SocketType;
import io.veloq.api.net.VeloqSocketOptions;
import io.veloq.api.op.Accept;
import io.veloq.api.op.Close;
import io.veloq.api.op.Connect;
import io.veloq.api.op.Open;
import io.veloq.api.op.Read;
import io.veloq.api.op.Recv;
import io.veloq.api.op.Send;
import io.veloq.api.op.Socket;
import io.veloq.api.op.Write;
import io.veloq.testkit.DriverRuntimes;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.StandardSocketOptions;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.EnumSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What the conformance kit does not cover, against real loopback sockets and files: handles shared by the
 * loops of a runtime, a close on one loop cancelling what waits on another, stale handles, the deferred
 * bind, what the driver refuses and how it says so, socket options, files.
 */
class NioDriverTest {
    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();
    private static final long WAIT = 10;

    private static IoRuntime open(int loops) {
        return DriverRuntimes.open(new NioProvider(), IoRuntime.builder().threads(loops).buffers(4096, 32));
    }

    private static <T> T get(CompletableFuture<T> f) throws Exception {
        return f.get(WAIT, TimeUnit.SECONDS);
    }

    private static IoFd socket(EventLoop loop, AddressFamily f, SocketType t) throws IOException {
        return IoFd.raw(loop.call(new Socket(f, t)).valueOrThrow());
    }

    /** A connected pair made on {@code loop}: [listener, client, server]. */
    private static IoFd[] pair(EventLoop loop) throws Exception {
        IoFd l = socket(loop, AddressFamily.INET, SocketType.STREAM);
        loop.bind(l, new InetSocketAddress(LOOPBACK, 0));
        loop.listen(l, 16);
        InetSocketAddress at = (InetSocketAddress) loop.localAddress(l);
        CompletableFuture<Completion<Accept>> a = loop.submitAsync(new Accept(l, SockAddrStorage.allocate()));
        IoFd c = socket(loop, AddressFamily.INET, SocketType.STREAM);
        loop.call(new Connect(c, SockAddrStorage.of(at))).valueOrThrow();
        IoFd s = IoFd.raw(get(a).valueOrThrow());
        return new IoFd[] {l, c, s};
    }

    private static void expect(IoErrorKind kind, Completion<?> c, String what) {
        assertFalse(c.isSuccess(), what + " succeeded with " + (c.isSuccess() ? c.value() : 0));
        assertEquals(kind, c.error().kind(), what + ": " + c.error());
    }

    @Test
    void aHandleWorksOnEveryLoopAndACloseOnOneCancelsWhatWaitsOnAnother() throws Exception {
        try (IoRuntime rt = open(2)) {
            EventLoop a = rt.loops().get(0);
            EventLoop b = rt.loops().get(1);
            IoFd[] p = pair(a);
            FixedBuf out = b.bufPool().lease().put("via loop 1".getBytes(StandardCharsets.US_ASCII));
            assertEquals(10, b.call(new Send(p[1], out)).valueOrThrow(), "a handle made on loop 0 sends on loop 1");
            FixedBuf in = a.bufPool().lease();
            assertEquals(10, a.call(new Recv(p[2], in)).valueOrThrow());
            assertEquals("via loop 1", new String(in.getBytes(), StandardCharsets.US_ASCII));

            FixedBuf pending = b.bufPool().lease();
            CompletableFuture<Completion<Recv>> recv = b.submitAsync(new Recv(p[2], pending));
            Thread.sleep(100); // parked on loop 1's selector
            assertFalse(recv.isDone(), "nothing was sent: the Recv waits");
            a.call(new Close(p[2])).valueOrThrow();
            expect(IoErrorKind.CANCELLED, get(recv), "a Recv on loop 1 whose socket loop 0 closed");
            assertEquals(null, pending.owner(), "the buffer is back");
            expect(IoErrorKind.BAD_DESCRIPTOR, b.call(new Recv(p[2], pending)), "a Recv on the closed handle");
            for (FixedBuf f : new FixedBuf[] {out, in, pending}) {
                f.release();
            }
            a.call(new Close(p[0]));
            a.call(new Close(p[1]));
        }
    }

    @Test
    void aStaleHandleNeverReachesTheSocketThatTookItsSlot() throws Exception {
        try (IoRuntime rt = open(1)) {
            IoFd first = socket(rt.loop(), AddressFamily.INET, SocketType.STREAM);
            rt.loop().call(new Close(first)).valueOrThrow();
            IoFd second = socket(rt.loop(), AddressFamily.INET, SocketType.STREAM);
            assertNotEquals(first, second, "a freed slot comes back under a new number");
            expect(IoErrorKind.BAD_DESCRIPTOR, rt.loop().call(new Close(first)), "a close of the stale number");
            rt.loop().call(new Close(second)).valueOrThrow();
            expect(IoErrorKind.BAD_DESCRIPTOR, rt.loop().call(new Recv(IoFd.raw(Integer.MAX_VALUE - 1), rt.loop().bufPool().lease())),
                    "a number never issued");
        }
    }

    @Test
    void bindIsPerformedByListenSoThePortIsNeverBoundWithoutListening() throws Exception {
        try (IoRuntime rt = open(1); ServerSocket taken = new ServerSocket(0, 1, LOOPBACK)) {
            InetSocketAddress busy = new InetSocketAddress(LOOPBACK, taken.getLocalPort());
            IoFd fd = socket(rt.loop(), AddressFamily.INET, SocketType.STREAM);
            rt.loop().bind(fd, busy); // only recorded
            assertEquals(busy, rt.loop().localAddress(fd), "until listen, the address as requested");
            VeloqIoException e = assertThrows(VeloqIoException.class, () -> rt.loop().listen(fd, 8));
            assertEquals(IoErrorKind.ADDRESS_IN_USE, e.kind(), e.getMessage());
            assertEquals("EADDRINUSE", e.codeName());
            assertTrue(e.getMessage().contains("listen(fd " + ((IoFd.Raw) fd).handle()), e.getMessage());
            rt.loop().call(new Close(fd)).valueOrThrow();

            // A client bound first binds at connect.
            IoFd l = socket(rt.loop(), AddressFamily.INET, SocketType.STREAM);
            rt.loop().bind(l, new InetSocketAddress(LOOPBACK, 0));
            rt.loop().listen(l, 8);
            IoFd c = socket(rt.loop(), AddressFamily.INET, SocketType.STREAM);
            rt.loop().bind(c, busy);
            Completion<Connect> refused = rt.loop().call(new Connect(c, SockAddrStorage.of(rt.loop().localAddress(l))));
            expect(IoErrorKind.ADDRESS_IN_USE, refused, "a connect whose deferred bind finds the port taken");
            rt.loop().call(new Close(c));
            rt.loop().call(new Close(l));
        }
    }

    @Test
    void whatJavaNioCannotDoIsRefusedSayingWhat() throws Exception {
        try (IoRuntime rt = open(1)) {
            IoFd[] p = pair(rt.loops().get(0));
            FixedBuf b = rt.loop().bufPool().lease();
            // The runtime refuses what the driver's capabilities exclude, naming the capability...
            Completion<Recv> peek = rt.loop().call(new Recv(p[2], b, 0x2));
            expect(IoErrorKind.NOT_SUPPORTED, peek, "Recv with MSG_PEEK");
            assertTrue(peek.error().getMessage().contains("MESSAGE_FLAGS"), peek.error().getMessage());
            assertEquals(null, b.owner(), "a refused op gives its buffer back");
            b.put(new byte[] {1});
            assertEquals(1, rt.loop().call(new Send(p[1], b, 0x4000)).valueOrThrow(), "MSG_NOSIGNAL is what java.nio does anyway");
            Completion<Socket> unixDgram = rt.loop().call(new Socket(AddressFamily.UNIX, SocketType.DATAGRAM));
            expect(IoErrorKind.NOT_SUPPORTED, unixDgram, "a Unix datagram socket");
            assertTrue(unixDgram.error().getMessage().contains("UNIX_DATAGRAM_SOCKETS"), unixDgram.error().getMessage());
            // ...and the driver refuses them too, with its reason, should one reach it (a host without the gate).
            java.util.Set<io.veloq.api.Capability> caps = NioProvider.CAPABILITIES;
            Recv peekOp = new Recv(p[2], b, 0x2);
            assertEquals(-io.veloq.spi.LinuxErrno.EOPNOTSUPP.code(), Refusals.check(peekOp, caps));
            String why = Refusals.explain(peekOp, Refusals.check(peekOp, caps), caps);
            assertTrue(why.contains("0x2") && why.contains("MSG_NOSIGNAL"), why);
            Socket dgram = new Socket(AddressFamily.UNIX, SocketType.DATAGRAM);
            assertEquals(-io.veloq.spi.LinuxErrno.EPROTONOSUPPORT.code(), Refusals.check(dgram, caps));
            assertTrue(Refusals.explain(dgram, 0, caps).contains("Unix-domain datagram"));
            assertEquals(0, Refusals.check(new Send(p[1], b, 0x4000), caps), "MSG_NOSIGNAL alone passes");
            // Multishot ops (many completions, with MORE): refused by the runtime for the missing capability,
            // and by the driver should one reach it; a zero-copy send is a copying send with one completion.
            java.util.List<Long> items = new java.util.concurrent.CopyOnWriteArrayList<>();
            CompletableFuture<Throwable> end = new CompletableFuture<>();
            io.veloq.api.Op<io.veloq.api.op.AcceptMultishot> many = io.veloq.api.Op.of(
                    new io.veloq.api.op.AcceptMultishot(p[0]), io.veloq.api.StreamCompleter.of(
                            (op, v, buf) -> items.add(v), op -> end.complete(op.error())));
            rt.loops().get(0).submit(many);
            Throwable refusedMany = end.get(10, java.util.concurrent.TimeUnit.SECONDS);
            assertTrue(refusedMany instanceof VeloqIoException v && v.kind() == IoErrorKind.NOT_SUPPORTED
                    && v.getMessage().contains("MULTISHOT"), String.valueOf(refusedMany));
            assertTrue(items.isEmpty(), "no item before the refusal");
            io.veloq.api.op.AcceptMultishot acceptMany = new io.veloq.api.op.AcceptMultishot(p[0]);
            assertEquals(-io.veloq.spi.LinuxErrno.EOPNOTSUPP.code(), Refusals.check(acceptMany, caps));
            assertTrue(Refusals.explain(acceptMany, 0, caps).contains("MULTISHOT"));
            b.clear().put(new byte[] {2, 3});
            assertEquals(2, rt.loop().call(Send.zeroCopy(p[1], b)).valueOrThrow(), "zero-copy falls back to a copying send");
            assertEquals(null, b.owner(), "its buffer is back with its one completion");
            b.release();
            for (IoFd fd : p) {
                rt.loop().call(new Close(fd));
            }
        }
    }

    @Test
    void optionsGoThroughJavaNioAndAListenerPassesItsOwnToAcceptedSockets() throws Exception {
        try (IoRuntime rt = open(1)) {
            EventLoop loop = rt.loops().get(0);
            IoFd l = socket(loop, AddressFamily.INET6, SocketType.STREAM);
            loop.setOption(l, StandardSocketOptions.TCP_NODELAY, true); // java.nio's server channel has no such key
            loop.setOption(l, VeloqSocketOptions.TCP_KEEPIDLE, 33);
            loop.setOption(l, VeloqSocketOptions.IPV6_V6ONLY, false);
            loop.bind(l, new InetSocketAddress(InetAddress.getByName("::"), 0));
            loop.listen(l, 8);
            assertEquals(true, loop.getOption(l, StandardSocketOptions.TCP_NODELAY));
            assertEquals(false, loop.getOption(l, VeloqSocketOptions.IPV6_V6ONLY), "java.nio's sockets are dual-stack");
            int port = ((InetSocketAddress) loop.localAddress(l)).getPort();
            CompletableFuture<Completion<Accept>> a = loop.submitAsync(new Accept(l, SockAddrStorage.allocate()));
            try (SocketChannel client = SocketChannel.open(new InetSocketAddress(LOOPBACK, port))) {
                IoFd s = IoFd.raw(get(a).valueOrThrow());
                assertEquals(true, loop.getOption(s, StandardSocketOptions.TCP_NODELAY), "inherited from the listener");
                assertEquals(33, loop.getOption(s, VeloqSocketOptions.TCP_KEEPIDLE), "inherited from the listener");
                loop.setOption(s, StandardSocketOptions.SO_RCVBUF, 65536);
                client.setOption(StandardSocketOptions.SO_RCVBUF, 65536);
                assertEquals(client.getOption(StandardSocketOptions.SO_RCVBUF), loop.getOption(s, StandardSocketOptions.SO_RCVBUF),
                        "values as java.nio reports them for the same setting");
                UnsupportedOperationException cork = assertThrows(UnsupportedOperationException.class,
                        () -> loop.setOption(s, VeloqSocketOptions.TCP_CORK, true));
                assertTrue(cork.getMessage().contains("TCP_CORK") && cork.getMessage().contains("nio"), cork.getMessage());
                UnsupportedOperationException v6only = assertThrows(UnsupportedOperationException.class,
                        () -> loop.setOption(s, VeloqSocketOptions.IPV6_V6ONLY, true));
                assertTrue(v6only.getMessage().contains("dual-stack"), v6only.getMessage());
                loop.call(new Close(s));
            }
            IoFd udp = socket(loop, AddressFamily.INET, SocketType.DATAGRAM);
            VeloqIoException e = assertThrows(VeloqIoException.class,
                    () -> loop.setOption(udp, StandardSocketOptions.TCP_NODELAY, true));
            assertEquals("ENOPROTOOPT", e.codeName(), "as Linux answers a TCP option on a UDP socket");
            loop.call(new Close(udp));
            loop.call(new Close(l));
        }
    }

    @Test
    void filesAreReadAndWrittenAtOffsetsOffTheLoop(@TempDir Path dir) throws Exception {
        try (IoRuntime rt = open(1)) {
            Path f = dir.resolve("data");
            expect(IoErrorKind.NOT_FOUND, rt.loop().call(Open.read(f)), "Open of a missing file");
            IoFd fd = IoFd.raw(rt.loop().call(new Open(f, EnumSet.of(StandardOpenOption.CREATE, StandardOpenOption.READ,
                    StandardOpenOption.WRITE), 0600)).valueOrThrow());
            FixedBuf w = rt.loop().bufPool().lease().put("0123456789".getBytes(StandardCharsets.US_ASCII));
            assertEquals(10, rt.loop().call(new Write(fd, w, 100)).valueOrThrow());
            assertEquals(110, Files.size(f));
            FixedBuf r = rt.loop().bufPool().lease();
            r.writerIndex(r.capacity() - 4).readerIndex(r.capacity() - 4); // room for 4 bytes only
            assertEquals(4, rt.loop().call(new Read(fd, r, 103)).valueOrThrow());
            assertEquals("3456", new String(r.getBytes(), StandardCharsets.US_ASCII));
            Completion<Accept> notSocket = rt.loop().call(new Accept(fd, SockAddrStorage.allocate()));
            expect(IoErrorKind.INVALID_ARGUMENT, notSocket, "Accept on a file");
            assertEquals("ENOTSOCK", notSocket.error().codeName());
            rt.loop().call(new Close(fd)).valueOrThrow();
            expect(IoErrorKind.BAD_DESCRIPTOR, rt.loop().call(new Close(fd)), "a second close");
            w.release();
            r.release();
        }
    }

    @Test
    void deadlinesRunInTheDriverAndTimeOutWhatWaitsOnly() throws Exception {
        try (IoRuntime rt = open(1)) {
            assertTrue(rt.capabilities().contains(io.veloq.api.Capability.LINKED_TIMEOUTS));
            IoFd[] p = pair(rt.loops().get(0));
            FixedBuf b = rt.loop().bufPool().lease();
            long t0 = System.nanoTime();
            Completion<Recv> waited = rt.loop().call(io.veloq.api.Op.of(new Recv(p[2], b)).deadline(Duration.ofMillis(50)));
            long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            expect(IoErrorKind.TIMED_OUT, waited, "a Recv with nothing to receive and a 50 ms deadline");
            assertTrue(ms >= 50, "timed out after " + ms + " ms");
            assertEquals(null, b.owner(), "the buffer is back");
            // One that completes first is not touched by its deadline, and leaves no timer behind.
            b.put(new byte[] {7});
            assertEquals(1, rt.loop().call(io.veloq.api.Op.of(new Send(p[1], b)).deadline(Duration.ofMillis(50))).valueOrThrow());
            b.clear();
            assertEquals(1, rt.loop().call(io.veloq.api.Op.of(new Recv(p[2], b)).deadline(Duration.ofSeconds(5))).valueOrThrow());
            // A Timeout whose own time ends first completes with 0; one whose deadline ends first times out.
            assertEquals(0, rt.loop().call(io.veloq.api.Op.of(io.veloq.api.op.Timeout.of(Duration.ofMillis(10)))
                    .deadline(Duration.ofSeconds(5))).valueOrThrow());
            expect(IoErrorKind.TIMED_OUT, rt.loop().call(io.veloq.api.Op.of(io.veloq.api.op.Timeout.of(Duration.ofSeconds(5)))
                    .deadline(Duration.ofMillis(10))), "a 5 s Timeout with a 10 ms deadline");
            b.release();
            for (IoFd fd : p) {
                rt.loop().call(new Close(fd));
            }
        }
    }

    @Test
    void timeoutsFireNeverEarly() throws IOException {
        try (IoRuntime rt = open(1)) {
            long t0 = System.nanoTime();
            rt.loop().call(io.veloq.api.op.Timeout.of(Duration.ofMillis(30))).valueOrThrow();
            long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            assertTrue(ms >= 30, "a 30 ms Timeout completed after " + ms + " ms");
        }
    }
}
