package io.veloq.testkit.tck;

import io.veloq.api.BackpressurePolicy;
import io.veloq.api.Capability;
import io.veloq.api.Completion;
import io.veloq.api.IoErrorKind;
import io.veloq.api.IoFd;
import io.veloq.api.Op;
import io.veloq.api.OpState;
import io.veloq.api.IoRuntime;
import io.veloq.api.RuntimeConfig;
import io.veloq.api.VeloqIoException;
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
import io.veloq.spi.DriverProvider;
import io.veloq.spi.internal.host.RuntimeHost;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/**
 * The driver conformance kit: every rule a Veloq driver must keep, as JUnit 5 tests. A driver author
 * extends it and supplies only the provider; the kit opens runtimes on it through the host, exactly as
 * applications will.
 *
 * <pre>{@code
 * class UringDriverTckTest extends DriverTck {
 *     @Override
 *     protected DriverProvider provider() { return new UringProvider(); }
 * }
 * }</pre>
 *
 * <h2>Rules</h2>
 * Each test is named after the rule it checks. {@code required_...} rules hold for every driver;
 * {@code optional_...} rules are skipped, with the reason, when the driver does not report the capability
 * ({@link Capability#FIXED_FILES}, {@link Capability#REGISTERED_BUFFERS}, {@link Capability#UNIX_SOCKETS}).
 * Sockets are created with the {@code Socket} op and bound to loopback ({@code 127.0.0.1}); files live in
 * a fresh temporary directory.
 *
 * <h2>Environment</h2>
 * <ul>
 *   <li>{@code -Dveloq.tck.timeoutSeconds=N} (default 10): how long any single wait may take before the
 *       rule fails as "still in flight".</li>
 *   <li>{@code -Dveloq.seed=N} (default 42): the seed of the kit's random choices (payloads, sizes); it is
 *       printed in every failure with the command line that reruns the rule.</li>
 * </ul>
 * Failures in completers and other threads are collected and reported with the rule that caused them.
 *
 * @since 0.1
 */
public abstract class DriverTck {
    /** For subclasses: a driver module's test class that supplies {@link #provider()}. */
    protected DriverTck() {
    }

    /** The provider of the driver under test; called once per rule. */
    protected abstract DriverProvider provider();

    /** How long one wait may take; {@code -Dveloq.tck.timeoutSeconds}, default 10 s. */
    protected Duration timeout() {
        return Duration.ofSeconds(Long.getLong("veloq.tck.timeoutSeconds", 10));
    }

    /** The seed of the kit's random choices; {@code -Dveloq.seed}, default 42. */
    protected long seed() {
        return Long.getLong("veloq.seed", 42);
    }

    /**
     * A descriptor that is certainly not open, for the EBADF rules. (Reusing the number of a descriptor
     * the rule just closed would race with the JVM's other threads: the kernel hands out the lowest free
     * number, so another thread may own it a moment later, and a second close would close its file.)
     * Linux reports EBADF for any number beyond the descriptor table; override for other platforms.
     */
    protected IoFd notOpenDescriptor() {
        return IoFd.raw(Integer.MAX_VALUE - 1);
    }

    /** The loopback address sockets bind to. */
    protected InetAddress loopback() {
        return InetAddress.getLoopbackAddress();
    }

    /** The runtime configuration of most rules: one loop, 64 SQ entries, 256 in flight, 64 x 16 KiB buffers. */
    protected RuntimeConfig config() {
        return new RuntimeConfig(provider().id(), 1, 64, 256, BackpressurePolicy.QUEUE, 16 * 1024, 64, 16, false, Map.of());
    }

    // ============================================================================== op contracts

    @Test
    public void required_nopCompletesWithZeroOnTheLoopThread() {
        rule(rt -> {
            assertEquals(0L, await(rt.submitAsync(new Nop()), "Nop").value(), "Nop result");
            CompletableFuture<Boolean> onLoop = new CompletableFuture<>();
            rt.submit(Op.of(new Nop(), op -> onLoop.complete(op.isSuccess() && op.result() == 0 && rt.inLoop())));
            check(await(onLoop, "the completer of a Nop"), "a Nop's completer must run on the loop thread with result 0");
        });
    }

    @Test
    public void required_timeoutFiresAfterItsDuration() {
        rule(rt -> {
            long t0 = System.nanoTime();
            Completion<Timeout> c = await(rt.submitAsync(Timeout.of(Duration.ofMillis(50))), "Timeout(50 ms)");
            long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            check(c.isSuccess(), () -> "a Timeout that fires completes successfully (io_uring's -ETIME is success), got " + c.error());
            assertEquals(0L, c.value(), "Timeout result");
            check(ms >= 49, () -> "Timeout(50 ms) fired after " + ms + " ms");
        });
    }

