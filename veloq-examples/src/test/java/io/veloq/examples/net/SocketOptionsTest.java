package io.veloq.examples.net;

import io.veloq.api.IoErrorKind;
import io.veloq.api.IoFd;
import io.veloq.api.IoRuntime;
import io.veloq.api.VeloqIoException;
import io.veloq.api.net.NetSocket;
import io.veloq.api.net.TcpListener;
import io.veloq.api.net.TcpStream;
import io.veloq.api.net.UdpSocket;
import io.veloq.api.net.UnixListener;
import io.veloq.api.net.UnixStream;
import io.veloq.api.net.VeloqSocketOptions;
import jdk.net.ExtendedSocketOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.SocketOption;
import java.net.StandardSocketOptions;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Type-safe socket options: every key set and read back (from the kernel on the io_uring driver, through
 * getsockopt), values refused before any native call, unsupported keys named, and, on the kernel, the
 * same socket seen through java.nio.
 */
class SocketOptionsTest {

    private static InetSocketAddress at(String host, int port) throws IOException {
        return new InetSocketAddress(InetAddress.getByName(host), port);
    }

    private static <T> void roundTrip(NetSocket s, SocketOption<T> key, T value) throws IOException {
        s.setOption(key, value);
        assertEquals(value, s.getOption(key), key.name() + " read back on " + s);
    }

    @ParameterizedTest
    @MethodSource("io.veloq.examples.net.TestDrivers#linuxOptions")
    void tcpOptionsReadBack(String driver) throws Exception {
        try (IoRuntime rt = TestDrivers.open(driver);
             TcpListener l = TcpListener.binder(rt.loop())
                     .option(VeloqSocketOptions.TCP_FASTOPEN, 16)
                     .option(StandardSocketOptions.SO_REUSEPORT, true)
                     .bind(at("::", 0))) {
            assertEquals(16, l.getOption(VeloqSocketOptions.TCP_FASTOPEN));
            assertEquals(true, l.getOption(StandardSocketOptions.SO_REUSEPORT));
            assertEquals(true, l.getOption(StandardSocketOptions.SO_REUSEADDR), "listener default");
            assertEquals(false, l.getOption(VeloqSocketOptions.IPV6_V6ONLY), "dual stack on ::");
            try (TcpStream s = TcpStream.connect(rt.loop(), at("::1", l.port()))) {
                for (boolean b : new boolean[] {true, false}) {
                    roundTrip(s, StandardSocketOptions.TCP_NODELAY, b);
                    roundTrip(s, StandardSocketOptions.SO_KEEPALIVE, b);
                    roundTrip(s, StandardSocketOptions.SO_REUSEADDR, b);
                    roundTrip(s, StandardSocketOptions.SO_REUSEPORT, b);
                    roundTrip(s, VeloqSocketOptions.TCP_CORK, b);
                    roundTrip(s, VeloqSocketOptions.TCP_QUICKACK, b);
                }
                roundTrip(s, StandardSocketOptions.SO_LINGER, 5);
                roundTrip(s, StandardSocketOptions.SO_LINGER, 0);
                roundTrip(s, StandardSocketOptions.SO_LINGER, -1);
                roundTrip(s, StandardSocketOptions.IP_TOS, 0xb8); // IPV6_TCLASS on this IPv6 socket
                roundTrip(s, VeloqSocketOptions.TCP_KEEPIDLE, 30);
                roundTrip(s, VeloqSocketOptions.TCP_KEEPINTVL, 7);
                roundTrip(s, VeloqSocketOptions.TCP_KEEPCNT, 4);
                s.setOption(StandardSocketOptions.SO_RCVBUF, 65536);
                s.setOption(StandardSocketOptions.SO_SNDBUF, 65536);
                // Linux doubles buffer sizes for its bookkeeping (the fake does too).
                assertEquals(131072, s.getOption(StandardSocketOptions.SO_RCVBUF), "SO_RCVBUF");
                assertEquals(131072, s.getOption(StandardSocketOptions.SO_SNDBUF), "SO_SNDBUF");
                try {
                    roundTrip(s, VeloqSocketOptions.SO_BUSY_POLL, 50);
                } catch (VeloqIoException e) {
                    // Raising SO_BUSY_POLL needs CAP_NET_ADMIN; without it the kernel's refusal must say so.
                    assertEquals(IoErrorKind.PERMISSION_DENIED, e.kind(), e.getMessage());
                    assertTrue(e.getMessage().contains("SO_BUSY_POLL"), e.getMessage());
                }
            }
            try (TcpListener v4 = TcpListener.bind(rt.loop(), at("127.0.0.1", 0));
                 TcpStream s4 = TcpStream.connect(rt.loop(), at("127.0.0.1", v4.port()))) {
                roundTrip(s4, StandardSocketOptions.IP_TOS, 0x28); // IP_TOS on IPv4
            }
        }
    }

