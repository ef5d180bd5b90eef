package io.veloq.testkit.tck;

import io.veloq.api.Capability;
import io.veloq.api.Completion;
import io.veloq.api.EventLoop;
import io.veloq.api.IoErrorKind;
import io.veloq.api.IoFd;
import io.veloq.api.net.AddressFamily;
import io.veloq.api.net.SockAddrStorage;
import io.veloq.api.net.SocketType;
import io.veloq.api.net.VeloqSocketOptions;
import io.veloq.api.op.Accept;
import io.veloq.api.op.Connect;
import io.veloq.api.op.Socket;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.SocketOption;
import java.net.StandardSocketOptions;
import java.util.concurrent.CompletableFuture;

/**
 * The socket-option rules, one per group (socket level, TCP, IP, IPv6), run when the driver reports
 * {@link Capability#SOCKET_OPTIONS} (and {@link Capability#IPV6_V6ONLY} for the last). Values are read back as
 * the platform reports them, which may differ from what was set: Linux doubles {@code SO_RCVBUF}/{@code SO_SNDBUF}
 * (a driver without a kernel, such as the fake, reports what the platform it models would). So a buffer size
 * must read back at least what was set; a flag or a linger time reads back exactly. Part of {@link DriverTck};
 * extend that.
 *
 * @since 0.1
 */
public abstract class OptionRules extends MultiLoopRules {
    OptionRules() {
    }

    @Test
    public void optional_socketLevelOptions() {
        rule(rt -> {
            assumeCapability(rt.loop(), Capability.SOCKET_OPTIONS);
            IoFd s = socket(rt.loop(), AddressFamily.INET, SocketType.STREAM);
            for (SocketOption<Integer> size : java.util.List.of(StandardSocketOptions.SO_RCVBUF, StandardSocketOptions.SO_SNDBUF)) {
                rt.loop().setOption(s, size, 8192);
                int got = rt.loop().getOption(s, size);
                check(got >= 8192, () -> size.name() + " set to 8192 reads back " + got + ": a platform may round a buffer "
                        + "size up (Linux doubles it) but never below what was set");
                assertEquals(got, rt.loop().getOption(s, size), size.name() + " read twice");
            }
            for (SocketOption<Boolean> flag : java.util.List.of(StandardSocketOptions.SO_KEEPALIVE, StandardSocketOptions.SO_REUSEADDR)) {
                roundTrip(rt.loop(), s, flag, true);
                roundTrip(rt.loop(), s, flag, false);
            }
            roundTrip(rt.loop(), s, StandardSocketOptions.SO_LINGER, 5);
            rt.loop().setOption(s, StandardSocketOptions.SO_LINGER, -1);
            int off = rt.loop().getOption(s, StandardSocketOptions.SO_LINGER);
            check(off < 0, () -> "SO_LINGER set to -1 (off) reads back " + off);
            closeAll(rt.loop(), s);
        });
    }

    @Test
    public void optional_tcpOptions() {
        rule(rt -> {
            assumeCapability(rt.loop(), Capability.SOCKET_OPTIONS);
            Conn p = connectedPair(rt.loop());
            roundTrip(rt.loop(), p.client, StandardSocketOptions.TCP_NODELAY, true);
            roundTrip(rt.loop(), p.client, StandardSocketOptions.TCP_NODELAY, false);
            roundTrip(rt.loop(), p.server, StandardSocketOptions.TCP_NODELAY, true);
            p.close(rt.loop());
        });
    }

    @Test
    public void optional_ipOptions() {
        rule(rt -> {
            assumeCapability(rt.loop(), Capability.SOCKET_OPTIONS);
            IoFd s = socket(rt.loop(), AddressFamily.INET, SocketType.STREAM);
            try {
                roundTrip(rt.loop(), s, StandardSocketOptions.IP_TOS, 0x10);
            } catch (UnsupportedOperationException refused) {
                // A platform that ignores IP_TOS (Windows) may refuse it, but then clearly, naming the option.
                String m = String.valueOf(refused.getMessage());
                org.junit.jupiter.api.Assertions.assertTrue(m.contains("IP_TOS"),
                        "a refused IP_TOS must name the option, got: " + m);
            }
            closeAll(rt.loop(), s);
            if (rt.capabilities().contains(Capability.DATAGRAM_SOCKETS)) {
                IoFd u = socket(rt.loop(), AddressFamily.INET, SocketType.DATAGRAM);
                roundTrip(rt.loop(), u, StandardSocketOptions.IP_MULTICAST_TTL, 7);
                roundTrip(rt.loop(), u, StandardSocketOptions.IP_MULTICAST_LOOP, false);
                roundTrip(rt.loop(), u, StandardSocketOptions.IP_MULTICAST_LOOP, true);
                closeAll(rt.loop(), u);
            }
        });
    }

