package io.veloq.testkit;

import io.veloq.api.Completion;
import io.veloq.api.IoErrorKind;
import io.veloq.api.IoFd;
import io.veloq.api.Op;
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
import io.veloq.api.op.OpKind;
import io.veloq.api.op.Recv;
import io.veloq.api.op.RecvFrom;
import io.veloq.api.op.Send;
import io.veloq.api.op.SendTo;
import io.veloq.api.op.Socket;
import io.veloq.spi.LinuxSocketOptions;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.SocketOption;
import java.net.StandardSocketOptions;
import java.net.UnixDomainSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The fake answers socket options, dual stack, the listen backlog and abortive close as Linux does (each value
 * here was measured on Linux 6.18 with the same calls), so code tested on the fake behaves the same on io_uring.
 */
@ExtendWith(SimulationExtension.class)
@EnabledOnOs(value = OS.LINUX, disabledReason = "asserts values measured on Linux and binds Unix sockets under /tmp")
class LinuxSocketSemanticsTest {
    private static final SocketOption<Integer> MADE_UP = new SocketOption<>() {
        public String name() {
            return "SO_MADE_UP";
        }

        public Class<Integer> type() {
            return Integer.class;
        }
    };

    private static IoFd.Raw socket(IoRuntime rt, AddressFamily f, SocketType t) {
        return IoFd.raw(rt.loop().call(new Socket(f, t)).value());
    }

    private static IoFd.Raw listener(IoRuntime rt, AddressFamily f, String host, int backlog) throws IOException {
        IoFd.Raw l = socket(rt, f, SocketType.STREAM);
        rt.loop().bind(l, new InetSocketAddress(host, 0));
        rt.loop().listen(l, backlog);
        return l;
    }

    private static int port(IoRuntime rt, IoFd fd) throws IOException {
        return ((InetSocketAddress) rt.loop().localAddress(fd)).getPort();
    }

    /** The sockaddr_in6 of {@code ::ffff:a.b.c.d}, as the net API builds it for an IPv4 target of an IPv6 socket. */
    private static SockAddrStorage mapped(String v4, int port) throws IOException {
        byte[] m = new byte[16];
        m[10] = (byte) 0xff;
        m[11] = (byte) 0xff;
        System.arraycopy(InetAddress.getByName(v4).getAddress(), 0, m, 12, 4);
        return SockAddrStorage.allocate().setInet6(m, port, 0, 0);
    }

    private static IoFd.Raw accept(Simulation sim, IoFd l, SockAddrStorage peer) {
        return IoFd.raw(sim.runtime().loop().call(new Accept(l, peer)).value());
    }

    // ------------------------------------------------------------------ socket options

    @Test
    void keysLinuxLacksAreRefusedWithTheSameMessageAsTheUringDriver(Simulation sim) throws Exception {
        IoRuntime rt = sim.runtime();
        IoFd.Raw tcp4 = socket(rt, AddressFamily.INET, SocketType.STREAM);
        IoFd.Raw unix = socket(rt, AddressFamily.UNIX, SocketType.STREAM);
        IoFd.Raw udp4 = socket(rt, AddressFamily.INET, SocketType.DATAGRAM);

        UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class,
                () -> rt.loop().setOption(tcp4, MADE_UP, 1));
        assertTrue(e.getMessage().contains("SO_MADE_UP") && e.getMessage().contains("Linux"), e.getMessage());
        assertEquals(message(() -> LinuxSocketOptions.lookup(MADE_UP, AddressFamily.INET)), e.getMessage());
        assertThrows(UnsupportedOperationException.class, () -> rt.loop().getOption(tcp4, MADE_UP));

        e = assertThrows(UnsupportedOperationException.class, () -> rt.loop().getOption(tcp4, VeloqSocketOptions.IPV6_V6ONLY));
        assertTrue(e.getMessage().contains("IPV6_V6ONLY") && e.getMessage().contains("IPv4"), e.getMessage());
        e = assertThrows(UnsupportedOperationException.class, () -> rt.loop().setOption(unix, StandardSocketOptions.TCP_NODELAY, true));
        assertTrue(e.getMessage().contains("TCP_NODELAY") && e.getMessage().contains("Unix-domain"), e.getMessage());
        rt.loop().setOption(unix, StandardSocketOptions.SO_SNDBUF, 32768); // SOL_SOCKET keys apply to Unix sockets
        assertEquals(65536, rt.loop().getOption(unix, StandardSocketOptions.SO_SNDBUF));