    @ParameterizedTest
    @MethodSource("io.veloq.examples.net.TestDrivers#all")
    void udpOptionsReadBack(String driver) throws Exception {
        NetworkInterface lo = NetworkInterface.getByName("lo");
        try (IoRuntime rt = TestDrivers.open(driver)) {
            for (String host : new String[] {"127.0.0.1", "::1"}) {
                try (UdpSocket u = UdpSocket.binder(rt.loop()).option(StandardSocketOptions.SO_BROADCAST, true).bind(at(host, 0))) {
                    assertEquals(true, u.getOption(StandardSocketOptions.SO_BROADCAST));
                    roundTrip(u, StandardSocketOptions.IP_MULTICAST_TTL, 3);
                    roundTrip(u, StandardSocketOptions.IP_MULTICAST_LOOP, false);
                    roundTrip(u, StandardSocketOptions.IP_MULTICAST_LOOP, true);
                    if (lo != null) {
                        roundTrip(u, StandardSocketOptions.IP_MULTICAST_IF, lo);
                    }
                }
            }
        }
    }

    @ParameterizedTest
    @MethodSource("io.veloq.examples.net.TestDrivers#all")
    void badValuesAreRefusedBeforeAnyNativeCall(String driver) throws Exception {
        try (IoRuntime rt = TestDrivers.open(driver);
             TcpListener l = TcpListener.bind(rt.loop(), at("127.0.0.1", 0));
             TcpStream s = TcpStream.connect(rt.loop(), at("127.0.0.1", l.port()))) {
            s.setOption(StandardSocketOptions.SO_LINGER, 7);
            s.setOption(VeloqSocketOptions.TCP_KEEPCNT, 5);
            int rcvbuf = s.getOption(StandardSocketOptions.SO_RCVBUF);
            refused(s, StandardSocketOptions.SO_RCVBUF, -1, "SO_RCVBUF");
            refused(s, StandardSocketOptions.SO_SNDBUF, -4096, "SO_SNDBUF");
            refused(s, StandardSocketOptions.SO_LINGER, 70_000, "65535");
            refused(s, StandardSocketOptions.IP_TOS, 300, "0..255");
            refused(s, VeloqSocketOptions.TCP_KEEPCNT, 0, "1..127");
            refused(s, VeloqSocketOptions.TCP_KEEPIDLE, 99_999, "1..32767");
            refused(s, VeloqSocketOptions.SO_BUSY_POLL, -1, "SO_BUSY_POLL");
            // Nothing reached the socket: the values read back are the ones set before.
            assertEquals(rcvbuf, s.getOption(StandardSocketOptions.SO_RCVBUF));
            assertEquals(7, s.getOption(StandardSocketOptions.SO_LINGER));
            assertEquals(5, s.getOption(VeloqSocketOptions.TCP_KEEPCNT));
            // And through the builders, before the socket exists.
            assertThrows(IllegalArgumentException.class, () -> TcpStream.connector(rt.loop())
                    .option(StandardSocketOptions.SO_RCVBUF, -1).connect(at("127.0.0.1", l.port())));
        }
    }

