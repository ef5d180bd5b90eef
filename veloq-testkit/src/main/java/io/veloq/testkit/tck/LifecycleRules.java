package io.veloq.testkit.tck;

import io.veloq.api.Capability;
import io.veloq.api.Completion;
import io.veloq.api.EventLoop;
import io.veloq.api.IoErrorKind;
import io.veloq.api.IoFd;
import io.veloq.api.IoRuntime;
import io.veloq.api.Op;
import io.veloq.api.OpState;
import io.veloq.api.buffer.BufPool;
import io.veloq.api.buffer.FixedBuf;
import io.veloq.api.net.AddressFamily;
import io.veloq.api.net.ShutdownHow;
import io.veloq.api.net.SockAddrStorage;
import io.veloq.api.net.SocketType;
import io.veloq.api.op.Accept;
import io.veloq.api.op.Close;
import io.veloq.api.op.Connect;
import io.veloq.api.op.Fsync;
import io.veloq.api.op.Nop;
import io.veloq.api.op.Open;
import io.veloq.api.op.OpPayload;
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
import io.veloq.api.op.WriteFixed;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardSocketOptions;
import java.net.UnixDomainSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The rules every driver keeps about an op's life: results and the loop thread, timeouts, payloads and buffers
 * coming back on success, failure and cancellation, ownership violations, cancellation, deadlines, closing
 * the runtime with ops in flight, stale completions, the in-flight budget, a full submission queue, and
 * cross-thread submission.
 * Part of {@link DriverTck}; extend that.
 *
 * @since 0.1
 */
public abstract class LifecycleRules extends TckHarness {
    LifecycleRules() {
    }

    @Test
    public void required_nopCompletesWithZeroOnTheLoopThread() {
        rule(rt -> {
            assertEquals(0L, await(rt.loop().submitAsync(new Nop()), "Nop").value(), "Nop result");
            CompletableFuture<Boolean> onLoop = new CompletableFuture<>();
            rt.loop().submit(Op.of(new Nop(), op -> onLoop.complete(op.isSuccess() && op.result() == 0 && rt.loop().inLoop())));
            check(await(onLoop, "the completer of a Nop"), "a Nop's completer must run on the loop thread with result 0");
        });
    }

    @Test
    public void required_timeoutFiresAfterItsDuration() {
        rule(rt -> {
            long t0 = System.nanoTime();
            Completion<Timeout> c = await(rt.loop().submitAsync(Timeout.of(Duration.ofMillis(50))), "Timeout(50 ms)");
            long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            check(c.isSuccess(), () -> "a Timeout that fires completes successfully (io_uring's -ETIME is success), got " + c.error());
            assertEquals(0L, c.value(), "Timeout result");
            check(ms >= 49, () -> "Timeout(50 ms) fired after " + ms + " ms");
        });
    }

    @Test
    public void required_payloadComesBackOnSuccessFailureAndCancellation() {
        rule(rt -> {
            Conn p = connectedPair(rt.loop());
            FixedBuf b = lease(rt.loop());
            // success (one byte, so that nothing is left queued for the cancellation case)
            sendAll(rt.loop(), p.client, new byte[] {7});
            Recv ok = new Recv(p.server, b);
            Completion<Recv> c1 = await(rt.loop().submitAsync(ok), "Recv");
            check(c1.payload() == ok, "a successful completion hands back the same payload");
            check(b.owner() == null, "the buffer is the application's again after success");
            assertEquals(c1.value(), (long) b.readableBytes(), "the writer index advanced by exactly the result");
            b.clear();
            // failure
            Recv bad = new Recv(notOpenDescriptor(), b);
            Completion<Recv> c2 = await(rt.loop().submitAsync(bad), "Recv on a descriptor that is not open");
            check(!c2.isSuccess() && c2.payload() == bad, "a failed completion hands back the payload");
            check(b.owner() == null && b.readableBytes() == 0 && b.writerIndex() == 0,
                    "the buffer is back, untouched, after a failure");
            // cancellation
            Op<Recv> pending = Op.of(new Recv(p.server, b));
            CompletableFuture<Completion<Recv>> f = rt.loop().submitAsync(pending);
            settle(rt.loop());
            check(rt.loop().cancel(pending), "cancel of an in-flight Recv returns true");
            Completion<Recv> c3 = await(f, "a cancelled Recv");
            expectError(c3, IoErrorKind.CANCELLED, "a cancelled Recv");
            check(c3.payload() == pending.payload() && b.owner() == null && b.writerIndex() == 0,
                    "the buffer is back, untouched, after cancellation");
            b.put(new byte[] {1}); // usable again
            b.release();
            p.close(rt.loop());
        });
    }