    @Test
    public void required_tcpRoundTripOnLoopback() {
        rule(rt -> {
            Conn p = connectedPair(rt);
            byte[] toServer = randomBytes(64 * 1024 + 17);
            byte[] toClient = randomBytes(9_000);
            sendAll(rt, p.client, toServer);
            assertArrayEquals(toServer, receiveExactly(rt, p.server, toServer.length), "bytes client -> server");
            sendAll(rt, p.server, toClient);
            assertArrayEquals(toClient, receiveExactly(rt, p.client, toClient.length), "bytes server -> client");
            assertEquals(rt.localAddress(p.client), p.acceptedPeer, "the peer address written by Accept");
            assertEquals(rt.localAddress(p.client), rt.remoteAddress(p.server), "getpeername of the accepted socket");
            p.close(rt);
        });
    }

    @Test
    public void required_udpSendToRecvFromOnLoopback() {
        rule(rt -> {
            IoFd a = socket(rt, AddressFamily.INET, SocketType.DATAGRAM);
            IoFd b = socket(rt, AddressFamily.INET, SocketType.DATAGRAM);
            rt.bind(a, new InetSocketAddress(loopback(), 0));
            rt.bind(b, new InetSocketAddress(loopback(), 0));
            byte[] data = randomBytes(1200);
            FixedBuf in = lease(rt);
            SockAddrStorage from = SockAddrStorage.allocate(rt.addressLayout());
            CompletableFuture<Completion<RecvFrom>> r = rt.submitAsync(new RecvFrom(b, in, from));
            FixedBuf out = lease(rt).put(data);
            Completion<SendTo> s = await(rt.submitAsync(new SendTo(a, out, SockAddrStorage.of(rt.localAddress(b), rt.addressLayout()))), "SendTo");
            assertEquals((long) data.length, s.valueOrThrow(), "SendTo result");
            assertEquals((long) data.length, await(r, "RecvFrom").valueOrThrow(), "RecvFrom result");
            assertArrayEquals(data, in.getBytes(), "datagram content");
            assertEquals(rt.localAddress(a), from.toSocketAddress(), "RecvFrom sender address");
            in.release();
            out.release();
            closeAll(rt, a, b);
        });
    }

    @Test
    public void required_fileOpenWriteReadFsyncClose() {
        rule(rt -> {
            Path dir = Files.createTempDirectory("veloq-tck");
            try {
                Path file = dir.resolve("data.bin");
                IoFd fd = IoFd.raw(await(rt.submitAsync(new Open(file, EnumSet.of(StandardOpenOption.CREATE_NEW,
                        StandardOpenOption.READ, StandardOpenOption.WRITE), 0644)), "Open CREATE_NEW").valueOrThrow());
                byte[] data = randomBytes(10_000);
                FixedBuf b = lease(rt).put(data);
                assertEquals((long) data.length, await(rt.submitAsync(new Write(fd, b, 0)), "Write").valueOrThrow(), "Write result");
                assertEquals(0L, await(rt.submitAsync(new Fsync(fd, false)), "Fsync").valueOrThrow(), "Fsync result");
                b.clear();
                ByteArrayOutputStream got = new ByteArrayOutputStream();
                while (got.size() < data.length) {
                    long n = await(rt.submitAsync(new Read(fd, b, got.size())), "Read").valueOrThrow();
                    check(n > 0, () -> "Read at offset " + got.size() + " of a " + data.length + "-byte file returned 0");
                    got.writeBytes(b.getBytes());
                    b.clear();
                }
                assertArrayEquals(data, got.toByteArray(), "file content read back");
                assertEquals(0L, await(rt.submitAsync(new Read(fd, b, data.length)), "Read at end of file").valueOrThrow(),
                        "Read at end of file");
                assertEquals(0L, await(rt.submitAsync(new Close(fd)), "Close").valueOrThrow(), "Close result");
                expectError(await(rt.submitAsync(new Open(file, EnumSet.of(StandardOpenOption.CREATE_NEW,
                        StandardOpenOption.WRITE), 0644)), "Open CREATE_NEW of an existing file"), IoErrorKind.ALREADY_EXISTS,
                        "Open CREATE_NEW of an existing file");
                expectError(await(rt.submitAsync(Open.read(dir.resolve("missing"))), "Open of a missing file"),
                        IoErrorKind.NOT_FOUND, "Open of a missing file");
                b.release();
            } finally {
                deleteTree(dir);
            }
        });
    }

    // ============================================================================== error contracts

    @Test
    public void required_connectToClosedPortIsRefused() {
        rule(rt -> {
            IoFd probe = socket(rt, AddressFamily.INET, SocketType.STREAM);
            rt.bind(probe, new InetSocketAddress(loopback(), 0));
            SocketAddress nobody = rt.localAddress(probe);
            closeAll(rt, probe);
            IoFd c = socket(rt, AddressFamily.INET, SocketType.STREAM);
            expectError(await(rt.submitAsync(new Connect(c, SockAddrStorage.of(nobody, rt.addressLayout()))), "Connect to " + nobody),
                    IoErrorKind.CONNECTION_REFUSED, "Connect to a port nobody listens on");
            closeAll(rt, c);
        });
    }

