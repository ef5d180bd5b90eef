package io.veloq.spi.internal.host;

import io.veloq.api.Capability;
import io.veloq.api.IoFd;
import io.veloq.api.OpLifecycle;
import io.veloq.api.net.AddressLayout;
import io.veloq.api.net.SockAddrStorage;
import io.veloq.api.op.OpKind;
import io.veloq.api.op.OpPayload;
import io.veloq.api.op.Timeout;
import io.veloq.spi.Availability;
import io.veloq.spi.CompletionSink;
import io.veloq.spi.Driver;
import io.veloq.spi.DriverConfig;
import io.veloq.spi.DriverProvider;
import io.veloq.spi.ErrorTable;
import io.veloq.spi.LinuxErrno;

import java.io.IOException;
import java.net.SocketOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

/**
 * A driver the test scripts, to test the host (the thing under test) against exact driver behaviour:
 * a submission queue of a chosen size, cancels it refuses for a while, refusals of an op kind, and
 * completions the test hands in from its own thread. {@code Nop} completes at once and {@code Timeout}
 * when its time has passed (real clock), as the kernel does; every other op stays in flight until the
 * test completes it or it is cancelled (then {@code -ECANCELED}).
 */
final class ScriptedDriver implements Driver {
    /** One op the host prepared. */
    record Submission(long userData, OpPayload payload, long preAllocated, long deadlineNanos) {
        OpKind kind() {
            return payload.kind();
        }

        int slot() {
            return (int) userData;
        }
    }

    // ---- script (set by the test before or while running) ----
    volatile int sqCapacity = Integer.MAX_VALUE;
    final AtomicInteger cancelRefusalsLeft = new AtomicInteger();
    final Map<OpKind, Integer> refusals = Collections.synchronizedMap(new EnumMap<>(OpKind.class));
    volatile Set<Capability> capabilities = Set.of();
    volatile OpLifecycle<? extends OpPayload> acceptLifecycle;
    /** With REGISTERED_BUFFERS: registering more regions than this fails with ENOMEM (a locked-memory limit). */
    volatile int registrableRegions = Integer.MAX_VALUE;

    // ---- what happened (readable from the test thread) ----
    final DriverConfig config;
    final Thread openedOn = Thread.currentThread();
    final List<Submission> prepared = new CopyOnWriteArrayList<>();
    final Map<Long, Submission> inFlight = new ConcurrentHashMap<>();
    final List<Long> cancelRequests = new CopyOnWriteArrayList<>();
    final List<long[]> delivered = new CopyOnWriteArrayList<>();
    final AtomicInteger sqFullReturns = new AtomicInteger();
    final AtomicInteger cancelRefusals = new AtomicInteger();
    final AtomicInteger maxInFlightSeen = new AtomicInteger();
    final AtomicInteger closes = new AtomicInteger();
    /** Regions in each registerBuffers call, in order (only the old one-argument method is implemented). */
    final List<Integer> bufferRegistrations = new CopyOnWriteArrayList<>();
    volatile int inFlightAtClose = -1;
    volatile int deliveredAtClose = -1;

    // ---- internals ----
    private final List<Submission> queued = new ArrayList<>(); // loop thread only
    private final List<Long> queuedCancels = new ArrayList<>(); // loop thread only
    private final Map<Long, Long> timeoutDue = new ConcurrentHashMap<>(); // userData -> nanoTime due
    private final ConcurrentLinkedQueue<long[]> scripted = new ConcurrentLinkedQueue<>();
    private final Object lock = new Object();
    private boolean woken;

    ScriptedDriver(DriverConfig config) {
        this.config = config;
    }

    // ---- the test's side ----

    /** Completes the in-flight op with {@code userData} with {@code result}, from any thread. */
    void complete(long userData, long result) {
        scripted.add(new long[] {userData, result, 0});
        wakeup();
    }

    /** Delivers a completion for {@code userData} even if it is not in flight (a stale or duplicate one). */
    void deliverRaw(long userData, long result) {
        scripted.add(new long[] {userData, result, 1});
        wakeup();
    }

    /** Waits until at least {@code n} ops of {@code kind} are in flight; returns them in submission order. */
    List<Submission> awaitInFlight(OpKind kind, int n) {
        eventually(() -> inFlightOf(kind).size() >= n, () -> "expected " + n + " " + kind + " ops in flight, have "
                + inFlightOf(kind));
        return inFlightOf(kind);
    }

