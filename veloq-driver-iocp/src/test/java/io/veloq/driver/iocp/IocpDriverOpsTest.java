package io.veloq.driver.iocp;

import io.veloq.api.IoErrorKind;
import io.veloq.api.IoFd;
import io.veloq.api.VeloqIoException;
import io.veloq.api.buffer.BufPool;
import io.veloq.api.buffer.FixedBuf;
import io.veloq.api.net.AddressFamily;
import io.veloq.api.net.AddressLayout;
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
import io.veloq.api.op.ReadFixed;
import io.veloq.api.op.Recv;
import io.veloq.api.op.RecvFrom;
import io.veloq.api.op.Send;
import io.veloq.api.op.SendTo;
import io.veloq.api.op.Shutdown;
import io.veloq.api.op.Socket;
import io.veloq.api.op.Timeout;
import io.veloq.api.op.Write;
import io.veloq.driver.iocp.sim.SimWin32;
import io.veloq.driver.iocp.win32.NativeMemory;
import io.veloq.driver.iocp.win32.Win32Constants;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.ConnectException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.StandardSocketOptions;
import java.nio.channels.AsynchronousCloseException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every op of the IOCP driver through the {@link io.veloq.spi.Driver} interface, host-style (see
 * {@link DriverHarness}), on real loopback sockets and files: against the simulator here, against Windows
 * with {@code -Dveloq.iocp.binding=real}.
 */
public class IocpDriverOpsTest {
    private static final InetAddress LOOPBACK4 = InetAddress.getLoopbackAddress();

    private final SimWin32[] sim = new SimWin32[1];
    private DriverHarness h;
    private BufPool pool;

    @BeforeEach
    void open() throws Exception {
        h = DriverHarness.open(Bindings.provider(sim), 64);
        pool = BufPool.allocate(64 * 1024, 16);
    }

    @AfterEach
    void close() throws Exception {
        if (h != null) {
            h.close();
        }
        if (sim[0] != null) {
            List<String> failures = sim[0].failures();
            sim[0].close();
            assertEquals(List.of(), failures, "exceptions or Windows-unsafe calls inside the IOCP simulator");
        }
    }

    private static SockAddrStorage addr(InetSocketAddress a) {
        return SockAddrStorage.of(a, AddressLayout.WINDOWS);
    }

    private IoFd socket(AddressFamily f, SocketType t) throws VeloqIoException {
        return IoFd.raw(h.value(new Socket(f, t)));
    }

    /** A listening TCP socket on loopback; returns it and fills {@code where} with its address. */
    private IoFd listener(AddressFamily f, SockAddrStorage where) throws VeloqIoException {
        IoFd l = socket(f, SocketType.STREAM);
        InetAddress ip = f == AddressFamily.INET6 ? loopback6() : LOOPBACK4;
        h.driver().bind(l, addr(new InetSocketAddress(ip, 0)));
        h.driver().listen(l, 16);
        h.driver().localAddress(l, where);
        return l;
    }

