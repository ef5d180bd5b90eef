package io.veloq.testkit.tck;

import io.veloq.api.Completion;
import io.veloq.api.IoErrorKind;
import io.veloq.api.IoFd;
import io.veloq.api.IoRuntime;
import io.veloq.api.Op;
import io.veloq.api.OpState;
import io.veloq.api.buffer.BufVec;
import io.veloq.api.buffer.FixedBuf;
import io.veloq.api.net.AddressFamily;
import io.veloq.api.net.SockAddrStorage;
import io.veloq.api.net.SocketType;
import io.veloq.api.op.Accept;
import io.veloq.api.op.Close;
import io.veloq.api.op.Connect;
import io.veloq.api.op.OpPayload;
import io.veloq.api.op.RecvMsg;
import io.veloq.api.op.SendMsg;
import io.veloq.api.op.Socket;
import io.veloq.spi.DriverProvider;
import io.veloq.testkit.DriverRuntimes;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The rules of the vectored ops, {@link RecvMsg} and {@link SendMsg}, that every driver keeps (see the
 * "Vectored ops" section of {@link io.veloq.spi.Driver}): one op over several buffers, in order, with each
 * buffer's index advanced by its share, deadlines that lose no byte, and ownership of the vector and its
 * buffers while in flight. Extend it like {@link DriverTck} and supply the provider:
 *
 * <pre>{@code
 * class UringVectoredIoTest extends VectoredIoTck {
 *     @Override
 *     protected DriverProvider provider() { return new UringProvider(); }
 * }
 * }</pre>
 *
 * @since 0.1
 */
public abstract class VectoredIoTck {
    private IoRuntime rt;
    private final List<FixedBuf> leased = new ArrayList<>();
    private final List<IoFd> open = new ArrayList<>();

    /** For subclasses. */
    protected VectoredIoTck() {
    }

    /** The provider of the driver under test. */
    protected abstract DriverProvider provider();

    /** How long one wait may take; {@code -Dveloq.tck.timeoutSeconds}, default 10 s. */
    protected Duration timeout() {
        return Duration.ofSeconds(Long.getLong("veloq.tck.timeoutSeconds", 10));
    }

    @BeforeEach
    public void openRuntime() {
        rt = DriverRuntimes.open(provider(), IoRuntime.builder().buffers(16 * 1024, 64).maxInFlight(256));
    }

    @AfterEach
    public void closeRuntime() {
        try {
            for (IoFd fd : open) {
                rt.loop().call(new Close(fd));
            }
            for (FixedBuf b : leased) {
                if (b.isLeased() && b.owner() == null) {
                    b.release();
                }
            }
        } finally {
            rt.close();
        }
    }

    @Test
    public void required_sendMsgGathersEveryBufferInOrderInOneOp() throws IOException {
        IoFd[] p = connectedPair();
        FixedBuf a = buf("hello, ");
        FixedBuf empty = buf("");
        FixedBuf b = buf("vectored ");
        FixedBuf c = buf("world");
        BufVec vec = BufVec.of(a, empty, b, c);
        long sent = 0;
        while (sent < 21) {
            // One op may send less than asked (a full send buffer, a short write): then the indices say how far.
            long n = await(rt.loop().submitAsync(new SendMsg(p[0], vec)), "SendMsg of 3 buffers").valueOrThrow();
            assertTrue(n > 0, "SendMsg made no progress");
            sent += n;
            int[] left = {(int) Math.max(0, 7 - sent), (int) Math.max(0, Math.min(9, 16 - sent)), (int) Math.min(5, 21 - sent)};
            assertArrayEquals(left, new int[] {a.readableBytes(), b.readableBytes(), c.readableBytes()},
                    "after " + sent + " bytes, the buffers drain in order");
        }
        assertEquals("hello, vectored world", new String(receiveExactly(p[1], 21)));
    }