    @Test
    public void required_bufferOwnedByAnInFlightOpIsRefused() {
        rule(rt -> {
            Conn p = connectedPair(rt.loop());
            FixedBuf b = lease(rt.loop());
            Op<Recv> first = Op.of(new Recv(p.server, b));
            CompletableFuture<Completion<Recv>> f = rt.loop().submitAsync(first);
            IllegalStateException e = expectThrows(IllegalStateException.class, () -> rt.loop().submitAsync(new Recv(p.client, b)),
                    "submitting a Recv whose buffer another in-flight op owns");
            check(e.getMessage().contains(first.toString()), () -> "the refusal must name the owning op " + first + ": " + e.getMessage());
            sendAll(rt.loop(), p.client, new byte[] {5});
            assertEquals(1L, await(f, "the first Recv").valueOrThrow(), "the owner still completes normally");
            b.release();
            p.close(rt.loop());
        });
    }

    @Test
    public void required_touchingAnInFlightBufferIsRefused() {
        rule(rt -> {
            Conn p = connectedPair(rt.loop());
            FixedBuf b = lease(rt.loop());
            Op<Recv> op = Op.of(new Recv(p.server, b));
            CompletableFuture<Completion<Recv>> f = rt.loop().submitAsync(op);
            expectThrows(IllegalStateException.class, () -> b.put(new byte[] {1}), "writing into a buffer owned by " + op);
            expectThrows(IllegalStateException.class, b::readableBytes, "reading a buffer owned by " + op);
            expectThrows(IllegalStateException.class, b::release, "releasing a buffer owned by " + op);
            expectThrows(IllegalStateException.class, () -> rt.loop().submitAsync(op), "submitting " + op + " twice");
            rt.loop().cancel(op);
            await(f, "the cancelled Recv");
            b.release();
            p.close(rt.loop());
        });
    }

    @Test
    public void required_cancelPendingRecvLosesNoData() {
        rule(rt -> {
            Conn p = connectedPair(rt.loop());
            FixedBuf b = lease(rt.loop());
            Op<Recv> op = Op.of(new Recv(p.server, b));
            CompletableFuture<Completion<Recv>> f = rt.loop().submitAsync(op);
            settle(rt.loop());
            check(!f.isDone(), "a Recv with no data must stay in flight");
            check(rt.loop().cancel(op), "cancel of an in-flight Recv returns true");
            expectError(await(f, "the cancelled Recv"), IoErrorKind.CANCELLED, "a cancelled pending Recv");
            check(b.owner() == null, "the cancelled Recv's buffer is back");
            sendAll(rt.loop(), p.client, new byte[] {9, 9});
            assertArrayEquals(new byte[] {9, 9}, receiveExactly(rt.loop(), p.server, 2), "bytes sent after the cancel reach the next Recv");
            b.release();
            p.close(rt.loop());
        });
    }

    @Test
    public void required_cancelPendingAccept() {
        rule(rt -> {
            IoFd l = listener(rt.loop());
            Op<Accept> op = Op.of(new Accept(l, SockAddrStorage.allocate(rt.loop().addressLayout())));
            CompletableFuture<Completion<Accept>> f = rt.loop().submitAsync(op);
            settle(rt.loop());
            check(!f.isDone(), "an Accept with no connection must stay in flight");
            check(rt.loop().cancel(op), "cancel of an in-flight Accept returns true");
            expectError(await(f, "the cancelled Accept"), IoErrorKind.CANCELLED, "a cancelled pending Accept");
            IoFd c = socket(rt.loop(), AddressFamily.INET, SocketType.STREAM);
            CompletableFuture<Completion<Accept>> again = rt.loop().submitAsync(new Accept(l, SockAddrStorage.allocate(rt.loop().addressLayout())));
            await(rt.loop().submitAsync(new Connect(c, SockAddrStorage.of(rt.loop().localAddress(l), rt.loop().addressLayout()))), "Connect").valueOrThrow();
            IoFd s = IoFd.raw(await(again, "Accept after a cancelled Accept").valueOrThrow());
            closeAll(rt.loop(), c, s, l);
        });
    }