        // The kernel's own refusal: a TCP-level key on a UDP socket (udp_setsockopt -> ip_setsockopt).
        VeloqIoException k = assertThrows(VeloqIoException.class, () -> rt.loop().setOption(udp4, StandardSocketOptions.TCP_NODELAY, true));
        assertEquals("ENOPROTOOPT", k.codeName(), k.getMessage());
        assertTrue(k.getMessage().contains("TCP_NODELAY") && k.getMessage().contains("fd " + udp4.handle()), k.getMessage());
    }

    private static String message(Runnable r) {
        return assertThrows(UnsupportedOperationException.class, r::run).getMessage();
    }

    @Test
    void valuesReadBackAsTheKernelReportsThem(Simulation sim) throws Exception {
        IoRuntime rt = sim.runtime();
        IoFd.Raw tcp = socket(rt, AddressFamily.INET, SocketType.STREAM);
        IoFd.Raw udp6 = socket(rt, AddressFamily.INET6, SocketType.DATAGRAM);
        // Defaults of a fresh socket.
        assertEquals(131072, rt.loop().getOption(tcp, StandardSocketOptions.SO_RCVBUF));
        assertEquals(16384, rt.loop().getOption(tcp, StandardSocketOptions.SO_SNDBUF));
        assertEquals(212992, rt.loop().getOption(udp6, StandardSocketOptions.SO_RCVBUF));
        assertEquals(212992, rt.loop().getOption(udp6, StandardSocketOptions.SO_SNDBUF));
        assertEquals(7200, rt.loop().getOption(tcp, VeloqSocketOptions.TCP_KEEPIDLE));
        assertEquals(75, rt.loop().getOption(tcp, VeloqSocketOptions.TCP_KEEPINTVL));
        assertEquals(9, rt.loop().getOption(tcp, VeloqSocketOptions.TCP_KEEPCNT));
        assertEquals(true, rt.loop().getOption(tcp, VeloqSocketOptions.TCP_QUICKACK));
        assertEquals(-1, rt.loop().getOption(tcp, StandardSocketOptions.SO_LINGER));
        assertEquals(1, rt.loop().getOption(udp6, StandardSocketOptions.IP_MULTICAST_TTL));
        assertEquals(true, rt.loop().getOption(udp6, StandardSocketOptions.IP_MULTICAST_LOOP));
        assertNull(rt.loop().getOption(udp6, StandardSocketOptions.IP_MULTICAST_IF));
        assertEquals(false, rt.loop().getOption(udp6, VeloqSocketOptions.IPV6_V6ONLY), "Linux's default: dual stack");

        // Linux doubles buffer sizes, with a floor.
        rt.loop().setOption(tcp, StandardSocketOptions.SO_RCVBUF, 65536);
        rt.loop().setOption(tcp, StandardSocketOptions.SO_SNDBUF, 50_000);
        assertEquals(131072, rt.loop().getOption(tcp, StandardSocketOptions.SO_RCVBUF));
        assertEquals(100_000, rt.loop().getOption(tcp, StandardSocketOptions.SO_SNDBUF));
        rt.loop().setOption(tcp, StandardSocketOptions.SO_RCVBUF, 1);
        rt.loop().setOption(tcp, StandardSocketOptions.SO_SNDBUF, 1);
        assertEquals(2304, rt.loop().getOption(tcp, StandardSocketOptions.SO_RCVBUF));
        assertEquals(4608, rt.loop().getOption(tcp, StandardSocketOptions.SO_SNDBUF));
        // TCP keeps the ECN bits of the TOS byte; UDP takes the byte as given.
        rt.loop().setOption(tcp, StandardSocketOptions.IP_TOS, 0xb9);
        assertEquals(0xb8, rt.loop().getOption(tcp, StandardSocketOptions.IP_TOS));
        rt.loop().setOption(udp6, StandardSocketOptions.IP_TOS, 0xb9);
        assertEquals(0xb9, rt.loop().getOption(udp6, StandardSocketOptions.IP_TOS));
    }

    @Test
    void v6onlyCannotChangeOnceBound(Simulation sim) throws Exception {
        IoRuntime rt = sim.runtime();
        IoFd.Raw s = socket(rt, AddressFamily.INET6, SocketType.STREAM);
        rt.loop().bind(s, new InetSocketAddress("::", 0));
        VeloqIoException e = assertThrows(VeloqIoException.class, () -> rt.loop().setOption(s, VeloqSocketOptions.IPV6_V6ONLY, true));
        assertEquals("EINVAL", e.codeName(), e.getMessage());
        assertTrue(e.getMessage().contains("IPV6_V6ONLY"), e.getMessage());
    }

    @Test
    void closeWithLingerZeroResetsThePeer(Simulation sim) throws Exception {
        IoRuntime rt = sim.runtime();
        for (boolean abortive : new boolean[] {false, true}) {
            IoFd.Raw l = listener(rt, AddressFamily.INET, "127.0.0.1", 16);
            IoFd.Raw c = socket(rt, AddressFamily.INET, SocketType.STREAM);
            rt.loop().call(new Connect(c, SockAddrStorage.of(rt.loop().localAddress(l)))).valueOrThrow();
            IoFd.Raw s = accept(sim, l, SockAddrStorage.allocate());
            if (abortive) {
                rt.loop().setOption(s, StandardSocketOptions.SO_LINGER, 0);
            }
            FixedBuf buf = rt.loop().bufPool().lease();
            CompletableFuture<Completion<Recv>> pending = rt.loop().submitAsync(new Recv(c, buf));
            sim.runUntilIdle();
            assertFalse(pending.isDone(), "the recv waits for data");
            rt.loop().call(new Close(s)).valueOrThrow();
            Completion<Recv> r = sim.await(pending);
            if (abortive) {
                assertEquals("ECONNRESET", r.error().codeName(), "SO_LINGER 0: close sends RST");
                assertEquals(IoErrorKind.CONNECTION_RESET, r.error().kind());
                buf.clear();
                assertEquals(0, rt.loop().call(new Recv(c, buf)).valueOrThrow(), "after the reset, end of stream");
            } else {
                assertEquals(0, r.valueOrThrow(), "a plain close is a FIN: end of stream");
            }
            buf.release();
            rt.loop().call(new Close(c)).valueOrThrow();
            rt.loop().call(new Close(l)).valueOrThrow();
        }
    }

    // ------------------------------------------------------------------ dual stack

    @Test
    void dualStackListenerAcceptsIpv4AsMappedIpv6(Simulation sim) throws Exception {
        IoRuntime rt = sim.runtime();
        IoFd.Raw l = listener(rt, AddressFamily.INET6, "::", 16);
        int port = port(rt, l);
        IoFd.Raw c4 = socket(rt, AddressFamily.INET, SocketType.STREAM);
        rt.loop().call(new Connect(c4, SockAddrStorage.of(new InetSocketAddress("127.0.0.1", port)))).valueOrThrow();
        SockAddrStorage peer = SockAddrStorage.allocate();
        IoFd.Raw s4 = accept(sim, l, peer);
        // Linux reports an IPv4 client of an IPv6 listener as sockaddr_in6 ::ffff:127.0.0.1; the JDK prints it as IPv4.
        assertEquals(AddressFamily.INET6, peer.family(), "accept's peer is an IPv6 sockaddr: " + peer);
        assertEquals(rt.loop().localAddress(c4), peer.toSocketAddress());
        assertEquals(new InetSocketAddress("127.0.0.1", port), rt.loop().remoteAddress(c4));
        assertEquals(new InetSocketAddress("127.0.0.1", port), rt.loop().localAddress(s4));
        FixedBuf b = rt.loop().bufPool().lease().put("v4 via ::".getBytes(StandardCharsets.US_ASCII));
        assertEquals(9, rt.loop().call(new Send(c4, b)).valueOrThrow());
        b.clear();
        assertEquals(9, rt.loop().call(new Recv(s4, b)).valueOrThrow());
        b.release();

        // IPv6 clients still arrive as IPv6.
        IoFd.Raw c6 = socket(rt, AddressFamily.INET6, SocketType.STREAM);
        rt.loop().call(new Connect(c6, SockAddrStorage.of(new InetSocketAddress("::1", port)))).valueOrThrow();
        SockAddrStorage peer6 = SockAddrStorage.allocate();
        accept(sim, l, peer6);
        assertEquals(rt.loop().localAddress(c6), peer6.toSocketAddress());

        // The dual-stack listener owns the port for IPv4 too.
        IoFd.Raw v4 = socket(rt, AddressFamily.INET, SocketType.STREAM);
        VeloqIoException e = assertThrows(VeloqIoException.class, () -> rt.loop().bind(v4, new InetSocketAddress("127.0.0.1", port)));
        assertEquals("EADDRINUSE", e.codeName());
    }

    @Test
    void v6onlyListenerRefusesIpv4(Simulation sim) throws Exception {
        IoRuntime rt = sim.runtime();
        IoFd.Raw l = socket(rt, AddressFamily.INET6, SocketType.STREAM);
        rt.loop().setOption(l, VeloqSocketOptions.IPV6_V6ONLY, true);
        rt.loop().bind(l, new InetSocketAddress("::", 0));
        rt.loop().listen(l, 16);
        int port = port(rt, l);
        IoFd.Raw c4 = socket(rt, AddressFamily.INET, SocketType.STREAM);
        Completion<Connect> r = rt.loop().call(new Connect(c4, SockAddrStorage.of(new InetSocketAddress("127.0.0.1", port))));
        assertEquals("ECONNREFUSED", r.error().codeName());
        // The IPv4 side of the port is free: an IPv4 listener may take it.
        IoFd.Raw v4 = socket(rt, AddressFamily.INET, SocketType.STREAM);
        rt.loop().bind(v4, new InetSocketAddress("127.0.0.1", port));
        // And an IPV6_V6ONLY socket cannot reach an IPv4-mapped address at all.
        IoFd.Raw c6 = socket(rt, AddressFamily.INET6, SocketType.STREAM);
        rt.loop().setOption(c6, VeloqSocketOptions.IPV6_V6ONLY, true);
        assertEquals("ENETUNREACH", rt.loop().call(new Connect(c6, mapped("127.0.0.1", port))).error().codeName());
    }

    @Test
    void ipv6SocketReachesAnIpv4ListenerThroughAMappedAddress(Simulation sim) throws Exception {
        IoRuntime rt = sim.runtime();
        IoFd.Raw l = listener(rt, AddressFamily.INET, "127.0.0.1", 16);
        int port = port(rt, l);
        IoFd.Raw c6 = socket(rt, AddressFamily.INET6, SocketType.STREAM);
        rt.loop().call(new Connect(c6, mapped("127.0.0.1", port))).valueOrThrow();
        SockAddrStorage peer = SockAddrStorage.allocate();
        accept(sim, l, peer);
        assertEquals(AddressFamily.INET, peer.family(), "an IPv4 listener sees an IPv4 client");
        assertEquals(((InetSocketAddress) rt.loop().localAddress(c6)).getPort(), ((InetSocketAddress) peer.toSocketAddress()).getPort());
    }

    @Test
    void udpDualStackBothWays(Simulation sim) throws Exception {
        IoRuntime rt = sim.runtime();
        IoFd.Raw u6 = socket(rt, AddressFamily.INET6, SocketType.DATAGRAM);
        rt.loop().bind(u6, new InetSocketAddress("::", 0));
        IoFd.Raw u4 = socket(rt, AddressFamily.INET, SocketType.DATAGRAM);
        rt.loop().bind(u4, new InetSocketAddress("127.0.0.1", 0));
        int p6 = port(rt, u6);
        FixedBuf b = rt.loop().bufPool().lease().put(new byte[] {1, 2, 3});
        rt.loop().call(new SendTo(u6, b, mapped("127.0.0.1", port(rt, u4)))).valueOrThrow();
        b.clear();
        SockAddrStorage from = SockAddrStorage.allocate();
        assertEquals(3, rt.loop().call(new RecvFrom(u4, b, from)).valueOrThrow());
        assertEquals(AddressFamily.INET, from.family());
        assertEquals(new InetSocketAddress("127.0.0.1", p6), from.toSocketAddress());

        b.clear().put(new byte[] {4, 5});
        rt.loop().call(new SendTo(u4, b, SockAddrStorage.of(new InetSocketAddress("127.0.0.1", p6)))).valueOrThrow();
        b.clear();
        SockAddrStorage from6 = SockAddrStorage.allocate();
        assertEquals(2, rt.loop().call(new RecvFrom(u6, b, from6)).valueOrThrow());
        assertEquals(AddressFamily.INET6, from6.family(), "the IPv6 socket sees ::ffff:127.0.0.1");
        assertEquals(rt.loop().localAddress(u4), from6.toSocketAddress());
        b.release();
    }

    // ------------------------------------------------------------------ listen backlog

    @Test
    void connectsBeyondTheBacklogWaitUntilAnAcceptMakesRoom(Simulation sim) throws Exception {
        IoRuntime rt = sim.runtime();
        IoFd.Raw l = listener(rt, AddressFamily.INET, "127.0.0.1", 0); // Linux queues backlog + 1 = 1
        SocketAddress where = rt.loop().localAddress(l);
        IoFd.Raw first = socket(rt, AddressFamily.INET, SocketType.STREAM);
        rt.loop().call(new Connect(first, SockAddrStorage.of(where))).valueOrThrow();

        IoFd.Raw second = socket(rt, AddressFamily.INET, SocketType.STREAM);
        CompletableFuture<Completion<Connect>> waiting = rt.loop().submitAsync(new Connect(second, SockAddrStorage.of(where)));
        sim.advanceBy(Duration.ofSeconds(30));
        assertFalse(waiting.isDone(), "a connect to a full backlog waits: " + sim.inFlight());
        assertEquals(OpKind.CONNECT, sim.inFlight(OpKind.CONNECT).kind());

        accept(sim, l, SockAddrStorage.allocate()); // room for one more
        assertTrue(sim.await(waiting).isSuccess(), "the waiting connect got in once an accept made room");

        // A deadline ends the wait with ETIMEDOUT, as on io_uring.
        IoFd.Raw third = socket(rt, AddressFamily.INET, SocketType.STREAM);
        Completion<Connect> timedOut = rt.loop().call(Op.of(new Connect(third, SockAddrStorage.of(where))).deadline(Duration.ofMillis(300)));
        assertEquals("ETIMEDOUT", timedOut.error().codeName(), String.valueOf(timedOut.error()));

        // Closing the listener refuses the connects still waiting.
        IoFd.Raw fourth = socket(rt, AddressFamily.INET, SocketType.STREAM);
        CompletableFuture<Completion<Connect>> refused = rt.loop().submitAsync(new Connect(fourth, SockAddrStorage.of(where)));
        sim.runUntilIdle();
        assertFalse(refused.isDone());
        rt.loop().call(new Close(l)).valueOrThrow();
        assertEquals("ECONNREFUSED", sim.await(refused).error().codeName());
    }

    @Test
    void aConnectWaitingOnTheBacklogCanBeCancelled(Simulation sim) throws Exception {
        IoRuntime rt = sim.runtime();
        IoFd.Raw l = listener(rt, AddressFamily.INET6, "::1", 0);
        SocketAddress where = rt.loop().localAddress(l);
        rt.loop().call(new Connect(socket(rt, AddressFamily.INET6, SocketType.STREAM), SockAddrStorage.of(where))).valueOrThrow();
        IoFd.Raw c = socket(rt, AddressFamily.INET6, SocketType.STREAM);
        Op<Connect> op = Op.of(new Connect(c, SockAddrStorage.of(where)));
        CompletableFuture<Completion<Connect>> f = rt.loop().submitAsync(op);
        sim.runUntilIdle();
        assertTrue(rt.loop().cancel(op));
        assertEquals(IoErrorKind.CANCELLED, sim.await(f).error().kind());
        // The cancelled connect left the queue: accepting the first connection lets nobody else in.
        accept(sim, l, SockAddrStorage.allocate());
        sim.runUntilIdle();
        assertTrue(sim.inFlight().isEmpty(), String.valueOf(sim.inFlight()));
    }

    @Test
    void unixSocketsTakeOnlySocketLevelKeys(Simulation sim) throws Exception {
        // Unix stream sockets: no TCP keys, the Unix defaults for buffers.
        IoRuntime rt = sim.runtime();
        IoFd.Raw u = socket(rt, AddressFamily.UNIX, SocketType.STREAM);
        rt.loop().bind(u, UnixDomainSocketAddress.of("/tmp/veloq-fake-semantics.sock"));
        assertEquals(212992, rt.loop().getOption(u, StandardSocketOptions.SO_RCVBUF));
        assertThrows(UnsupportedOperationException.class, () -> rt.loop().getOption(u, VeloqSocketOptions.TCP_KEEPIDLE));
    }
}
