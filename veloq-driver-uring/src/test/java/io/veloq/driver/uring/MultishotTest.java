package io.veloq.driver.uring;

import io.veloq.api.Capability;
import io.veloq.api.Completion;
import io.veloq.api.IoErrorKind;
import io.veloq.api.IoFd;
import io.veloq.api.IoRuntime;
import io.veloq.api.Op;
import io.veloq.api.OpState;
import io.veloq.api.StreamCompleter;
import io.veloq.api.buffer.BufRing;
import io.veloq.api.buffer.FixedBuf;
import io.veloq.api.net.AddressFamily;
import io.veloq.api.net.SockAddrStorage;
import io.veloq.api.net.SocketType;
import io.veloq.api.op.AcceptMultishot;
import io.veloq.api.op.Close;
import io.veloq.api.op.Connect;
import io.veloq.api.op.RecvMultishot;
import io.veloq.api.op.Send;
import io.veloq.api.op.Shutdown;
import io.veloq.api.net.ShutdownHow;
import io.veloq.api.op.Socket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/** Multishot accept, multishot receive on a provided-buffer ring and zero-copy send against the kernel. */
class MultishotTest {
    private IoRuntime rt;

    @BeforeEach
    void open() {
        rt = IoRuntime.builder().driver("uring").buffers(4096, 64).open();
    }

    @AfterEach
    void close() {
        rt.close();
    }

    private IoFd socket() throws IOException {
        return IoFd.raw(rt.loop().call(new Socket(AddressFamily.INET, SocketType.STREAM)).valueOrThrow());
    }

