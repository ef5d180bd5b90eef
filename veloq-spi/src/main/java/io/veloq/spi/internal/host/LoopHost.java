package io.veloq.spi.internal.host;

import io.veloq.api.BackpressurePolicy;
import io.veloq.api.Capability;
import io.veloq.api.Completion;
import io.veloq.api.EventLoop;
import io.veloq.api.IoFd;
import io.veloq.api.Op;
import io.veloq.api.OpLifecycle;
import io.veloq.api.OpState;
import io.veloq.api.RuntimeConfig;
import io.veloq.api.VeloqIoException;
import io.veloq.api.bootstrap.ApiAccess;
import io.veloq.api.buffer.BufPool;
import io.veloq.api.net.AddressLayout;
import io.veloq.api.net.SockAddrStorage;
import io.veloq.api.op.Cancel;
import io.veloq.api.op.OpKind;
import io.veloq.api.op.OpPayload;
import io.veloq.spi.CompletionSink;
import io.veloq.spi.Driver;
import io.veloq.spi.DriverConfig;
import io.veloq.spi.DriverProvider;
import io.veloq.spi.ErrorTable;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.net.SocketAddress;
import java.net.SocketOption;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Collections;
import java.util.EnumSet;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One event loop: owns one driver instance on one thread (or, in a manual runtime, on the thread that
 * drives it with {@link #runOnce}). Everything below "loop thread only" runs there and allocates nothing
 * per op on the completer path.
 *
 * <p>A turn: drain the cross-thread inbox, run tasks, resend held-back cancels, hand backlog ops to the
 * driver within the in-flight budget, then one {@link Driver#submitAndWait} that submits everything and
 * delivers completions, then due timers.
 */
public final class LoopHost implements EventLoop {
    private static final ApiAccess.Ops OPS = ApiAccess.ops();
    private static final long CLOSE_DRAIN_NANOS = TimeUnit.SECONDS.toNanos(10);

    private static final int RUNNING = 0;
    private static final int CLOSING = 1;
    private static final int CLOSED = 2;

    private final int index;
    private final RuntimeConfig config;
    private final DriverProvider provider;
    private final boolean manual;
    private final ConcurrentLinkedQueue<Object> inbox = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean wakeupPending = new AtomicBoolean();
    /*
     * Ops in flight = foreignPending + loopPending. Submissions from the loop thread and completions on it
     * (nearly all of them) touch only loopPending, a plain field the loop thread alone writes and publishes
     * with a release store: no locked instruction on the hot path. Other threads' submissions (and the rare
     * completion that runs off the loop thread, while closing) go through the atomic foreignPending. Either
     * part may be negative; only the sum means something. Readers off the loop thread (inFlight(), the WAIT
     * budget) see a sum that may count ops racing with them, as the single atomic counter did.
     */
    private final AtomicInteger foreignPending = new AtomicInteger();
    private int loopPending;
    private static final VarHandle LOOP_PENDING;

    static {
        try {
            LOOP_PENDING = MethodHandles.lookup().findVarHandle(LoopHost.class, "loopPending", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }
    private final Object budgetLock = new Object();
    private volatile int budgetWaiters;
    private volatile int state = RUNNING;
    private volatile Thread owner;
    private final CompletableFuture<Void> terminated = new CompletableFuture<>();

    // Loop thread only.
    private Driver driver;
    private ErrorTable errors;
    private Set<Capability> capabilities;
    private AddressLayout layout;
    private boolean linkedTimeouts;
    @SuppressWarnings("rawtypes")
    private final OpLifecycle[] lifecycles = new OpLifecycle[OpKind.count()];
    private final OpTable table;
    private final ArrayDeque<Op<?>> backlog = new ArrayDeque<>();
    private long[] heldCancels = new long[16];
    private int heldCancelCount;
    private final ArrayDeque<Runnable> tasks = new ArrayDeque<>();
    private final TimerQueue timers = new TimerQueue();
    private final CompletionSink sink = this::onCompletion;
    private int inDriver;
    private boolean queueFull;
    private long staleCompletions;
    private BufPool pool;
    private PoolRegions regions; // the pool's registration with the driver (grows with the pool)

    LoopHost(int index, RuntimeConfig config, DriverProvider provider) {
        this.index = index;
        this.config = config;
        this.provider = provider;
        this.manual = config.manual();
        // Host slots: the budget plus room for ops refused with SQ full and retried.
        this.table = new OpTable(config.maxInFlight());
    }

    /** Opens the driver: on a new loop thread, or on the calling thread for a manual runtime. */
    void start() {
        if (manual) {
            owner = Thread.currentThread();
            openDriver();
            return;
        }
        CompletableFuture<Void> opened = new CompletableFuture<>();
        Thread t = new Thread(() -> run(opened), "veloq-loop-" + index + "-" + provider.id());
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
        errors = driver.errors();
        EnumSet<Capability> caps = EnumSet.noneOf(Capability.class);
        caps.addAll(driver.capabilities());
        capabilities = Collections.unmodifiableSet(caps); // enum order: stable in messages and output
        layout = driver.addressLayout();
        linkedTimeouts = capabilities.contains(Capability.LINKED_TIMEOUTS);
        for (OpKind k : OpKind.values()) {
            lifecycles[k.ordinal()] = Objects.requireNonNull(driver.lifecycle(k), "lifecycle of " + k);
        }
        if (config.bufferCount() > 0) {
            try {
                regions = PoolRegions.open(index, config, driver, provider.id());
            } catch (RuntimeException e) {
                driver.close();
                throw e;
            }
            pool = regions.pool();
        }
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
        wakeupPending.set(false);
        work += drainInbox();
        work += runTasks();
        resendHeldCancels();
        dispatchBacklog();
        long timeout = waitTime(maxWaitNanos);
        try {
            work += driver.submitAndWait(timeout, sink);
        } catch (VeloqIoException e) {
            throw new IllegalStateException("driver " + driver.id() + " failed in submitAndWait: " + e.getMessage(), e);
        }
        queueFull = false;
        work += runTimers();
        return work;
    }

    private long waitTime(long maxWaitNanos) {
        // A full submission queue empties with this very submitAndWait, so backlog within budget is a reason
        // not to block: waiting for a completion could wait forever (receives that never complete) while
        // the backlog could have been handed over after the submit.
        if (!tasks.isEmpty() || !inbox.isEmpty() || heldCancelCount > 0
                || (!backlog.isEmpty() && inDriver < config.maxInFlight()) || state != RUNNING) {
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
                admit(op);
            } else if (o instanceof CancelRequest c) {
                cancelHere(c.op);
            } else if (o instanceof ScheduledTask s) {
                arm(s);
            } else {
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
                report("task " + r + " threw", t);
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
                    report("timer task " + t.task + " threw", e);
                }
            }
        }
        return n;
    }

    private void admit(Op<?> op) {
        if (state != RUNNING) {
            // Raced with close: never hand a new op to a driver that is being drained.
            completeCancelled(op);
            return;
        }
        if (op.payload() instanceof Cancel) {
            dispatch(op); // takes no driver slot: never held back by the budget or the backlog
            return;
        }
        if (!backlog.isEmpty() || queueFull || inDriver >= config.maxInFlight()) {
            backlog.add(op);
            return;
        }
        if (!dispatch(op)) {
            backlog.addFirst(op);
        }
    }

    private void dispatchBacklog() {
        while (!backlog.isEmpty() && !queueFull && inDriver < config.maxInFlight()) {
            Op<?> op = backlog.poll();
            if (!dispatch(op)) {
                backlog.addFirst(op);
                return;
            }
        }
    }

    /** Hands one op to the driver. Returns false if the driver's queue is full (the op is kept by the caller). */
    @SuppressWarnings({"unchecked", "rawtypes"})
    private boolean dispatch(Op<?> op) {
        OpPayload p = op.payload();
        if (p instanceof Cancel c) {
            Op<?> target = c.target();
            boolean found = OPS.host(target) instanceof LoopHost other && other != this
                    ? other.cancel(target) : cancelHere(target);
            tasks.add(() -> complete(op, found ? 1 : 0, null));
            return true;
        }
        OpLifecycle lc = lifecycles[p.kind().ordinal()];
        long pre = OPS.preAllocated(op);
        if (pre == OpLifecycle.NONE && lc != OpLifecycle.direct()) {
            try {
                pre = lc.preAlloc(p);
            } catch (VeloqIoException e) {
                complete(op, 0, e);
                return true;
            }
            OPS.preAllocated(op, pre);
        }
        if (regions != null && (p.kind() == OpKind.READ_FIXED || p.kind() == OpKind.WRITE_FIXED)) {
            regions.cover(p.buffer()); // a region the pool added since: register it first
        }
        long token = table.add(op);
        long deadline = op.deadlineNanos();
        int rc = driver.prepare(token, p, pre, linkedTimeouts ? deadline : 0);
        if (rc == 1) {
            OPS.token(op, token);
            inDriver++;
            if (deadline > 0 && !linkedTimeouts) {
                table.deadlineTimer(token, timers.add(driver.nanoTime() + deadline, () -> expire(token)));
            }
            return true;
        }
        table.remove(token);
        if (rc == 0) {
            queueFull = true;
            return false;
        }
        if (pre != OpLifecycle.NONE) {
            lc.discard(p, pre);
        }
        complete(op, 0, refused(-rc, op));
        return true;
    }

    private void expire(long token) {
        if (table.get(token) != null) {
            table.setFlag(token, OpTable.DEADLINE_EXPIRED);
            requestCancel(token);
        }
    }

    private void requestCancel(long token) {
        if (!driver.prepareCancel(token)) {
            if (heldCancelCount == heldCancels.length) {
                heldCancels = Arrays.copyOf(heldCancels, heldCancelCount * 2);
            }
            heldCancels[heldCancelCount++] = token;
        }
    }

    private void resendHeldCancels() {
        int kept = 0;
        for (int i = 0; i < heldCancelCount; i++) {
            long token = heldCancels[i];
            if (table.get(token) != null && !driver.prepareCancel(token)) {
                heldCancels[kept++] = token;
            }
        }
        heldCancelCount = kept;
    }

    /** Cancels an op of this loop; loop thread only. */
    private boolean cancelHere(Op<?> op) {
        if (OPS.host(op) != this || op.state() != OpState.SUBMITTED) {
            return false;
        }
        if (backlog.remove(op)) {
            abandon(op);
            return true;
        }
        long token = OPS.token(op);
        if (token >= 0 && table.get(token) == op) {
            table.setFlag(token, OpTable.USER_CANCELLED);
            requestCancel(token);
            return true;
        }
        return false;
    }

    private void onCompletion(long token, long result) {
        Op<?> op = table.get(token);
        if (op == null) {
            staleCompletions++;
            return;
        }
        boolean timedOut = table.hasFlag(token, OpTable.DEADLINE_EXPIRED)
                || (linkedTimeouts && op.deadlineNanos() > 0 && !table.hasFlag(token, OpTable.USER_CANCELLED));
        TimerQueue.Timer t = table.deadlineTimer(token);
        if (t != null) {
            timers.remove(t);
        }
        table.remove(token);
        inDriver--;
        finish(op, result, timedOut);
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private void finish(Op<?> op, long result, boolean timedOut) {
        OpPayload p = op.payload();
        OpLifecycle lc = lifecycles[p.kind().ordinal()];
        long pre = OPS.preAllocated(op);
        if (result >= 0) {
            long value;
            try {
                value = lc.intoOutput(p, pre, result);
            } catch (VeloqIoException e) {
                if (pre != OpLifecycle.NONE) {
                    lc.discard(p, pre);
                }
                complete(op, 0, e);
                return;
            }
            complete(op, value, null);
            return;
        }
        if (pre != OpLifecycle.NONE) {
            lc.discard(p, pre);
        }
        int code = (int) -result;
        if (timedOut && code == errors.cancelledCode()) {
            code = errors.timedOutCode();
        }
        complete(op, 0, failure(code, op));
    }

    /** The exception for an op the driver refused in prepare, with the driver's reason when it gives one. */
    private VeloqIoException refused(int code, Op<?> op) {
        String why = driver.explainRefusal(op.payload(), code);
        if (why == null) {
            return failure(code, op);
        }
        return new VeloqIoException(errors.kind(code), code, errors.name(code), op.toString(),
                errors.describe(code) + " (" + why + ")");
    }

    /** The exception for a failed op, with a hint when the failure is a known misuse the driver cannot name. */
    private VeloqIoException failure(int code, Op<?> op) {
        String hint = misuseHint(op);
        if (hint == null) {
            return errors.exception(code, op.toString());
        }
        return new VeloqIoException(errors.kind(code), code, errors.name(code), op.toString(),
                errors.describe(code) + " (" + hint + ")");
    }

    private String misuseHint(Op<?> op) {
        OpKind k = op.payload().kind();
        if (k == OpKind.READ_FIXED || k == OpKind.WRITE_FIXED) {
            io.veloq.api.buffer.FixedBuf b = op.payload().buffer();
            String unregistered = regions == null ? null : regions.unregistered(b);
            if (unregistered != null) {
                return unregistered;
            }
            if (pool == null || b.pool() != pool || !pool.isRegistered()) {
                return b + " is not from this loop's registered pool; ReadFixed/WriteFixed need a buffer leased from "
                        + "loop.bufPool() of the loop they are submitted to";
            }
        }
        return null;
    }

    /** Completes an op that never reached the driver (or was taken back) as cancelled, freeing its pre-allocation. */
    @SuppressWarnings({"unchecked", "rawtypes"})
    private void abandon(Op<?> op) {
        long pre = OPS.preAllocated(op);
        if (pre != OpLifecycle.NONE) {
            OpLifecycle lc = lifecycles[op.payload().kind().ordinal()];
            lc.discard(op.payload(), pre);
        }
        completeCancelled(op);
    }

    private void completeCancelled(Op<?> op) {
        ErrorTable e = errors != null ? errors : io.veloq.spi.LinuxErrno.TABLE;
        complete(op, 0, e.exception(e.cancelledCode(), op.toString()));
    }

    private void complete(Op<?> op, long value, VeloqIoException error) {
        Object aux = OPS.aux(op);
        if (inLoop()) {
            LOOP_PENDING.setRelease(this, loopPending - 1);
        } else {
            foreignPending.decrementAndGet();
        }
        if (budgetWaiters > 0 && inFlight() < config.maxInFlight()) {
            synchronized (budgetLock) {
                budgetLock.notifyAll();
            }
        }
        try {
            OPS.complete(op, value, error);
        } catch (Throwable t) {
            report("completer of " + op + " threw", t);
        }
        if (aux instanceof CompletableFuture<?> f) {
            @SuppressWarnings("unchecked")
            CompletableFuture<Completion<?>> cf = (CompletableFuture<Completion<?>>) f;
            cf.complete(op.completion());
        }
    }

    private void arm(ScheduledTask s) {
        if (!s.cancelled) {
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

    void awaitTermination() {
        if (manual) {
            if (!inLoop()) {
                throw new IllegalStateException("a manual runtime is closed by the thread that drives it ("
                        + owner.getName() + "), not " + Thread.currentThread().getName());
            }
            if (state != CLOSED) {
                drainAndClose();
                state = CLOSED;
                terminated.complete(null);
            }
            return;
        }
        if (Thread.currentThread() == owner) {
            return; // closing from a completer: the loop finishes by itself
        }
        terminated.join();
    }

    private void drainAndClose() {
        drainInbox();
        while (!backlog.isEmpty()) {
            abandon(backlog.poll());
        }
        table.forEachToken(token -> {
            table.setFlag(token, OpTable.USER_CANCELLED);
            requestCancel(token);
        });
        long deadline = System.nanoTime() + CLOSE_DRAIN_NANOS;
        while (table.size() > 0 && System.nanoTime() - deadline < 0) {
            resendHeldCancels();
            try {
                driver.submitAndWait(TimeUnit.MILLISECONDS.toNanos(50), sink);
            } catch (VeloqIoException e) {
                report("driver failed while draining on close", e);
                break;
            }
            runTasks();
            drainInbox();
            while (!backlog.isEmpty()) {
                abandon(backlog.poll());
            }
        }
        if (table.size() > 0) {
            report("closing loop " + index + ": " + table.size() + " ops did not complete within "
                    + TimeUnit.NANOSECONDS.toSeconds(CLOSE_DRAIN_NANOS) + " s of cancellation", null);
        }
        runTasks();
        state = CLOSED;
        Object o;
        while ((o = inbox.poll()) != null) {
            if (o instanceof Op<?> op) {
                completeCancelled(op);
            }
        }
        if (regions != null) {
            regions.close();
        }
        driver.close();
    }

    private void failEverything(Throwable cause) {
        state = CLOSED;
        while (!backlog.isEmpty()) {
            abandon(backlog.poll());
        }
        table.forEachToken(token -> {
            Op<?> op = table.get(token);
            table.remove(token);
            abandon(op); // also frees what its lifecycle pre-allocated (an AcceptEx socket)
        });
        try {
            driver.close();
        } catch (Throwable t) {
            cause.addSuppressed(t);
        }
    }

    private static void report(String what, Throwable t) {
        System.err.println("veloq: " + what + (t == null ? "" : ": " + t));
        if (t != null && !(t instanceof VeloqIoException)) {
            t.printStackTrace();
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
        if (state != RUNNING) {
            throw new IllegalStateException("cannot submit " + op + ": the runtime is closed");
        }
        boolean here = inLoop();
        if (!here && config.backpressure() == BackpressurePolicy.WAIT && !(op.payload() instanceof Cancel)) {
            awaitBudget(op);
        }
        if (!OPS.markSubmitted(op, this)) {
            throw notDefined(op);
        }
        if (here) {
            LOOP_PENDING.setRelease(this, loopPending + 1);
            admit(op);
            return;
        }
        foreignPending.incrementAndGet();
        inbox.add(op);
        if (state == CLOSED && inbox.remove(op)) {
            completeCancelled(op);
            return;
        }
        wake();
    }

    private void awaitBudget(Op<?> op) {
        if (inFlight() < config.maxInFlight()) {
            return;
        }
        synchronized (budgetLock) {
            budgetWaiters++;
            try {
                while (inFlight() >= config.maxInFlight() && state == RUNNING) {
                    budgetLock.wait(100);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for in-flight budget to submit " + op, e);
            } finally {
                budgetWaiters--;
            }
        }
    }

    private static IllegalStateException notDefined(Op<?> op) {
        OpState s = op.state();
        return new IllegalStateException("cannot submit " + op + ": it is " + s
                + (s == OpState.COMPLETED ? " (call reset() to submit it again)" : " already (submitted twice)"));
    }

    private void wake() {
        if (wakeupPending.compareAndSet(false, true) && driver != null) {
            driver.wakeup();
        }
    }

    @Override
    public boolean cancel(Op<?> op) {
        Objects.requireNonNull(op, "op must not be null");
        if (inLoop()) {
            return cancelHere(op);
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
            inbox.add(task);
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
        ScheduledTask s = new ScheduledTask(task, delay.toNanos());
        if (inLoop()) {
            arm(s);
        } else {
            inbox.add(s);
            wake();
        }
        return s;
    }

    @Override
    public boolean inLoop() {
        return Thread.currentThread() == owner;
    }

    @Override
    public int inFlight() {
        // loopPending first: a completion seen there (acquire) makes the foreign submission it ended
        // visible too, so the sum never goes below the true count; it can only lag high, as before.
        int loop = (int) LOOP_PENDING.getAcquire(this);
        return loop + foreignPending.get();
    }

    /** Completions whose slot generation no longer matched (diagnostics and tests). */
    public long staleCompletions() {
        return staleCompletions;
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
    public IoFd.Fixed registerFile(IoFd.Raw fd) throws IOException {
        requireCapability(Capability.FIXED_FILES, "registered files");
        return new IoFd.Fixed(onLoop(() -> driver.registerFile(fd.handle())));
    }

    @Override
    public void unregisterFile(IoFd.Fixed fd) throws IOException {
        requireCapability(Capability.FIXED_FILES, "registered files");
        onLoop(() -> {
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

    private <T> T onLoop(Callable<T> work) throws IOException {
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
        driver.bind(fd, SockAddrStorage.of(local, layout));
    }

    @Override
    public void listen(IoFd fd, int backlog) throws IOException {
        if (backlog < 0) {
            throw new IllegalArgumentException("listen backlog must be >= 0, got " + backlog + " for " + fd);
        }
        driver.listen(fd, backlog);
    }

    @Override
    public SocketAddress localAddress(IoFd fd) throws IOException {
        SockAddrStorage s = SockAddrStorage.allocate(layout).prepareForReceive();
        driver.localAddress(fd, s);
        return s.toSocketAddress();
    }

    @Override
    public SocketAddress remoteAddress(IoFd fd) throws IOException {
        SockAddrStorage s = SockAddrStorage.allocate(layout).prepareForReceive();
        driver.remoteAddress(fd, s);
        return s.toSocketAddress();
    }

    @Override
    public <T> void setOption(IoFd fd, SocketOption<T> option, T value) throws IOException {
        SocketOptionRules.validate(option, value, fd);
        driver.setOption(fd, option, value);
    }

    @Override
    public <T> T getOption(IoFd fd, SocketOption<T> option) throws IOException {
        Objects.requireNonNull(option, "option must not be null");
        return driver.getOption(fd, option);
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
        return turn(maxWait == null ? -1 : maxWait.toNanos());
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

    private static final class ScheduledTask implements Scheduled, Runnable {
        final Runnable task;
        final long delayNanos;
        volatile boolean cancelled;
        volatile boolean done;
        TimerQueue.Timer timer;

        ScheduledTask(Runnable task, long delayNanos) {
            this.task = task;
            this.delayNanos = delayNanos;
        }

        @Override
        public void run() {
            if (!cancelled) {
                done = true;
                task.run();
            }
        }

        @Override
        public boolean cancel() {
            if (cancelled || done) {
                return false;
            }
            cancelled = true;
            TimerQueue.Timer t = timer;
            if (t != null) {
                t.cancelled = true;
            }
            return true;
        }
    }
}
