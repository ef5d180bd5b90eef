package io.veloq.spi.internal.host;

import io.veloq.api.Capability;
import io.veloq.api.Completion;
import io.veloq.api.IoErrorKind;
import io.veloq.api.IoFd;
import io.veloq.api.Op;
import io.veloq.api.OpLifecycle;
import io.veloq.api.OpState;
import io.veloq.api.VeloqIoException;
import io.veloq.api.bootstrap.ApiAccess;
import io.veloq.api.bootstrap.SocketLifetime;
import io.veloq.api.buffer.BufPool;
import io.veloq.api.buffer.BufRing;
import io.veloq.api.buffer.FixedBuf;
import io.veloq.api.op.Cancel;
import io.veloq.api.op.Close;
import io.veloq.api.op.OpKind;
import io.veloq.api.op.OpPayload;
import io.veloq.api.op.RecvMultishot;
import io.veloq.spi.CompletionSink;
import io.veloq.spi.Driver;
import io.veloq.spi.ErrorTable;
import io.veloq.spi.LinuxErrno;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;

/**
 * The loop thread's side of a loop: hands ops to the driver within the in-flight budget (backlog,
 * held-back cancels, lifecycles) and turns the driver's completions into completed ops.
 *
 * <p>It also keeps each socket's ops bound to the socket's lifetime ({@link SocketLifetime}): an op naming
 * a closed socket's handle completes with a closed-channel error instead of reaching the driver, and the
 * socket's {@code Close} is held back, its ops cancelled, until none of them is in the driver and none of
 * its synchronous calls (options, addresses) is in progress, so that the descriptor number is released only
 * when nothing can use it any more.
 *
 * <p>Loop thread only; allocates nothing per op.
 */
final class OpDispatch {
    private static final ApiAccess.Ops OPS = ApiAccess.ops();
    private static final ApiAccess.Bufs BUFS = ApiAccess.bufs();
    /** Ops submitted after close whose completers keep resubmitting are given up on after this many rounds. */
    private static final int MAX_REFUSALS_PER_DRAIN = 100_000;

    private final LoopHost loop;
    private final Inbox inbox;
    private final TimerQueue timers;
    private final ArrayDeque<Runnable> tasks;
    private final int maxInFlight;
    private final OpTable table;
    private final ArrayDeque<Op<?>> backlog = new ArrayDeque<>();
    /* Sockets' Close ops whose ops have left the driver: issued before the backlog. */
    private final ArrayDeque<Op<?>> closesToIssue = new ArrayDeque<>();
    /* Sockets' Close ops waiting for the socket's ops to leave the driver. */
    private final ArrayList<Op<?>> heldCloses = new ArrayList<>();
    /* Ops submitted on the loop thread after close began: completed as cancelled, never dispatched. */
    private final ArrayDeque<Op<?>> refused = new ArrayDeque<>();
    private boolean refusing;
    private long[] heldCancels = new long[16];
    private int heldCancelCount;
    @SuppressWarnings("rawtypes")
    private final OpLifecycle[] lifecycles = new OpLifecycle[OpKind.count()];
    private final LoopRings rings;
    private final CompletionSink sink = new CompletionSink() {
        @Override
        public void complete(long userData, long result) {
            onCompletion(userData, result, 0, 0);
        }

        @Override
        public void complete(long userData, long result, int flags, int bufferId) {
            onCompletion(userData, result, flags, bufferId);
        }
    };

    private Driver driver;
    private ErrorTable errors = LinuxErrno.TABLE;
    private int badDescriptorCode;
    private boolean linkedTimeouts;
    private CapabilityGate gate;
    private BufPool pool;
    private PoolRegions regions; // the pool's registration with the driver (grows with the pool)
    private int inDriver;
    private boolean queueFull;
    private long staleCompletions;

    OpDispatch(LoopHost loop, Inbox inbox, TimerQueue timers, ArrayDeque<Runnable> tasks, int maxInFlight,
               LoopRings rings) {
        this.loop = loop;
        this.rings = rings;
        this.inbox = inbox;
        this.timers = timers;
        this.tasks = tasks;
        this.maxInFlight = maxInFlight;
        this.table = new OpTable(maxInFlight);
    }