    @Test
    public void required_recvAfterPeerCloseIsEndOfStream() {
        rule(rt -> {
            Conn p = connectedPair(rt);
            sendAll(rt, p.client, new byte[] {1, 2, 3});
            closeAll(rt, p.client);
            assertArrayEquals(new byte[] {1, 2, 3}, receiveExactly(rt, p.server, 3), "bytes sent before close");
            FixedBuf b = lease(rt);
            Completion<Recv> eof = await(rt.submitAsync(new Recv(p.server, b)), "Recv after peer close");
            assertEquals(0L, eof.valueOrThrow(), "Recv after the peer closed must return 0 (end of stream)");
            assertEquals(0, b.readableBytes(), "readable bytes after EOF");
            b.release();
            closeAll(rt, p.server, p.listener);
        });
    }

    @Test
    public void required_closedDescriptorIsBadDescriptor() {
        rule(rt -> {
            IoFd s = notOpenDescriptor();
            FixedBuf b = lease(rt);
            expectError(await(rt.submitAsync(new Recv(s, b)), "Recv on " + s), IoErrorKind.BAD_DESCRIPTOR, "Recv on a descriptor that is not open");
            b.put(new byte[] {1});
            expectError(await(rt.submitAsync(new Send(s, b)), "Send on " + s), IoErrorKind.BAD_DESCRIPTOR, "Send on a descriptor that is not open");
            assertEquals(1, b.readableBytes(), "a failed Send must not consume the buffer");
            expectError(await(rt.submitAsync(new Close(s)), "Close of " + s), IoErrorKind.BAD_DESCRIPTOR, "Close of a descriptor that is not open");
            b.release();
        });
    }

    @Test
    public void required_sendAfterShutdownWriteIsBrokenPipe() {
        rule(rt -> {
            Conn p = connectedPair(rt);
            assertEquals(0L, await(rt.submitAsync(new Shutdown(p.client, ShutdownHow.WRITE)), "Shutdown(WRITE)").valueOrThrow(),
                    "Shutdown result");
            FixedBuf b = lease(rt).put(new byte[] {42});
            expectError(await(rt.submitAsync(new Send(p.client, b)), "Send after Shutdown(WRITE)"), IoErrorKind.BROKEN_PIPE,
                    "Send after Shutdown(WRITE)");
            b.clear();
            assertEquals(0L, await(rt.submitAsync(new Recv(p.server, b)), "Recv after the peer's Shutdown(WRITE)").valueOrThrow(),
                    "the peer reads end of stream after Shutdown(WRITE)");
            b.release();
            p.close(rt);
        });
    }

    // ============================================================================== ownership

    @Test
    public void required_payloadComesBackOnSuccessFailureAndCancellation() {
        rule(rt -> {
            Conn p = connectedPair(rt);
            FixedBuf b = lease(rt);
            // success (one byte, so that nothing is left queued for the cancellation case)
            sendAll(rt, p.client, new byte[] {7});
            Recv ok = new Recv(p.server, b);
            Completion<Recv> c1 = await(rt.submitAsync(ok), "Recv");
            check(c1.payload() == ok, "a successful completion hands back the same payload");
            check(b.owner() == null, "the buffer is the application's again after success");
            assertEquals(c1.value(), (long) b.readableBytes(), "the writer index advanced by exactly the result");
            b.clear();
            // failure
            Recv bad = new Recv(notOpenDescriptor(), b);
            Completion<Recv> c2 = await(rt.submitAsync(bad), "Recv on a descriptor that is not open");
            check(!c2.isSuccess() && c2.payload() == bad, "a failed completion hands back the payload");
            check(b.owner() == null && b.readableBytes() == 0 && b.writerIndex() == 0,
                    "the buffer is back, untouched, after a failure");
            // cancellation
            Op<Recv> pending = Op.of(new Recv(p.server, b));
            CompletableFuture<Completion<Recv>> f = rt.submitAsync(pending);
            settle(rt);
            check(rt.cancel(pending), "cancel of an in-flight Recv returns true");
            Completion<Recv> c3 = await(f, "a cancelled Recv");
            expectError(c3, IoErrorKind.CANCELLED, "a cancelled Recv");
            check(c3.payload() == pending.payload() && b.owner() == null && b.writerIndex() == 0,
                    "the buffer is back, untouched, after cancellation");
            b.put(new byte[] {1}); // usable again
            b.release();
            p.close(rt);
        });
    }

    @Test
    public void required_bufferOwnedByAnInFlightOpIsRefused() {
        rule(rt -> {
            Conn p = connectedPair(rt);
            FixedBuf b = lease(rt);
            Op<Recv> first = Op.of(new Recv(p.server, b));
            CompletableFuture<Completion<Recv>> f = rt.submitAsync(first);
            IllegalStateException e = expectThrows(IllegalStateException.class, () -> rt.submitAsync(new Recv(p.client, b)),
                    "submitting a Recv whose buffer another in-flight op owns");
            check(e.getMessage().contains(first.toString()), () -> "the refusal must name the owning op " + first + ": " + e.getMessage());
            sendAll(rt, p.client, new byte[] {5});
            assertEquals(1L, await(f, "the first Recv").valueOrThrow(), "the owner still completes normally");
            b.release();
            p.close(rt);
        });
    }

