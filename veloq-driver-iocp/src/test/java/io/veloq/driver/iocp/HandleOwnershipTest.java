package io.veloq.driver.iocp;

import io.veloq.api.IoErrorKind;
import io.veloq.api.IoFd;
import io.veloq.api.VeloqIoException;
import io.veloq.api.buffer.BufPool;
import io.veloq.api.net.AddressFamily;
import io.veloq.api.net.AddressLayout;
import io.veloq.api.net.SockAddrStorage;
import io.veloq.api.net.SocketType;
import io.veloq.api.op.Close;
import io.veloq.api.op.Recv;
import io.veloq.driver.iocp.sim.SimWin32;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;

import static io.veloq.driver.iocp.win32.Win32Constants.*;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * #16 item 6, on the simulator, which reuses handle values at once as Windows does: an {@code IoFd} that
 * outlived its handle names whatever the process opened next. The driver must neither close that handle nor
 * associate it with its port; it touches only handles it created or was asked to adopt.
 */
public class HandleOwnershipTest {
    private final SimWin32 sim = new SimWin32();
    private final BufPool pool = BufPool.allocate(4096, 4);

    @AfterEach
    void close() {
        List<String> failures = sim.failures();
        sim.close();
        assertEquals(List.of(), failures);
    }

    private long foreignSocket() {
        long s = sim.wsaSocketW(AF_INET, SOCK_STREAM, IPPROTO_TCP, 0, 0, WSA_FLAG_OVERLAPPED);
        assertTrue(s != INVALID_SOCKET);
        return s;
    }

    @Test
    void aStaleIoFdNeverClosesOrCapturesTheHandleThatReusedItsValue() throws Exception {
        try (DriverHarness h = DriverHarness.open(Bindings.provider(sim), 8)) {
            IoFd stale = h.socket(AddressFamily.INET, SocketType.STREAM);
            h.value(new Close(stale));
            long foreign = foreignSocket(); // say, a handle the JVM or a library opened meanwhile
            assertEquals(((IoFd.Raw) stale).handle(), foreign, "Windows hands the freed value out again at once");

            DriverHarness.Result recv = h.run(new Recv(stale, pool.lease()));
            assertEquals(IoErrorKind.BAD_DESCRIPTOR, recv.error().kind(), recv.error().getMessage());
            assertFalse(sim.isAssociated(foreign), "an op on a stale IoFd associated a foreign handle with the port");

            DriverHarness.Result close = h.run(new Close(stale));
            assertEquals(IoErrorKind.BAD_DESCRIPTOR, close.error().kind(), close.error().getMessage());
            assertTrue(sim.isOpen(foreign), "a Close of a stale IoFd closed the handle that reused its value");

            VeloqIoException bind = assertThrows(VeloqIoException.class, () -> h.driver().bind(stale,
                    SockAddrStorage.of(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), AddressLayout.WINDOWS)));
            assertTrue(bind.getMessage().contains(Long.toHexString(foreign)) && bind.getMessage().contains("adopt"),
                    "the error names the handle and how to adopt one: " + bind.getMessage());
            assertEquals(0, sim.closesocket(foreign));
        }
    }

    @Test
    void anAdoptedSocketWorksLikeTheDriversOwn_andReleaseForgetsItWithoutClosingIt() throws Exception {
        IocpDriverProvider provider = Bindings.provider(sim);
        try (DriverHarness h = DriverHarness.open(provider, 8)) {
            IoFd[] p = h.tcpPair(AddressFamily.INET);
            long foreignUdp = sim.wsaSocketW(AF_INET6, SOCK_DGRAM, IPPROTO_UDP, 0, 0, WSA_FLAG_OVERLAPPED);
            IoFd adopted = IoFd.raw(foreignUdp);
            DriverHarness.Result before = h.run(new Recv(adopted, pool.lease()));
            assertEquals(IoErrorKind.BAD_DESCRIPTOR, before.error().kind(), "not adopted yet");
            assertTrue(before.error().getMessage().contains("adopt"), before.error().getMessage());

            provider.adopt(foreignUdp);
            assertArrayEquals(new boolean[]{false, false}, sim.udpResetReporting(foreignUdp),
                    "an adopted UDP socket gets the same ioctls as the driver's own");
            h.driver().setOption(adopted, java.net.StandardSocketOptions.IP_MULTICAST_TTL, 4);
            assertEquals(4, h.driver().getOption(adopted, java.net.StandardSocketOptions.IP_MULTICAST_TTL),
                    "its family is known: the IPv6 option");
            SockAddrStorage where = SockAddrStorage.allocate(AddressLayout.WINDOWS);
            h.driver().bind(adopted, SockAddrStorage.of(new InetSocketAddress(InetAddress.getByName("::1"), 0),
                    AddressLayout.WINDOWS));
            h.driver().localAddress(adopted, where);
            IoFd sender = h.socket(AddressFamily.INET6, SocketType.DATAGRAM);
            long recv = h.start(new io.veloq.api.op.RecvFrom(adopted, pool.lease(),
                    SockAddrStorage.allocate(AddressLayout.WINDOWS)));
            assertEquals(2, h.value(new io.veloq.api.op.SendTo(sender, pool.lease().put(new byte[]{1, 2}), where)));
            assertEquals(2, h.await(recv).valueOrThrow());
            assertThrows(IllegalArgumentException.class, () -> provider.adopt(foreignUdp), "adopted twice");
            assertThrows(IllegalArgumentException.class, () -> provider.adopt(((IoFd.Raw) p[0]).handle()),
                    "a handle the driver created");

            assertTrue(provider.release(foreignUdp));
            assertEquals(IoErrorKind.BAD_DESCRIPTOR, h.run(new Close(adopted)).error().kind(), "forgotten");
            assertTrue(sim.isOpen(foreignUdp), "release does not close");
            assertEquals(0, sim.closesocket(foreignUdp));
            h.value(new Close(sender));
            h.value(new Close(p[0]));
            h.value(new Close(p[1]));
        }
    }
}