    /** Takes the opened driver and the loop's pool regions (null without a pool). */
    void attach(Driver d, PoolRegions poolRegions) {
        this.driver = d;
        this.errors = d.errors();
        this.badDescriptorCode = badDescriptorCode(errors);
        this.linkedTimeouts = d.capabilities().contains(Capability.LINKED_TIMEOUTS);
        this.gate = new CapabilityGate(d.capabilities());
        this.regions = poolRegions;
        this.pool = poolRegions == null ? null : poolRegions.pool();
        for (OpKind k : OpKind.values()) {
            lifecycles[k.ordinal()] = Objects.requireNonNull(d.lifecycle(k), "lifecycle of " + k);
        }
    }

    /** The platform's "bad descriptor" code (EBADF, ERROR_INVALID_HANDLE), found once; 0 if it has none. */
    private static int badDescriptorCode(ErrorTable t) {
        for (int code = 1; code < 20_000; code++) {
            if (t.kind(code) == IoErrorKind.BAD_DESCRIPTOR) {
                return code;
            }
        }
        return 0;
    }

    CompletionSink sink() {
        return sink;
    }

    // ---- handing ops to the driver ----

    /** A newly submitted op, on the loop thread. {@code running} false: close has begun. */
    void admit(Op<?> op, boolean running) {
        OpPayload p = op.payload();
        if (!running && !(p instanceof Close)) {
            // Raced with close: never hand a new op to a driver that is being drained. A Close still runs:
            // it gives a descriptor back.
            completeCancelled(op);
            return;
        }
        if (p instanceof Cancel) {
            dispatch(op); // takes no driver slot: never held back by the budget or the backlog
            return;
        }
        SocketLifetime lt = OPS.lifetime(op);
        if (lt != null) {
            if (p instanceof Close) {
                if (!admitSocketClose(op, lt)) {
                    return;
                }
            } else if (lt.isClosed()) {
                complete(op, 0, closedError(op));
                return;
            }
        }
        if (!closesToIssue.isEmpty() || !backlog.isEmpty() || queueFull || inDriver >= maxInFlight) {
            backlog.add(op);
            return;
        }
        if (!dispatch(op)) {
            backlog.addFirst(op);
        }
    }

    /**
     * The Close of a socket: from now on the socket's ops are refused; those in the driver are cancelled and
     * the Close waits for them. Returns true if it can go to the driver now.
     */
    private boolean admitSocketClose(Op<?> op, SocketLifetime lt) {
        loop.forget(lt);
        if (lt.closeOp() != null) {
            complete(op, 0, closedError(op)); // closed twice: the number may be someone else's by now
            return false;
        }
        lt.markClosed(); // before counting the calls: no call enters after this
        boolean held = lt.inDriver() > 0 || lt.callsInProgress() > 0;
        lt.closeOp(op, held);
        if (!held) {
            return true;
        }
        heldCloses.add(op);
        for (int i = 0; i < lt.inDriver(); i++) {
            long token = lt.token(i);
            if (!table.hasFlag(token, OpTable.USER_CANCELLED)) { // not cancelled already (closing the runtime)
                table.setFlag(token, OpTable.USER_CANCELLED);
                requestCancel(token);
            }
        }
        return false;
    }

    /** A closed socket's last synchronous call returned: its held Close goes if no op of it is in the driver. */
    void releaseHeldClose(SocketLifetime lt) {
        if (lt.mayReleaseClose()) {
            releaseClose(lt);
        }
    }

    private void releaseClose(SocketLifetime lt) {
        lt.releaseClose();
        Op<?> close = lt.closeOp();
        heldCloses.remove(close);
        closesToIssue.add(close);
    }

    /** Hands backlog ops to the driver within the budget; sockets' released closes go first. */
    void dispatchBacklog() {
        while (!closesToIssue.isEmpty() && !queueFull && inDriver < maxInFlight) {
            Op<?> op = closesToIssue.poll();
            if (!dispatch(op)) {
                closesToIssue.addFirst(op);
                return;
            }
        }
        while (!backlog.isEmpty() && !queueFull && inDriver < maxInFlight) {
            Op<?> op = backlog.poll();
            if (!dispatch(op)) {
                backlog.addFirst(op);
                return;
            }
        }
    }

