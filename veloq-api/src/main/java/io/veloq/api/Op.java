package io.veloq.api;

import io.veloq.api.bootstrap.ApiAccess;
import io.veloq.api.bootstrap.Delays;
import io.veloq.api.bootstrap.SocketLifetime;
import io.veloq.api.buffer.BufVec;
import io.veloq.api.buffer.FixedBuf;
import io.veloq.api.op.OpKind;
import io.veloq.api.op.OpPayload;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One asynchronous operation: a payload (what to do), a completer (what to call when done) and its
 * state, {@code DEFINED -> SUBMITTED -> COMPLETED}.
 *
 * <p>Submitting moves ownership of the payload's resources (buffer, address storage) to the driver: the
 * kernel may write into them until completion, so the buffer refuses every access meanwhile with an
 * {@link IllegalStateException} naming this op. Completion gives them back, on success and on failure
 * alike. Submitting an op twice, or again after completion without {@link #reset()}, is an
 * {@link IllegalStateException}.
 *
 * <pre>{@code
 * Op<Send> send = Op.of(new Send(fd, buf), op -> {
 *     if (!op.isSuccess()) log(op.error());   // buf is ours again either way
 *     buf.clear();
 * });
 * loop.submit(send);
 * // later, after completion, reuse without allocating:
 * send.reset();
 * loop.submit(send);
 * }</pre>
 *
 * @param <P> the payload type
 * @since 0.1
 */
public final class Op<P extends OpPayload> {
    // Ids are for messages only: taken on first use, so creating an op touches no state shared by loops.
    private static final AtomicLong IDS = new AtomicLong();
    private static final VarHandle STATE;
    private static final VarHandle ID;

    static {
        try {
            STATE = MethodHandles.lookup().findVarHandle(Op.class, "state", OpState.class);
            ID = MethodHandles.lookup().findVarHandle(Op.class, "id", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
        ApiAccess.installOps(new OpBridge());
    }

    private long id;
    private final P payload;
    // Cached from the immutable payload: the host needs them several times per op, and the payload's methods
    // are calls through a sealed interface of twenty records (megamorphic in a real server).
    private final OpKind kind;
    private final FixedBuf buf;
    private final SocketLifetime lifetime;
    private final Completer<P> completer;
    private final StreamCompleter<P> stream;
    /*
     * Written with release stores by the thread that moves it (the loop thread on the completer path), read with
     * volatile/acquire loads anywhere: a future's or a blocking caller's thread sees result and error published
     * by the COMPLETED store. Only a submit from another thread needs a CAS (two threads racing to submit).
     */
    private volatile OpState state = OpState.DEFINED;
    private long deadlineNanos;
    private Object attachment;

    // Written by the loop thread before the state becomes COMPLETED (volatile publish).
    private long result;
    private VeloqIoException error;

    // Host bookkeeping, reached only through ApiAccess.
    private long token = -1;
    private long preAllocated = -1;
    private Object host;
    private Object aux;
    // Bytes this send counts in its socket's write queue while in flight (0: none).
    private long queuedBytes;

    private Op(P payload, Completer<P> completer) {
        this.payload = Objects.requireNonNull(payload, "payload must not be null");
        this.kind = payload.kind();
        this.buf = payload.buffer();
        IoFd fd = payload.fd();
        this.lifetime = fd instanceof IoFd.Raw r ? ApiAccess.fds().owner(r) : null;
        this.completer = completer;
        this.stream = completer instanceof StreamCompleter<P> s ? s : null;
    }

    /**
     * Creates an op whose completion is delivered to {@code completer} on the loop thread. A multishot payload
     * ({@link io.veloq.api.op.OpKind#multishot()}) needs a {@link StreamCompleter}, which also receives its items.
     *
     * @throws IllegalArgumentException for a multishot payload with a plain completer
     */
    public static <P extends OpPayload> Op<P> of(P payload, Completer<P> completer) {
        Objects.requireNonNull(completer, "completer must not be null");
        if (payload != null && payload.kind().multishot() && !(completer instanceof StreamCompleter)) {
            throw new IllegalArgumentException(payload.describe() + " is multishot: it needs a StreamCompleter "
                    + "(items, then the final completion), e.g. StreamCompleter.of((op, value, buf) -> ..., op -> ...)");
        }
        return new Op<>(payload, completer);
    }

    /** Creates an op without a completer, for the future and blocking styles of {@link EventLoop}. */
    public static <P extends OpPayload> Op<P> of(P payload) {
        return new Op<>(payload, null);
    }

    /** A process-unique id, used in messages (taken the first time it is asked for). */
    public long id() {
        long i = id;
        if (i == 0) {
            long mine = IDS.incrementAndGet();
            ID.compareAndSet(this, 0L, mine);
            i = (long) ID.getVolatile(this);
        }
        return i;
    }

    public P payload() {
        return payload;
    }

    public OpState state() {
        return state;
    }

    /**
     * Sets a deadline relative to submission: if the op has not completed by then it is cancelled and
     * completes with a {@link IoErrorKind#TIMED_OUT} error. {@code null} or zero removes it. Only while
     * {@link OpState#DEFINED}. A deadline longer than about 146 years (2^62 ns, {@code Duration.ofSeconds(
     * Long.MAX_VALUE)} for instance) is taken as that: in practice, never.
     *
     * @throws IllegalArgumentException if {@code timeout} is negative
     */
    public Op<P> deadline(Duration timeout) {
        requireDefined("set a deadline on");
        if (timeout != null && timeout.isNegative()) {
            throw new IllegalArgumentException("deadline must not be negative, got " + timeout + " for " + this);
        }
        this.deadlineNanos = timeout == null ? 0 : Delays.saturatedNanos(timeout);
        return this;
    }

    /** The deadline in nanoseconds, 0 when none. */
    public long deadlineNanos() {
        return deadlineNanos;
    }

    /** An application object carried with the op (a connection, say); never touched by Veloq. */
    public Object attachment() {
        return attachment;
    }

    public Op<P> attach(Object attachment) {
        this.attachment = attachment;
        return this;
    }

    /**
     * The result value once {@link OpState#COMPLETED} and successful: bytes transferred for I/O, the new
     * handle for {@code Accept}/{@code Open}/{@code Socket}, 0 otherwise.
     *
     * @throws IllegalStateException if not completed
     */
    public long result() {
        requireCompleted("read the result of");
        return result;
    }

    /** The error once completed, or {@code null} on success. */
    public VeloqIoException error() {
        requireCompleted("read the error of");
        return error;
    }

    /** True once completed without error. */
    public boolean isSuccess() {
        return state == OpState.COMPLETED && error == null;
    }

    /** The outcome as a value: payload, result and error. Allocates; the completer path does not need it. */
    public Completion<P> completion() {
        requireCompleted("read the completion of");
        return new Completion<>(payload, result, error);
    }

    /**
     * Moves a completed op back to {@link OpState#DEFINED} so that it can be submitted again without
     * allocating. The deadline and attachment are kept.
     *
     * @throws IllegalStateException unless completed
     */
    public Op<P> reset() {
        OpState s = (OpState) STATE.getAcquire(this);
        if (s != OpState.COMPLETED) {
            throw new IllegalStateException("cannot reset " + this + ": it is " + s + ", not COMPLETED");
        }
        result = 0;
        error = null;
        aux = null;
        // Only its completer's thread (or whoever holds the completed op) resets it: no CAS needed.
        STATE.setRelease(this, OpState.DEFINED);
        return this;
    }

    @Override
    public String toString() {
        return payload.describe() + " (op #" + id() + ")";
    }

    private void requireDefined(String what) {
        if (state != OpState.DEFINED) {
            throw new IllegalStateException("cannot " + what + " " + this + ": it is " + state);
        }
    }

    private void requireCompleted(String what) {
        if (state != OpState.COMPLETED) {
            throw new IllegalStateException("cannot " + what + " " + this + ": it is " + state + ", not COMPLETED");
        }
    }

    /**
     * DEFINED -> SUBMITTED, taking the buffer. {@code onLoop}: the submitting thread is the loop thread, whose
     * own completers resubmit: a plain check and a release store; from another thread a CAS, since two threads
     * may race to submit one op.
     */
    private boolean markSubmitted(Object host, boolean onLoop) {
        if (onLoop) {
            if (STATE.getAcquire(this) != OpState.DEFINED) {
                return false;
            }
            STATE.setRelease(this, OpState.SUBMITTED);
        } else if (!STATE.compareAndSet(this, OpState.DEFINED, OpState.SUBMITTED)) {
            return false;
        }
        this.host = host;
        FixedBuf buf = this.buf;
        BufVec vec = buf == null && kind.bufferUse() == OpKind.BufferUse.VECTOR ? payload.buffers() : null;
        if (buf != null || vec != null) {
            try {
                if (buf != null) {
                    ApiAccess.bufs().acquire(buf, this, onLoop);
                } else {
                    ApiAccess.bufs().acquire(vec, this);
                }
            } catch (RuntimeException e) {
                this.host = null;
                STATE.setRelease(this, OpState.DEFINED);
                throw e;
            }
            SocketLifetime.SendWatch w = sendWatch();
            if (w != null) {
                long n = buf != null ? readable(buf) : 0;
                for (int i = 0; vec != null && i < vec.size(); i++) {
                    n += readable(vec.get(i));
                }
                queuedBytes = n;
                w.queued(n);
            }
        }
        return true;
    }

    private static long readable(FixedBuf b) {
        return ApiAccess.bufs().writerIndex(b) - ApiAccess.bufs().readerIndex(b);
    }

    /** The write-queue watch of the socket a send names, or null (not a send, or a user's own handle). */
    private SocketLifetime.SendWatch sendWatch() {
        OpKind k = payload.kind();
        if (k != OpKind.SEND && k != OpKind.SEND_TO && k != OpKind.SEND_MSG) {
            return null;
        }
        SocketLifetime lt = payload.fd() instanceof IoFd.Raw r ? ApiAccess.fds().owner(r) : null;
        return lt == null ? null : lt.sendWatch();
    }

    private void complete(long value, VeloqIoException failure) {
        FixedBuf buf = this.buf;
        if (buf != null) {
            ApiAccess.bufs().release(buf, this, failure == null ? value : 0);
        } else if (kind.bufferUse() == OpKind.BufferUse.VECTOR) {
            BufVec vec = payload.buffers();
            if (vec != null) {
                ApiAccess.bufs().release(vec, this, failure == null ? value : 0);
            }
        }
        this.result = failure == null ? value : 0;
        this.error = failure;
        this.token = -1;
        this.preAllocated = -1;
        this.host = null;
        SocketLifetime.SendWatch watch = null;
        if (queuedBytes != 0) {
            watch = sendWatch();
            watch.done(queuedBytes);
            queuedBytes = 0;
        }
        STATE.setRelease(this, OpState.COMPLETED); // publishes result and error to acquiring readers
        if (completer != null) {
            try {
                completer.onComplete(this);
            } finally {
                if (watch != null) {
                    watch.settle();
                }
            }
        } else if (watch != null) {
            watch.settle();
        }
    }

    private void item(long value, FixedBuf buf) {
        stream.onItem(this, value, buf);
    }

    private static final class OpBridge implements ApiAccess.Ops {
        @Override
        public boolean markSubmitted(Op<?> op, Object host) {
            return op.markSubmitted(host, false);
        }

        @Override
        public boolean markSubmittedOnLoop(Op<?> op, Object host) {
            return op.markSubmitted(host, true);
        }

        @Override
        public OpKind kind(Op<?> op) {
            return op.kind;
        }

        @Override
        public FixedBuf buffer(Op<?> op) {
            return op.buf;
        }

        @Override
        public SocketLifetime lifetime(Op<?> op) {
            return op.lifetime;
        }

        @Override
        public void item(Op<?> op, long value, FixedBuf buf) {
            op.item(value, buf);
        }

        @Override
        public boolean hasStreamCompleter(Op<?> op) {
            return op.stream != null;
        }

        @Override
        public void complete(Op<?> op, long value, VeloqIoException error) {
            op.complete(value, error);
        }

        @Override
        public boolean hasCompleter(Op<?> op) {
            return op.completer != null;
        }

        @Override
        public long token(Op<?> op) {
            return op.token;
        }

        @Override
        public void token(Op<?> op, long token) {
            op.token = token;
        }

        @Override
        public long preAllocated(Op<?> op) {
            return op.preAllocated;
        }

        @Override
        public void preAllocated(Op<?> op, long handle) {
            op.preAllocated = handle;
        }

        @Override
        public Object host(Op<?> op) {
            return op.host;
        }

        @Override
        public Object aux(Op<?> op) {
            return op.aux;
        }

        @Override
        public void aux(Op<?> op, Object value) {
            op.aux = value;
        }
    }
}
