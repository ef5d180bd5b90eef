package io.veloq.spi.internal.host;

import io.veloq.api.Capability;
import io.veloq.api.Completion;
import io.veloq.api.IoErrorKind;
import io.veloq.api.IoFd;
import io.veloq.api.buffer.FixedBuf;
import io.veloq.api.net.AddressFamily;
import io.veloq.api.net.AddressLayout;
import io.veloq.api.net.SockAddrStorage;
import io.veloq.api.net.SocketType;
import io.veloq.api.op.Connect;
import io.veloq.api.op.Nop;
import io.veloq.api.op.Open;
import io.veloq.api.op.ReadFixed;
import io.veloq.api.op.Recv;
import io.veloq.api.op.RecvFrom;
import io.veloq.api.op.Send;
import io.veloq.api.op.SendTo;
import io.veloq.api.op.Socket;
import io.veloq.api.op.Write;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.EnumSet;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The host refuses an op its driver's capabilities exclude, naming the capability; the driver never sees it. */
class CapabilityGateTest extends HostFixture {
    private static final Set<Capability> ALL = EnumSet.allOf(Capability.class);

    @Test
    void eachOpNeedsWhatCapabilityDocumentsAndNothingMore() {
        FixedBuf b = pool.lease();
        try {
            CapabilityGate none = new CapabilityGate(Set.of());
            CapabilityGate all = new CapabilityGate(ALL);
            assertEquals(Capability.FILE_IO, none.missing(Open.read(Path.of("x"))));
            assertEquals(Capability.FILE_IO, none.missing(new Write(FD, b, 0)));
            assertEquals(Capability.REGISTERED_BUFFERS, none.missing(new ReadFixed(FD, b, 0)));
            assertEquals(Capability.FIXED_FILES, none.missing(new Recv(new IoFd.Fixed(0), b)));
            assertEquals(Capability.DATAGRAM_SOCKETS, none.missing(new RecvFrom(FD, b, SockAddrStorage.allocate(AddressLayout.LINUX))));
            assertEquals(Capability.DATAGRAM_SOCKETS, none.missing(new Socket(AddressFamily.INET6, SocketType.DATAGRAM)));
            assertEquals(Capability.UNIX_SOCKETS, none.missing(new Socket(AddressFamily.UNIX, SocketType.STREAM)));
            assertEquals(Capability.UNIX_DATAGRAM_SOCKETS, new CapabilityGate(EnumSet.of(Capability.UNIX_SOCKETS,
                    Capability.DATAGRAM_SOCKETS)).missing(new Socket(AddressFamily.UNIX, SocketType.DATAGRAM)));
            assertEquals(Capability.MESSAGE_FLAGS, none.missing(new Recv(FD, b, 0x2)));
            assertEquals(Capability.MESSAGE_FLAGS, none.missing(new Send(FD, b, 0x1)));
            SockAddrStorage abstractName = SockAddrStorage.allocate(AddressLayout.LINUX).setAbstractUnix("x");
            assertEquals(Capability.UNIX_ABSTRACT_NAMES, none.missing(new Connect(FD, abstractName)));
            assertEquals(Capability.UNIX_ABSTRACT_NAMES, new CapabilityGate(EnumSet.of(Capability.DATAGRAM_SOCKETS))
                    .missing(new SendTo(FD, b, abstractName)));
            // what every driver supports
            assertNull(none.missing(new Nop()));
            assertNull(none.missing(new Socket(AddressFamily.INET, SocketType.STREAM)));
            assertNull(none.missing(new Recv(FD, b)));
            assertNull(none.missing(new Send(FD, b, 0x4000)), "MSG_NOSIGNAL needs no capability");
            assertNull(none.missing(new Connect(FD, SockAddrStorage.of(new java.net.InetSocketAddress("127.0.0.1", 1)))));
            for (Object p : new Object[] {new ReadFixed(FD, b, 0), new Recv(new IoFd.Fixed(0), b, 0x2),
                    new Socket(AddressFamily.UNIX, SocketType.DATAGRAM), new Connect(FD, abstractName)}) {
                assertNull(all.missing((io.veloq.api.op.OpPayload) p), p + " on a driver with every capability");
            }
        } finally {
            b.release();
        }
    }

    @Test
    void readFixedOnADriverWithoutRegisteredBuffersSaysSoInsteadOfBlamingTheBuffer() {
        // Like IOCP: no REGISTERED_BUFFERS, and a driver that refuses ReadFixed if it ever gets one.
        open(b -> { }, d -> d.refusals.put(io.veloq.api.op.OpKind.READ_FIXED, 95));
        FixedBuf buf = rt.loop().bufPool().lease(); // the loop's own pool, as the old hint told the user to use
        Completion<ReadFixed> c = rt.loop().call(new ReadFixed(FD, buf, 0));
        assertFalse(c.isSuccess());
        assertEquals(IoErrorKind.NOT_SUPPORTED, c.error().kind());
        String msg = c.error().getMessage();
        assertTrue(msg.contains("the scripted driver does not support registered buffers") && msg.contains("REGISTERED_BUFFERS"), msg);
        assertFalse(msg.contains("not from this loop's registered pool"), msg);
        assertTrue(driver().prepared.stream().noneMatch(p -> p.kind() == io.veloq.api.op.OpKind.READ_FIXED),
                "the driver must never see an op it cannot run: " + driver().prepared);
        assertEquals(0, rt.inFlight());
        buf.release();
    }

    @Test
    void opsWithinTheCapabilitiesReachTheDriver() {
        open(b -> { }, d -> d.capabilities = EnumSet.of(Capability.FILE_IO));
        FixedBuf buf = pool.lease();
        rt.loop().submitAsync(new Write(FD, buf, 0));
        driver().awaitInFlight(io.veloq.api.op.OpKind.WRITE, 1);
        Completion<Socket> refused = rt.loop().call(new Socket(AddressFamily.INET, SocketType.DATAGRAM));
        assertEquals(IoErrorKind.NOT_SUPPORTED, refused.error().kind());
        assertTrue(refused.error().getMessage().contains("(it does not report capability DATAGRAM_SOCKETS)"),
                refused.error().getMessage());
        rt.close();
        buf.release();
    }
}