    @Test
    public void required_touchingAnInFlightBufferIsRefused() {
        rule(rt -> {
            Conn p = connectedPair(rt);
            FixedBuf b = lease(rt);
            Op<Recv> op = Op.of(new Recv(p.server, b));
            CompletableFuture<Completion<Recv>> f = rt.submitAsync(op);
            expectThrows(IllegalStateException.class, () -> b.put(new byte[] {1}), "writing into a buffer owned by " + op);
            expectThrows(IllegalStateException.class, b::readableBytes, "reading a buffer owned by " + op);
            expectThrows(IllegalStateException.class, b::release, "releasing a buffer owned by " + op);
            expectThrows(IllegalStateException.class, () -> rt.submitAsync(op), "submitting " + op + " twice");
            rt.cancel(op);
            await(f, "the cancelled Recv");
            b.release();
            p.close(rt);
        });
    }

    // ============================================================================== cancellation

    @Test
    public void required_cancelPendingRecvLosesNoData() {
        rule(rt -> {
            Conn p = connectedPair(rt);
            FixedBuf b = lease(rt);
            Op<Recv> op = Op.of(new Recv(p.server, b));
            CompletableFuture<Completion<Recv>> f = rt.submitAsync(op);
            settle(rt);
            check(!f.isDone(), "a Recv with no data must stay in flight");
            check(rt.cancel(op), "cancel of an in-flight Recv returns true");
            expectError(await(f, "the cancelled Recv"), IoErrorKind.CANCELLED, "a cancelled pending Recv");
            check(b.owner() == null, "the cancelled Recv's buffer is back");
            sendAll(rt, p.client, new byte[] {9, 9});
            assertArrayEquals(new byte[] {9, 9}, receiveExactly(rt, p.server, 2), "bytes sent after the cancel reach the next Recv");
            b.release();
            p.close(rt);
        });
    }

    @Test
    public void required_cancelPendingAccept() {
        rule(rt -> {
            IoFd l = listener(rt);
            Op<Accept> op = Op.of(new Accept(l, SockAddrStorage.allocate(rt.addressLayout())));
            CompletableFuture<Completion<Accept>> f = rt.submitAsync(op);
            settle(rt);
            check(!f.isDone(), "an Accept with no connection must stay in flight");
            check(rt.cancel(op), "cancel of an in-flight Accept returns true");
            expectError(await(f, "the cancelled Accept"), IoErrorKind.CANCELLED, "a cancelled pending Accept");
            IoFd c = socket(rt, AddressFamily.INET, SocketType.STREAM);
            CompletableFuture<Completion<Accept>> again = rt.submitAsync(new Accept(l, SockAddrStorage.allocate(rt.addressLayout())));
            await(rt.submitAsync(new Connect(c, SockAddrStorage.of(rt.localAddress(l), rt.addressLayout()))), "Connect").valueOrThrow();
            IoFd s = IoFd.raw(await(again, "Accept after a cancelled Accept").valueOrThrow());
            closeAll(rt, c, s, l);
        });
    }

    @Test
    public void required_cancelPendingTimeout() {
        rule(rt -> {
            Op<Timeout> op = Op.of(Timeout.of(Duration.ofMinutes(10)));
            CompletableFuture<Completion<Timeout>> f = rt.submitAsync(op);
            settle(rt);
            check(rt.cancel(op), "cancel of an in-flight Timeout returns true");
            expectError(await(f, "the cancelled Timeout"), IoErrorKind.CANCELLED, "a cancelled Timeout");
        });
    }

    @Test
    public void required_deadlineExpiresAsTimedOut() {
        rule(rt -> {
            Conn p = connectedPair(rt);
            FixedBuf b = lease(rt);
            Completion<Recv> c = await(rt.submitAsync(Op.of(new Recv(p.server, b)).deadline(Duration.ofMillis(100))),
                    "a Recv with a 100 ms deadline");
            expectError(c, IoErrorKind.TIMED_OUT, "a Recv whose deadline expired");
            check(b.owner() == null, "the buffer is back after the deadline");
            b.release();
            p.close(rt);
        });
    }