    private static <T> void refused(NetSocket s, SocketOption<T> key, T value, String mention) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> s.setOption(key, value),
                key.name() + "=" + value);
        assertTrue(e.getMessage().contains(mention) && e.getMessage().contains(String.valueOf(value))
                && e.getMessage().contains("fd " + ((IoFd.Raw) s.fd()).handle()), e.getMessage());
    }

    @ParameterizedTest
    @MethodSource("io.veloq.examples.net.TestDrivers#all")
    void unsupportedKeysNameTheKeyAndTheOs(String driver) throws Exception {
        SocketOption<Integer> madeUp = new SocketOption<>() {
            public String name() {
                return "SO_MADE_UP";
            }

            public Class<Integer> type() {
                return Integer.class;
            }
        };
        Path dir = Files.createTempDirectory("veloq-opt");
        Path path = dir.resolve("o.sock");
        try (IoRuntime rt = TestDrivers.open(driver);
             TcpListener l = TcpListener.bind(rt.loop(), at("127.0.0.1", 0))) {
            UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class,
                    () -> l.setOption(madeUp, 1));
            assertTrue(e.getMessage().contains("SO_MADE_UP") && e.getMessage().contains("Linux"), e.getMessage());
            e = assertThrows(UnsupportedOperationException.class,
                    () -> l.getOption(VeloqSocketOptions.IPV6_V6ONLY));
            assertTrue(e.getMessage().contains("IPV6_V6ONLY") && e.getMessage().contains("IPv4"), e.getMessage());
            try (UnixListener ul = UnixListener.bind(rt.loop(), UnixDomainSocketAddress.of(path));
                 UnixStream us = UnixStream.connect(rt.loop(), UnixDomainSocketAddress.of(path))) {
                e = assertThrows(UnsupportedOperationException.class,
                        () -> us.setOption(StandardSocketOptions.TCP_NODELAY, true));
                assertTrue(e.getMessage().contains("TCP_NODELAY") && e.getMessage().contains("Unix-domain"), e.getMessage());
                us.setOption(StandardSocketOptions.SO_SNDBUF, 32768); // SOL_SOCKET keys apply
                assertTrue(us.getOption(StandardSocketOptions.SO_SNDBUF) >= 32768);
            }
        } finally {
            Files.deleteIfExists(path);
            Files.deleteIfExists(dir);
        }
    }

    /**
     * One socket, two views: a java.nio channel's descriptor (found through /proc) read and written through
     * Veloq, so each option is checked against what the JDK reports for the same kernel socket.
     */
    @Test
    void kernelValuesMatchWhatJavaNioReportsForTheSameSocket() throws Exception {
        TestDrivers.assumeKernel("the fake driver's sockets are not kernel sockets java.nio could see");
        try (IoRuntime rt = TestDrivers.open("uring");
             TcpListener l = TcpListener.bind(rt.loop(), at("127.0.0.1", 0));
             SocketChannel ch = SocketChannel.open(at("127.0.0.1", l.port()))) {
            TcpStream peer = l.acceptAsync().get(10, TimeUnit.SECONDS);
            int localPort = ((InetSocketAddress) ch.getLocalAddress()).getPort();
            IoFd fd = IoFd.raw(ProcNet.fdOfTcpSocket(localPort, l.port()));

            // java.nio sets, Veloq reads from the kernel.
            ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
            ch.setOption(StandardSocketOptions.SO_KEEPALIVE, true);
            ch.setOption(StandardSocketOptions.SO_LINGER, 9);
            ch.setOption(StandardSocketOptions.SO_RCVBUF, 100_000);
            ch.setOption(StandardSocketOptions.IP_TOS, 0x48);
            ch.setOption(ExtendedSocketOptions.TCP_KEEPIDLE, 61);
            ch.setOption(ExtendedSocketOptions.TCP_KEEPINTERVAL, 11);
            ch.setOption(ExtendedSocketOptions.TCP_KEEPCOUNT, 6);
            assertEquals(true, rt.loop().getOption(fd, StandardSocketOptions.TCP_NODELAY));
            assertEquals(true, rt.loop().getOption(fd, StandardSocketOptions.SO_KEEPALIVE));
            assertEquals(9, rt.loop().getOption(fd, StandardSocketOptions.SO_LINGER));
            // Linux doubles buffer sizes; Veloq reports the kernel's value, the JDK halves it back (NET_GetSockOpt).
            assertEquals(200_000, rt.loop().getOption(fd, StandardSocketOptions.SO_RCVBUF));
            assertEquals(2 * ch.getOption(StandardSocketOptions.SO_RCVBUF), rt.loop().getOption(fd, StandardSocketOptions.SO_RCVBUF));
            assertEquals(ch.getOption(StandardSocketOptions.IP_TOS), rt.loop().getOption(fd, StandardSocketOptions.IP_TOS));
            assertEquals(61, rt.loop().getOption(fd, VeloqSocketOptions.TCP_KEEPIDLE));
            assertEquals(11, rt.loop().getOption(fd, VeloqSocketOptions.TCP_KEEPINTVL));
            assertEquals(6, rt.loop().getOption(fd, VeloqSocketOptions.TCP_KEEPCNT));

            // Veloq sets, java.nio reads.
            rt.loop().setOption(fd, StandardSocketOptions.TCP_NODELAY, false);
            rt.loop().setOption(fd, StandardSocketOptions.SO_KEEPALIVE, false);
            rt.loop().setOption(fd, StandardSocketOptions.SO_LINGER, -1);
            rt.loop().setOption(fd, StandardSocketOptions.SO_SNDBUF, 50_000);
            rt.loop().setOption(fd, VeloqSocketOptions.TCP_KEEPIDLE, 120);
            rt.loop().setOption(fd, VeloqSocketOptions.TCP_KEEPCNT, 3);
            rt.loop().setOption(fd, VeloqSocketOptions.TCP_QUICKACK, true);
            assertEquals(false, ch.getOption(StandardSocketOptions.TCP_NODELAY));
            assertEquals(false, ch.getOption(StandardSocketOptions.SO_KEEPALIVE));
            assertEquals(-1, ch.getOption(StandardSocketOptions.SO_LINGER));
            assertEquals(100_000, rt.loop().getOption(fd, StandardSocketOptions.SO_SNDBUF));
            assertEquals(rt.loop().getOption(fd, StandardSocketOptions.SO_SNDBUF), 2 * ch.getOption(StandardSocketOptions.SO_SNDBUF));
            assertEquals(120, ch.getOption(ExtendedSocketOptions.TCP_KEEPIDLE));
            assertEquals(3, ch.getOption(ExtendedSocketOptions.TCP_KEEPCOUNT));
            assertEquals(true, ch.getOption(ExtendedSocketOptions.TCP_QUICKACK));
            peer.close();
        }
    }
}
