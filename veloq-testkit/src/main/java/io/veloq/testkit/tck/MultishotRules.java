package io.veloq.testkit.tck;

import io.veloq.api.Capability;
import io.veloq.api.Completion;
import io.veloq.api.EventLoop;
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
import io.veloq.api.op.Nop;
import io.veloq.api.op.RecvMultishot;
import io.veloq.api.op.Send;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.net.SocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The rules of ops with many completions ({@link io.veloq.spi.Driver}'s "many, then exactly one final"):
 * multishot accept and receive ({@link Capability#MULTISHOT}), a buffer ring that runs dry, cancel in the
 * middle of a stream, a zero-copy send's buffer held until its one completion (every driver: where
 * {@link Capability#ZERO_COPY_SEND} is absent it is a copying send), and submissions from one loop's
 * completers to another loop. Part of {@link DriverTck}; extend that.
 *
 * @since 0.3
 */
public abstract class MultishotRules extends CapabilityRules {
    MultishotRules() {
    }

    /** Records a stream: its items, then its final completion (and anything after it, which is a violation). */
    private final class Stream<P extends io.veloq.api.op.OpPayload> implements StreamCompleter<P> {
        final List<Long> items = new ArrayList<>();
        final CompletableFuture<Op<P>> ended = new CompletableFuture<>();
        final AtomicInteger finals = new AtomicInteger();
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        final List<FixedBuf> held = new ArrayList<>();
        boolean keepBuffers;

        @Override
        public synchronized void onItem(Op<P> op, long value, FixedBuf buf) {
            if (finals.get() > 0) {
                fail(new AssertionError("an item (" + value + ") of " + op + " came after its final completion"));
            }
            if (op.state() != OpState.SUBMITTED) {
                fail(new AssertionError("an item of " + op + " came while it is " + op.state() + ", not SUBMITTED"));
            }
            items.add(value);
            if (buf != null) {
                if (buf.readableBytes() != value) {
                    fail(new AssertionError("an item of " + op + " said " + value + " bytes, its buffer holds "
                            + buf.readableBytes()));
                }
                byte[] b = buf.getBytes();
                bytes.write(b, 0, b.length);
                if (keepBuffers) {
                    held.add(buf);
                } else {
                    buf.release();
                }
            }
        }

        @Override
        public void onComplete(Op<P> op) {
            if (finals.incrementAndGet() > 1) {
                fail(new AssertionError(op + " had " + finals.get() + " final completions, not exactly one"));
            }
            ended.complete(op);
        }

        synchronized int itemCount() {
            return items.size();
        }
    }

    private void waitUntil(java.util.function.BooleanSupplier c, java.util.function.Supplier<String> what)
            throws InterruptedException {
        long end = System.nanoTime() + timeout().toNanos();
        while (!c.getAsBoolean()) {
            if (System.nanoTime() - end > 0) {
                throw new AssertionError("still waiting after " + timeout().toSeconds() + " s for " + what.get());
            }
            Thread.sleep(1);
        }
    }

    @Test
    public void optional_multishotAcceptDeliversEveryConnectionThenExactlyOneFinalCompletion() {
        rule(rt -> {
            assumeCapability(rt.loop(), Capability.MULTISHOT);
            IoFd l = listener(rt.loop());
            Stream<AcceptMultishot> s = new Stream<>();
            Op<AcceptMultishot> op = Op.of(new AcceptMultishot(l), s);
            rt.loop().submit(op);
            SocketAddress at = rt.loop().localAddress(l);
            List<IoFd> clients = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                IoFd c = socket(rt.loop(), AddressFamily.INET, SocketType.STREAM);
                await(rt.loop().submitAsync(new Connect(c, SockAddrStorage.of(at, rt.loop().addressLayout()))), "Connect " + i)
                        .valueOrThrow();
                clients.add(c);
            }
            waitUntil(() -> s.itemCount() == 6, () -> "6 items from one AcceptMultishot, got " + s.itemCount());
            assertEquals(1, rt.inFlight(), "a multishot op counts once against the in-flight budget, whatever its items");
            assertFalse(s.ended.isDone(), "the stream must not end by itself: " + s.ended.getNow(null));
            assertTrue(rt.loop().cancel(op), "cancel of a live multishot accept");
            Op<AcceptMultishot> done = await(s.ended, "the final completion of a cancelled AcceptMultishot");
            assertEquals(IoErrorKind.CANCELLED, done.error() == null ? null : done.error().kind(),
                    "cancel ends a multishot op with one CANCELLED final completion");
            settle(rt.loop());
            assertEquals(1, s.finals.get(), "final completions");
            assertEquals(6, s.itemCount(), "no item after the final completion");
            assertEquals(0, rt.inFlight(), "ops in flight after the final completion");
            for (long fd : s.items) {
                rt.loop().submitAsync(new Close(IoFd.raw(fd)));
            }
            for (IoFd c : clients) {
                rt.loop().submitAsync(new Close(c));
            }
            await(rt.loop().submitAsync(new Close(l)), "Close of the listener").valueOrThrow();
        });
    }

    @Test
    public void optional_cancelEndsAMultishotReceiveMidStreamWithExactlyOneFinalCompletion() {
        rule(rt -> {
            assumeCapability(rt.loop(), Capability.MULTISHOT);
            Conn c = connectedPair(rt.loop());
            BufRing ring = rt.loop().openBufRing(8);
            Stream<RecvMultishot> s = new Stream<>();
            Op<RecvMultishot> op = Op.of(new RecvMultishot(c.server, ring), s);
            rt.loop().submit(op);
            byte[] first = randomBytes(50_000);
            sendAll(rt.loop(), c.client, first);
            waitUntil(() -> s.bytes.size() >= first.length, () -> "50000 bytes through the ring, got " + s.bytes.size());
            assertArrayEquals(first, s.bytes.toByteArray(), "the items, in order, are the bytes sent");
            assertTrue(s.itemCount() >= 50_000 / ring.bufferSize(), "one item per buffer at most: " + s.itemCount());
            assertTrue(rt.loop().cancel(op));
            Op<RecvMultishot> done = await(s.ended, "the final completion of a cancelled RecvMultishot");
            assertEquals(IoErrorKind.CANCELLED, done.error() == null ? null : done.error().kind(), "cancelled mid-stream");
            byte[] later = randomBytes(1000);
            sendAll(rt.loop(), c.client, later);
            settle(rt.loop());
            assertEquals(1, s.finals.get(), "exactly one final completion");
            assertEquals(first.length, s.bytes.size(), "nothing delivered after the final completion");
            ring.close();
            assertEquals(0, rt.loop().bufPool().outstanding(), "every ring buffer back in the pool after close");
            c.close(rt.loop());
        });
    }

    @Test
    public void optional_aRingThatRunsDryEndsAMultishotReceiveWithNoBufferSpace() {
        rule(rt -> {
            assumeCapability(rt.loop(), Capability.MULTISHOT);
            Conn c = connectedPair(rt.loop());
            BufRing ring = rt.loop().openBufRing(2);
            Stream<RecvMultishot> s = new Stream<>();
            s.keepBuffers = true; // the application holds every buffer: the ring runs dry
            rt.loop().submit(Op.of(new RecvMultishot(c.server, ring), s));
            byte[] data = randomBytes(3 * ring.bufferSize());
            CompletableFuture<Void> sent = CompletableFuture.runAsync(() -> {
                try {
                    sendAll(rt.loop(), c.client, data);
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            Op<RecvMultishot> done = await(s.ended, "the final completion of a RecvMultishot whose ring ran dry");
            assertEquals(IoErrorKind.NO_BUFFER_SPACE, done.error() == null ? null : done.error().kind(),
                    "a dry ring ends the stream with NO_BUFFER_SPACE (ENOBUFS), got " + done.error());
            assertTrue(s.itemCount() <= 2, "at most one item per ring buffer before it ran dry: " + s.itemCount());
            // Release, re-arm: the rest arrives, nothing lost.
            CountDownLatch released = new CountDownLatch(1);
            rt.loop().execute(() -> {
                s.held.forEach(FixedBuf::release);
                s.held.clear();
                released.countDown();
            });
            awaitLatch(released, () -> "the loop released the held buffers");
            // Re-armed (again after each ENOBUFS, as the net API does): the rest arrives, nothing lost.
            ByteArrayOutputStream all = new ByteArrayOutputStream();
            all.write(s.bytes.toByteArray());
            long until = System.nanoTime() + timeout().toNanos();
            Stream<RecvMultishot> again = null;
            Op<RecvMultishot> rearmed = null;
            while (all.size() < data.length && System.nanoTime() - until < 0) {
                again = new Stream<>();
                rearmed = Op.of(new RecvMultishot(c.server, ring), again);
                rt.loop().submit(rearmed);
                Stream<RecvMultishot> cur = again;
                waitUntil(() -> cur.ended.isDone() || all.size() + cur.bytes.size() >= data.length,
                        () -> "the rest after re-arming: " + (all.size() + cur.bytes.size()) + " of " + data.length);
                if (!cur.ended.isDone()) {
                    break; // everything is here and the stream is still armed
                }
                Op<RecvMultishot> end = cur.ended.join();
                assertEquals(IoErrorKind.NO_BUFFER_SPACE, end.error() == null ? null : end.error().kind(),
                        "a re-armed receive ends only when the ring runs dry again");
                all.write(cur.bytes.toByteArray());
            }
            await(sent, "the sender");
            if (again != null && !again.ended.isDone()) {
                all.write(again.bytes.toByteArray());
            }
            assertArrayEquals(data, all.toByteArray(), "no byte lost or reordered across ENOBUFS and the re-arms");
            if (rearmed != null && !again.ended.isDone()) {
                rt.loop().cancel(rearmed);
                await(again.ended, "the re-armed receive's end");
            }
            ring.close();
            c.close(rt.loop());
        });
    }

    @Test
    public void required_aZeroCopySendHoldsItsBufferUntilItsOneCompletion() {
        rule(rt -> {
            Conn c = connectedPair(rt.loop());
            FixedBuf b = lease(rt.loop());
            byte[] data = randomBytes(Math.min(b.capacity(), 12_000));
            b.put(data);
            AtomicInteger completions = new AtomicInteger();
            CompletableFuture<Op<Send>> done = new CompletableFuture<>();
            Op<Send> op = Op.of(Send.zeroCopy(c.client, b), guard(o -> {
                completions.incrementAndGet();
                done.complete(o);
            }));
            rt.loop().submit(op);
            // Until its one completion (after the kernel's notification) the buffer is the driver's, even once
            // the peer may have the bytes.
            long until = System.nanoTime() + timeout().toNanos();
            int checks = 0;
            while (!done.isDone() && System.nanoTime() - until < 0) {
                // Checked on the loop thread, where the op cannot complete between the two reads.
                CompletableFuture<String> check = new CompletableFuture<>();
                rt.loop().execute(() -> {
                    if (op.state() != OpState.SUBMITTED) {
                        check.complete(null);
                        return;
                    }
                    try {
                        b.readableBytes();
                        check.complete("the buffer of " + op + " was readable while the op is in flight");
                    } catch (IllegalStateException expected) {
                        check.complete(null);
                    }
                });
                String violation = await(check, "a check on the loop thread");
                if (violation != null) {
                    throw new AssertionError(violation + ": a zero-copy send's buffer is the driver's until its "
                            + "completion (after the kernel's notification)");
                }
                checks++;
                Thread.sleep(1);
            }
            Op<Send> o = await(done, "the completion of a zero-copy send");
            assertTrue(o.isSuccess(), () -> "zero-copy send failed: " + o.error());
            int n = (int) o.result();
            assertTrue(n > 0 && n <= data.length, "a send reports what it sent: " + n);
            byte[] got = receiveExactly(rt.loop(), c.server, n);
            assertArrayEquals(java.util.Arrays.copyOf(data, n), got, "the peer receives the bytes of a zero-copy send");
            settle(rt.loop());
            assertEquals(1, completions.get(), "a zero-copy send completes exactly once (after its notification)");
            assertEquals(data.length - n, b.readableBytes(), "the reader index advanced by the bytes sent");
            b.release();
            c.close(rt.loop());
        });
    }

    @Test
    public void required_submissionsFromOneLoopsCompletersToAnotherCompleteExactlyOnce() {
        rule(rt -> {
            IoRuntime two = openRuntime(withThreads(config(), 2));
            EventLoop a = two.loop(0);
            EventLoop b = two.loop(1);
            int rounds = 2000;
            AtomicInteger ranOn = new AtomicInteger();
            AtomicInteger wrongLoop = new AtomicInteger();
            CountDownLatch finished = new CountDownLatch(1);
            // A ping-pong: each completion submits the next op to the other loop, from its completer.
            class PingPong {
                int n;

                void next(EventLoop from) {
                    EventLoop to = from == a ? b : a;
                    to.submit(Op.of(new Nop(), guard(op -> {
                        if (!to.inLoop()) {
                            wrongLoop.incrementAndGet();
                        }
                        ranOn.incrementAndGet();
                        if (++n == rounds) {
                            finished.countDown();
                        } else {
                            next(to);
                        }
                    })));
                }
            }
            PingPong p = new PingPong();
            a.execute(() -> p.next(a));
            awaitLatch(finished, () -> ranOn.get() + " of " + rounds + " cross-loop submissions completed");
            settle(a);
            settle(b);
            assertEquals(rounds, ranOn.get(), "each cross-loop submission completes exactly once");
            assertEquals(0, wrongLoop.get(), "a completer runs on the loop its op was submitted to");
            assertEquals(0, a.inFlight() + b.inFlight(), "nothing left in flight");
        });
    }
}