    @Test
    public void required_closeWithOpsInFlightCancelsThemAndReturnsBuffers() {
        rule(rt -> {
            IoRuntime second = openRuntime(config());
            Conn p = connectedPair(second);
            FixedBuf b = lease(second);
            CompletableFuture<Completion<Recv>> recv = second.submitAsync(new Recv(p.server, b));
            CompletableFuture<Completion<Accept>> accept = second.submitAsync(new Accept(p.listener, SockAddrStorage.allocate(second.addressLayout())));
            CompletableFuture<Completion<Timeout>> timer = second.submitAsync(Timeout.of(Duration.ofMinutes(10)));
            settle(second);
            closeRuntime(second);
            expectError(await(recv, "Recv in flight at close"), IoErrorKind.CANCELLED, "a Recv in flight when the runtime closed");
            expectError(await(accept, "Accept in flight at close"), IoErrorKind.CANCELLED, "an Accept in flight when the runtime closed");
            expectError(await(timer, "Timeout in flight at close"), IoErrorKind.CANCELLED, "a Timeout in flight when the runtime closed");
            check(b.owner() == null, "the Recv's buffer is back after close");
            check(second.inFlight() == 0, () -> "closed runtime reports " + second.inFlight() + " ops in flight");
            expectThrows(IllegalStateException.class, () -> second.submitAsync(new Nop()), "submitting to a closed runtime");
            b.release();
        });
    }

    // ============================================================================== host/driver interplay