    List<Submission> inFlightOf(OpKind kind) {
        List<Submission> out = new ArrayList<>();
        for (Submission s : prepared) {
            if (s.kind() == kind && inFlight.get(s.userData()) == s) {
                out.add(s);
            }
        }
        return out;
    }

    static void eventually(BooleanSupplier condition, java.util.function.Supplier<String> message) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError(message.get() + " (after 5 s)");
            }
            try {
                Thread.sleep(2);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted", e);
            }
        }
    }

    // ---- Driver ----

    @Override
    public String id() {
        return "scripted";
    }

    @Override
    public Set<Capability> capabilities() {
        return capabilities;
    }

    @Override
    public AddressLayout addressLayout() {
        return AddressLayout.LINUX;
    }

    @Override
    public void registerBuffers(java.nio.ByteBuffer[] slabs) throws io.veloq.api.VeloqIoException {
        if (slabs.length > registrableRegions) {
            throw LinuxErrno.TABLE.exception(LinuxErrno.ENOMEM.code(), "registering " + slabs.length + " regions");
        }
        bufferRegistrations.add(slabs.length);
    }

    @Override
    public ErrorTable errors() {
        return LinuxErrno.TABLE;
    }

    @Override
    public OpLifecycle<? extends OpPayload> lifecycle(OpKind kind) {
        OpLifecycle<? extends OpPayload> lc = acceptLifecycle;
        return kind == OpKind.ACCEPT && lc != null ? lc : OpLifecycle.direct();
    }

    @Override
    public int prepare(long userData, OpPayload payload, long preAllocated, long deadlineNanos) {
        if (userData < 0) {
            throw new AssertionError("host passed a negative user data " + userData);
        }
        Integer refusal = refusals.get(payload.kind());
        if (refusal != null) {
            return -refusal;
        }
        if (queued.size() >= sqCapacity) {
            sqFullReturns.incrementAndGet();
            return 0;
        }
        Submission s = new Submission(userData, payload, preAllocated, deadlineNanos);
        queued.add(s);
        prepared.add(s);
        return 1;
    }

    @Override
    public boolean prepareCancel(long userData) {
        if (cancelRefusalsLeft.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
            cancelRefusals.incrementAndGet();
            return false;
        }
        cancelRequests.add(userData);
        queuedCancels.add(userData);
        return true;
    }

    @Override
    public int submitAndWait(long timeoutNanos, CompletionSink sink) {
        List<long[]> ready = new ArrayList<>();
        for (Submission s : queued) {
            inFlight.put(s.userData(), s);
            if (s.kind() == OpKind.NOP) {
                ready.add(new long[] {s.userData(), 0, 0});
            } else if (s.payload() instanceof Timeout t) {
                timeoutDue.put(s.userData(), System.nanoTime() + t.nanos());
            }
        }
        queued.clear();
        maxInFlightSeen.accumulateAndGet(inFlight.size(), Math::max);
        for (long ud : queuedCancels) {
            if (inFlight.containsKey(ud)) {
                ready.add(new long[] {ud, -LinuxErrno.ECANCELED.code(), 0});
            }
        }
        queuedCancels.clear();
        collect(ready);
        if (ready.isEmpty() && timeoutNanos != 0) {
            long waitUntil = timeoutNanos < 0 ? Long.MAX_VALUE : System.nanoTime() + timeoutNanos;
            for (long due : timeoutDue.values()) {
                waitUntil = Math.min(waitUntil, due);
            }
            synchronized (lock) {
                while (!woken && scripted.isEmpty()) {
                    long left = waitUntil - System.nanoTime();
                    if (left <= 0) {
                        break;
                    }
                    try {
                        TimeUnit.NANOSECONDS.timedWait(lock, Math.min(left, TimeUnit.SECONDS.toNanos(1)));
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        break;
                    }
                }
                woken = false;
            }
            collect(ready);
        } else {
            synchronized (lock) {
                woken = false;
            }
        }
        int n = 0;
        for (long[] c : ready) {
            boolean raw = c[2] == 1;
            if (inFlight.remove(c[0]) == null && !raw) {
                continue; // already completed (a cancel that lost the race)
            }
            timeoutDue.remove(c[0]);
            delivered.add(new long[] {c[0], c[1]});
            n++;
            sink.complete(c[0], c[1]);
        }
        return n;
    }

    private void collect(List<long[]> ready) {
        long[] c;
        while ((c = scripted.poll()) != null) {
            ready.add(c);
        }
        long now = System.nanoTime();
        for (Iterator<Map.Entry<Long, Long>> it = timeoutDue.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<Long, Long> e = it.next();
            if (e.getValue() - now <= 0) {
                it.remove();
                ready.add(new long[] {e.getKey(), 0, 0});
            }
        }
    }

    @Override
    public void wakeup() {
        wakeups.incrementAndGet();
        wakeQuietly();
    }

    private void wakeQuietly() {
        synchronized (lock) {
            woken = true;
            lock.notifyAll();
        }
    }

    /** Calls of {@link #wakeup()} (the eventfd of a real driver). */
    final java.util.concurrent.atomic.AtomicInteger wakeups = new java.util.concurrent.atomic.AtomicInteger();
    /** When set, {@link #wake(Driver)} carries wake-ups to other scripted drivers (as MSG_RING does). */
    volatile boolean carriesWakes;
    /** Wake-ups this driver carried to others, and the thread each was asked on. */
    final java.util.concurrent.atomic.AtomicInteger carried = new java.util.concurrent.atomic.AtomicInteger();
    final List<Thread> carriedOn = new CopyOnWriteArrayList<>();

    @Override
    public boolean wake(Driver other) {
        if (!carriesWakes || !(other instanceof ScriptedDriver s) || s == this) {
            return false;
        }
        carried.incrementAndGet();
        carriedOn.add(Thread.currentThread());
        s.wakeQuietly();
        return true;
    }

    /** Each synchronous call the host made ("setOption fd 9"), in order. */
    final List<String> calls = new CopyOnWriteArrayList<>();
    /** Synchronous calls in the driver now. */
    final AtomicInteger callsInside = new AtomicInteger();
    /** While set, every synchronous call waits inside the driver until the test counts it down. */
    volatile java.util.concurrent.CountDownLatch callGate;

    private void call(String what, IoFd fd) {
        calls.add(what + " " + fd);
        java.util.concurrent.CountDownLatch gate = callGate;
        if (gate == null) {
            return;
        }
        callsInside.incrementAndGet();
        try {
            if (!gate.await(10, TimeUnit.SECONDS)) {
                throw new AssertionError("the test never released " + what + " on " + fd);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            callsInside.decrementAndGet();
        }
    }

    @Override
    public void bind(IoFd fd, SockAddrStorage local) {
        call("bind", fd);
    }

    @Override
    public void listen(IoFd fd, int backlog) {
        call("listen", fd);
    }

    @Override
    public void localAddress(IoFd fd, SockAddrStorage out) {
        call("localAddress", fd);
        out.setInet4(new byte[] {127, 0, 0, 1}, 4000);
    }

    @Override
    public void remoteAddress(IoFd fd, SockAddrStorage out) {
        call("remoteAddress", fd);
        out.setInet4(new byte[] {127, 0, 0, 1}, 5000);
    }

    final Map<String, Object> options = new ConcurrentHashMap<>();

    @Override
    public <T> void setOption(IoFd fd, SocketOption<T> option, T value) {
        call("setOption", fd);
        options.put(option.name(), value);
    }

    @Override
    public <T> T getOption(IoFd fd, SocketOption<T> option) {
        call("getOption", fd);
        return option.type().cast(options.get(option.name()));
    }

    @Override
    public void close() {
        inFlightAtClose = inFlight.size() + queued.size();
        deliveredAtClose = delivered.size();
        closes.incrementAndGet();
    }

    /** Opens {@link ScriptedDriver}s and remembers each, in loop order. */
    static final class Provider implements DriverProvider {
        final List<ScriptedDriver> opened = new CopyOnWriteArrayList<>();
        private final java.util.function.Consumer<ScriptedDriver> setup;
        volatile IOException openFailure;

        Provider() {
            this(d -> { });
        }

        Provider(java.util.function.Consumer<ScriptedDriver> setup) {
            this.setup = setup;
        }

        ScriptedDriver driver() {
            return opened.get(0);
        }

        @Override
        public String id() {
            return "scripted";
        }

        @Override
        public int priority() {
            return 5;
        }

        @Override
        public Availability availability() {
            return Availability.available("scripted by the test");
        }

        @Override
        public Set<Capability> capabilities() {
            return Set.of();
        }

        @Override
        public Driver open(DriverConfig config) throws IOException {
            if (openFailure != null) {
                throw openFailure;
            }
            ScriptedDriver d = new ScriptedDriver(config);
            setup.accept(d);
            opened.add(d);
            return d;
        }
    }
}