    @Test
    public void required_cancelPendingTimeout() {
        rule(rt -> {
            Op<Timeout> op = Op.of(Timeout.of(Duration.ofMinutes(10)));
            CompletableFuture<Completion<Timeout>> f = rt.loop().submitAsync(op);
            settle(rt.loop());
            check(rt.loop().cancel(op), "cancel of an in-flight Timeout returns true");
            expectError(await(f, "the cancelled Timeout"), IoErrorKind.CANCELLED, "a cancelled Timeout");
        });
    }

    @Test
    public void required_deadlineExpiresAsTimedOut() {
        rule(rt -> {
            Conn p = connectedPair(rt.loop());
            FixedBuf b = lease(rt.loop());
            Completion<Recv> c = await(rt.loop().submitAsync(Op.of(new Recv(p.server, b)).deadline(Duration.ofMillis(100))),
                    "a Recv with a 100 ms deadline");
            expectError(c, IoErrorKind.TIMED_OUT, "a Recv whose deadline expired");
            check(b.owner() == null, "the buffer is back after the deadline");
            b.release();
            p.close(rt.loop());
        });
    }

    @Test
    public void required_closeWithOpsInFlightCancelsThemAndReturnsBuffers() {
        rule(rt -> {
            IoRuntime second = openRuntime(config());
            Conn p = connectedPair(second.loop());
            FixedBuf b = lease(second.loop());
            CompletableFuture<Completion<Recv>> recv = second.loop().submitAsync(new Recv(p.server, b));
            CompletableFuture<Completion<Accept>> accept = second.loop().submitAsync(new Accept(p.listener, SockAddrStorage.allocate(second.loop().addressLayout())));
            CompletableFuture<Completion<Timeout>> timer = second.loop().submitAsync(Timeout.of(Duration.ofMinutes(10)));
            settle(second.loop());
            closeRuntime(second);
            expectError(await(recv, "Recv in flight at close"), IoErrorKind.CANCELLED, "a Recv in flight when the runtime closed");
            expectError(await(accept, "Accept in flight at close"), IoErrorKind.CANCELLED, "an Accept in flight when the runtime closed");
            expectError(await(timer, "Timeout in flight at close"), IoErrorKind.CANCELLED, "a Timeout in flight when the runtime closed");
            check(b.owner() == null, "the Recv's buffer is back after close");
            check(second.inFlight() == 0, () -> "closed runtime reports " + second.inFlight() + " ops in flight");
            expectThrows(IllegalStateException.class, () -> second.loop().submitAsync(new Nop()), "submitting to a closed runtime");
            b.release();
        });
    }

    @Test
    public void required_staleCompletionNeverCompletesANewerOp() {
        rule(rt -> {
            IoRuntime small = openRuntime(withBudget(config(), 4, 4));
            Conn p = connectedPair(small.loop());
            FixedBuf b = lease(small.loop());
            int rounds = 300;
            AtomicInteger completions = new AtomicInteger();
            ByteArrayOutputStream got = new ByteArrayOutputStream();
            byte[] sent = new byte[rounds];
            FixedBuf out = lease(small.loop());
            for (int i = 0; i < rounds; i++) {
                sent[i] = (byte) i;
                b.clear();
                Op<Recv> op = Op.of(new Recv(p.server, b));
                CompletableFuture<Completion<Recv>> f = small.loop().submitAsync(op);
                out.clear().put(new byte[] {sent[i]});
                CompletableFuture<Completion<Send>> s = small.loop().submitAsync(new Send(p.client, out));
                small.loop().cancel(op);           // races the byte that is on its way
                Completion<Recv> c = await(f, "round " + i + "'s Recv");
                completions.incrementAndGet();
                await(s, "round " + i + "'s Send").valueOrThrow();
                if (c.isSuccess()) {
                    got.writeBytes(b.getBytes());
                } else {
                    int round = i;
                    check(c.error().kind() == IoErrorKind.CANCELLED, () -> "round " + round + ": Recv failed with " + c.error());
                    check(b.writerIndex() == 0, () -> "round " + round + ": a cancelled Recv wrote into its buffer");
                }
                check(f.isDone() && op.state() == OpState.COMPLETED, "each op completes exactly once");
            }
            // whatever the cancels did not take is still queued, in order
            byte[] rest = receiveExactly(small.loop(), p.server, rounds - got.size());
            got.writeBytes(rest);
            assertArrayEquals(sent, got.toByteArray(), "bytes received across cancelled and completed Recvs (none lost, none doubled)");
            assertEquals(rounds, completions.get(), "completions");
            b.release();
            out.release();
            p.close(small.loop());
            closeRuntime(small);
        });
    }