    @Test
    public void required_staleCompletionNeverCompletesANewerOp() {
        rule(rt -> {
            IoRuntime small = openRuntime(withBudget(config(), 4, 4));
            Conn p = connectedPair(small);
            FixedBuf b = lease(small);
            int rounds = 300;
            AtomicInteger completions = new AtomicInteger();
            ByteArrayOutputStream got = new ByteArrayOutputStream();
            byte[] sent = new byte[rounds];
            FixedBuf out = lease(small);
            for (int i = 0; i < rounds; i++) {
                sent[i] = (byte) i;
                b.clear();
                Op<Recv> op = Op.of(new Recv(p.server, b));
                CompletableFuture<Completion<Recv>> f = small.submitAsync(op);
                out.clear().put(new byte[] {sent[i]});
                CompletableFuture<Completion<Send>> s = small.submitAsync(new Send(p.client, out));
                small.cancel(op);           // races the byte that is on its way
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
            byte[] rest = receiveExactly(small, p.server, rounds - got.size());
            got.writeBytes(rest);
            assertArrayEquals(sent, got.toByteArray(), "bytes received across cancelled and completed Recvs (none lost, none doubled)");
            assertEquals(rounds, completions.get(), "completions");
            b.release();
            out.release();
            p.close(small);
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
                small.submit(Op.of(new Nop(), guard(op -> {
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
            settle(small);
            assertEquals(0, small.inFlight(), "ops in flight after all completed");
            closeRuntime(small);
        });
    }

    @Test
    public void required_fullSubmissionQueueDoesNotStallTheBacklog() {
        rule(rt -> {
            IoRuntime tiny = openRuntime(withBudget(config(), 1, 8));
            Conn p = connectedPair(tiny);
            FixedBuf in = lease(tiny);
            FixedBuf out = lease(tiny).put(new byte[] {1, 2, 3});
            // From the loop thread, in one turn: the Recv fills the one-entry queue; the Send that would
            // satisfy it must still be submitted although the Recv stays pending.
            CompletableFuture<Completion<Recv>> r = new CompletableFuture<>();
            CompletableFuture<Completion<Send>> s = new CompletableFuture<>();
            tiny.execute(guard(() -> {
                tiny.submitAsync(new Recv(p.server, in)).whenComplete((c, t) -> r.complete(c));
                tiny.submitAsync(new Send(p.client, out)).whenComplete((c, t) -> s.complete(c));
            }));
            long sent = await(s, "a Send queued behind a pending Recv with queueDepth 1").valueOrThrow();
            long got = await(r, "a Recv waiting for that Send").valueOrThrow();
            check(sent >= 1 && sent <= 3 && got >= 1 && got <= sent, () -> "Send returned " + sent + " and Recv " + got
                    + " for 3 bytes (short transfers are fine, nothing else is)");
            in.release();
            out.release();
            p.close(tiny);
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
                        rt.submit(Op.of(payload, guard(op -> {
                            if (!rt.inLoop() || !op.isSuccess()) {
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

    // ============================================================================== optional capabilities

    @Test
    public void optional_fixedFiles() {
        rule(rt -> {
            assumeCapability(rt, Capability.FIXED_FILES);
            Conn p = connectedPair(rt);
            IoFd.Fixed fixed = rt.registerFile((IoFd.Raw) p.server);
            sendAll(rt, p.client, new byte[] {4, 2});
            assertArrayEquals(new byte[] {4, 2}, receiveExactly(rt, fixed, 2), "bytes received through a fixed file");
            FixedBuf b = lease(rt);
            rt.unregisterFile(fixed);
            b.clear();
            expectError(await(rt.submitAsync(new Recv(fixed, b)), "Recv on an unregistered slot"), IoErrorKind.BAD_DESCRIPTOR,
                    "Recv on an unregistered fixed-file slot");
            b.release();
            p.close(rt);
        });
    }

    @Test
    public void optional_registeredBuffers() {
        rule(rt -> {
            assumeCapability(rt, Capability.REGISTERED_BUFFERS);
            assumeCapability(rt, Capability.FILE_IO);
            BufPool pool = rt.bufPool();
            check(pool != null && pool.isRegistered(), "a driver with REGISTERED_BUFFERS registers the loop's pool");
            Path dir = Files.createTempDirectory("veloq-tck");
            try {
                IoFd fd = IoFd.raw(await(rt.submitAsync(new Open(dir.resolve("fixed.bin"), EnumSet.of(StandardOpenOption.CREATE,
                        StandardOpenOption.READ, StandardOpenOption.WRITE), 0644)), "Open").valueOrThrow());
                byte[] data = randomBytes(4096);
                FixedBuf b = pool.lease().put(data);
                assertEquals((long) data.length, await(rt.submitAsync(new WriteFixed(fd, b, 0)), "WriteFixed").valueOrThrow(), "WriteFixed");
                b.clear();
                assertEquals((long) data.length, await(rt.submitAsync(new ReadFixed(fd, b, 0)), "ReadFixed").valueOrThrow(), "ReadFixed");
                assertArrayEquals(data, b.getBytes(), "ReadFixed content");
                try (BufPool own = BufPool.allocate(4096, 1)) {
                    FixedBuf foreign = own.lease();
                    boolean refused;
                    try {
                        refused = !await(rt.submitAsync(new ReadFixed(fd, foreign, 0)), "ReadFixed of an unregistered buffer").isSuccess();
                    } catch (IllegalArgumentException | IllegalStateException e) {
                        refused = true; // refused at submission: also fine
                    }
                    check(refused, "ReadFixed with a buffer that is not registered must fail");
                    foreign.release();
                }
                b.release();
                closeAll(rt, fd);
            } finally {
                deleteTree(dir);
            }
        });
    }

    @Test
    public void optional_unixStreamSockets() {
        rule(rt -> {
            assumeCapability(rt, Capability.UNIX_SOCKETS);
            Path dir = Files.createTempDirectory("veloq-tck");
            try {
                UnixDomainSocketAddress path = UnixDomainSocketAddress.of(dir.resolve("s.sock"));
                IoFd l = socket(rt, AddressFamily.UNIX, SocketType.STREAM);
                rt.bind(l, path);
                rt.listen(l, 8);
                CompletableFuture<Completion<Accept>> acc = rt.submitAsync(new Accept(l, SockAddrStorage.allocate(rt.addressLayout())));
                IoFd c = socket(rt, AddressFamily.UNIX, SocketType.STREAM);
                await(rt.submitAsync(new Connect(c, SockAddrStorage.of(path, rt.addressLayout()))), "Connect to " + path).valueOrThrow();
                IoFd s = IoFd.raw(await(acc, "Accept on " + path).valueOrThrow());
                byte[] data = randomBytes(3000);
                sendAll(rt, c, data);
                assertArrayEquals(data, receiveExactly(rt, s, data.length), "bytes over a Unix stream socket");
                closeAll(rt, c, s, l);
            } finally {
                deleteTree(dir);
            }
        });
    }

    // ============================================================================== the machinery

    /** One rule's body, given a runtime opened with {@link #config()}. */
    @FunctionalInterface
    protected interface RuleBody {
        void run(IoRuntime rt) throws Exception;
    }

    private final ConcurrentLinkedQueue<Throwable> asyncErrors = new ConcurrentLinkedQueue<>();
    private final List<IoRuntime> opened = new ArrayList<>();
    private SplittableRandom random;
    private String ruleName = "?";

    /**
     * Runs a rule: opens a runtime on {@link #provider()}, runs {@code body}, closes everything, and turns
     * any failure (here or on another thread) into an {@link AssertionError} that names the rule, the
     * driver, the seed and how to rerun it.
     */
    protected final void rule(RuleBody body) {
        ruleName = StackWalker.getInstance().walk(s -> s.skip(1)
                .filter(f -> f.getMethodName().startsWith("required_") || f.getMethodName().startsWith("optional_"))
                .findFirst().map(StackWalker.StackFrame::getMethodName).orElse("?"));
        random = new SplittableRandom(seed() * 31 + ruleName.hashCode());
        asyncErrors.clear();
        Throwable failure = null;
        String driver = "?";
        try {
            IoRuntime rt = openRuntime(config());
            driver = rt.driverId();
            body.run(rt);
        } catch (org.opentest4j.TestAbortedException skipped) {
            closeOpened(null);
            throw skipped;
        } catch (Throwable t) {
            failure = t;
        }
        failure = closeOpened(failure);
        if (failure == null && !asyncErrors.isEmpty()) {
            failure = new AssertionError("errors on other threads: " + asyncErrors.size());
        }
        if (failure != null) {
            for (Throwable t : asyncErrors) {
                if (t != failure) {
                    failure.addSuppressed(t);
                }
            }
            String rerun = "-Dveloq.seed=" + seed() + " -Dtest=" + getClass().getSimpleName() + "#" + ruleName;
            AssertionError e = new AssertionError("TCK rule " + ruleName + " failed for driver '" + driver + "' (seed "
                    + seed() + "; rerun with " + rerun + "): " + failure.getMessage(), failure);
            throw e;
        }
    }

    private Throwable closeOpened(Throwable failure) {
        for (int i = opened.size() - 1; i >= 0; i--) {
            try {
                closeRuntime(opened.get(i));
            } catch (Throwable t) {
                if (failure == null) {
                    failure = t;
                } else {
                    failure.addSuppressed(t);
                }
            }
        }
        opened.clear();
        return failure;
    }

    /** Opens another runtime on the provider (closed at the end of the rule). */
    protected final IoRuntime openRuntime(RuntimeConfig config) {
        IoRuntime rt = RuntimeHost.open(config, provider());
        opened.add(rt);
        return rt;
    }

    /** Closes a runtime, failing if that takes longer than {@link #timeout()} (ops that never complete). */
    protected final void closeRuntime(IoRuntime rt) {
        if (rt.isClosed()) {
            return;
        }
        Thread closer = new Thread(rt::close, "tck-close-" + ruleName);
        closer.setDaemon(true);
        closer.start();
        try {
            closer.join(timeout().toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (closer.isAlive()) {
            throw new AssertionError("closing the runtime did not finish within " + timeout().toSeconds()
                    + " s: ops in flight were not completed after their cancellation (" + rt.inFlight() + " in flight)");
        }
    }

    private static RuntimeConfig withBudget(RuntimeConfig c, int queueDepth, int maxInFlight) {
        return new RuntimeConfig(c.driver(), c.threads(), queueDepth, maxInFlight, c.backpressure(), c.bufferSize(),
                c.bufferCount(), c.initialBuffers(), c.registeredFiles(), c.manual(), c.options());
    }

    /** Wraps a completer so that its failures are collected and reported with the rule. */
    protected final <P extends OpPayload> io.veloq.api.Completer<P> guard(io.veloq.api.Completer<P> c) {
        return op -> {
            try {
                c.onComplete(op);
            } catch (Throwable t) {
                asyncErrors.add(t);
            }
        };
    }

    /** Wraps a task so that its failures are collected and reported with the rule. */
    protected final Runnable guard(Runnable r) {
        return () -> {
            try {
                r.run();
            } catch (Throwable t) {
                asyncErrors.add(t);
            }
        };
    }

    /** Waits up to {@link #timeout()} for {@code f}; fails naming {@code what} as still in flight. */
    protected final <T> T await(CompletableFuture<T> f, String what) {
        try {
            return f.get(timeout().toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            throw new AssertionError("expected " + what + " to complete, but it is still in flight after "
                    + timeout().toSeconds() + " s");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted waiting for " + what);
        } catch (ExecutionException e) {
            throw new AssertionError(what + " failed: " + e.getCause(), e.getCause());
        }
    }

    private void awaitLatch(CountDownLatch l, java.util.function.Supplier<String> progress) throws InterruptedException {
        if (!l.await(timeout().toMillis(), TimeUnit.MILLISECONDS)) {
            throw new AssertionError("only " + progress.get() + " within " + timeout().toSeconds() + " s");
        }
    }

    /** A round trip through the loop (a Nop), so that what was submitted before has reached the driver. */
    protected final void settle(IoRuntime rt) {
        for (int i = 0; i < 3; i++) {
            await(rt.submitAsync(new Nop()), "a Nop used to settle the loop");
        }
    }

    private void assumeCapability(IoRuntime rt, Capability c) {
        Assumptions.assumeTrue(rt.capabilities().contains(c), () -> "driver '" + rt.driverId() + "' does not report "
                + c + ", so rule " + ruleName + " does not apply");
    }

    protected final byte[] randomBytes(int n) {
        byte[] b = new byte[n];
        random.nextBytes(b);
        return b;
    }

    protected final FixedBuf lease(IoRuntime rt) {
        BufPool p = rt.bufPool();
        if (p == null) {
            throw new AssertionError("the TCK needs the runtime's buffer pool (config().bufferCount() > 0)");
        }
        return p.lease();
    }

    protected final IoFd socket(IoRuntime rt, AddressFamily f, SocketType t) throws IOException {
        return IoFd.raw(await(rt.submitAsync(new Socket(f, t)), "Socket(" + f + ", " + t + ")").valueOrThrow());
    }

    protected final IoFd listener(IoRuntime rt) throws IOException {
        IoFd l = socket(rt, AddressFamily.INET, SocketType.STREAM);
        rt.bind(l, new InetSocketAddress(loopback(), 0));
        rt.listen(l, 64);
        return l;
    }

    /** A connected TCP pair on loopback, with its listener. */
    protected static final class Conn {
        public final IoFd listener;
        public final IoFd client;
        public final IoFd server;
        public final SocketAddress acceptedPeer;

        Conn(IoFd listener, IoFd client, IoFd server, SocketAddress acceptedPeer) {
            this.listener = listener;
            this.client = client;
            this.server = server;
            this.acceptedPeer = acceptedPeer;
        }

        void close(IoRuntime rt) {
            for (IoFd fd : new IoFd[] {client, server, listener}) {
                rt.submitAsync(new Close(fd));
            }
        }
    }

    protected final Conn connectedPair(IoRuntime rt) throws IOException {
        IoFd l = listener(rt);
        SockAddrStorage peer = SockAddrStorage.allocate(rt.addressLayout());
        CompletableFuture<Completion<Accept>> acc = rt.submitAsync(new Accept(l, peer));
        IoFd c = socket(rt, AddressFamily.INET, SocketType.STREAM);
        await(rt.submitAsync(new Connect(c, SockAddrStorage.of(rt.localAddress(l), rt.addressLayout()))), "Connect to a loopback listener")
                .valueOrThrow();
        IoFd s = IoFd.raw(await(acc, "Accept of a loopback connection").valueOrThrow());
        return new Conn(l, c, s, peer.toSocketAddress());
    }

    /** Sends all of {@code data}, resubmitting after short writes. */
    protected final void sendAll(IoRuntime rt, IoFd fd, byte[] data) throws IOException {
        FixedBuf b = lease(rt);
        try {
            int off = 0;
            while (off < data.length) {
                b.clear();
                int n = Math.min(b.capacity(), data.length - off);
                b.put(data, off, n);
                while (b.readableBytes() > 0) {
                    String what = "Send of " + b.readableBytes() + " bytes on " + fd; // before the Send owns b
                    long sent = await(rt.submitAsync(new Send(fd, b)), what).valueOrThrow();
                    check(sent > 0, () -> "Send on " + fd + " returned 0");
                }
                off += n;
            }
        } finally {
            b.release();
        }
    }

    /** Receives exactly {@code n} bytes, across short reads; fails on a premature end of stream. */
    protected final byte[] receiveExactly(IoRuntime rt, IoFd fd, int n) throws IOException {
        FixedBuf b = lease(rt);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            while (out.size() < n) {
                b.clear();
                long got = await(rt.submitAsync(new Recv(fd, b)), "Recv on " + fd + " (" + out.size() + " of " + n + " bytes so far)")
                        .valueOrThrow();
                check(got > 0, () -> "end of stream on " + fd + " after " + out.size() + " of " + n + " bytes");
                byte[] chunk = b.getBytes();
                out.write(chunk, 0, Math.min(chunk.length, n - out.size()));
                check(chunk.length == got, () -> "Recv on " + fd + " reported " + got + " bytes but the buffer holds " + chunk.length);
            }
            return out.toByteArray();
        } finally {
            b.release();
        }
    }

    protected final void closeAll(IoRuntime rt, IoFd... fds) throws IOException {
        for (IoFd fd : fds) {
            await(rt.submitAsync(new Close(fd)), "Close of " + fd).valueOrThrow();
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    // small assertion helpers with messages that read as sentences

    protected static void check(boolean condition, String rule) {
        if (!condition) {
            throw new AssertionError(rule);
        }
    }

    protected static void check(boolean condition, java.util.function.Supplier<String> rule) {
        if (!condition) {
            throw new AssertionError(rule.get());
        }
    }

    protected static void assertEquals(Object expected, Object actual, String what) {
        if (!java.util.Objects.equals(expected, actual)) {
            throw new AssertionError(what + ": expected " + expected + " but was " + actual);
        }
    }

    protected static void assertArrayEquals(byte[] expected, byte[] actual, String what) {
        if (!Arrays.equals(expected, actual)) {
            int i = 0;
            while (i < Math.min(expected.length, actual.length) && expected[i] == actual[i]) {
                i++;
            }
            throw new AssertionError(what + ": expected " + expected.length + " bytes, got " + actual.length
                    + "; first difference at byte " + i);
        }
    }

    protected static void expectError(Completion<?> c, IoErrorKind kind, String what) {
        if (c.isSuccess()) {
            throw new AssertionError(what + ": expected a " + kind + " error, but it succeeded with " + c.value());
        }
        VeloqIoException e = c.error();
        if (e.kind() != kind) {
            throw new AssertionError(what + ": expected a " + kind + " error, got " + e.kind() + " (" + e.codeName()
                    + " " + e.code() + "): " + e.getMessage(), e);
        }
    }

    protected static <T extends Throwable> T expectThrows(Class<T> type, ThrowingRunnable r, String what) {
        try {
            r.run();
        } catch (Throwable t) {
            if (type.isInstance(t)) {
                return type.cast(t);
            }
            throw new AssertionError(what + ": expected " + type.getSimpleName() + ", got " + t, t);
        }
        throw new AssertionError(what + ": expected " + type.getSimpleName() + ", but nothing was thrown");
    }

    /** A block that may throw. */
    @FunctionalInterface
    protected interface ThrowingRunnable {
        void run() throws Throwable;
    }
}
