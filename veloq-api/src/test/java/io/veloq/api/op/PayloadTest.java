package io.veloq.api.op;

import io.veloq.api.IoFd;
import io.veloq.api.Op;
import io.veloq.api.buffer.BufPool;
import io.veloq.api.buffer.FixedBuf;
import io.veloq.api.net.AddressFamily;
import io.veloq.api.net.AddressLayout;
import io.veloq.api.net.ShutdownHow;
import io.veloq.api.net.SockAddrStorage;
import io.veloq.api.net.SocketType;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static io.veloq.api.Messages.assertMentions;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Payload validation: every refusal says which op, which fd and what was wrong. */
class PayloadTest {
    private static final IoFd FD = IoFd.raw(7);
    private final BufPool pool = BufPool.allocate(32, 1);
    private final FixedBuf buf = pool.lease();

    @AfterEach
    void close() {
        buf.release();
        pool.close();
    }

    @Test
    void missingFdOrBufferNamesTheOpAndFd() {
        assertMentions(assertThrows(NullPointerException.class, () -> new Recv(null, buf)), "Recv needs an fd");
        assertMentions(assertThrows(NullPointerException.class, () -> new Recv(FD, null)), "Recv on fd 7 needs a buffer");
        assertMentions(assertThrows(NullPointerException.class, () -> new Send(FD, null)), "Send on fd 7 needs a buffer");
        assertMentions(assertThrows(NullPointerException.class, () -> new Read(FD, null, 0)), "Read on fd 7 needs a buffer");
        assertMentions(assertThrows(NullPointerException.class, () -> new Write(FD, null, 0)), "Write on fd 7 needs a buffer");
        assertMentions(assertThrows(NullPointerException.class, () -> new ReadFixed(FD, null, 0)), "ReadFixed on fd 7 needs a buffer");
        assertMentions(assertThrows(NullPointerException.class, () -> new WriteFixed(FD, null, 0)), "WriteFixed on fd 7 needs a buffer");
        assertMentions(assertThrows(NullPointerException.class, () -> new RecvFrom(FD, buf, null)), "RecvFrom on fd 7", "sender");
        assertMentions(assertThrows(NullPointerException.class, () -> new SendTo(FD, buf, null)), "SendTo on fd 7", "destination");
        assertMentions(assertThrows(NullPointerException.class, () -> new Accept(FD, null)), "Accept needs a SockAddrStorage");
        assertMentions(assertThrows(NullPointerException.class, () -> new Connect(null, SockAddrStorage.allocate())), "Connect needs a socket fd");
        assertMentions(assertThrows(NullPointerException.class, () -> new Close(null)), "Close needs an fd");
        assertMentions(assertThrows(NullPointerException.class, () -> new Fsync(null, false)), "Fsync needs an fd");
        assertMentions(assertThrows(NullPointerException.class, () -> new Shutdown(FD, null)), "Shutdown needs a direction");
        assertMentions(assertThrows(NullPointerException.class, () -> new Socket(null, SocketType.STREAM)), "address family");
        assertMentions(assertThrows(NullPointerException.class, () -> new Socket(AddressFamily.INET, null)), "socket type");
        assertMentions(assertThrows(NullPointerException.class, () -> new Cancel(null)), "Cancel needs a target op");
    }

    @Test
    void badOffsetsDurationsAndAddresses() {
        assertMentions(assertThrows(IllegalArgumentException.class, () -> new Read(FD, buf, -2)), "file offset", "got -2", "fd 7");
        assertMentions(assertThrows(IllegalArgumentException.class, () -> new Write(FD, buf, -5)), "got -5", "fd 7");
        assertMentions(assertThrows(IllegalArgumentException.class, () -> new ReadFixed(FD, buf, -3)), "got -3");
        assertMentions(assertThrows(IllegalArgumentException.class, () -> new WriteFixed(FD, buf, -4)), "got -4");
        assertEquals(-1, new Read(FD, buf, -1).offset(), "-1 means the current position");
        assertMentions(assertThrows(IllegalArgumentException.class, () -> new Timeout(-1)), "non-negative", "-1 ns");
        assertEquals(20_000_000, Timeout.of(Duration.ofMillis(20)).nanos());
        SockAddrStorage empty = SockAddrStorage.allocate();
        assertMentions(assertThrows(IllegalArgumentException.class, () -> new Connect(IoFd.raw(3), empty)),
                "Connect on fd 3", "non-empty address");
        assertMentions(assertThrows(IllegalArgumentException.class, () -> new SendTo(IoFd.raw(4), buf, empty)),
                "SendTo on fd 4", "non-empty destination");
        assertMentions(assertThrows(IllegalArgumentException.class, () -> IoFd.raw(-1)), "non-negative handle", "-1");
        assertMentions(assertThrows(IllegalArgumentException.class, () -> IoFd.fixed(-2)), "non-negative index", "-2");
    }