    @Test
    public void optional_ipv6OnlyAndDualStack() {
        rule(rt -> {
            assumeCapability(rt.loop(), Capability.SOCKET_OPTIONS);
            assumeCapability(rt.loop(), Capability.IPV6_V6ONLY);
            Completion<Socket> probe = await(rt.loop().submitAsync(new Socket(AddressFamily.INET6, SocketType.STREAM)), "Socket(INET6)");
            Assumptions.assumeTrue(probe.isSuccess() || probe.error().kind() != IoErrorKind.NOT_SUPPORTED,
                    () -> "this host has no IPv6: " + probe.error());
            IoFd l = IoFd.raw(probe.valueOrThrow());
            roundTrip(rt.loop(), l, VeloqSocketOptions.IPV6_V6ONLY, true);
            roundTrip(rt.loop(), l, VeloqSocketOptions.IPV6_V6ONLY, false);
            InetAddress any6 = InetAddress.getByName("::");
            rt.loop().bind(l, new InetSocketAddress(any6, 0));
            rt.loop().listen(l, 8);
            int port = ((InetSocketAddress) rt.loop().localAddress(l)).getPort();
            SocketAddress v4 = new InetSocketAddress(InetAddress.getByName("127.0.0.1"), port);
            // IPV6_V6ONLY false on ::, the dual stack: an IPv4 client reaches the IPv6 listener.
            CompletableFuture<Completion<Accept>> acc = rt.loop().submitAsync(new Accept(l, SockAddrStorage.allocate(rt.loop().addressLayout())));
            IoFd c = socket(rt.loop(), AddressFamily.INET, SocketType.STREAM);
            await(rt.loop().submitAsync(new Connect(c, SockAddrStorage.of(v4, rt.loop().addressLayout()))),
                    "an IPv4 Connect to a dual-stack IPv6 listener on [::]:" + port).valueOrThrow();
            IoFd s = IoFd.raw(await(acc, "Accept of an IPv4 connection on a dual-stack IPv6 listener").valueOrThrow());
            byte[] data = randomBytes(500);
            sendAll(rt.loop(), c, data);
            assertArrayEquals(data, receiveExactly(rt.loop(), s, data.length), "bytes from an IPv4 client over a dual-stack listener");
            closeAll(rt.loop(), c, s, l);
            // IPV6_V6ONLY true on ::, IPv6 only: the same IPv4 connect is refused.
            IoFd only = socket(rt.loop(), AddressFamily.INET6, SocketType.STREAM);
            rt.loop().setOption(only, VeloqSocketOptions.IPV6_V6ONLY, true);
            rt.loop().bind(only, new InetSocketAddress(any6, 0));
            rt.loop().listen(only, 8);
            int port6 = ((InetSocketAddress) rt.loop().localAddress(only)).getPort();
            IoFd c4 = socket(rt.loop(), AddressFamily.INET, SocketType.STREAM);
            SocketAddress v4only = new InetSocketAddress(InetAddress.getByName("127.0.0.1"), port6);
            expectError(await(rt.loop().submitAsync(new Connect(c4, SockAddrStorage.of(v4only, rt.loop().addressLayout()))),
                    "an IPv4 Connect to an IPV6_V6ONLY listener on [::]:" + port6), IoErrorKind.CONNECTION_REFUSED,
                    "an IPv4 Connect to an IPv6-only listener");
            closeAll(rt.loop(), c4, only);
        });
    }

    private <T> void roundTrip(EventLoop rt, IoFd fd, SocketOption<T> option, T value) throws java.io.IOException {
        rt.setOption(fd, option, value);
        T got = rt.getOption(fd, option);
        assertEquals(value, got, option.name() + " set to " + value + " on " + fd + " reads back");
    }
}
