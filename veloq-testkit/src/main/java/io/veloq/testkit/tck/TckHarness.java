package io.veloq.testkit.tck;

import io.veloq.api.BackpressurePolicy;
import io.veloq.api.Capability;
import io.veloq.api.Completion;
import io.veloq.api.EventLoop;
import io.veloq.api.IoErrorKind;
import io.veloq.api.IoFd;
import io.veloq.api.IoRuntime;
import io.veloq.api.Op;
import io.veloq.api.RuntimeConfig;
import io.veloq.api.VeloqIoException;
import io.veloq.api.buffer.BufPool;
import io.veloq.api.buffer.FixedBuf;
import io.veloq.api.net.AddressFamily;
import io.veloq.api.net.SockAddrStorage;
import io.veloq.api.net.SocketType;
import io.veloq.api.op.Accept;
import io.veloq.api.op.Close;
import io.veloq.api.op.Connect;
import io.veloq.api.op.OpPayload;
import io.veloq.api.op.Recv;
import io.veloq.api.op.Send;
import io.veloq.api.op.Socket;
import io.veloq.spi.Driver;
import io.veloq.spi.DriverProvider;
import io.veloq.spi.internal.host.RuntimeHost;
import org.junit.jupiter.api.Assumptions;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import java.util.stream.Stream;

/**
 * The machinery of the driver conformance kit: the settings a driver's test may override, and the
 * harness every rule runs in ({@link #rule}), with the helpers rules share. Extend {@link DriverTck}, not
 * this class: it adds the rules.
 *
 * <p>A rule body gets a runtime opened on the provider with {@link #config()}. Every runtime a rule opens
 * comes from the same provider instance (one simulated process for a fake driver, as a real one shares the
 * process's descriptors), and is closed when the rule ends. A rule fails with an {@link AssertionError}
 * that names the rule, the driver, the seed and the command that reruns it.
 *
 * @since 0.1
 */
public abstract class TckHarness {
    TckHarness() {
    }