    @Test
    public void required_recvMsgScattersInOrderAndAdvancesEachWriterIndex() throws IOException {
        IoFd[] p = connectedPair();
        byte[] data = random(40, 1);
        send(p[0], data);
        FixedBuf first = lease();
        first.writerIndex(first.capacity() - 8);          // 8 bytes free: fills first
        first.readerIndex(first.writerIndex());
        FixedBuf full = lease();
        full.writerIndex(full.capacity());                // no room: skipped
        full.readerIndex(full.capacity());
        FixedBuf second = lease();                        // the rest
        BufVec vec = BufVec.of(first, full, second);
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        long total = 0;
        while (total < 40) {
            long n = await(rt.loop().submitAsync(new RecvMsg(p[1], vec)), "RecvMsg into 3 buffers").valueOrThrow();
            assertTrue(n > 0, "RecvMsg ended the stream early after " + total + " bytes");
            total += n;
        }
        got.writeBytes(first.getBytes());
        got.writeBytes(second.getBytes());
        assertEquals(0, full.readableBytes(), "a buffer without room takes nothing");
        assertEquals(8, first.writerIndex() - (first.capacity() - 8), "the first buffer fills before the next");
        assertArrayEquals(data, got.toByteArray(), "bytes arrive in order across the buffers");
    }

    @Test
    public void required_largeGatheringSendDeliversEveryByte() throws Exception {
        IoFd[] p = connectedPair();
        int per = 16 * 1024;
        int count = 16;
        byte[] data = random(per * count, 7);
        BufVec vec = BufVec.withCapacity(count);
        for (int i = 0; i < count; i++) {
            FixedBuf b = lease();
            b.put(data, i * per, per);
            vec.add(b);
        }
        CompletableFuture<byte[]> reader = CompletableFuture.supplyAsync(() -> {
            try {
                return receiveExactly(p[1], data.length);
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        });
        long sent = 0;
        int ops = 0;
        while (sent < data.length) {
            long n = await(rt.loop().submitAsync(new SendMsg(p[0], vec)), "SendMsg of " + (data.length - sent) + " bytes").valueOrThrow();
            assertTrue(n > 0, "SendMsg made no progress");
            sent += n;
            ops++;
            assertEquals(data.length - sent, vec.readableBytes(), "reader indices account for exactly the bytes sent");
        }
        assertArrayEquals(data, reader.get(timeout().toMillis(), TimeUnit.MILLISECONDS));
        assertTrue(ops <= count, "a gathering send moves more than one buffer per op (" + ops + " ops for " + count + " buffers)");
    }

    @Test
    public void required_recvMsgDeadlineTimesOutAndLosesNoByte() throws IOException {
        IoFd[] p = connectedPair();
        FixedBuf a = lease();
        FixedBuf b = lease();
        BufVec vec = BufVec.of(a, b);
        Op<RecvMsg> op = Op.of(new RecvMsg(p[1], vec)).deadline(Duration.ofMillis(50));
        Completion<RecvMsg> c = await(rt.loop().submitAsync(op), "RecvMsg with a 50 ms deadline and no data");
        assertFalse(c.isSuccess(), "nothing was sent, so the deadline must end it");
        assertEquals(IoErrorKind.TIMED_OUT, c.error().kind(), "a deadline ends the op as TIMED_OUT: " + c.error());
        assertEquals(0, a.readableBytes() + b.readableBytes(), "a receive that timed out received nothing");
        assertNull(vec.owner(), "the vector is the caller's again");
        send(p[0], "after".getBytes());
        assertEquals("after", new String(receiveExactly(p[1], 5)), "the next receive gets every byte");
    }

    @Test
    public void required_vectorAndBuffersBelongToTheOpWhileInFlight() throws IOException {
        IoFd[] p = connectedPair();
        FixedBuf a = lease();
        FixedBuf b = lease();
        BufVec vec = BufVec.of(a, b);
        Op<RecvMsg> op = Op.of(new RecvMsg(p[1], vec));
        CompletableFuture<Completion<RecvMsg>> f = rt.loop().submitAsync(op);
        assertSame(op, vec.owner());
        assertThrows(IllegalStateException.class, () -> vec.add(lease()), "the vector cannot change while in flight");
        assertThrows(IllegalStateException.class, vec::clear);
        assertThrows(IllegalStateException.class, b::readableBytes, "its buffers are the driver's");
        assertThrows(IllegalStateException.class, () -> rt.loop().submitAsync(new SendMsg(p[1], vec)), "nor be submitted twice");
        assertTrue(rt.loop().cancel(op));
        Completion<RecvMsg> c = await(f, "cancelled RecvMsg");
        assertEquals(IoErrorKind.CANCELLED, c.error().kind());
        assertEquals(0, a.readableBytes() + b.readableBytes(), "cancelled: nothing received, buffers back");
        vec.clear();
        assertEquals(OpState.COMPLETED, op.state());
    }

    @Test
    public void required_refusesABufferTwiceAndAVectorWithoutRoom() throws IOException {
        IoFd[] p = connectedPair();
        FixedBuf a = lease();
        IllegalStateException twice = assertThrows(IllegalStateException.class,
                () -> rt.loop().submitAsync(new SendMsg(p[0], BufVec.of(a, a))));
        assertTrue(twice.getMessage().contains("twice"), twice.getMessage());
        assertNull(a.owner(), "a refused submission leaves no buffer taken");
        a.writerIndex(a.capacity());
        IllegalArgumentException noRoom = assertThrows(IllegalArgumentException.class,
                () -> rt.loop().submitAsync(new RecvMsg(p[1], BufVec.of(a))));
        assertTrue(noRoom.getMessage().contains("free space"), noRoom.getMessage());
        assertNull(a.owner());
    }

    // ---- helpers ----

    private FixedBuf lease() {
        FixedBuf b = rt.loop().bufPool().lease();
        leased.add(b);
        return b;
    }

    private FixedBuf buf(String s) {
        return lease().put(s.getBytes());
    }

    private static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new SplittableRandom(seed).nextBytes(b);
        return b;
    }