    @Test
    void openDefaultsToReadAndChecksTheMode() {
        Path p = Path.of("/tmp/veloq-open-test");
        assertEquals(Set.of(StandardOpenOption.READ), new Open(p, Set.of(), 0).options());
        assertEquals(Set.of(StandardOpenOption.READ), Open.read(p).options());
        assertEquals(Set.of(StandardOpenOption.WRITE, StandardOpenOption.CREATE),
                new Open(p, EnumSet.of(StandardOpenOption.WRITE, StandardOpenOption.CREATE), 0644).options());
        assertMentions(assertThrows(IllegalArgumentException.class, () -> new Open(p, Set.of(), 010000)),
                "Open of " + p, "permission bits", "010000");
        assertMentions(assertThrows(NullPointerException.class, () -> new Open(null, Set.of(), 0)), "Open needs a path");
        assertEquals("Open of " + p, Open.read(p).describe());
    }

    @Test
    void describeNamesKindAndDescriptor() throws Exception {
        SockAddrStorage to = SockAddrStorage.of(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 80), AddressLayout.LINUX);
        assertEquals("Recv on fd 7", new Recv(FD, buf).describe());
        assertEquals("Send on fixed fd #2", new Send(IoFd.fixed(2), buf).describe());
        assertEquals("Connect on fd 7 to /127.0.0.1:80", new Connect(FD, to).describe());
        assertEquals("Timeout(PT0.02S)", Timeout.of(Duration.ofMillis(20)).describe());
        assertEquals("Nop", new Nop().describe());
        assertEquals("Socket(INET6, DATAGRAM)", new Socket(AddressFamily.INET6, SocketType.DATAGRAM).describe());
        Op<Nop> target = Op.of(new Nop());
        assertEquals("Cancel of " + target, new Cancel(target).describe());
        assertEquals("Shutdown on fd 7", new Shutdown(FD, ShutdownHow.WRITE).describe());
    }

    @Test
    void sendFileRefusesANegativeOffsetOrCountNamingBothDescriptors() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new SendFile(FD, IoFd.raw(9), -1, 10));
        assertTrue(e.getMessage().contains("offset must be >= 0, got -1") && e.getMessage().contains("fd 9")
                && e.getMessage().contains(FD.toString()), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new SendFile(FD, IoFd.raw(9), 0, -5));
        assertTrue(e.getMessage().contains("count must be >= 0, got -5"), e.getMessage());
        SendFile p = new SendFile(FD, IoFd.raw(9), 4096, 1 << 20);
        assertSame(FD, p.fd(), "the op belongs to its socket");
        assertEquals("SendFile of fd 9 (offset 4096, 1048576 bytes) to " + FD, p.describe());
    }

    @Test
    void everyPayloadHasItsOwnKindAndOnlyIoOpsHoldABuffer() throws Exception {
        io.veloq.api.buffer.BufVec vec = io.veloq.api.buffer.BufVec.of(buf);
        SockAddrStorage addr = SockAddrStorage.of(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 80), AddressLayout.LINUX);
        List<OpPayload> all = List.of(new Nop(), new Timeout(1), new Cancel(Op.of(new Nop())),
                new Socket(AddressFamily.INET, SocketType.STREAM), new Accept(FD, SockAddrStorage.allocate()),
                new Connect(FD, addr), new Shutdown(FD, ShutdownHow.BOTH), new Recv(FD, buf), new Send(FD, buf),
                new RecvFrom(FD, buf, SockAddrStorage.allocate()), new SendTo(FD, buf, addr), new Read(FD, buf, 0),
                new Write(FD, buf, 0), new ReadFixed(FD, buf, 0), new WriteFixed(FD, buf, 0), Open.read(Path.of("/x")),
                new Close(FD), new Fsync(FD, true), new AcceptMultishot(FD), new RecvMultishot(FD, ring()),
                new RecvMsg(FD, vec), new SendMsg(FD, vec),
                new SendFile(FD, IoFd.raw(9), 0, 10));
        assertEquals(OpKind.count(), all.size(), "one payload per kind");
        assertEquals(OpKind.count(), OpPayload.class.getPermittedSubclasses().length);
        Set<OpKind> kinds = new HashSet<>();
        for (OpPayload p : all) {
            assertTrue(kinds.add(p.kind()), "kind used twice: " + p.kind());
            assertEquals(p.getClass().getSimpleName().toUpperCase(), p.kind().name().replace("_", ""));
            assertSame(p.kind(), OpKind.of(p.kind().ordinal()));
            assertEquals(p instanceof AcceptMultishot || p instanceof RecvMultishot, p.kind().multishot(), p.describe());
            boolean io = p instanceof Recv || p instanceof Send || p instanceof RecvFrom || p instanceof SendTo
                    || p instanceof Read || p instanceof Write || p instanceof ReadFixed || p instanceof WriteFixed;
            if (io) {
                assertSame(buf, p.buffer(), p.describe());
            } else {
                assertNull(p.buffer(), p.describe());
            }
            boolean vectored = p instanceof RecvMsg || p instanceof SendMsg;
            assertSame(vectored ? vec : null, p.buffers(), p.describe() + ": only vectored ops hold a BufVec");
        }
        assertEquals(EnumSet.allOf(OpKind.class), kinds);
    }

    @Test
    void bufferUseIsAnAttributeOfTheKind() {
        for (OpKind k : OpKind.values()) {
            OpKind.BufferUse want = switch (k) {
                case RECV, RECV_FROM, READ, READ_FIXED -> OpKind.BufferUse.FILL;
                case SEND, SEND_TO, WRITE, WRITE_FIXED -> OpKind.BufferUse.DRAIN;
                case RECV_MULTISHOT -> OpKind.BufferUse.PROVIDED;
                case RECV_MSG, SEND_MSG -> OpKind.BufferUse.VECTOR;
                default -> OpKind.BufferUse.NONE;
            };
            assertEquals(want, k.bufferUse(), k.name());
            io.veloq.api.Capability cap = switch (k) {
                case READ, WRITE, OPEN, FSYNC -> io.veloq.api.Capability.FILE_IO;
                case READ_FIXED, WRITE_FIXED -> io.veloq.api.Capability.REGISTERED_BUFFERS;
                case RECV_FROM, SEND_TO -> io.veloq.api.Capability.DATAGRAM_SOCKETS;
                case ACCEPT_MULTISHOT, RECV_MULTISHOT -> io.veloq.api.Capability.MULTISHOT;
                case SEND_FILE -> io.veloq.api.Capability.SEND_FILE;
                default -> null;
            };
            assertEquals(cap, k.capability(), k.name());
        }
    }

    @Test
    void zeroCopyIsASendAndSaysSo() {
        Send zc = Send.zeroCopy(FD, buf);
        assertEquals(OpKind.SEND, zc.kind(), "the same kind: a driver without zero-copy runs it as a copying send");
        assertTrue(zc.zeroCopy());
        assertFalse(new Send(FD, buf).zeroCopy());
        assertEquals("Send (zero-copy) on fd 7", zc.describe());
    }

    @Test
    void multishotPayloadsNeedAStreamCompleter() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Op.of(new AcceptMultishot(FD), op -> { }));
        assertMentions(e, "AcceptMultishot on fd 7", "StreamCompleter");
        assertMentions(assertThrows(NullPointerException.class, () -> new RecvMultishot(FD, null)),
                "RecvMultishot on fd 7 needs a BufRing");
    }

    private io.veloq.api.buffer.BufRing ring() {
        return io.veloq.api.bootstrap.ApiAccess.bufs().newRing("test ring", new FixedBuf[] {BufPool.allocate(32, 1).lease()}, 0,
                new io.veloq.api.buffer.ManualRingHost());
    }
}