    /** Completes {@code op} at once if it needs a capability the driver does not report. */
    private boolean refusedByCapability(Op<?> op) {
        Capability missing = gate.missing(op.payload(), OPS.kind(op));
        if (missing == null) {
            return false;
        }
        complete(op, 0, CapabilityGate.refusal(loop.driverId(), missing, op.toString()));
        return true;
    }

    /** Hands one op to the driver. Returns false if the driver's queue is full (the op is kept by the caller). */
    @SuppressWarnings({"unchecked", "rawtypes"})
    private boolean dispatch(Op<?> op) {
        OpPayload p = op.payload();
        if (p instanceof Cancel c) {
            Op<?> target = c.target();
            boolean found = OPS.host(target) instanceof LoopHost other && other != loop
                    ? other.cancel(target) : cancelHere(target);
            tasks.add(() -> complete(op, found ? 1 : 0, null));
            return true;
        }
        if (refusedByCapability(op)) {
            return true;
        }
        SocketLifetime lt = OPS.lifetime(op);
        if (lt != null) {
            if (lt.closeOp() == op) {
                lt = null; // the socket's own Close: it ends the lifetime, it is not one of its ops
            } else if (lt.isClosed()) {
                complete(op, 0, closedError(op)); // closed while it waited in the backlog
                return true;
            }
        }
        OpKind kind = OPS.kind(op);
        BufRing ring = p instanceof RecvMultishot r ? r.ring() : null;
        if (ring != null && !rings.owns(ring)) {
            complete(op, 0, new VeloqIoException(IoErrorKind.INVALID_ARGUMENT, errors.cancelledCode(),
                    errors.name(errors.cancelledCode()), op.toString(), ring + (ring.isClosed() ? " is closed"
                    : " belongs to another loop") + "; a RecvMultishot takes buffers from a ring of the loop it is "
                    + "submitted to (loop.openBufRing)"));
            return true;
        }
        OpLifecycle lc = lifecycles[kind.ordinal()];
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
        FixedBuf buf = OPS.buffer(op);
        if (regions != null && buf != null) {
            regions.cover(buf); // a region the pool added since: register it first (fixed and zero-copy ops)
        }
        long token = table.add(op);
        long deadline = op.deadlineNanos();
        // A linked timeout would end a multishot op's whole stream from the kernel's side: host timers do it.
        boolean linked = linkedTimeouts && !kind.multishot();
        int rc = driver.prepare(token, p, pre, linked ? deadline : 0);
        if (rc == 1) {
            OPS.token(op, token);
            inDriver++;
            if (ring != null) {
                BUFS.ringUsers(ring, 1);
            }
            if (lt != null) {
                lt.enter(token);
                table.lifetime(token, lt);
            }
            if (deadline > 0 && !linked) {
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

    void resendHeldCancels() {
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
    boolean cancelHere(Op<?> op) {
        if (OPS.host(op) != loop || op.state() != OpState.SUBMITTED) {
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

    /** Work that should keep the loop from blocking in the driver. */
    boolean hasReadyWork() {
        return heldCancelCount > 0 || !refused.isEmpty()
                || ((!backlog.isEmpty() || !closesToIssue.isEmpty()) && inDriver < maxInFlight);
    }

    /** The driver's queue emptied with the last submitAndWait. */
    void queueDrained() {
        queueFull = false;
    }

    // ---- completions ----

    private void onCompletion(long token, long result, int flags, int bufferId) {
        Op<?> op = table.get(token);
        if (op == null) {
            staleCompletions++;
            return;
        }
        if ((flags & CompletionSink.MORE) != 0) {
            intermediate(op, token, result, flags, bufferId);
            return;
        }
        if ((flags & CompletionSink.NOTIF) != 0) {
            result = table.pendingResult(token); // the send's own result; the notification only frees the buffer
        }
        OpPayload p = op.payload();
        if (p instanceof RecvMultishot r) {
            BUFS.ringUsers(r.ring(), -1);
        }
        boolean timedOut = table.hasFlag(token, OpTable.DEADLINE_EXPIRED)
                || (linkedTimeouts && op.deadlineNanos() > 0 && !OPS.kind(op).multishot()
                && !table.hasFlag(token, OpTable.USER_CANCELLED));
        TimerQueue.Timer t = table.deadlineTimer(token);
        if (t != null) {
            timers.remove(t);
        }
        SocketLifetime lt = table.lifetime(token);
        table.remove(token);
        inDriver--;
        if (lt != null && lt.exit(token)) {
            releaseClose(lt); // the last op of a closed socket left the driver: its descriptor may be closed now
        }
        finish(op, result, timedOut);
    }

    /**
     * A completion with more to come: an item of a multishot op, handed to its stream completer at once; or
     * the result of a zero-copy send, kept until its notification ends it.
     */
    private void intermediate(Op<?> op, long token, long result, int flags, int bufferId) {
        OpPayload p = op.payload();
        if (!OPS.kind(op).multishot()) {
            table.pendingResult(token, result);
            return;
        }
        FixedBuf buf = null;
        if ((flags & CompletionSink.BUFFER) != 0) {
            if (!(p instanceof RecvMultishot r)) {
                LoopHost.report("driver " + driver.id() + " reported buffer " + bufferId + " for " + op
                        + ", which takes no provided buffer; ignored", null);
                return;
            }
            buf = BUFS.takeFromRing(r.ring(), bufferId, (int) Math.max(0, result));
        }
        if (result < 0) {
            if (buf != null) {
                buf.release();
            }
            LoopHost.report("driver " + driver.id() + " reported an intermediate error " + result + " for " + op
                    + "; errors end a stream with its final completion. Ignored", null);
            return;
        }
        try {
            OPS.item(op, result, buf);
        } catch (Throwable t) {
            loop.uncaught(op, t);
        }
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private void finish(Op<?> op, long result, boolean timedOut) {
        OpPayload p = op.payload();
        OpLifecycle lc = lifecycles[OPS.kind(op).ordinal()];
        long pre = OPS.preAllocated(op);
        if (result >= 0) {
            long value;
            try {
                value = lc.intoOutput(p, pre, result);
            } catch (VeloqIoException e) {
                if (pre != OpLifecycle.NONE) {
                    lc.discard(p, pre);
                }
                complete(op, 0, e, true);
                return;
            }
            complete(op, value, null, true);
            return;
        }
        if (pre != OpLifecycle.NONE) {
            lc.discard(p, pre);
        }
        int code = (int) -result;
        if (timedOut && code == errors.cancelledCode()) {
            code = errors.timedOutCode();
        }
        complete(op, 0, failure(code, op), true);
    }

    /** The exception for a failed op, with a hint when the failure is a known misuse the driver cannot name. */
    /** The exception for an op the driver refused in prepare, with the driver's reason when it gives one. */
    private VeloqIoException refused(int code, Op<?> op) {
        String why = driver.explainRefusal(op.payload(), code);
        if (why == null) {
            return failure(code, op);
        }
        return new VeloqIoException(errors.kind(code), code, errors.name(code), op.toString(),
                errors.describe(code) + " (" + why + ")");
    }

    private VeloqIoException failure(int code, Op<?> op) {
        String hint = misuseHint(op);
        if (hint == null) {
            return errors.exception(code, op.toString());
        }
        return new VeloqIoException(errors.kind(code), code, errors.name(code), op.toString(),
                errors.describe(code) + " (" + hint + ")");
    }

    private String misuseHint(Op<?> op) {
        OpKind k = OPS.kind(op);
        if (k == OpKind.READ_FIXED || k == OpKind.WRITE_FIXED) {
            FixedBuf b = op.payload().buffer();
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

    /** The error of an op whose socket was closed before the op reached the driver. */
    private VeloqIoException closedError(Op<?> op) {
        int code = badDescriptorCode > 0 ? badDescriptorCode : errors.cancelledCode();
        return new VeloqIoException(IoErrorKind.BAD_DESCRIPTOR, code, errors.name(code), op.toString(),
                "its socket was closed before the op reached the driver, so it never ran (the descriptor number "
                        + "may already belong to another socket)");
    }

    /** Completes an op that never reached the driver (or was taken back) as cancelled, freeing its pre-allocation. */
    @SuppressWarnings({"unchecked", "rawtypes"})
    void abandon(Op<?> op) {
        long pre = OPS.preAllocated(op);
        if (pre != OpLifecycle.NONE) {
            OpLifecycle lc = lifecycles[OPS.kind(op).ordinal()];
            lc.discard(op.payload(), pre);
        }
        completeCancelled(op);
    }

    void completeCancelled(Op<?> op) {
        complete(op, 0, errors.exception(errors.cancelledCode(), op.toString()));
    }

    /** Completes {@code op}: counts it out, hands its payload back and runs its completer. */
    void complete(Op<?> op, long value, VeloqIoException error) {
        complete(op, value, error, loop.inLoop());
    }

    /** {@link #complete}, knowing whether this is the loop thread (a driver's completion always is). */
    private void complete(Op<?> op, long value, VeloqIoException error, boolean onLoop) {
        Object aux = OPS.aux(op);
        inbox.completed(onLoop);
        try {
            OPS.complete(op, value, error);
        } catch (Throwable t) {
            loop.uncaught(op, t);
        }
        if (aux instanceof CompletableFuture<?> f) {
            @SuppressWarnings("unchecked")
            CompletableFuture<Completion<?>> cf = (CompletableFuture<Completion<?>>) f;
            cf.complete(op.completion());
        }
    }

    // ---- close ----

    /**
     * An op submitted on the loop thread after close began (a completer resubmitting its op): it completes
     * as cancelled through its completer, from {@link #completeRefused()}, never in the driver.
     */
    void refuse(Op<?> op) {
        refused.add(op);
    }

    /** Completes the refused ops; their completers may refuse more, which this also completes (bounded). */
    void completeRefused() {
        if (refusing) {
            return; // a completer of a refused op resubmitted: the loop below picks it up, no recursion
        }
        refusing = true;
        try {
            int budget = MAX_REFUSALS_PER_DRAIN;
            Op<?> op;
            while ((op = refused.poll()) != null) {
                if (budget-- == 0) {
                    LoopHost.report("closing " + loop + ": completers resubmitted their ops " + MAX_REFUSALS_PER_DRAIN
                            + " times after close; " + (refused.size() + 1) + " ops are left without completion (a "
                            + "completer should not resubmit an op that failed with CANCELLED)", null);
                    refused.clear();
                    return;
                }
                completeCancelled(op);
            }
        } finally {
            refusing = false;
        }
    }

    /** Requests cancellation of every op in the driver. */
    void cancelAll() {
        table.forEachToken(token -> {
            table.setFlag(token, OpTable.USER_CANCELLED);
            requestCancel(token);
        });
    }

    /** Completes backlog ops as cancelled, except Close ops: they give descriptors back, so they still run. */
    void abandonBacklogExceptCloses() {
        for (int n = backlog.size(); n > 0; n--) {
            Op<?> op = backlog.poll();
            if (op.payload() instanceof Close) {
                backlog.add(op);
            } else {
                abandon(op);
            }
        }
    }

    /** Ops not yet completed: in the driver, queued, held, or refused. */
    boolean hasUnfinishedOps() {
        return table.size() > 0 || !backlog.isEmpty() || !closesToIssue.isEmpty() || !heldCloses.isEmpty()
                || !refused.isEmpty();
    }

    int inDriverCount() {
        return table.size();
    }

    /** Completes, as cancelled, every op that is not in the driver; after a failed or timed-out close. */
    void abandonQueued() {
        while (!backlog.isEmpty()) {
            abandon(backlog.poll());
        }
        while (!closesToIssue.isEmpty()) {
            abandon(closesToIssue.poll());
        }
        while (!heldCloses.isEmpty()) {
            abandon(heldCloses.remove(heldCloses.size() - 1));
        }
        completeRefused();
    }

    /** Takes every op out of the driver's table and completes it as cancelled; the loop failed. */
    void abandonInDriver() {
        table.forEachToken(token -> {
            Op<?> op = table.get(token);
            table.remove(token);
            abandon(op); // also frees what its lifecycle pre-allocated (an AcceptEx socket)
        });
    }

    /** Completions whose slot generation no longer matched. */
    long staleCompletions() {
        return staleCompletions;
    }
}