    private IoFd listener() throws IOException {
        IoFd l = socket();
        rt.loop().bind(l, new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        rt.loop().listen(l, 64);
        return l;
    }

    private IoFd connect(SocketAddress to) throws IOException {
        IoFd c = socket();
        rt.loop().call(new Connect(c, SockAddrStorage.of(to))).valueOrThrow();
        return c;
    }

    @Test
    void capabilitiesOnThisKernel() {
        assertTrue(rt.capabilities().contains(Capability.MULTISHOT), "kernel 6.x: multishot and buffer rings");
        assertTrue(rt.capabilities().contains(Capability.ZERO_COPY_SEND), "kernel 6.x: SEND_ZC");
    }

    @Test
    void oneAcceptOpYieldsEveryConnectionThenOneFinalCompletionOnCancel() throws Exception {
        IoFd l = listener();
        List<Long> accepted = new CopyOnWriteArrayList<>();
        CompletableFuture<Op<AcceptMultishot>> ended = new CompletableFuture<>();
        Op<AcceptMultishot> op = Op.of(new AcceptMultishot(l), StreamCompleter.of(
                (o, fd, buf) -> {
                    assertEquals(OpState.SUBMITTED, o.state(), "items arrive while the op is in flight");
                    assertNull(buf);
                    accepted.add(fd);
                },
                ended::complete));
        rt.loop().submit(op);
        SocketAddress at = rt.loop().localAddress(l);
        IoFd[] clients = new IoFd[5];
        for (int i = 0; i < clients.length; i++) {
            clients[i] = connect(at);
        }
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (accepted.size() < clients.length && System.nanoTime() < until) {
            Thread.sleep(5);
        }
        assertEquals(clients.length, accepted.size(), "one item per connection from one submission");
        assertEquals(1, rt.inFlight(), "the stream counts once against the in-flight budget");
        assertFalse(ended.isDone());
        assertTrue(rt.loop().cancel(op));
        Op<AcceptMultishot> done = ended.get(5, TimeUnit.SECONDS);
        assertEquals(IoErrorKind.CANCELLED, done.error().kind());
        assertEquals(0, rt.inFlight());
        for (long fd : accepted) {
            rt.loop().call(new Close(IoFd.raw(fd)));
        }
        for (IoFd c : clients) {
            rt.loop().call(new Close(c));
        }
        rt.loop().call(new Close(l));
    }

    @Test
    void multishotReceiveFillsRingBuffersUntilEndOfStream() throws Exception {
        IoFd l = listener();
        IoFd client = connect(rt.loop().localAddress(l));
        CompletableFuture<Long> acceptedFd = new CompletableFuture<>();
        Op<AcceptMultishot> acc = Op.of(new AcceptMultishot(l), StreamCompleter.of(
                (o, fd, b) -> acceptedFd.complete(fd), o -> { }));
        rt.loop().submit(acc);
        IoFd server = IoFd.raw(acceptedFd.get(5, TimeUnit.SECONDS));
        rt.loop().cancel(acc);

        BufRing ring = rt.loop().openBufRing(8);
        assertEquals(8, ring.size());
        StringBuilder got = new StringBuilder();
        CompletableFuture<Op<RecvMultishot>> ended = new CompletableFuture<>();
        Op<RecvMultishot> recv = Op.of(new RecvMultishot(server, ring), StreamCompleter.of(
                (o, n, buf) -> {
                    assertEquals(n, buf.readableBytes());
                    assertSame(ring, buf.ring());
                    got.append(new String(buf.getBytes(), StandardCharsets.UTF_8));
                    buf.release();
                },
                ended::complete));
        rt.loop().submit(recv);
        for (int i = 0; i < 20; i++) {
            FixedBuf b = rt.loop().bufPool().lease().put(("m" + i + ";").getBytes(StandardCharsets.UTF_8));
            rt.loop().call(new Send(client, b)).valueOrThrow();
            b.release();
        }
        rt.loop().call(new Shutdown(client, ShutdownHow.WRITE)).valueOrThrow();
        Op<RecvMultishot> done = ended.get(5, TimeUnit.SECONDS);
        assertTrue(done.isSuccess(), () -> "end of stream ends it successfully: " + done.error());
        assertEquals(0, done.result());
        StringBuilder want = new StringBuilder();
        for (int i = 0; i < 20; i++) {
            want.append("m").append(i).append(";");
        }
        assertEquals(want.toString(), got.toString(), "every byte, in order, through 8 recycled buffers");
        ring.close();
        assertEquals(0, rt.loop().bufPool().outstanding(), "closing the ring returns its buffers to the pool");
        rt.loop().call(new Close(server));
        rt.loop().call(new Close(client));
        rt.loop().call(new Close(l));
    }

    @Test
    void aRingThatRunsDryEndsTheReceiveWithNoBufferSpaceAndItCanBeRearmed() throws Exception {
        IoFd l = listener();
        IoFd client = connect(rt.loop().localAddress(l));
        CompletableFuture<Long> acceptedFd = new CompletableFuture<>();
        Op<AcceptMultishot> acc = Op.of(new AcceptMultishot(l), StreamCompleter.of(
                (o, fd, b) -> acceptedFd.complete(fd), o -> { }));
        rt.loop().submit(acc);
        IoFd server = IoFd.raw(acceptedFd.get(5, TimeUnit.SECONDS));
        rt.loop().cancel(acc);

        BufRing ring = rt.loop().openBufRing(2);
        List<FixedBuf> held = new CopyOnWriteArrayList<>();
        CompletableFuture<Op<RecvMultishot>> ended = new CompletableFuture<>();
        Op<RecvMultishot> recv = Op.of(new RecvMultishot(server, ring), StreamCompleter.of(
                (o, n, buf) -> held.add(buf), // keep every buffer: the ring runs dry
                ended::complete));
        rt.loop().submit(recv);
        for (int i = 0; i < 3; i++) {
            FixedBuf b = rt.loop().bufPool().lease().put(new byte[100]);
            rt.loop().call(new Send(client, b)).valueOrThrow();
            b.release();
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (held.size() < Math.min(i + 1, 2) && System.nanoTime() < until) {
                Thread.sleep(2);
            }
        }
        Op<RecvMultishot> done = ended.get(5, TimeUnit.SECONDS);
        assertEquals(IoErrorKind.NO_BUFFER_SPACE, done.error().kind(), done.error().toString());
        assertEquals(2, held.size());
        rt.loop().execute(() -> held.forEach(FixedBuf::release));
        // Re-armed after releasing: the unread third message arrives.
        CompletableFuture<Long> more = new CompletableFuture<>();
        CompletableFuture<Op<RecvMultishot>> ended2 = new CompletableFuture<>();
        Op<RecvMultishot> again = Op.of(new RecvMultishot(server, ring), StreamCompleter.of(
                (o, n, buf) -> {
                    more.complete(n);
                    buf.release();
                }, ended2::complete));
        rt.loop().submit(again);
        assertEquals(100, more.get(5, TimeUnit.SECONDS));
        IllegalStateException busy = assertThrows(IllegalStateException.class, ring::close);
        assertTrue(busy.getMessage().contains("RecvMultishot"), busy.getMessage());
        rt.loop().cancel(again);
        assertEquals(IoErrorKind.CANCELLED, ended2.get(5, TimeUnit.SECONDS).error().kind());
        ring.close();
        rt.loop().call(new Close(server));
        rt.loop().call(new Close(client));
        rt.loop().call(new Close(l));
    }

    @Test
    void aFullCompletionQueueEndsTheReceiveWithOverflowAndARearmLosesNothing() throws Exception {
        // A tiny CQ and tiny ring buffers: one burst of data makes the kernel post more items than the CQ holds,
        // so it ends the multishot (its last item comes without MORE): item, then a final OVERFLOW.
        try (IoRuntime small = IoRuntime.builder().driver("uring").queueDepth(4).maxInFlight(8)
                .option("uring.cq-entries", "8").buffers(64, 64).open()) {
            IoFd l = IoFd.raw(small.loop().call(new Socket(AddressFamily.INET, SocketType.STREAM)).valueOrThrow());
            small.loop().bind(l, new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            small.loop().listen(l, 4);
            CompletableFuture<Long> acceptedFd = new CompletableFuture<>();
            Op<AcceptMultishot> acc = Op.of(new AcceptMultishot(l), StreamCompleter.of(
                    (o, fd, b) -> acceptedFd.complete(fd), o -> { }));
            small.loop().submit(acc);
            IoFd client = IoFd.raw(small.loop().call(new Socket(AddressFamily.INET, SocketType.STREAM)).valueOrThrow());
            small.loop().call(new Connect(client, SockAddrStorage.of(small.loop().localAddress(l)))).valueOrThrow();
            IoFd server = IoFd.raw(acceptedFd.get(5, TimeUnit.SECONDS));
            small.loop().cancel(acc);
            BufRing ring = small.loop().openBufRing(32);
            java.io.ByteArrayOutputStream got = new java.io.ByteArrayOutputStream();
            List<IoErrorKind> ends = new CopyOnWriteArrayList<>();
            CompletableFuture<Void> allIn = new CompletableFuture<>();
            byte[] data = new byte[32 * 64 * 4];
            for (int i = 0; i < data.length; i++) {
                data[i] = (byte) (i * 7 + i / 64);
            }
            class Rearming implements StreamCompleter<RecvMultishot> {
                Op<RecvMultishot> op;

                @Override
                public void onItem(Op<RecvMultishot> o, long n, FixedBuf buf) {
                    byte[] b = buf.getBytes();
                    got.write(b, 0, b.length);
                    buf.release();
                    if (got.size() == data.length) {
                        allIn.complete(null);
                    }
                }

                @Override
                public void onComplete(Op<RecvMultishot> o) {
                    IoErrorKind k = o.error() == null ? null : o.error().kind();
                    ends.add(k);
                    if (k == IoErrorKind.OVERFLOW || k == IoErrorKind.NO_BUFFER_SPACE) {
                        small.loop().submit(o.reset()); // what recvEach does by itself
                    }
                }
            }
            Rearming r = new Rearming();
            r.op = Op.of(new RecvMultishot(server, ring), r);
            small.loop().submit(r.op);
            // One burst of 8 KiB: 128 items of 64 B for a CQ of 8 entries.
            try (io.veloq.api.buffer.BufPool big = io.veloq.api.buffer.BufPool.allocate(data.length, 1)) {
                FixedBuf b = big.lease().put(data);
                while (b.readableBytes() > 0) {
                    small.loop().call(new Send(client, b)).valueOrThrow();
                }
                b.release();
            }
            allIn.get(10, TimeUnit.SECONDS);
            assertArrayEquals(data, got.toByteArray(), "every byte, in order, across the overflow ends and re-arms");
            assertTrue(ends.contains(IoErrorKind.OVERFLOW),
                    "128 items for an 8-entry CQ: the kernel ended the receive for lack of CQ room, which the final "
                    + "completion says (OVERFLOW), and it was re-armed: " + ends);
            small.loop().cancel(r.op);
            small.loop().call(new Close(server));
            small.loop().call(new Close(client));
            small.loop().call(new Close(l));
        }
    }

    @Test
    void zeroCopySendCompletesOnceAfterTheNotificationWithTheBytesSent() throws Exception {
        IoFd l = listener();
        IoFd client = connect(rt.loop().localAddress(l));
        CompletableFuture<Long> acceptedFd = new CompletableFuture<>();
        Op<AcceptMultishot> acc = Op.of(new AcceptMultishot(l), StreamCompleter.of(
                (o, fd, b) -> acceptedFd.complete(fd), o -> { }));
        rt.loop().submit(acc);
        IoFd server = IoFd.raw(acceptedFd.get(5, TimeUnit.SECONDS));
        rt.loop().cancel(acc);

        FixedBuf b = rt.loop().bufPool().lease().put(new byte[3000]);
        Completion<Send> c = rt.loop().call(Send.zeroCopy(client, b));
        assertEquals(3000, c.valueOrThrow());
        assertEquals(0, b.readableBytes(), "the reader index advanced by the bytes sent");
        b.release();
        FixedBuf in = rt.loop().bufPool().lease();
        long n = 0;
        while (n < 3000) {
            in.clear();
            n += rt.loop().call(new io.veloq.api.op.Recv(server, in)).valueOrThrow();
        }
        in.release();
        rt.loop().call(new Close(server));
        rt.loop().call(new Close(client));
        rt.loop().call(new Close(l));
    }
}