    private IoFd socket() throws IOException {
        IoFd fd = IoFd.raw(rt.loop().call(new Socket(AddressFamily.INET, SocketType.STREAM)).valueOrThrow());
        open.add(fd);
        return fd;
    }

    /** A loopback TCP connection: [client, server side]. */
    private IoFd[] connectedPair() throws IOException {
        IoFd l = socket();
        rt.loop().bind(l, new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        rt.loop().listen(l, 16);
        CompletableFuture<Completion<Accept>> acc = rt.loop().submitAsync(new Accept(l, SockAddrStorage.allocate(rt.loop().addressLayout())));
        IoFd c = socket();
        await(rt.loop().submitAsync(new Connect(c, SockAddrStorage.of(rt.loop().localAddress(l), rt.loop().addressLayout()))), "Connect").valueOrThrow();
        IoFd s = IoFd.raw(await(acc, "Accept").valueOrThrow());
        open.add(s);
        return new IoFd[] {c, s};
    }

    private void send(IoFd fd, byte[] data) throws IOException {
        FixedBuf b = lease().put(data);
        BufVec v = BufVec.of(b);
        while (b.readableBytes() > 0) {
            await(rt.loop().submitAsync(new SendMsg(fd, v)), "SendMsg").valueOrThrow();
        }
    }

    private byte[] receiveExactly(IoFd fd, int n) throws IOException {
        FixedBuf a = rt.loop().bufPool().lease();
        FixedBuf b = rt.loop().bufPool().lease();
        BufVec v = BufVec.of(a, b);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            while (out.size() < n) {
                a.clear();
                b.clear();
                long got = await(rt.loop().submitAsync(new RecvMsg(fd, v)), "RecvMsg (" + out.size() + " of " + n + ")").valueOrThrow();
                if (got == 0) {
                    throw new IOException("end of stream after " + out.size() + " of " + n + " bytes");
                }
                out.writeBytes(a.getBytes());
                out.writeBytes(b.getBytes());
            }
        } finally {
            a.release();
            b.release();
        }
        byte[] all = out.toByteArray();
        return all.length == n ? all : Arrays.copyOf(all, n);
    }

    private <P extends OpPayload> Completion<P> await(CompletableFuture<Completion<P>> f, String what) {
        try {
            return f.get(timeout().toMillis(), TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            throw new AssertionError("expected " + what + " on driver '" + rt.driverId() + "' to complete, but it is "
                    + "still in flight after " + timeout().toSeconds() + " s");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted waiting for " + what);
        } catch (java.util.concurrent.ExecutionException e) {
            throw new AssertionError(what + " failed: " + e.getCause(), e.getCause());
        }
    }
}