    private static InetAddress loopback6() {
        try {
            return InetAddress.getByName("::1");
        } catch (java.net.UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Connects a client to a listener; returns {client, server side}. */
    private IoFd[] pair(AddressFamily f) throws VeloqIoException {
        SockAddrStorage where = SockAddrStorage.allocate(AddressLayout.WINDOWS);
        IoFd l = listener(f, where);
        IoFd client = socket(f, SocketType.STREAM);
        SockAddrStorage peer = SockAddrStorage.allocate(AddressLayout.WINDOWS);
        long accept = h.start(new Accept(l, peer));
        long connect = h.start(new Connect(client, where));
        assertEquals(0, h.await(connect).valueOrThrow(), "Connect result");
        IoFd server = IoFd.raw(h.await(accept).valueOrThrow());
        SockAddrStorage clientLocal = SockAddrStorage.allocate(AddressLayout.WINDOWS);
        h.driver().localAddress(client, clientLocal);
        assertEquals(clientLocal.toSocketAddress(), peer.toSocketAddress(),
                "Accept's peer address is the client's local address");
        h.value(new Close(l));
        return new IoFd[]{client, server};
    }

    private FixedBuf bytes(String s) {
        FixedBuf b = pool.lease();
        b.put(s.getBytes(StandardCharsets.UTF_8));
        return b;
    }

    @Test
    void nopAndTimeoutComplete_timeoutAfterItsDuration() throws Exception {
        assertEquals(0, h.value(new Nop()));
        long t0 = System.nanoTime();
        long slow = h.start(new Timeout(TimeUnit.MILLISECONDS.toNanos(60)));
        long fast = h.start(new Timeout(TimeUnit.MILLISECONDS.toNanos(10)));
        assertEquals(0, h.await(slow).valueOrThrow());
        long elapsed = System.nanoTime() - t0;
        assertTrue(h.isDone(fast) || h.completionOrder.indexOf(fast) < h.completionOrder.indexOf(slow),
                "the 10 ms timeout completes before the 60 ms one");
        assertTrue(elapsed >= TimeUnit.MILLISECONDS.toNanos(60), "Timeout(60 ms) fired after " + elapsed / 1000 + " us");
    }

    @Test
    void cancelledTimeoutCompletesWithErrorOperationAborted() throws Exception {
        long t = h.start(new Timeout(TimeUnit.SECONDS.toNanos(30)));
        h.turn(0);
        h.cancel(t);
        DriverHarness.Result r = h.await(t, Duration.ofSeconds(2));
        assertEquals(IoErrorKind.CANCELLED, r.error().kind());
        assertEquals("ERROR_OPERATION_ABORTED", r.error().codeName());
        assertEquals(995, r.error().code());
        assertInstanceOf(AsynchronousCloseException.class, r.error().toJava());
    }

    @Test
    void tcpEchoOverIpv4AndIpv6MovesTheBytes() throws Exception {
        for (AddressFamily f : new AddressFamily[]{AddressFamily.INET, AddressFamily.INET6}) {
            IoFd[] p = pair(f);
            FixedBuf out = bytes("hello over " + f);
            assertEquals(out.readableBytes(), h.value(new Send(p[0], out)));
            assertEquals(0, out.readableBytes(), "Send advanced the reader index");
            FixedBuf in = pool.lease();
            long n = h.value(new Recv(p[1], in));
            assertEquals("hello over " + f, new String(in.getBytes(), StandardCharsets.UTF_8));
            assertEquals(n, ("hello over " + f).length());
            // and back, server to client
            in.readerIndex(0);
            assertEquals(n, h.value(new Send(p[1], in)));
            FixedBuf back = pool.lease();
            h.value(new Recv(p[0], back));
            assertEquals("hello over " + f, new String(back.getBytes(), StandardCharsets.UTF_8));
            SockAddrStorage remote = SockAddrStorage.allocate(AddressLayout.WINDOWS);
            h.driver().remoteAddress(p[1], remote);
            assertEquals(f, remote.family());
            for (FixedBuf b : new FixedBuf[]{out, in, back}) {
                b.release();
            }
            h.value(new Close(p[0]));
            h.value(new Close(p[1]));
        }
    }

    @Test
    void recvPostedBeforeTheDataArrivesCompletesLater_andLargeSendsArriveWhole() throws Exception {
        IoFd[] p = pair(AddressFamily.INET);
        FixedBuf in = pool.lease();
        long recv = h.start(new Recv(p[1], in));
        h.turn(TimeUnit.MILLISECONDS.toNanos(20));
        assertFalse(h.isDone(recv), "nothing was sent yet");
        byte[] big = new byte[48 * 1024];
        for (int i = 0; i < big.length; i++) {
            big[i] = (byte) (i * 31);
        }
        FixedBuf out = pool.lease();
        out.put(big);
        assertEquals(big.length, h.value(new Send(p[0], out)));
        byte[] got = new byte[big.length];
        int have = (int) h.await(recv).valueOrThrow();
        System.arraycopy(in.getBytes(), 0, got, 0, have);
        while (have < big.length) {
            in.clear();
            int n = (int) h.value(new Recv(p[1], in));
            assertTrue(n > 0, "stream ended early after " + have + " bytes");
            System.arraycopy(in.getBytes(), 0, got, have, n);
            have += n;
        }
        assertArrayEquals(big, got);
    }

    @Test
    void recvAfterThePeerClosedCompletesWithZeroBytes() throws Exception {
        IoFd[] p = pair(AddressFamily.INET);
        FixedBuf in = pool.lease();
        long recv = h.start(new Recv(p[1], in));
        h.turn(0);
        h.value(new Shutdown(p[0], ShutdownHow.WRITE));
        assertEquals(0, h.await(recv).valueOrThrow(), "EOF is a 0-byte receive");
        h.value(new Close(p[0]));
        assertEquals(0, h.value(new Recv(p[1], in)), "and stays 0 after close");
    }

    @Test
    void aResetByThePeerFailsThePendingRecvWithConnectionReset() throws Exception {
        IoFd[] p = pair(AddressFamily.INET);
        long recv = h.start(new Recv(p[1], pool.lease()));
        h.turn(TimeUnit.MILLISECONDS.toNanos(5));
        h.driver().setOption(p[0], StandardSocketOptions.SO_LINGER, 0); // close sends RST
        h.value(new Close(p[0]));
        DriverHarness.Result r = h.await(recv);
        assertNotNull(r.error(), "a reset must fail the receive");
        assertEquals(IoErrorKind.CONNECTION_RESET, r.error().kind(), r.error().getMessage());
        assertTrue(r.error().codeName().equals("WSAECONNRESET") || r.error().codeName().equals("ERROR_NETNAME_DELETED"),
                r.error().codeName());
        assertInstanceOf(java.net.SocketException.class, r.error().toJava());
    }

    @Test
    void slotsAreReusedAcrossThousandsOfOpsWithoutACrossedCompletion() throws Exception {
        IoFd[] p = pair(AddressFamily.INET);
        FixedBuf out = pool.lease();
        FixedBuf in = pool.lease();
        for (int i = 0; i < 1500; i++) {
            byte[] msg = ("#" + i).getBytes(StandardCharsets.US_ASCII);
            out.clear().put(msg);
            in.clear();
            long recv = h.start(new Recv(p[1], in));
            long nop = h.start(new Nop());
            long send = h.start(new Send(p[0], out));
            assertEquals(0, h.await(nop).valueOrThrow());
            assertEquals(msg.length, h.await(send).valueOrThrow());
            assertEquals(msg.length, h.await(recv).valueOrThrow(), "round " + i);
            assertArrayEquals(msg, in.getBytes(), "round " + i);
        }
        assertEquals(0, h.iocp().staleCompletions(), "no packet ever named a finished op");
        assertEquals(0, h.iocp().inKernel());
    }

    @Test
    void cancelledRecvReturnsItsBufferUntouched_andTheSocketStaysUsable() throws Exception {
        IoFd[] p = pair(AddressFamily.INET);
        FixedBuf in = pool.lease();
        long recv = h.start(new Recv(p[1], in));
        h.turn(TimeUnit.MILLISECONDS.toNanos(5));
        h.cancel(recv);
        DriverHarness.Result r = h.await(recv, Duration.ofSeconds(2));
        assertNotNull(r.error(), "cancelled Recv must fail");
        assertEquals(IoErrorKind.CANCELLED, r.error().kind(), r.error().getMessage());
        assertEquals(0, in.writerIndex(), "nothing written into the buffer");
        h.value(new Send(p[0], bytes("after cancel")));
        assertEquals(12, h.value(new Recv(p[1], in)));
    }

    @Test
    void cancelledAcceptClosesThePreCreatedSocket() throws Exception {
        SockAddrStorage where = SockAddrStorage.allocate(AddressLayout.WINDOWS);
        IoFd l = listener(AddressFamily.INET, where);
        int before = h.iocp().handles().size();
        long accept = h.start(new Accept(l, SockAddrStorage.allocate(AddressLayout.WINDOWS)));
        h.turn(TimeUnit.MILLISECONDS.toNanos(5));
        assertEquals(before + 1, h.iocp().handles().size(), "AcceptEx's socket was created before submission");
        h.cancel(accept);
        DriverHarness.Result r = h.await(accept, Duration.ofSeconds(2));
        assertEquals(IoErrorKind.CANCELLED, r.error().kind());
        assertEquals(before, h.iocp().handles().size(), "discard() closed the pre-created socket");
    }

    @Test
    void connectToAClosedPortIsRefused() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, LOOPBACK4)) {
            port = s.getLocalPort();
        }
        IoFd c = socket(AddressFamily.INET, SocketType.STREAM);
        // a Linux-layout address: the driver rewrites the family for Windows
        DriverHarness.Result r = h.run(new Connect(c, SockAddrStorage.of(new InetSocketAddress(LOOPBACK4, port),
                AddressLayout.LINUX)));
        assertNotNull(r.error(), "connect to a closed port must fail");
        assertEquals(IoErrorKind.CONNECTION_REFUSED, r.error().kind(), r.error().getMessage());
        assertTrue(r.error().codeName().equals("WSAECONNREFUSED") || r.error().codeName().equals("ERROR_CONNECTION_REFUSED"),
                r.error().codeName());
        assertInstanceOf(ConnectException.class, r.error().toJava());
    }

    @Test
    void udpSendToAndRecvFromReportTheSender() throws Exception {
        for (AddressFamily f : new AddressFamily[]{AddressFamily.INET, AddressFamily.INET6}) {
            InetAddress ip = f == AddressFamily.INET6 ? loopback6() : LOOPBACK4;
            IoFd a = socket(f, SocketType.DATAGRAM);
            IoFd b = socket(f, SocketType.DATAGRAM);
            h.driver().bind(a, addr(new InetSocketAddress(ip, 0)));
            h.driver().bind(b, addr(new InetSocketAddress(ip, 0)));
            SockAddrStorage aAddr = SockAddrStorage.allocate(AddressLayout.WINDOWS);
            SockAddrStorage bAddr = SockAddrStorage.allocate(AddressLayout.WINDOWS);
            h.driver().localAddress(a, aAddr);
            h.driver().localAddress(b, bAddr);
            FixedBuf in = pool.lease();
            SockAddrStorage from = SockAddrStorage.allocate(AddressLayout.LINUX); // translated back on completion
            long recv = h.start(new RecvFrom(b, in, from));
            assertEquals(5, h.value(new SendTo(a, bytes("datum"), bAddr)));
            assertEquals(5, h.await(recv).valueOrThrow());
            assertEquals("datum", new String(in.getBytes(), StandardCharsets.US_ASCII));
            assertEquals(aAddr.toSocketAddress(), from.toSocketAddress(), "RecvFrom reports the sender");
            assertEquals(AddressLayout.LINUX.nativeFamily(f), Short.toUnsignedInt(from.block().getShort(0)));
            h.value(new Close(a));
            h.value(new Close(b));
        }
    }

    @Test
    void aDatagramLongerThanTheBufferFailsWithWsaemsgsize() throws Exception {
        IoFd a = socket(AddressFamily.INET, SocketType.DATAGRAM);
        IoFd b = socket(AddressFamily.INET, SocketType.DATAGRAM);
        h.driver().bind(b, addr(new InetSocketAddress(LOOPBACK4, 0)));
        SockAddrStorage bAddr = SockAddrStorage.allocate(AddressLayout.WINDOWS);
        h.driver().localAddress(b, bAddr);
        FixedBuf small = pool.lease();
        small.writerIndex(small.capacity() - 4); // room for 4 bytes
        small.readerIndex(small.writerIndex());
        long pending = h.start(new RecvFrom(b, small, SockAddrStorage.allocate(AddressLayout.WINDOWS)));
        h.turn(0);
        assertEquals(10, h.value(new SendTo(a, bytes("0123456789"), bAddr)));
        DriverHarness.Result r = h.await(pending);
        assertNotNull(r.error(), "a 10-byte datagram does not fit in 4 bytes");
        assertEquals("WSAEMSGSIZE", r.error().codeName());
        // and the same when the datagram is already there when the receive starts (immediate failure)
        assertEquals(10, h.value(new SendTo(a, bytes("0123456789"), bAddr)));
        Thread.sleep(20);
        DriverHarness.Result r2 = h.run(new RecvFrom(b, small, SockAddrStorage.allocate(AddressLayout.WINDOWS)));
        assertEquals("WSAEMSGSIZE", r2.error().codeName());
    }

    @Test
    void fileWriteReadAtOffsets_readPastTheEndIsZero_positionAndAppend(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("data.bin");
        IoFd fd = IoFd.raw(h.value(new Open(file, EnumSet.of(StandardOpenOption.READ, StandardOpenOption.WRITE,
                StandardOpenOption.CREATE), 0644)));
        assertEquals(5, h.value(new Write(fd, bytes("world"), 6)));
        assertEquals(6, h.value(new Write(fd, bytes("hello "), 0)));
        assertEquals(0, h.value(new Fsync(fd, false)));
        assertEquals("hello world", Files.readString(file));
        FixedBuf in = pool.lease();
        assertEquals(5, h.value(new Read(fd, in, 6)));
        assertEquals("world", new String(in.getBytes(), StandardCharsets.US_ASCII));
        in.clear();
        assertEquals(0, h.value(new Read(fd, in, 1000)), "a read past the end returns 0 bytes");
        // offset -1: the driver keeps the position
        assertEquals("hell", readFour(fd));
        assertEquals("o wo", readFour(fd));
        h.value(new Close(fd));
        IoFd app = IoFd.raw(h.value(new Open(file, Set.of(StandardOpenOption.APPEND), 0)));
        assertEquals(1, h.value(new Write(app, bytes("!"), -1)));
        h.value(new Close(app));
        assertEquals("hello world!", Files.readString(file));
    }

    @Test
    void openErrorsMapToJavaExceptions(@TempDir Path dir) throws Exception {
        DriverHarness.Result missing = h.run(Open.read(dir.resolve("nope")));
        assertEquals(IoErrorKind.NOT_FOUND, missing.error().kind());
        assertEquals("ERROR_FILE_NOT_FOUND", missing.error().codeName());
        Files.writeString(dir.resolve("there"), "x");
        DriverHarness.Result exists = h.run(new Open(dir.resolve("there"),
                Set.of(StandardOpenOption.WRITE, StandardOpenOption.CREATE_NEW), 0644));
        assertEquals(IoErrorKind.ALREADY_EXISTS, exists.error().kind());
        assertEquals("ERROR_FILE_EXISTS", exists.error().codeName());
    }

    @Test
    void opsOnAClosedSocketFailWithBadDescriptor() throws Exception {
        IoFd s = socket(AddressFamily.INET, SocketType.STREAM);
        h.value(new Close(s));
        DriverHarness.Result r = h.run(new Recv(s, pool.lease()));
        assertEquals(IoErrorKind.BAD_DESCRIPTOR, r.error().kind(), r.error().getMessage());
        DriverHarness.Result c = h.run(new Close(s));
        assertEquals(IoErrorKind.BAD_DESCRIPTOR, c.error().kind(), c.error().getMessage());
    }

    @Test
    void closingASocketAbortsItsPendingRecv() throws Exception {
        IoFd[] p = pair(AddressFamily.INET);
        long recv = h.start(new Recv(p[1], pool.lease()));
        h.turn(TimeUnit.MILLISECONDS.toNanos(5));
        h.value(new Close(p[1]));
        DriverHarness.Result r = h.await(recv, Duration.ofSeconds(2));
        assertEquals(IoErrorKind.CANCELLED, r.error().kind(), r.error().getMessage());
        assertEquals("ERROR_OPERATION_ABORTED", r.error().codeName());
    }

    @Test
    void fixedFdsAndFixedBuffersAreRefusedAsUnsupported() throws Exception {
        DriverHarness.Result r = h.run(new Recv(IoFd.fixed(3), pool.lease()));
        assertEquals(IoErrorKind.NOT_SUPPORTED, r.error().kind());
        assertEquals("ERROR_NOT_SUPPORTED", r.error().codeName());
        assertTrue(r.error().getMessage().contains("fixed fd #3") && r.error().getMessage().contains("IoFd.Fixed"),
                r.error().getMessage());
        DriverHarness.Result rf = h.run(new ReadFixed(IoFd.raw(5), pool.lease(), 0));
        assertEquals(IoErrorKind.NOT_SUPPORTED, rf.error().kind());
        UnsupportedOperationException u = assertThrows(UnsupportedOperationException.class,
                () -> h.driver().bind(IoFd.fixed(1), addr(new InetSocketAddress(LOOPBACK4, 0))));
        assertTrue(u.getMessage().contains("fixed fd #1"), u.getMessage());
        assertFalse(h.driver().capabilities().contains(io.veloq.api.Capability.FIXED_FILES));
        assertFalse(h.driver().capabilities().contains(io.veloq.api.Capability.REGISTERED_BUFFERS));
        assertEquals(AddressLayout.WINDOWS, h.driver().addressLayout());
        DriverHarness.Result unix = h.run(new Socket(AddressFamily.UNIX, SocketType.STREAM));
        assertEquals("WSAEAFNOSUPPORT", unix.error().codeName());
    }

    @Test
    void bindToAPortInUseFailsWithAddressInUse() throws Exception {
        SockAddrStorage where = SockAddrStorage.allocate(AddressLayout.WINDOWS);
        listener(AddressFamily.INET, where);
        IoFd other = socket(AddressFamily.INET, SocketType.STREAM);
        VeloqIoException e = assertThrows(VeloqIoException.class, () -> h.driver().bind(other, where));
        assertEquals(IoErrorKind.ADDRESS_IN_USE, e.kind(), e.getMessage());
        assertEquals("WSAEADDRINUSE", e.codeName());
        assertTrue(e.getMessage().contains("bind of " + other), e.getMessage());
    }

    @Test
    void socketOptionsRoundTrip_andWindowsOnlyGapsAreNamed() throws Exception {
        IoFd s = socket(AddressFamily.INET, SocketType.STREAM);
        h.driver().setOption(s, StandardSocketOptions.TCP_NODELAY, true);
        assertEquals(true, h.driver().getOption(s, StandardSocketOptions.TCP_NODELAY));
        h.driver().setOption(s, StandardSocketOptions.SO_RCVBUF, 131072);
        assertEquals(131072, h.driver().getOption(s, StandardSocketOptions.SO_RCVBUF));
        h.driver().setOption(s, StandardSocketOptions.SO_LINGER, 7);
        assertEquals(7, h.driver().getOption(s, StandardSocketOptions.SO_LINGER));
        h.driver().setOption(s, StandardSocketOptions.SO_LINGER, -1);
        assertEquals(-1, h.driver().getOption(s, StandardSocketOptions.SO_LINGER));
        UnsupportedOperationException u = assertThrows(UnsupportedOperationException.class,
                () -> h.driver().setOption(s, StandardSocketOptions.SO_REUSEPORT, true));
        assertTrue(u.getMessage().contains("SO_REUSEPORT") && u.getMessage().contains("Windows"), u.getMessage());
    }

    @Test
    void wakeupFromAnotherThreadEndsAnInfiniteWait() throws Exception {
        CompletableFuture<Void> waker = CompletableFuture.runAsync(() -> {
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            h.driver().wakeup();
        });
        long t0 = System.nanoTime();
        assertEquals(0, h.turn(-1), "a wake-up delivers no completion");
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        assertTrue(ms < 5000, "wait ended " + ms + " ms after start");
        waker.join();
    }

    @Test
    void manyOpsInFlightEachCompleteExactlyOnce() throws Exception {
        long[] tokens = new long[60];
        for (int i = 0; i < tokens.length; i++) {
            tokens[i] = h.start(i % 2 == 0 ? new Nop() : new Timeout(TimeUnit.MILLISECONDS.toNanos(i % 7)));
        }
        for (long t : tokens) {
            assertEquals(0, h.await(t).valueOrThrow());
        }
        assertEquals(tokens.length, h.completionOrder.stream().distinct().count());
        assertEquals(tokens.length, h.completionOrder.size(), "each op completes exactly once");
    }

    @Test
    void nativeMemoryIsFreedOnClose() throws Exception {
        long before = NativeMemory.liveBytes();
        DriverHarness other = DriverHarness.open(Bindings.provider((io.veloq.driver.iocp.sim.SimWin32[]) null), 128);
        assertTrue(NativeMemory.liveBytes() - before >= 128L * OverlappedSlots.SLOT_SIZE,
                "one OVERLAPPED slot per in-flight op is allocated up front");
        other.run(new Nop());
        other.close();
        assertEquals(before, NativeMemory.liveBytes(), "close frees every native block");
    }

    // ---- issue #16: what only real Windows semantics show ----

    /**
     * #16 item 3. Windows reports an ICMP port unreachable for a datagram an unconnected UDP socket sent as
     * WSAECONNRESET on its next receive, unless SIO_UDP_CONNRESET is turned off (Linux stays silent). The
     * driver turns it off, and SIO_UDP_NETRESET, on every UDP socket.
     */
    @Test
    void aDatagramToAClosedPortDoesNotFailTheSendersNextReceive() throws Exception {
        int closedPort;
        try (DatagramSocket gone = new DatagramSocket(0, LOOPBACK4)) {
            closedPort = gone.getLocalPort();
        }
        SockAddrStorage aAddr = SockAddrStorage.allocate(AddressLayout.WINDOWS);
        SockAddrStorage bAddr = SockAddrStorage.allocate(AddressLayout.WINDOWS);
        IoFd a = h.boundUdp(AddressFamily.INET, aAddr);
        IoFd b = h.boundUdp(AddressFamily.INET, bAddr);
        if (sim[0] != null) {
            assertArrayEquals(new boolean[]{false, false}, sim[0].udpResetReporting(((IoFd.Raw) a).handle()),
                    "SIO_UDP_CONNRESET and SIO_UDP_NETRESET are off on a UDP socket of the driver");
        }
        assertEquals(4, h.value(new SendTo(a, bytes("lost"), addr(new InetSocketAddress(LOOPBACK4, closedPort)))));
        Thread.sleep(50); // the ICMP port unreachable comes back meanwhile
        FixedBuf in = pool.lease();
        SockAddrStorage from = SockAddrStorage.allocate(AddressLayout.WINDOWS);
        long recv = h.start(new RecvFrom(a, in, from));
        assertEquals(5, h.value(new SendTo(b, bytes("after"), aAddr)));
        assertEquals(5, h.await(recv).valueOrThrow(), "the receive after a send to a closed port must not fail");
        assertEquals("after", new String(in.getBytes(), StandardCharsets.US_ASCII));
        assertEquals(bAddr.toSocketAddress(), from.toSocketAddress());
    }

    /**
     * #16 item 7. On an IPv6 socket the multicast hop limit and loopback are IPV6_MULTICAST_HOPS and
     * IPV6_MULTICAST_LOOP (IPPROTO_IPV6); the IPPROTO_IP options would not govern its IPv6 traffic. IP_TOS is
     * ignored by Windows (Microsoft: set it through the QoS API), so the driver refuses it.
     */
    @Test
    void multicastOptionsOnAnIpv6SocketAreTheIpv6Ones_andIpTosIsRefused() throws Exception {
        IoFd u6 = socket(AddressFamily.INET6, SocketType.DATAGRAM);
        h.driver().setOption(u6, StandardSocketOptions.IP_MULTICAST_TTL, 7);
        h.driver().setOption(u6, StandardSocketOptions.IP_MULTICAST_LOOP, false);
        assertEquals(7, h.driver().getOption(u6, StandardSocketOptions.IP_MULTICAST_TTL));
        assertEquals(false, h.driver().getOption(u6, StandardSocketOptions.IP_MULTICAST_LOOP));
        if (sim[0] != null) {
            long s6 = ((IoFd.Raw) u6).handle();
            assertEquals(7, simOption(s6, Win32Constants.IPPROTO_IPV6, Win32Constants.IPV6_MULTICAST_HOPS),
                    "IPV6_MULTICAST_HOPS holds the hop limit");
            assertEquals(0, simOption(s6, Win32Constants.IPPROTO_IPV6, Win32Constants.IPV6_MULTICAST_LOOP),
                    "IPV6_MULTICAST_LOOP is off");
        }
        IoFd u4 = socket(AddressFamily.INET, SocketType.DATAGRAM);
        h.driver().setOption(u4, StandardSocketOptions.IP_MULTICAST_TTL, 3);
        assertEquals(3, h.driver().getOption(u4, StandardSocketOptions.IP_MULTICAST_TTL));
        if (sim[0] != null) {
            assertEquals(3, simOption(((IoFd.Raw) u4).handle(), Win32Constants.IPPROTO_IP, Win32Constants.IP_MULTICAST_TTL));
        }
        IoFd t = socket(AddressFamily.INET, SocketType.STREAM);
        UnsupportedOperationException set = assertThrows(UnsupportedOperationException.class,
                () -> h.driver().setOption(t, StandardSocketOptions.IP_TOS, 0x10));
        assertTrue(set.getMessage().contains("IP_TOS") && set.getMessage().contains("Windows"), set.getMessage());
        assertThrows(UnsupportedOperationException.class, () -> h.driver().getOption(t, StandardSocketOptions.IP_TOS));
    }

    private int simOption(long s, int level, int name) {
        try (NativeMemory.Block b = NativeMemory.allocate(16)) {
            b.buffer().putInt(8, 4);
            assertEquals(0, sim[0].getsockopt(s, level, name, b.address(), b.address() + 8));
            return b.buffer().getInt(0);
        }
    }

    /**
     * #16 item 8. IOCP waits expire on the system clock tick (15.625 ms by default; the simulator models it):
     * a Timeout may fire up to about a tick late, never early, and the loop does not spin meanwhile.
     */
    @Test
    void timeoutsFireNeverEarlyAndWithinAboutATickUnderTheSystemClock() throws Exception {
        long tick = SimWin32.DEFAULT_TICK_NANOS;
        for (long ms : new long[]{1, 5, 20, 40}) {
            long waitsBefore = sim[0] != null ? sim[0].stats().waits() : 0;
            long t0 = System.nanoTime();
            assertEquals(0, h.value(new Timeout(TimeUnit.MILLISECONDS.toNanos(ms))));
            long elapsed = System.nanoTime() - t0;
            assertTrue(elapsed >= TimeUnit.MILLISECONDS.toNanos(ms), "Timeout(" + ms + " ms) fired early: " + elapsed + " ns");
            assertTrue(elapsed < TimeUnit.MILLISECONDS.toNanos(ms) + 2 * tick + TimeUnit.MILLISECONDS.toNanos(250),
                    "Timeout(" + ms + " ms) fired " + elapsed / 1000 + " us after it started");
            if (sim[0] != null) {
                long waits = sim[0].stats().waits() - waitsBefore;
                assertTrue(waits <= 4 + ms / 15, "Timeout(" + ms + " ms) took " + waits + " waits: the loop spins");
            }
        }
    }

    /**
     * #16 item 10 (for the Windows job; also runs on the simulator). A synchronous WSAEMSGSIZE, then 100 ops
     * through the same slot: every result is right and no packet ever arrives for an op it does not belong to.
     * On Windows this checks the one thing only Windows can say: that the packet of an immediate
     * WSAEMSGSIZE on a non-skipping UDP socket comes, and comes once.
     */
    @Test
    void aSynchronousWsaemsgsizeThenAHundredOpsThroughTheSameSlot() throws Exception {
        SimWin32[] oneSim = new SimWin32[1];
        try (DriverHarness one = DriverHarness.open(Bindings.provider(oneSim), 1)) {
            SockAddrStorage aAddr = SockAddrStorage.allocate(AddressLayout.WINDOWS);
            SockAddrStorage bAddr = SockAddrStorage.allocate(AddressLayout.WINDOWS);
            IoFd a = one.boundUdp(AddressFamily.INET, aAddr);
            IoFd b = one.boundUdp(AddressFamily.INET, bAddr);
            FixedBuf small = pool.lease();
            small.writerIndex(small.capacity() - 4);
            small.readerIndex(small.writerIndex());
            for (int attempt = 0; attempt < 50 && one.iocp().warningsAtOnce() == 0; attempt++) {
                assertEquals(10, one.value(new SendTo(a, bytes("0123456789"), bAddr)));
                Thread.sleep(20); // let it arrive, so WSARecvFrom finds it at once
                DriverHarness.Result r = one.run(new RecvFrom(b, small, SockAddrStorage.allocate(AddressLayout.WINDOWS)));
                assertEquals("WSAEMSGSIZE", r.error().codeName());
            }
            assertEquals(1, one.iocp().warningsAtOnce(), "a WSAEMSGSIZE came back from WSARecvFrom itself");
            FixedBuf out = pool.lease();
            FixedBuf in = pool.lease();
            for (int i = 0; i < 50; i++) {
                byte[] msg = ("datagram " + i).getBytes(StandardCharsets.US_ASCII);
                out.clear().put(msg);
                assertEquals(msg.length, one.value(new SendTo(a, out, bAddr)), "SendTo " + i);
                in.clear();
                SockAddrStorage from = SockAddrStorage.allocate(AddressLayout.WINDOWS);
                assertEquals(msg.length, one.value(new RecvFrom(b, in, from)), "RecvFrom " + i);
                assertArrayEquals(msg, in.getBytes(), "RecvFrom " + i);
                assertEquals(aAddr.toSocketAddress(), from.toSocketAddress(), "RecvFrom " + i);
            }
            one.turn(TimeUnit.MILLISECONDS.toNanos(100)); // a late packet would be here by now
            assertEquals(0, one.iocp().staleCompletions(), "no packet named an op it did not belong to");
            assertEquals(0, one.iocp().inKernel());
            one.value(new Close(a));
            one.value(new Close(b));
        } finally {
            if (oneSim[0] != null) {
                List<String> failures = oneSim[0].failures();
                oneSim[0].close();
                assertEquals(List.of(), failures);
            }
        }
    }

    /** Reads 4 bytes at the current position into the last 4 bytes of a buffer. */
    private String readFour(IoFd fd) throws VeloqIoException {
        FixedBuf b = pool.lease();
        b.writerIndex(b.capacity() - 4);
        b.readerIndex(b.capacity() - 4);
        assertEquals(4, h.value(new Read(fd, b, -1)));
        String s = new String(b.getBytes(), StandardCharsets.US_ASCII);
        b.release();
        return s;
    }
}
