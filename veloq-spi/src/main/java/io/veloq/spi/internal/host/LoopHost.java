package io.veloq.spi.internal.host;

import io.veloq.api.BackpressurePolicy;
import io.veloq.api.Capability;
import io.veloq.api.Completion;
import io.veloq.api.EventLoop;
import io.veloq.api.IoFd;
import io.veloq.api.Op;
import io.veloq.api.OpState;
import io.veloq.api.RuntimeConfig;
import io.veloq.api.VeloqIoException;
import io.veloq.api.bootstrap.ApiAccess;
import io.veloq.api.bootstrap.Delays;
import io.veloq.api.bootstrap.OpenSockets;
import io.veloq.api.bootstrap.SocketLifetime;
import io.veloq.api.buffer.BufPool;
import io.veloq.api.buffer.BufRing;
import io.veloq.api.net.AddressLayout;
import io.veloq.api.op.Cancel;
import io.veloq.api.op.Close;
import io.veloq.api.op.OpPayload;
import io.veloq.spi.Driver;
import io.veloq.spi.DriverConfig;
import io.veloq.spi.DriverProvider;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.SocketAddress;
import java.net.SocketOption;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Collections;
import java.util.EnumSet;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * One event loop: owns one driver instance on one thread (or, in a manual runtime, on the thread that
 * drives it with {@link #runOnce}). This class is the {@link EventLoop} facade, the turn, tasks, timers and
 * close; {@link Inbox} is the cross-thread handover and {@link OpDispatch} the loop thread's way to and
 * from the driver. Everything below "loop thread only" runs there and allocates nothing per op on the
 * completer path.
 *
 * <p>A turn: drain the cross-thread inbox, run tasks, resend held-back cancels, hand backlog ops to the
 * driver within the in-flight budget, then one {@link Driver#submitAndWait} that submits everything and
 * delivers completions, then due timers.
 *
 * <p>It keeps the register of the net layer's sockets made on this loop ({@link OpenSockets}): closing the
 * loop closes those still open, through their {@code Close} ops, before the driver goes.
 */
public final class LoopHost implements EventLoop, OpenSockets {
    private static final ApiAccess.Ops OPS = ApiAccess.ops();
    private static final System.Logger LOG = System.getLogger("io.veloq");
    private static final long CLOSE_DRAIN_NANOS = TimeUnit.SECONDS.toNanos(10);

    private static final int RUNNING = 0;
    private static final int CLOSING = 1;
    private static final int CLOSED = 2;

    private final int index;
    private final RuntimeConfig config;
    private final DriverProvider provider;
    private final boolean manual;
    private final Inbox inbox;
    private volatile int state = RUNNING;
    private volatile Thread owner;
    private final CompletableFuture<Void> terminated = new CompletableFuture<>();

    // Loop thread only.
    private Driver driver;
    private Set<Capability> capabilities;
    private AddressLayout layout;
    private final ArrayDeque<Runnable> tasks = new ArrayDeque<>();
    private final TimerQueue timers = new TimerQueue();
    private final OpDispatch ops;
    private final LoopRings rings;
    private final LoopSockets sockets;
    private BufPool pool;
    private PoolRegions regions; // the pool's registration with the driver (grows with the pool)

    LoopHost(int index, RuntimeConfig config, DriverProvider provider) {
        this.index = index;
        this.config = config;
        this.provider = provider;
        this.manual = config.manual();
        this.inbox = new Inbox(config);
        this.rings = new LoopRings(this);
        this.ops = new OpDispatch(this, inbox, timers, tasks, config.maxInFlight(), rings);
        this.sockets = new LoopSockets(this, inbox, ops);
    }

    /** Opens the driver: on a new loop thread, or on the calling thread for a manual runtime. */
    void start() {
        if (manual) {
            owner = Thread.currentThread();
            openDriver();
            return;
        }
        CompletableFuture<Void> opened = new CompletableFuture<>();
        Thread t = new LoopThread(this, () -> run(opened), "veloq-loop-" + index + "-" + provider.id());
        t.setDaemon(true);
        owner = t;
        t.start();
        try {
            opened.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while opening the " + provider.id() + " driver", e);
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            if (c instanceof RuntimeException re) {
                throw re;
            }
            throw new IllegalStateException("cannot open the " + provider.id() + " driver for loop " + index + ": "
                    + c.getMessage(), c);
        }
    }

    private void openDriver() {
        try {
            driver = provider.open(new DriverConfig(index, config.queueDepth(), config.maxInFlight(),
                    config.registeredFiles(), config.options()));
        } catch (IOException e) {
            throw new IllegalStateException("cannot open the " + provider.id() + " driver for loop " + index + ": "
                    + e.getMessage(), e);
        }
        EnumSet<Capability> caps = EnumSet.noneOf(Capability.class);
        caps.addAll(driver.capabilities());
        capabilities = Collections.unmodifiableSet(caps); // enum order: stable in messages and output
        layout = driver.addressLayout();
        if (config.bufferCount() > 0) {
            try {
                regions = PoolRegions.open(index, config, driver, provider.id());
            } catch (RuntimeException e) {
                driver.close();
                throw e;
            }
            pool = regions.pool();
        }
        rings.attach(driver);
        ops.attach(driver, regions);
        sockets.attach(driver);
    }

    private void run(CompletableFuture<Void> opened) {
        try {
            openDriver();
        } catch (Throwable t) {
            state = CLOSED;
            terminated.complete(null);
            opened.completeExceptionally(t);
            return;
        }
        opened.complete(null);
        try {
            while (state == RUNNING) {
                turn(-1);
            }
            drainAndClose();
        } catch (Throwable t) {
            report("event loop " + index + " failed", t);
            failEverything(t);
        } finally {
            state = CLOSED;
            terminated.complete(null);
        }
    }

    // ---- the turn (loop thread only) ----

    private int turn(long maxWaitNanos) {
        int work = 0;
        inbox.clearWakeup();
        work += drainInbox();
        work += runTasks();
        ops.resendHeldCancels();
        ops.dispatchBacklog();
        long timeout = waitTime(maxWaitNanos);
        try {
            work += driver.submitAndWait(timeout, ops.sink());
        } catch (VeloqIoException e) {
            throw new IllegalStateException("driver " + driver.id() + " failed in submitAndWait: " + e.getMessage(), e);
        }
        ops.queueDrained();
        work += runTimers();
        return work;
    }

    private long waitTime(long maxWaitNanos) {
        // A full submission queue empties with this very submitAndWait, so backlog within budget is a reason
        // not to block: waiting for a completion could wait forever (receives that never complete) while
        // the backlog could have been handed over after the submit.
        if (!tasks.isEmpty() || !inbox.isEmpty() || ops.hasReadyWork() || state != RUNNING) {
            return 0;
        }
        TimerQueue.Timer t = timers.peek();
        long wait = t == null ? -1 : Math.max(0, t.deadline - driver.nanoTime());
        if (maxWaitNanos >= 0) {
            wait = wait < 0 ? maxWaitNanos : Math.min(wait, maxWaitNanos);
        }
        return wait;
    }

    private int drainInbox() {
        int n = 0;
        Object o;
        while ((o = inbox.poll()) != null) {
            n++;
            if (o instanceof Op<?> op) {
                ops.admit(op, state == RUNNING);
            } else if (o instanceof CancelRequest c) {
                ops.cancelHere(c.op);
            } else if (o instanceof ScheduledTask s) {
                arm(s); // handed over, or cancelled by another thread: then its timer goes
            } else if (o instanceof SocketLifetime lt) {
                ops.releaseHeldClose(lt); // the socket's last synchronous call returned on another thread
            } else {
                inbox.foreignTaskDone(); // it runs in this turn
                tasks.add((Runnable) o);
            }
        }
        return n;
    }

    private int runTasks() {
        int n = tasks.size();
        for (int i = 0; i < n; i++) {
            Runnable r = tasks.poll();
            try {
                r.run();
            } catch (Throwable t) {
                uncaught(r, t);
            }
        }
        return n;
    }

    private int runTimers() {
        TimerQueue.Timer t = timers.peek();
        if (t == null) {
            return 0;
        }
        int n = 0;
        long now = driver.nanoTime();
        while ((t = timers.peek()) != null && t.deadline - now <= 0) {
            timers.poll();
            if (!t.cancelled) {
                n++;
                try {
                    t.task.run();
                } catch (Throwable e) {
                    uncaught(t.task instanceof ScheduledTask s ? s.task : t.task, e); // the user's task
                }
            }
        }
        return n;
    }

    /** A scheduled task was cancelled (any thread): its timer leaves the queue, now or on the next turn. */
    void cancelled(ScheduledTask s) {
        if (inLoop()) {
            arm(s);
        } else if (state != CLOSED) {
            inbox.add(s);
        }
    }

    private void arm(ScheduledTask s) {
        if (s.isCancelled()) {
            if (s.timer != null) {
                timers.remove(s.timer);
                s.timer = null;
            }
        } else if (s.timer == null) {
            s.timer = timers.add(driver.nanoTime() + s.delayNanos, s);
        }
    }

    // ---- closing ----

    void initiateClose() {
        if (state == RUNNING) {
            state = CLOSING;
            wake();
        }
    }

    /**
     * Waits until the loop has finished closing. On this loop's own thread it cannot wait for itself and
     * returns at once (the loop finishes by itself after the current callback). A manual loop is closed
     * here, by the thread that drives it.
     */
    void awaitTermination() {
        if (manual) {
            if (state == CLOSED) {
                return;
            }
            if (!inLoop()) {
                throw new IllegalStateException("a manual runtime is closed by the thread that drives it ("
                        + owner.getName() + "), not " + Thread.currentThread().getName());
            }
            drainAndClose();
            terminated.complete(null);
            return;
        }
        if (Thread.currentThread() == owner) {
            return; // closing from a completer: the loop finishes by itself
        }
        terminated.join();
    }

    /**
     * Close, on the loop thread: cancel everything in the driver, close the net sockets still open, and wait
     * (up to {@link #CLOSE_DRAIN_NANOS}) for the completions, so that every payload comes back. Completers run
     * meanwhile and may submit: their ops complete as cancelled (a socket's Close still runs, it gives the
     * descriptor back).
     */
    private void drainAndClose() {
        drainInbox();
        ops.abandonBacklogExceptCloses();
        ops.cancelAll();
        sockets.closeAll();
        long deadline = System.nanoTime() + CLOSE_DRAIN_NANOS;
        while ((ops.hasUnfinishedOps() || !tasks.isEmpty() || sockets.anyOpen())
                && System.nanoTime() - deadline < 0) {
            if (!drainTurn()) {
                break;
            }
            runTasks();
            drainInbox();
            ops.abandonBacklogExceptCloses();
            ops.completeRefused();
            sockets.closeAll(); // sockets made meanwhile (an accept that won the race with its cancel)
        }
        if (ops.inDriverCount() > 0) {
            report("closing " + this + ": " + ops.inDriverCount() + " ops did not complete within "
                    + TimeUnit.NANOSECONDS.toSeconds(CLOSE_DRAIN_NANOS) + " s of cancellation", null);
        }
        ops.abandonQueued();
        runTasks();
        state = CLOSED;
        drainInboxClosed();
        ops.completeRefused();
        sockets.seal(); // no socket is registered after this
        if (sockets.anyOpen()) {
            // Made, or closed from another thread, as the drain ended: their descriptors still go.
            sockets.closeAll();
            long until = System.nanoTime() + CLOSE_DRAIN_NANOS;
            while (ops.hasUnfinishedOps() && System.nanoTime() - until < 0 && drainTurn()) {
                drainInboxClosed();
                ops.completeRefused();
            }
            ops.abandonQueued();
        }
        rings.closeAll(); // every receive has ended: ring buffers go back to the pool before it closes
        if (regions != null) {
            regions.close();
        }
        driver.close();
    }

    /** One turn of the drain: held cancels, backlog, submit and reap. False if the driver failed. */
    private boolean drainTurn() {
        ops.resendHeldCancels();
        ops.dispatchBacklog();
        try {
            long wait = ops.inDriverCount() > 0 ? TimeUnit.MILLISECONDS.toNanos(50) : 0;
            driver.submitAndWait(wait, ops.sink());
        } catch (VeloqIoException e) {
            report("driver failed while draining " + this + " on close", e);
            return false;
        }
        ops.queueDrained();
        return true;
    }

    /** The inbox once closed: ops complete as cancelled, a socket's returned call may release its Close. */
    private void drainInboxClosed() {
        Object o;
        while ((o = inbox.poll()) != null) {
            if (o instanceof Op<?> op) {
                ops.completeCancelled(op);
            } else if (o instanceof SocketLifetime lt) {
                ops.releaseHeldClose(lt);
            }
        }
    }

    /** The socket's {@code Close} has been admitted: closing the loop need not close it any more. */
    void forget(SocketLifetime lifetime) {
        sockets.forget(lifetime);
    }

    @Override
    public void opened(SocketLifetime lifetime, IoFd.Raw fd) {
        sockets.opened(lifetime, fd);
    }

    private void failEverything(Throwable cause) {
        state = CLOSED;
        ops.abandonQueued();
        ops.abandonInDriver();
        try {
            driver.close();
        } catch (Throwable t) {
            cause.addSuppressed(t);
        }
    }

    /** Application code (a completer, a task) threw: the runtime's handler gets it; the loop goes on. */
    void uncaught(Object source, Throwable error) {
        try {
            config.exceptionHandler().uncaught(this, source, error);
        } catch (Throwable t) {
            t.addSuppressed(error);
            LOG.log(System.Logger.Level.ERROR, "the exception handler of " + this + " threw " + t + " handling "
                    + error + " from " + source, t);
        }
    }

    /** A problem of the runtime itself (not of application code), logged through {@link System.Logger}. */
    static void report(String what, Throwable t) {
        if (t == null || t instanceof VeloqIoException) {
            LOG.log(System.Logger.Level.WARNING, what + (t == null ? "" : ": " + t));
        } else {
            LOG.log(System.Logger.Level.ERROR, what + ": " + t, t);
        }
    }

    // ---- EventLoop ----

    @Override
    public int index() {
        return index;
    }

    @Override
    public String driverId() {
        return provider.id();
    }

    @Override
    public Set<Capability> capabilities() {
        return capabilities;
    }

    @Override
    public AddressLayout addressLayout() {
        return layout;
    }

    @Override
    public <P extends OpPayload> void submit(Op<P> op) {
        Objects.requireNonNull(op, "op must not be null");
        if (!OPS.hasCompleter(op)) {
            throw new IllegalStateException("cannot submit " + op + ": it has no completer; create it with "
                    + "Op.of(payload, completer), or use submitAsync/call");
        }
        enqueue(op);
    }

    @Override
    public <P extends OpPayload> CompletableFuture<Completion<P>> submitAsync(P payload) {
        Objects.requireNonNull(payload, "payload must not be null");
        return submitAsync(Op.of(payload));
    }

    @Override
    public <P extends OpPayload> CompletableFuture<Completion<P>> submitAsync(Op<P> op) {
        Objects.requireNonNull(op, "op must not be null");
        if (OPS.hasCompleter(op)) {
            throw new IllegalStateException("cannot submitAsync " + op + ": it has a completer; use submit(op)");
        }
        if (op.state() != OpState.DEFINED) {
            throw notDefined(op);
        }
        CompletableFuture<Completion<P>> f = new CompletableFuture<>();
        OPS.aux(op, f);
        enqueue(op);
        return f;
    }

    @Override
    public <P extends OpPayload> Completion<P> call(P payload) {
        Objects.requireNonNull(payload, "payload must not be null");
        return call(Op.of(payload));
    }

    @Override
    public <P extends OpPayload> Completion<P> call(Op<P> op) {
        boolean here = inLoop();
        if (here && !manual) {
            throw new IllegalStateException("cannot call(" + op + ") on the loop thread: it would wait for itself; "
                    + "use submit with a completer");
        }
        CompletableFuture<Completion<P>> f = submitAsync(op);
        if (here) {
            while (!f.isDone()) {
                int work = turn(-1);
                if (work == 0 && state != RUNNING && !f.isDone()) {
                    throw new IllegalStateException("runtime closed while waiting for " + op);
                }
            }
            return f.join();
        }
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    return f.get();
                } catch (InterruptedException e) {
                    if (!interrupted) {
                        interrupted = true;
                        cancel(op);
                    }
                } catch (ExecutionException e) {
                    throw new IllegalStateException("completion of " + op + " failed", e.getCause());
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void enqueue(Op<?> op) {
        boolean here = inLoop();
        OpPayload p = op.payload();
        if (OPS.kind(op).multishot() && !OPS.hasStreamCompleter(op)) {
            throw new IllegalArgumentException("cannot submit " + op + " for a future or a blocking call: it is "
                    + "multishot; create it with Op.of(payload, StreamCompleter) and submit(op)");
        }
        SocketLifetime lt = OPS.lifetime(op);
        if (lt != null && !lt.bindTo(this)) {
            throw new IllegalStateException("cannot submit " + op + " to " + this + ": its socket's ops run on "
                    + lt.boundLoop() + "; submit them to the socket's loop(), the one it was opened on");
        }
        int st = state;
        if (st != RUNNING && (here || st == CLOSED || !(p instanceof Close))) {
            if (!here) {
                throw new IllegalStateException("cannot submit " + op + ": the runtime is closed");
            }
            // A completer resubmitting during (or after) close: the op completes as cancelled through its
            // completer, buffer back, instead of throwing into the middle of the resubmit pattern.
            if (!OPS.markSubmittedOnLoop(op, this)) {
                throw notDefined(op);
            }
            inbox.submittedOnLoop();
            if (state == CLOSING && p instanceof Close) {
                ops.admit(op, false); // still runs: it gives a descriptor back
                return;
            }
            ops.refuse(op);
            if (state == CLOSED) {
                ops.completeRefused(); // no drain will run any more
            }
            return;
        }
        // From here on: running, or another thread's Close while closing (it still runs: it gives a descriptor back).
        if (!here && st == RUNNING && !(p instanceof Cancel)) {
            if (config.backpressure() == BackpressurePolicy.WAIT) {
                inbox.awaitBudget(op, () -> state == RUNNING);
            } else {
                inbox.checkQueueBound(op, this);
            }
        }
        if (!(here ? OPS.markSubmittedOnLoop(op, this) : OPS.markSubmitted(op, this))) {
            throw notDefined(op);
        }
        if (here) {
            inbox.submittedOnLoop();
            ops.admit(op, true);
            return;
        }
        inbox.submittedElsewhere();
        inbox.add(op);
        if (state == CLOSED && inbox.remove(op)) {
            ops.completeCancelled(op);
            return;
        }
        wake();
    }

    private static IllegalStateException notDefined(Op<?> op) {
        OpState s = op.state();
        return new IllegalStateException("cannot submit " + op + ": it is " + s
                + (s == OpState.COMPLETED ? " (call reset() to submit it again)" : " already (submitted twice)"));
    }

    private void wake() {
        if (inbox.requestWakeup() && driver != null) {
            // From another loop's thread: that loop's driver may carry the wake-up (io_uring: MSG_RING into our
            // ring with its next submit) instead of a syscall on our eventfd. Foreign threads use the eventfd.
            if (Thread.currentThread() instanceof LoopThread lt && lt.host != this && lt.host.driver != null
                    && lt.host.driver.wake(driver)) {
                inbox.wokenByLoop();
                return;
            }
            driver.wakeup();
        }
    }

    /** A loop's own thread: lets a submit from it find its loop (and driver) without a lookup. */
    static final class LoopThread extends Thread {
        final LoopHost host;

        LoopThread(LoopHost host, Runnable body, String name) {
            super(body, name);
            this.host = host;
        }
    }

    /** Wake-ups of this loop that another loop's driver carried instead of this driver's {@link Driver#wakeup()}. */
    public long wakesByOtherLoops() {
        return inbox.wokenByLoops();
    }

    @Override
    public boolean cancel(Op<?> op) {
        Objects.requireNonNull(op, "op must not be null");
        if (inLoop()) {
            return ops.cancelHere(op);
        }
        if (OPS.host(op) != this || op.state() != OpState.SUBMITTED) {
            return false;
        }
        inbox.add(new CancelRequest(op));
        wake();
        return true;
    }

    @Override
    public void execute(Runnable task) {
        Objects.requireNonNull(task, "task must not be null");
        if (state == CLOSED) {
            throw new IllegalStateException("cannot run a task: the runtime is closed");
        }
        if (inLoop()) {
            tasks.add(task);
        } else {
            inbox.admitForeignTask(task, "run", this, () -> state == RUNNING);
            inbox.add(task); // counted until the loop takes it to run
            wake();
        }
    }

    @Override
    public Scheduled schedule(Runnable task, Duration delay) {
        Objects.requireNonNull(task, "task must not be null");
        if (delay.isNegative()) {
            throw new IllegalArgumentException("delay must not be negative, got " + delay);
        }
        if (state == CLOSED) {
            throw new IllegalStateException("cannot schedule a task: the runtime is closed");
        }
        if (inLoop()) {
            ScheduledTask s = new ScheduledTask(task, Delays.saturatedNanos(delay), this, null);
            arm(s);
            return s;
        }
        inbox.admitForeignTask(task, "schedule", this, () -> state == RUNNING);
        ScheduledTask s = new ScheduledTask(task, Delays.saturatedNanos(delay), this, inbox); // counted until it runs or is cancelled
        inbox.add(s);
        wake();
        return s;
    }

    /** True once close has begun. */
    @Override
    public boolean isClosed() {
        return state != RUNNING;
    }

    @Override
    public long nanoTime() {
        Driver d = driver;
        return d == null ? System.nanoTime() : d.nanoTime();
    }

    /** True for a loop without its own thread. */
    boolean isManual() {
        return manual;
    }

    @Override
    public boolean inLoop() {
        return Thread.currentThread() == owner;
    }

    @Override
    public int inFlight() {
        return inbox.inFlight();
    }

    /** Completions whose slot generation no longer matched (diagnostics and tests). */
    public long staleCompletions() {
        return ops.staleCompletions();
    }

    /** The driver instance (testkit and diagnostics). */
    public Driver driver() {
        return driver;
    }

    @Override
    public BufPool bufPool() {
        return pool;
    }

    @Override
    public BufRing openBufRing(int buffers) {
        if (state != RUNNING) {
            throw new IllegalStateException("cannot open a buffer ring: " + this + " is closed");
        }
        try {
            return runOnLoop(() -> rings.open(buffers, pool));
        } catch (IOException e) {
            throw new IllegalStateException("cannot open a buffer ring on " + this + ": " + e.getMessage(), e);
        }
    }

    @Override
    public IoFd.Fixed registerFile(IoFd.Raw fd) throws IOException {
        requireCapability(Capability.FIXED_FILES, "registered files");
        return new IoFd.Fixed(runOnLoop(() -> driver.registerFile(fd.handle())));
    }

    @Override
    public void unregisterFile(IoFd.Fixed fd) throws IOException {
        requireCapability(Capability.FIXED_FILES, "registered files");
        runOnLoop(() -> {
            driver.unregisterFile(fd.index());
            return null;
        });
    }

    private void requireCapability(Capability c, String what) {
        if (!capabilities.contains(c)) {
            throw new UnsupportedOperationException("the " + provider.id() + " driver does not support " + what
                    + " (capability " + c + ")");
        }
    }

    /** Runs {@code work} on the loop thread and returns its value; waits up to 30 s when called elsewhere. */
    <T> T runOnLoop(Callable<T> work) throws IOException {
        if (inLoop()) {
            try {
                return work.call();
            } catch (IOException | RuntimeException e) {
                throw e;
            } catch (Exception e) {
                throw new IOException(e);
            }
        }
        CompletableFuture<T> f = new CompletableFuture<>();
        execute(() -> {
            try {
                f.complete(work.call());
            } catch (Throwable t) {
                f.completeExceptionally(t);
            }
        });
        try {
            return f.get(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted waiting for loop " + index);
        } catch (TimeoutException e) {
            throw new IOException("loop " + index + " did not run the request within 30 s", e);
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            if (c instanceof IOException io) {
                throw io;
            }
            if (c instanceof RuntimeException re) {
                throw re;
            }
            throw new IOException(c);
        }
    }

    @Override
    public void bind(IoFd fd, SocketAddress local) throws IOException {
        sockets.bind(fd, local);
    }

    @Override
    public void listen(IoFd fd, int backlog) throws IOException {
        sockets.listen(fd, backlog);
    }

    @Override
    public SocketAddress localAddress(IoFd fd) throws IOException {
        return sockets.localAddress(fd);
    }

    @Override
    public SocketAddress remoteAddress(IoFd fd) throws IOException {
        return sockets.remoteAddress(fd);
    }

    @Override
    public <T> void setOption(IoFd fd, SocketOption<T> option, T value) throws IOException {
        sockets.setOption(fd, option, value);
    }

    @Override
    public <T> T getOption(IoFd fd, SocketOption<T> option) throws IOException {
        return sockets.getOption(fd, option);
    }

    /** The last synchronous call of a closed socket returned (any thread): its held Close may go now. */
    void callsEnded(SocketLifetime lt) {
        if (inLoop()) {
            ops.releaseHeldClose(lt);
        } else {
            inbox.add(lt);
            if (state != CLOSED) {
                wake(); // once closed, the last drain polls the inbox without waiting for a wake-up
            }
        }
    }

    @Override
    public int runOnce(Duration maxWait) {
        if (!manual) {
            throw new IllegalStateException("runOnce is for manual runtimes (IoRuntime.builder().manual()); loop "
                    + index + " has its own thread");
        }
        if (!inLoop()) {
            throw new IllegalStateException("a manual loop is driven by the thread that opened it ("
                    + owner.getName() + "), not " + Thread.currentThread().getName());
        }
        if (state == CLOSED) {
            throw new IllegalStateException("the runtime is closed");
        }
        if (maxWait != null && maxWait.isNegative()) {
            throw new IllegalArgumentException("maxWait must not be negative, got " + maxWait);
        }
        return turn(maxWait == null ? -1 : Delays.saturatedNanos(maxWait));
    }

    @Override
    public String toString() {
        return "EventLoop#" + index + "(" + provider.id() + ")";
    }

    private static final class CancelRequest {
        final Op<?> op;

        CancelRequest(Op<?> op) {
            this.op = op;
        }
    }
}