    /** The provider of the driver under test; called once per rule (all the rule's runtimes share it). */
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
        return new RuntimeConfig(activeProvider().id(), 1, 64, 256, BackpressurePolicy.QUEUE, 16 * 1024, 64, 16, false, Map.of());
    }

    // ============================================================================== running a rule

    /** One rule's body, given a runtime opened with {@link #config()}. */
    @FunctionalInterface
    protected interface RuleBody {
        void run(IoRuntime rt) throws Exception;
    }

    private final ConcurrentLinkedQueue<Throwable> asyncErrors = new ConcurrentLinkedQueue<>();
    private final List<IoRuntime> opened = new ArrayList<>();
    private SplittableRandom random;
    private String ruleName = "?";
    private DriverProvider ruleProvider;

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
        ruleProvider = provider();
        Throwable failure = null;
        String driver = ruleProvider.id();
        try {
            IoRuntime rt = openRuntime(config());
            driver = rt.driverId();
            body.run(rt);
        } catch (org.opentest4j.TestAbortedException skipped) {
            closeOpened(null);
            ruleProvider = null;
            throw skipped;
        } catch (Throwable t) {
            failure = t;
        }
        failure = closeOpened(failure);
        ruleProvider = null;
        if (failure == null && !asyncErrors.isEmpty()) {
            failure = new AssertionError("errors on other threads: " + asyncErrors.size() + ", the first: "
                    + asyncErrors.peek());
        }
        if (failure != null) {
            for (Throwable t : asyncErrors) {
                if (t != failure) {
                    failure.addSuppressed(t);
                }
            }
            String rerun = "-Dveloq.seed=" + seed() + " -Dtest=" + getClass().getSimpleName() + "#" + ruleName;
            throw new AssertionError("TCK rule " + ruleName + " failed for driver '" + driver + "' (seed "
                    + seed() + "; rerun with " + rerun + "): " + failure.getMessage(), failure);
        }
    }

    /** The name of the rule running now. */
    protected final String ruleName() {
        return ruleName;
    }

    private DriverProvider activeProvider() {
        return ruleProvider != null ? ruleProvider : provider();
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

    /** Opens another runtime on the rule's provider (closed at the end of the rule). */
    protected final IoRuntime openRuntime(RuntimeConfig config) {
        IoRuntime rt = RuntimeHost.open(config, activeProvider());
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

    /** {@code c} with another submission-queue depth and in-flight budget (the pool's settings kept). */
    protected static RuntimeConfig withBudget(RuntimeConfig c, int queueDepth, int maxInFlight) {
        return new RuntimeConfig(c.driver(), c.threads(), queueDepth, maxInFlight, c.backpressure(), c.bufferSize(),
                c.bufferCount(), c.initialBuffers(), c.registeredFiles(), c.manual(), c.options());
    }

    /** {@code c} with {@code threads} loops. */
    protected static RuntimeConfig withThreads(RuntimeConfig c, int threads) {
        return new RuntimeConfig(c.driver(), threads, c.queueDepth(), c.maxInFlight(), c.backpressure(), c.bufferSize(),
                c.bufferCount(), c.initialBuffers(), c.registeredFiles(), c.manual(), c.options());
    }

    /** The driver instance of {@code rt}'s loop {@code index}, for rules that test the SPI directly. */
    protected static Driver driverOf(IoRuntime rt, int index) {
        return ((RuntimeHost) rt).loopHosts().get(index).driver();
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

    /** Records a failure seen on another thread; the rule fails with it. */
    protected final void fail(Throwable t) {
        asyncErrors.add(t);
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

    /** Waits up to {@link #timeout()} for the latch; fails with "only {progress} within N s". */
    protected final void awaitLatch(CountDownLatch l, Supplier<String> progress) throws InterruptedException {
        if (!l.await(timeout().toMillis(), TimeUnit.MILLISECONDS)) {
            throw new AssertionError("only " + progress.get() + " within " + timeout().toSeconds() + " s");
        }
    }

    /** A round trip through the loop (a Nop), so that what was submitted before has reached the driver. */
    protected final void settle(EventLoop rt) {
        for (int i = 0; i < 3; i++) {
            await(rt.submitAsync(new io.veloq.api.op.Nop()), "a Nop used to settle the loop");
        }
    }

    /** Skips the rule, with the reason, when the driver does not report {@code c}. */
    protected final void assumeCapability(EventLoop rt, Capability c) {
        Assumptions.assumeTrue(rt.capabilities().contains(c), () -> "driver '" + rt.driverId() + "' does not report "
                + c + ", so rule " + ruleName + " does not apply");
    }

    protected final byte[] randomBytes(int n) {
        byte[] b = new byte[n];
        random.nextBytes(b);
        return b;
    }

    protected final long randomLong() {
        return random.nextLong();
    }

    protected final FixedBuf lease(EventLoop rt) {
        BufPool p = rt.bufPool();
        if (p == null) {
            throw new AssertionError("the TCK needs the runtime's buffer pool (config().bufferCount() > 0)");
        }
        return p.lease();
    }

    protected final IoFd socket(EventLoop rt, AddressFamily f, SocketType t) throws IOException {
        return IoFd.raw(await(rt.submitAsync(new Socket(f, t)), "Socket(" + f + ", " + t + ")").valueOrThrow());
    }

    protected final IoFd listener(EventLoop rt) throws IOException {
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

        void close(EventLoop rt) {
            for (IoFd fd : new IoFd[] {client, server, listener}) {
                rt.submitAsync(new Close(fd));
            }
        }
    }

    protected final Conn connectedPair(EventLoop rt) throws IOException {
        IoFd l = listener(rt);
        SockAddrStorage peer = SockAddrStorage.allocate(rt.addressLayout());
        CompletableFuture<Completion<Accept>> acc = rt.submitAsync(new Accept(l, peer));
        IoFd c = socket(rt, AddressFamily.INET, SocketType.STREAM);
        await(rt.submitAsync(new Connect(c, SockAddrStorage.of(rt.localAddress(l), rt.addressLayout()))), "Connect to a loopback listener")
                .valueOrThrow();
        IoFd s = IoFd.raw(await(acc, "Accept of a loopback connection").valueOrThrow());
        return new Conn(l, c, s, peer.toSocketAddress());
    }

    /** Receives on the loop thread, a Recv resubmitted from its completer, until end of stream. */
    protected final CompletableFuture<byte[]> receiveToEndOfStream(EventLoop rt, IoFd fd) {
        CompletableFuture<byte[]> done = new CompletableFuture<>();
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        FixedBuf b = lease(rt);
        io.veloq.api.Completer<Recv> next = new io.veloq.api.Completer<>() {
            @Override
            public void onComplete(Op<Recv> op) {
                if (!op.isSuccess()) {
                    b.release();
                    done.completeExceptionally(new AssertionError("Recv on " + fd + " after " + got.size() + " bytes failed: "
                            + op.error(), op.error()));
                } else if (op.result() == 0) {
                    b.release();
                    done.complete(got.toByteArray());
                } else {
                    got.writeBytes(b.getBytes());
                    b.clear();
                    rt.submit(Op.of(new Recv(fd, b), guard(this)));
                }
            }
        };
        rt.submit(Op.of(new Recv(fd, b), guard(next)));
        return done;
    }

    /**
     * Sends all of {@code data}, resubmitting after short writes, and checks that each Send advanced the
     * buffer by exactly what it reported. If a Send fails or never completes, that failure is what the rule
     * reports: the buffer is then cancelled out of the driver, never released while an op still owns it.
     */
    protected final void sendAll(EventLoop rt, IoFd fd, byte[] data) throws IOException {
        FixedBuf b = lease(rt);
        CompletableFuture<Completion<Send>> pending = null;
        Op<Send> op = null;
        try {
            int off = 0;
            while (off < data.length) {
                b.clear();
                int n = Math.min(b.capacity(), data.length - off);
                b.put(data, off, n);
                while (b.readableBytes() > 0) {
                    int before = b.readableBytes();
                    String what = "Send of " + before + " bytes on " + fd; // before the Send owns b
                    op = Op.of(new Send(fd, b));
                    pending = rt.submitAsync(op);
                    long sent = await(pending, what).valueOrThrow();
                    pending = null;
                    check(sent > 0 && sent <= before, () -> "Send of " + before + " bytes on " + fd + " returned " + sent);
                    check(b.readableBytes() == before - sent, () -> "Send on " + fd + " reported " + sent + " bytes but the buffer "
                            + "advanced by " + (before - b.readableBytes()));
                }
                off += n;
            }
        } finally {
            giveBack(rt, b, op, pending);
        }
    }

    /** Receives exactly {@code n} bytes, across short reads; fails on a premature end of stream. */
    protected final byte[] receiveExactly(EventLoop rt, IoFd fd, int n) throws IOException {
        FixedBuf b = lease(rt);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        CompletableFuture<Completion<Recv>> pending = null;
        Op<Recv> op = null;
        try {
            while (out.size() < n) {
                b.clear();
                op = Op.of(new Recv(fd, b));
                pending = rt.submitAsync(op);
                long got = await(pending, "Recv on " + fd + " (" + out.size() + " of " + n + " bytes so far)").valueOrThrow();
                pending = null;
                check(got > 0, () -> "end of stream on " + fd + " after " + out.size() + " of " + n + " bytes");
                byte[] chunk = b.getBytes();
                out.write(chunk, 0, Math.min(chunk.length, n - out.size()));
                check(chunk.length == got, () -> "Recv on " + fd + " reported " + got + " bytes but the buffer holds " + chunk.length);
            }
            return out.toByteArray();
        } finally {
            giveBack(rt, b, op, pending);
        }
    }

    /**
     * Releases a helper's buffer, unless an op that failed to complete still owns it: that op is cancelled
     * and the buffer is released when (if ever) it completes. Never throws, so that the failure that left the
     * op in flight is the one the rule reports.
     */
    private void giveBack(EventLoop rt, FixedBuf b, Op<?> op, CompletableFuture<?> pending) {
        if (pending == null || pending.isDone()) {
            if (b.owner() == null) {
                b.release();
            }
            return;
        }
        try {
            rt.cancel(op);
        } catch (RuntimeException ignored) {
            // the runtime may be closing; its close completes the op
        }
        pending.whenComplete((c, t) -> {
            if (b.owner() == null) {
                b.release();
            }
        });
    }

    protected final void closeAll(EventLoop rt, IoFd... fds) throws IOException {
        for (IoFd fd : fds) {
            await(rt.submitAsync(new Close(fd)), "Close of " + fd).valueOrThrow();
        }
    }

    protected static void deleteTree(Path dir) throws IOException {
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

    protected static void check(boolean condition, Supplier<String> rule) {
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
