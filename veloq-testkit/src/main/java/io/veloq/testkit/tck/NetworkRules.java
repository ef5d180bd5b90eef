package io.veloq.testkit.tck;

import io.veloq.api.Capability;
import io.veloq.api.Completion;
import io.veloq.api.EventLoop;
import io.veloq.api.IoErrorKind;
import io.veloq.api.IoFd;
import io.veloq.api.IoRuntime;
import io.veloq.api.Op;
import io.veloq.api.OpState;
import io.veloq.api.buffer.BufPool;
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
import io.veloq.api.op.OpPayload;
import io.veloq.api.op.Read;
import io.veloq.api.op.ReadFixed;
import io.veloq.api.op.Recv;
import io.veloq.api.op.RecvFrom;
import io.veloq.api.op.Send;
import io.veloq.api.op.SendTo;
import io.veloq.api.op.Shutdown;
import io.veloq.api.op.Socket;
import io.veloq.api.op.Timeout;
import io.veloq.api.op.Write;
import io.veloq.api.op.WriteFixed;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardSocketOptions;
import java.net.UnixDomainSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The socket rules: TCP round trips, every byte across short writes, the error contracts (ECONNREFUSED, end
 * of stream, EBADF, EPIPE), what Close does to ops pending on the descriptor, and the optional socket kinds
 * and features: UDP ({@link Capability#DATAGRAM_SOCKETS}), Unix stream and datagram sockets, abstract Unix
 * names, recv/send flags.
 * Part of {@link DriverTck}; extend that.
 *
 * @since 0.1
 */
public abstract class NetworkRules extends LifecycleRules {
    NetworkRules() {
    }

    @Test
    public void required_tcpRoundTripOnLoopback() {
        rule(rt -> {
            Conn p = connectedPair(rt.loop());
            byte[] toServer = randomBytes(64 * 1024 + 17);
            byte[] toClient = randomBytes(9_000);
            sendAll(rt.loop(), p.client, toServer);
            assertArrayEquals(toServer, receiveExactly(rt.loop(), p.server, toServer.length), "bytes client -> server");
            sendAll(rt.loop(), p.server, toClient);
            assertArrayEquals(toClient, receiveExactly(rt.loop(), p.client, toClient.length), "bytes server -> client");
            assertEquals(rt.loop().localAddress(p.client), p.acceptedPeer, "the peer address written by Accept");
            assertEquals(rt.loop().localAddress(p.client), rt.loop().remoteAddress(p.server), "getpeername of the accepted socket");
            p.close(rt.loop());
        });
    }

    @Test
    public void required_connectToClosedPortIsRefused() {
        rule(rt -> {
            IoFd probe = socket(rt.loop(), AddressFamily.INET, SocketType.STREAM);
            rt.loop().bind(probe, new InetSocketAddress(loopback(), 0));
            SocketAddress nobody = rt.loop().localAddress(probe);
            closeAll(rt.loop(), probe);
            IoFd c = socket(rt.loop(), AddressFamily.INET, SocketType.STREAM);
            expectError(await(rt.loop().submitAsync(new Connect(c, SockAddrStorage.of(nobody, rt.loop().addressLayout()))), "Connect to " + nobody),
                    IoErrorKind.CONNECTION_REFUSED, "Connect to a port nobody listens on");
            closeAll(rt.loop(), c);
        });
    }

    @Test
    public void required_recvAfterPeerCloseIsEndOfStream() {
        rule(rt -> {
            Conn p = connectedPair(rt.loop());
            sendAll(rt.loop(), p.client, new byte[] {1, 2, 3});
            closeAll(rt.loop(), p.client);
            assertArrayEquals(new byte[] {1, 2, 3}, receiveExactly(rt.loop(), p.server, 3), "bytes sent before close");
            FixedBuf b = lease(rt.loop());
            Completion<Recv> eof = await(rt.loop().submitAsync(new Recv(p.server, b)), "Recv after peer close");
            assertEquals(0L, eof.valueOrThrow(), "Recv after the peer closed must return 0 (end of stream)");
            assertEquals(0, b.readableBytes(), "readable bytes after EOF");
            b.release();
            closeAll(rt.loop(), p.server, p.listener);
        });
    }

    @Test
    public void required_closedDescriptorIsBadDescriptor() {
        rule(rt -> {
            IoFd s = notOpenDescriptor();
            FixedBuf b = lease(rt.loop());
            expectError(await(rt.loop().submitAsync(new Recv(s, b)), "Recv on " + s), IoErrorKind.BAD_DESCRIPTOR, "Recv on a descriptor that is not open");
            b.put(new byte[] {1});
            expectError(await(rt.loop().submitAsync(new Send(s, b)), "Send on " + s), IoErrorKind.BAD_DESCRIPTOR, "Send on a descriptor that is not open");
            assertEquals(1, b.readableBytes(), "a failed Send must not consume the buffer");
            expectError(await(rt.loop().submitAsync(new Close(s)), "Close of " + s), IoErrorKind.BAD_DESCRIPTOR, "Close of a descriptor that is not open");
            b.release();
        });
    }

    @Test
    public void required_sendAfterShutdownWriteIsBrokenPipe() {
        rule(rt -> {
            Conn p = connectedPair(rt.loop());
            assertEquals(0L, await(rt.loop().submitAsync(new Shutdown(p.client, ShutdownHow.WRITE)), "Shutdown(WRITE)").valueOrThrow(),
                    "Shutdown result");
            FixedBuf b = lease(rt.loop()).put(new byte[] {42});
            expectError(await(rt.loop().submitAsync(new Send(p.client, b)), "Send after Shutdown(WRITE)"), IoErrorKind.BROKEN_PIPE,
                    "Send after Shutdown(WRITE)");
            b.clear();
            assertEquals(0L, await(rt.loop().submitAsync(new Recv(p.server, b)), "Recv after the peer's Shutdown(WRITE)").valueOrThrow(),
                    "the peer reads end of stream after Shutdown(WRITE)");
            b.release();
            p.close(rt.loop());
        });
    }

    @Test
    public void optional_udpSendToRecvFromOnLoopback() {
        rule(rt -> {
            assumeCapability(rt.loop(), Capability.DATAGRAM_SOCKETS);
            IoFd a = socket(rt.loop(), AddressFamily.INET, SocketType.DATAGRAM);
            IoFd b = socket(rt.loop(), AddressFamily.INET, SocketType.DATAGRAM);
            rt.loop().bind(a, new InetSocketAddress(loopback(), 0));
            rt.loop().bind(b, new InetSocketAddress(loopback(), 0));
            byte[] data = randomBytes(1200);
            FixedBuf in = lease(rt.loop());
            SockAddrStorage from = SockAddrStorage.allocate(rt.loop().addressLayout());
            CompletableFuture<Completion<RecvFrom>> r = rt.loop().submitAsync(new RecvFrom(b, in, from));
            FixedBuf out = lease(rt.loop()).put(data);
            Completion<SendTo> s = await(rt.loop().submitAsync(new SendTo(a, out, SockAddrStorage.of(rt.loop().localAddress(b), rt.loop().addressLayout()))), "SendTo");
            assertEquals((long) data.length, s.valueOrThrow(), "SendTo result");
            assertEquals((long) data.length, await(r, "RecvFrom").valueOrThrow(), "RecvFrom result");
            assertArrayEquals(data, in.getBytes(), "datagram content");
            assertEquals(rt.loop().localAddress(a), from.toSocketAddress(), "RecvFrom sender address");
            in.release();
            out.release();
            closeAll(rt.loop(), a, b);
        });
    }

    @Test
    public void optional_unixStreamSockets() {
        rule(rt -> {
            assumeCapability(rt.loop(), Capability.UNIX_SOCKETS);
            Path dir = Files.createTempDirectory("veloq-tck");
            try {
                UnixDomainSocketAddress path = UnixDomainSocketAddress.of(dir.resolve("s.sock"));
                IoFd l = socket(rt.loop(), AddressFamily.UNIX, SocketType.STREAM);
                rt.loop().bind(l, path);
                rt.loop().listen(l, 8);
                CompletableFuture<Completion<Accept>> acc = rt.loop().submitAsync(new Accept(l, SockAddrStorage.allocate(rt.loop().addressLayout())));
                IoFd c = socket(rt.loop(), AddressFamily.UNIX, SocketType.STREAM);
                await(rt.loop().submitAsync(new Connect(c, SockAddrStorage.of(path, rt.loop().addressLayout()))), "Connect to " + path).valueOrThrow();
                IoFd s = IoFd.raw(await(acc, "Accept on " + path).valueOrThrow());
                byte[] data = randomBytes(3000);
                sendAll(rt.loop(), c, data);
                assertArrayEquals(data, receiveExactly(rt.loop(), s, data.length), "bytes over a Unix stream socket");
                closeAll(rt.loop(), c, s, l);
            } finally {
                deleteTree(dir);
            }
        });
    }

    /** {@code recv(2)}'s MSG_PEEK and MSG_WAITALL, as Linux numbers them (the API's flags are Linux's). */
    static final int MSG_PEEK = 0x2;
    static final int MSG_WAITALL = 0x100;

    @Test
    public void required_shortWritesReportExactlyWhatWasSent() {
        rule(rt -> {
            Conn p = connectedPair(rt.loop());
            if (rt.capabilities().contains(Capability.SOCKET_OPTIONS)) {
                // Small buffers on both ends: the Sends below fill them and come back short.
                rt.loop().setOption(p.client, StandardSocketOptions.SO_SNDBUF, 4096);
                rt.loop().setOption(p.server, StandardSocketOptions.SO_RCVBUF, 4096);
            }
            byte[] data = randomBytes(1 << 20);
            FixedBuf out = lease(rt.loop());
            int off = 0;
            int shortWrites = 0;
            CompletableFuture<byte[]> received = null;
            // Phase 1: the peer does not read, so the socket fills and a Send stays pending. Phase 2: the peer
            // reads everything to end of stream while the rest is sent.
            while (off < data.length) {
                out.clear();
                int n = Math.min(out.capacity(), data.length - off);
                out.put(data, off, n);
                CompletableFuture<Completion<Send>> f = rt.loop().submitAsync(new Send(p.client, out));
                if (received == null && !completesWithin(f, Duration.ofMillis(300))) {
                    received = receiveToEndOfStream(rt.loop(), p.server);
                }
                int at = off;
                long sent = await(f, "Send of " + n + " bytes at offset " + at + " of the stream").valueOrThrow();
                check(sent > 0 && sent <= n, () -> "Send of " + n + " bytes at offset " + at + " returned " + sent);
                if (sent < n) {
                    shortWrites++;
                }
                off += (int) sent;
            }
            if (received == null) {
                received = receiveToEndOfStream(rt.loop(), p.server);
            }
            assertEquals(0L, await(rt.loop().submitAsync(new Shutdown(p.client, ShutdownHow.WRITE)), "Shutdown(WRITE)").valueOrThrow(),
                    "Shutdown result");
            byte[] got = await(received, "the peer's reading of " + data.length + " bytes to end of stream");
            int shorts = shortWrites;
            assertArrayEquals(data, got, "the bytes the peer received, against the bytes the Sends reported as sent ("
                    + shorts + " short writes; a driver that reports more than it sent loses bytes here)");
            out.release();
            p.close(rt.loop());
        });
    }

    /** Waits briefly for {@code f}; false if it is still pending (the socket is full). */
    private static boolean completesWithin(CompletableFuture<?> f, Duration d) throws InterruptedException {
        try {
            f.get(d.toMillis(), TimeUnit.MILLISECONDS);
            return true;
        } catch (java.util.concurrent.TimeoutException e) {
            return false;
        } catch (java.util.concurrent.ExecutionException e) {
            return true;
        }
    }

    @Test
    public void required_closeCompletesOpsPendingOnTheDescriptorAsCancelled() {
        rule(rt -> {
            Conn p = connectedPair(rt.loop());
            FixedBuf b = lease(rt.loop());
            CompletableFuture<Completion<Recv>> recv = rt.loop().submitAsync(new Recv(p.server, b));
            CompletableFuture<Completion<Accept>> accept = rt.loop().submitAsync(new Accept(p.listener, SockAddrStorage.allocate(rt.loop().addressLayout())));
            settle(rt.loop());
            check(!recv.isDone() && !accept.isDone(), "a Recv with no data and an Accept with no connection must stay in flight");
            assertEquals(0L, await(rt.loop().submitAsync(new Close(p.server)), "Close of " + p.server + " with a Recv pending on it")
                    .valueOrThrow(), "Close result");
            expectError(await(recv, "the Recv pending on " + p.server + " when Close closed it (Close's contract: it completes "
                    + "with CANCELLED)"), IoErrorKind.CANCELLED, "a Recv pending on a descriptor that Close closed");
            check(b.owner() == null && b.writerIndex() == 0, "the Recv's buffer is back, untouched, after the Close");
            assertEquals(0L, await(rt.loop().submitAsync(new Close(p.listener)), "Close of " + p.listener + " with an Accept pending on it")
                    .valueOrThrow(), "Close result");
            expectError(await(accept, "the Accept pending on " + p.listener + " when Close closed it (Close's contract: it "
                    + "completes with CANCELLED)"), IoErrorKind.CANCELLED, "an Accept pending on a descriptor that Close closed");
            assertEquals(0L, await(rt.loop().submitAsync(new Recv(p.client, b)), "Recv on the closed socket's peer").valueOrThrow(),
                    "the peer of a closed socket reads end of stream");
            b.release();
            closeAll(rt.loop(), p.client);
        });
    }

    @Test
    public void optional_unixDatagramSockets() {
        rule(rt -> {
            assumeCapability(rt.loop(), Capability.UNIX_DATAGRAM_SOCKETS);
            Path dir = Files.createTempDirectory("veloq-tck");
            try {
                UnixDomainSocketAddress pa = UnixDomainSocketAddress.of(dir.resolve("a.sock"));
                UnixDomainSocketAddress pb = UnixDomainSocketAddress.of(dir.resolve("b.sock"));
                IoFd a = socket(rt.loop(), AddressFamily.UNIX, SocketType.DATAGRAM);
                IoFd b = socket(rt.loop(), AddressFamily.UNIX, SocketType.DATAGRAM);
                rt.loop().bind(a, pa);
                rt.loop().bind(b, pb);
                byte[] data = randomBytes(900);
                FixedBuf in = lease(rt.loop());
                SockAddrStorage from = SockAddrStorage.allocate(rt.loop().addressLayout());
                CompletableFuture<Completion<RecvFrom>> r = rt.loop().submitAsync(new RecvFrom(b, in, from));
                FixedBuf out = lease(rt.loop()).put(data);
                assertEquals((long) data.length, await(rt.loop().submitAsync(new SendTo(a, out, SockAddrStorage.of(pb, rt.loop().addressLayout()))),
                        "SendTo " + pb).valueOrThrow(), "SendTo result");
                assertEquals((long) data.length, await(r, "RecvFrom on " + pb).valueOrThrow(), "RecvFrom result");
                assertArrayEquals(data, in.getBytes(), "Unix datagram content");
                assertEquals(pa, from.toSocketAddress(), "RecvFrom sender address");
                in.release();
                out.release();
                closeAll(rt.loop(), a, b);
            } finally {
                deleteTree(dir);
            }
        });
    }

    @Test
    public void optional_abstractUnixNames() {
        rule(rt -> {
            assumeCapability(rt.loop(), Capability.UNIX_ABSTRACT_NAMES);
            String name = "veloq-tck-" + Long.toHexString(randomLong()) + "-" + ProcessHandle.current().pid();
            SockAddrStorage addr = SockAddrStorage.allocate(rt.loop().addressLayout()).setAbstractUnix(name);
            IoFd l = socket(rt.loop(), AddressFamily.UNIX, SocketType.STREAM);
            driverOf(rt, 0).bind(l, addr); // an abstract name has no java.net form: bind through the SPI
            rt.loop().listen(l, 8);
            SockAddrStorage local = SockAddrStorage.allocate(rt.loop().addressLayout()).prepareForReceive();
            driverOf(rt, 0).localAddress(l, local);
            check(local.isAbstractUnix() && local.abstractName().equals(name), () -> "getsockname of a listener bound to "
                    + "the abstract name @" + name + " reported " + local);
            CompletableFuture<Completion<Accept>> acc = rt.loop().submitAsync(new Accept(l, SockAddrStorage.allocate(rt.loop().addressLayout())));
            IoFd c = socket(rt.loop(), AddressFamily.UNIX, SocketType.STREAM);
            await(rt.loop().submitAsync(new Connect(c, addr)), "Connect to @" + name).valueOrThrow();
            IoFd s = IoFd.raw(await(acc, "Accept on @" + name).valueOrThrow());
            byte[] data = randomBytes(2000);
            sendAll(rt.loop(), c, data);
            assertArrayEquals(data, receiveExactly(rt.loop(), s, data.length), "bytes over a Unix stream socket with an abstract name");
            closeAll(rt.loop(), c, s, l);
        });
    }

    @Test
    public void optional_messageFlags() {
        rule(rt -> {
            assumeCapability(rt.loop(), Capability.MESSAGE_FLAGS);
            Conn p = connectedPair(rt.loop());
            byte[] data = randomBytes(6);
            sendAll(rt.loop(), p.client, data);
            FixedBuf b = lease(rt.loop());
            long peeked = await(rt.loop().submitAsync(new Recv(p.server, b, MSG_PEEK)), "Recv(MSG_PEEK)").valueOrThrow();
            check(peeked > 0 && peeked <= data.length, () -> "Recv(MSG_PEEK) of " + data.length + " queued bytes returned " + peeked);
            byte[] peek = b.getBytes();
            assertArrayEquals(java.util.Arrays.copyOf(data, (int) peeked), peek, "the bytes MSG_PEEK returned");
            b.clear();
            long plain = await(rt.loop().submitAsync(new Recv(p.server, b)), "a plain Recv after a Recv(MSG_PEEK) of " + peeked
                    + " bytes (which must not consume them)").valueOrThrow();
            java.io.ByteArrayOutputStream again = new java.io.ByteArrayOutputStream();
            again.writeBytes(b.getBytes());
            again.writeBytes(receiveExactly(rt.loop(), p.server, data.length - (int) plain));
            assertArrayEquals(data, again.toByteArray(), "the bytes plain Recvs return after a Recv(MSG_PEEK) (a peek must "
                    + "not consume them)");
            // MSG_WAITALL: a Recv with room for 3000 bytes waits for all 3000, across two Sends.
            b.clear();
            b.put(new byte[b.capacity() - 3000]);
            int start = b.writerIndex();
            CompletableFuture<Completion<Recv>> all = rt.loop().submitAsync(new Recv(p.server, b, MSG_WAITALL));
            byte[] first = randomBytes(1000);
            byte[] second = randomBytes(2000);
            sendAll(rt.loop(), p.client, first);
            settle(rt.loop());
            check(!all.isDone(), () -> "Recv(MSG_WAITALL) with room for 3000 bytes completed with 1000 sent: "
                    + all.join().error() + " / " + (all.join().isSuccess() ? all.join().value() : -1));
            sendAll(rt.loop(), p.client, second);
            assertEquals(3000L, await(all, "Recv(MSG_WAITALL) of 3000 bytes").valueOrThrow(), "Recv(MSG_WAITALL) result");
            byte[] whole = new byte[3000];
            System.arraycopy(first, 0, whole, 0, 1000);
            System.arraycopy(second, 0, whole, 1000, 2000);
            b.readerIndex(start);
            assertArrayEquals(whole, b.getBytes(), "the bytes Recv(MSG_WAITALL) returned");
            b.release();
            p.close(rt.loop());
        });
    }
}
