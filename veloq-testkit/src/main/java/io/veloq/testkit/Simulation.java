package io.veloq.testkit;

import io.veloq.api.IoRuntime;
import io.veloq.api.RuntimeConfig;
import io.veloq.api.op.OpKind;
import io.veloq.spi.LinuxErrno;
import io.veloq.spi.internal.host.RuntimeHost;
import io.veloq.testkit.internal.Durations;
import io.veloq.testkit.internal.FakeKernel;
import io.veloq.testkit.internal.FakeProvider;
import io.veloq.testkit.internal.SimulationStuck;

import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.function.Supplier;

/**
 * A deterministic world for unit-testing network code: a {@link IoRuntime} on the fake driver, a simulated
 * network and file store, virtual time held by a {@link Scheduler}, and a seed that fixes every choice
 * (completion order, short transfers, injected faults). Run a test twice with the same seed and you get
 * the same {@link #trace() trace}, event for event.
 *
 * <pre>{@code
 * try (Simulation sim = Simulation.open()) {            // seed from -Dveloq.seed, else 42; no faults
 *     IoRuntime rt = sim.runtime();                         // give this to the code under test
 *     EchoServer server = EchoServer.start(rt, new InetSocketAddress("127.0.0.1", 7000));
 *
 *     Peer client = sim.connect(new InetSocketAddress("127.0.0.1", 7000));  // a scripted client
 *     client.send("ping");
 *     sim.runUntilIdle();                                 // the server accepts, reads, echoes
 *     assertEquals("ping", client.receiveText());
 *
 *     client.close();                                     // FIN: the server reads EOF
 *     sim.runUntilIdle();
 *     sim.check(server.connections() == 0, () -> "server kept the connection open");
 * }
 * }</pre>
 *
 * <p>Seeded mode adds faults: {@code Simulation.seeded(seed, FaultPlan.network())}, or many seeds at once
 * with {@link #forEachSeed}. Manual mode lets the test complete ops itself: {@link #holdCompletions},
 * {@link #inFlight()}, {@link InFlightOp#complete}; or script the far side: {@link #deliver},
 * {@link #failNext}. Every failure built with {@link #failure} or {@link #check} names the seed and the
 * one-line way to rerun it ({@code -Dveloq.seed=42}).
 *
 * <p>A simulation is driven by the thread that opened it (its runtime is a manual one). A blocking
 * {@code runtime().call(op)} works too: it advances virtual time just far enough to complete the op, and
 * fails with the list of in-flight ops if nothing could ever complete it.
 *
 * @since 0.1
 */
public final class Simulation implements AutoCloseable {
    /** The seed used when neither the code nor {@code -Dveloq.seed} names one. */
    public static final long DEFAULT_SEED = FakeProvider.DEFAULT_SEED;
    /** The system property that overrides the seed: {@code -Dveloq.seed=42}. */
    public static final String SEED_PROPERTY = "veloq.seed";

    private final long seed;
    private final FaultPlan plan;
    private final FakeKernel kernel;
    private final RuntimeHost runtime;
    private final Scheduler scheduler;
    private final SimulatedFiles files;
    private boolean closed;

    private Simulation(Builder b) {
        this.seed = b.seed;
        this.plan = b.plan;
        FakeProvider provider = new FakeProvider(true, b.seed, b.plan, Set.of(), b.traceLimit);
        this.kernel = provider.kernel(b.seed, b.plan);
        RuntimeConfig config = b.runtime.config();
        this.runtime = RuntimeHost.open(config, provider);
        this.scheduler = new Scheduler(kernel, runtime, this, config.maxInFlight());
        this.files = new SimulatedFiles(kernel);
    }

    /** A simulation with the seed from {@code -Dveloq.seed} (else {@value #DEFAULT_SEED}) and no faults. */
    public static Simulation open() {
        return builder().open();
    }

    /** A simulation with this seed (unless {@code -Dveloq.seed} overrides it) and no faults. */
    public static Simulation seeded(long seed) {
        return builder().seed(seed).open();
    }

