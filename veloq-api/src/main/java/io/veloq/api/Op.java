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
    private static final AtomicLong IDS = new AtomicLong();
    private static final VarHandle STATE;

    static {
        try {
            STATE = MethodHandles.lookup().findVarHandle(Op.class, "state", OpState.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
        ApiAccess.installOps(new OpBridge());
    }

    private final long id = IDS.incrementAndGet();
    private final P payload;
    private final Completer<P> completer;
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
        this.completer = completer;
    }

    /** Creates an op whose completion is delivered to {@code completer} on the loop thread. */
    public static <P extends OpPayload> Op<P> of(P payload, Completer<P> completer) {
        return new Op<>(payload, Objects.requireNonNull(completer, "completer must not be null"));
    }

    /** Creates an op without a completer, for the future and blocking styles of {@link EventLoop}. */
    public static <P extends OpPayload> Op<P> of(P payload) {
        return new Op<>(payload, null);
    }

    /** A process-unique id, used in messages. */
    public long id() {
        return id;
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
        if (!STATE.compareAndSet(this, OpState.COMPLETED, OpState.DEFINED)) {
            throw new IllegalStateException("cannot reset " + this + ": it is " + state + ", not COMPLETED");
        }
        result = 0;
        error = null;
        aux = null;
        return this;
    }

    @Override
    public String toString() {
        return payload.describe() + " (op #" + id + ")";
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

    private boolean markSubmitted(Object host) {
        if (!STATE.compareAndSet(this, OpState.DEFINED, OpState.SUBMITTED)) {
            return false;
        }
        this.host = host;
        FixedBuf buf = payload.buffer();
        BufVec vec = buf == null ? payload.buffers() : null;
        if (buf != null || vec != null) {
            try {
                if (buf != null) {
                    ApiAccess.bufs().acquire(buf, this);
                } else {
                    ApiAccess.bufs().acquire(vec, this);
                }
            } catch (RuntimeException e) {
                this.host = null;
                state = OpState.DEFINED;
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
        FixedBuf buf = payload.buffer();
        if (buf != null) {
            ApiAccess.bufs().release(buf, this, failure == null ? value : 0);
        } else {
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
        state = OpState.COMPLETED; // volatile write publishes result and error
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

    private static final class OpBridge implements ApiAccess.Ops {
        @Override
        public boolean markSubmitted(Op<?> op, Object host) {
            return op.markSubmitted(host);
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