    @Test
    public void required_inFlightBudgetNeverDropsWork() {
        rule(rt -> {
            IoRuntime small = openRuntime(withBudget(config(), 8, 16));
            int n = 5_000;
            AtomicInteger done = new AtomicInteger();
            AtomicInteger twice = new AtomicInteger();
            CountDownLatch all = new CountDownLatch(n);
            for (int i = 0; i < n; i++) {
                boolean[] seen = new boolean[1];
                small.loop().submit(Op.of(new Nop(), guard(op -> {
                    if (seen[0]) {
                        twice.incrementAndGet();
                    }
                    seen[0] = true;
                    if (op.isSuccess()) {
                        done.incrementAndGet();
                    }
                    all.countDown();
                })));
            }
            awaitLatch(all, () -> done.get() + " of " + n + " Nops completed (maxInFlight 16, queueDepth 8)");
            assertEquals(n, done.get(), "successful Nops");
            assertEquals(0, twice.get(), "Nops completed twice");
            settle(small.loop());
            assertEquals(0, small.inFlight(), "ops in flight after all completed");
            closeRuntime(small);
        });
    }

    @Test
    public void required_fullSubmissionQueueDoesNotStallTheBacklog() {
        rule(rt -> {
            IoRuntime tiny = openRuntime(withBudget(config(), 1, 8));
            Conn p = connectedPair(tiny.loop());
            FixedBuf in = lease(tiny.loop());
            FixedBuf out = lease(tiny.loop()).put(new byte[] {1, 2, 3});
            // From the loop thread, in one turn: the Recv fills the one-entry queue; the Send that would
            // satisfy it must still be submitted although the Recv stays pending.
            CompletableFuture<Completion<Recv>> r = new CompletableFuture<>();
            CompletableFuture<Completion<Send>> s = new CompletableFuture<>();
            tiny.loop().execute(guard(() -> {
                tiny.loop().submitAsync(new Recv(p.server, in)).whenComplete((c, t) -> r.complete(c));
                tiny.loop().submitAsync(new Send(p.client, out)).whenComplete((c, t) -> s.complete(c));
            }));
            long sent = await(s, "a Send queued behind a pending Recv with queueDepth 1").valueOrThrow();
            long got = await(r, "a Recv waiting for that Send").valueOrThrow();
            check(sent >= 1 && sent <= 3 && got >= 1 && got <= sent, () -> "Send returned " + sent + " and Recv " + got
                    + " for 3 bytes (short transfers are fine, nothing else is)");
            in.release();
            out.release();
            p.close(tiny.loop());
            closeRuntime(tiny);
        });
    }

    @Test
    public void required_crossThreadSubmission() {
        rule(rt -> {
            int threads = 4;
            int perThread = 500;
            AtomicInteger offLoop = new AtomicInteger();
            CountDownLatch all = new CountDownLatch(threads * perThread);
            List<Thread> ts = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                Thread th = new Thread(guard(() -> {
                    for (int i = 0; i < perThread; i++) {
                        OpPayload payload = i % 5 == 0 ? Timeout.of(Duration.ZERO) : new Nop();
                        rt.loop().submit(Op.of(payload, guard(op -> {
                            if (!rt.loop().inLoop() || !op.isSuccess()) {
                                offLoop.incrementAndGet();
                            }
                            all.countDown();
                        })));
                    }
                }), "tck-submitter-" + t);
                ts.add(th);
                th.start();
            }
            for (Thread th : ts) {
                th.join(timeout().toMillis());
            }
            awaitLatch(all, () -> (threads * perThread - all.getCount()) + " of " + threads * perThread
                    + " ops submitted from " + threads + " threads completed");
            assertEquals(0, offLoop.get(), "completers that ran off the loop thread or failed");
        });
    }
}