    /** A seeded simulation with faults. */
    public static Simulation seeded(long seed, FaultPlan plan) {
        return builder().seed(seed).faults(plan).open();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The seed named by {@code -Dveloq.seed}, or {@code otherwise}. */
    public static long seedFromEnvironment(long otherwise) {
        String p = System.getProperty(SEED_PROPERTY);
        if (p == null || p.isBlank()) {
            return otherwise;
        }
        try {
            return Long.parseLong(p.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(SEED_PROPERTY + " must be a long, got '" + p + "'", e);
        }
    }

    // ------------------------------------------------------------------------------------------ basics

    /** The runtime the code under test uses: one manual loop on the fake driver. */
    public IoRuntime runtime() {
        return runtime;
    }

    public long seed() {
        return seed;
    }

    public FaultPlan faults() {
        return plan;
    }

    /** The owner of virtual time. */
    public Scheduler scheduler() {
        return scheduler;
    }

    /** The simulated file store (what {@code Open}/{@code Read}/{@code Write} see). */
    public SimulatedFiles files() {
        return files;
    }

    /** Shorthand for {@code scheduler().currentTime()}. */
    public Duration currentTime() {
        return scheduler.currentTime();
    }

    /** Shorthand for {@code scheduler().advanceBy(d)}. */
    public void advanceBy(Duration d) {
        scheduler.advanceBy(d);
    }

    /** Shorthand for {@code scheduler().runCurrent()}. */
    public void runCurrent() {
        scheduler.runCurrent();
    }

    /** Shorthand for {@code scheduler().runUntilIdle()}. */
    public void runUntilIdle() {
        scheduler.runUntilIdle();
    }

    /**
     * Runs the simulation until {@code future} completes (at most an hour of virtual time) and returns its
     * value; fails with the seed and the in-flight ops if it cannot complete.
     */
    public <T> T await(CompletableFuture<T> future) {
        return await(future, Duration.ofHours(1));
    }

    /** {@link #await(CompletableFuture)} with a bound on virtual time. */
    public <T> T await(CompletableFuture<T> future, Duration within) {
        if (!scheduler.runUntil(future::isDone, within)) {
            throw failure("expected the future to complete within " + within + " of virtual time, but it is still pending"
                    + " at " + Durations.text(kernel.now()));
        }
        try {
            return future.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw failure("interrupted while awaiting a future");
        } catch (ExecutionException e) {
            AssertionError a = failure("the awaited future failed: " + e.getCause());
            a.initCause(e.getCause());
            throw a;
        }
    }

    // ------------------------------------------------------------------------------------------ network

    /**
     * A scripted client connected to the code's listener at {@code address}: the connection is in the
     * listener's accept queue at once. Fails if nothing listens there (the code would get ECONNREFUSED).
     */
    public Peer connect(SocketAddress address) {
        try {
            return new Peer(this, kernel.peers.connect(address));
        } catch (IllegalStateException e) {
            throw failure(e.getMessage());
        }
    }

    /** A scripted server at {@code address}; the code connects to it, the test {@link PeerListener#accept() accepts}. */
    public PeerListener listen(SocketAddress address) {
        try {
            return new PeerListener(this, kernel.peers.listen(address));
        } catch (IllegalStateException e) {
            throw failure(e.getMessage());
        }
    }

    /** The scripted far end of the code's connected socket {@code fd} (one made with {@link #connect} or {@link #listen}). */
    public Peer peerOf(long fd) {
        return new Peer(this, kernel.peers.peerOf(fd));
    }

    /** "Deliver these bytes to fd 7": they arrive at the code's socket as if its peer had sent them. */
    public void deliver(long fd, byte[] bytes) {
        kernel.peers.deliver(fd, bytes.clone());
    }

    /** {@link #deliver(long, byte[])} of a UTF-8 string. */
    public void deliver(long fd, String text) {
        deliver(fd, text.getBytes(StandardCharsets.UTF_8));
    }

    /** Sends a datagram from any address to the code's socket bound at {@code to}; false if none is bound there. */
    public boolean sendDatagram(SocketAddress from, SocketAddress to, byte[] bytes) {
        return kernel.peers.datagram(from, to, bytes);
    }

    /** Makes {@code address} a datagram endpoint of the test's own; collect what arrives with {@link #takeDatagrams}. */
    public void bindDatagramPeer(SocketAddress address) {
        kernel.peers.bindDatagram(address);
    }

    /** Datagrams received at a {@link #bindDatagramPeer} endpoint: sender and bytes, oldest first. */
    public List<Map.Entry<SocketAddress, byte[]>> takeDatagrams(SocketAddress address) {
        return kernel.peers.takeDatagrams(address);
    }

    /** The next op of {@code kind} fails with {@code errno} ("fail the next accept with EMFILE"). */
    public void failNext(OpKind kind, LinuxErrno errno) {
        kernel.failNext(kind, -1, errno);
    }

    /** The next op of {@code kind} on descriptor {@code fd} fails with {@code errno}. */
    public void failNext(OpKind kind, long fd, LinuxErrno errno) {
        kernel.failNext(kind, fd, errno);
    }

    // ------------------------------------------------------------------------------------------ manual mode

    /**
     * While on, every op the code submits stays in flight until the test completes it
     * ({@link InFlightOp#complete}, {@link InFlightOp#completeWith}, {@link InFlightOp#fail}) or lets the
     * simulated kernel run it ({@link InFlightOp#proceed}).
     */
    public void holdCompletions(boolean hold) {
        kernel.holdAll(hold);
    }

    /** Every op in the driver, oldest first, with its payload and what it waits for. */
    public List<InFlightOp> inFlight() {
        List<InFlightOp> out = new ArrayList<>();
        for (FakeKernel.KernelOpView v : kernel.inFlight()) {
            out.add(new InFlightOp(this, kernel, v));
        }
        return out;
    }

    /** The oldest in-flight op of {@code kind}; fails naming what is in flight if there is none. */
    public InFlightOp inFlight(OpKind kind) {
        for (InFlightOp op : inFlight()) {
            if (op.kind() == kind) {
                return op;
            }
        }
        throw failure("expected a " + kind + " op in flight, but there is none");
    }

    /** Open descriptors of the simulated process: fd to a description ("TCP socket 127.0.0.1:7000 (listening)"). */
    public Map<Integer, String> descriptors() {
        return kernel.descriptors();
    }

    /** Everything submitted, cancelled, completed, injected and scripted so far. */
    public Trace trace() {
        return kernel.trace();
    }

    // ------------------------------------------------------------------------------------------ failures

    /** "seed 42: rerun with -Dveloq.seed=42". */
    public String rerunHint() {
        return SimulationStuck.rerun(seed);
    }

    /**
     * An {@link AssertionError} whose message is {@code message} followed by the seed, the rerun hint,
     * the in-flight ops and the last trace events.
     */
    public AssertionError failure(String message) {
        StringBuilder sb = new StringBuilder(message);
        sb.append("\n(").append(rerunHint());
        if (!plan.isNone()) {
            sb.append("; faults ").append(plan);
        }
        sb.append("; virtual time ").append(Durations.text(kernel.now())).append(")\n");
        sb.append(describeInFlight()).append("\nlast events:\n").append(kernel.trace().tail(20));
        return new AssertionError(sb.toString());
    }

    /** Throws {@link #failure} with the message unless {@code condition} holds. */
    public void check(boolean condition, Supplier<String> message) {
        if (!condition) {
            throw failure(message.get());
        }
    }

    private String describeInFlight() {
        List<InFlightOp> ops = inFlight();
        StringBuilder sb = new StringBuilder("in flight (" + ops.size() + "):");
        if (ops.isEmpty()) {
            sb.append(" none");
        }
        for (InFlightOp op : ops) {
            sb.append("\n  ").append(op);
        }
        return sb.toString();
    }

    /**
     * Closes the runtime (cancelling what is in flight) and checks that the host kept the driver contract
     * (no reused user data, no op left uncompleted).
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        runtime.close();
        List<String> v = kernel.violations();
        if (!v.isEmpty()) {
            throw failure("the runtime broke the driver contract: " + v);
        }
    }

    // ------------------------------------------------------------------------------------------ many seeds

    /** A test body run once per seed. */
    @FunctionalInterface
    public interface SeededTest {
        void run(Simulation sim) throws Exception;
    }

    /**
     * Runs {@code test} in a fresh simulation for each of {@code count} seeds (1, 2, ... count) with
     * {@code plan}; with {@code -Dveloq.seed=N} only seed N runs. The first failure is rethrown as an
     * {@link AssertionError} naming the seed and the command line that reruns just it.
     *
     * <pre>{@code
     * @Test
     * void echoNeverLosesBytes() {
     *     Simulation.forEachSeed(1000, FaultPlan.network(), sim -> { ... });
     * }
     * }</pre>
     */
    public static void forEachSeed(int count, FaultPlan plan, SeededTest test) {
        Objects.requireNonNull(plan, "plan");
        StackWalker.StackFrame caller = StackWalker.getInstance()
                .walk(frames -> frames.filter(f -> !f.getClassName().equals(Simulation.class.getName())).findFirst().orElse(null));
        String rerunTest = caller == null ? "" : " -Dtest=" + simpleName(caller.getClassName()) + "#" + testMethodName(caller.getMethodName());
        String only = System.getProperty(SEED_PROPERTY);
        long first = 1;
        long last = count;
        if (only != null && !only.isBlank()) {
            first = last = seedFromEnvironment(0);
        }
        for (long seed = first; seed <= last; seed++) {
            Simulation sim = builder().seed(seed).faults(plan).open();
            Throwable failure = null;
            try {
                test.run(sim);
            } catch (Throwable t) {
                failure = t;
            }
            try {
                sim.close();
            } catch (Throwable t) {
                if (failure == null) {
                    failure = t;
                } else {
                    failure.addSuppressed(t);
                }
            }
            if (failure != null) {
                String msg = "seed " + seed + (first == last ? "" : " (of seeds 1.." + count + ")") + " failed: "
                        + failure.getMessage()
                        + (failure.getMessage() != null && failure.getMessage().contains("rerun with") ? "" : "\n" + sim.failureContext())
                        + "\nrerun just this seed: mvn test -Dveloq.seed=" + seed + rerunTest;
                AssertionError e = new AssertionError(msg, failure);
                throw e;
            }
        }
    }

    private String failureContext() {
        return "(" + rerunHint() + ")\nlast events:\n" + kernel.trace().tail(20);
    }

    /** {@code lambda$echoTest$3} (a seeded test written inside a lambda) is method {@code echoTest}. */
    private static String testMethodName(String method) {
        if (method.startsWith("lambda$")) {
            int end = method.lastIndexOf('$');
            if (end > 7) {
                return method.substring(7, end);
            }
        }
        return method;
    }

    private static String simpleName(String className) {
        int i = className.lastIndexOf('.');
        return i < 0 ? className : className.substring(i + 1);
    }

    @Override
    public String toString() {
        return "Simulation(seed " + seed + ", " + (plan.isNone() ? "no faults" : plan) + ", virtual time "
                + Durations.text(kernel.now()) + ")";
    }

    // ------------------------------------------------------------------------------------------ builder

    /**
     * Configures a simulation.
     *
     * <pre>{@code Simulation sim = Simulation.builder().seed(7).faults(FaultPlan.network()).maxInFlight(64).open();}</pre>
     */
    public static final class Builder {
        private long seed = seedFromEnvironment(DEFAULT_SEED);
        private FaultPlan plan = FaultPlan.none();
        // The runtime's settings and their defaults are IoRuntime.Builder's: a manual loop on the fake driver.
        private final IoRuntime.Builder runtime = IoRuntime.builder().driver(FakeProvider.ID).manual();
        private int traceLimit = 200_000;

        Builder() {
        }

        /** The seed; {@code -Dveloq.seed} overrides it so that a failure can be rerun from the command line. */
        public Builder seed(long seed) {
            this.seed = seedFromEnvironment(seed);
            return this;
        }

        public Builder faults(FaultPlan plan) {
            this.plan = Objects.requireNonNull(plan, "plan");
            return this;
        }

        public Builder queueDepth(int entries) {
            runtime.queueDepth(entries);
            return this;
        }

        public Builder maxInFlight(int ops) {
            runtime.maxInFlight(ops);
            return this;
        }

        /** The runtime's buffer pool ({@code runtime().bufPool()}): buffers of {@code size}, growing on demand to {@code count}. */
        public Builder buffers(int size, int count) {
            runtime.buffers(size, count);
            return this;
        }

        public Builder registeredFiles(int n) {
            runtime.registeredFiles(n);
            return this;
        }

        /** Trace events kept (oldest dropped beyond this); 0 disables the trace. */
        public Builder traceLimit(int events) {
            this.traceLimit = events;
            return this;
        }

        public Simulation open() {
            return new Simulation(this);
        }
    }
}
