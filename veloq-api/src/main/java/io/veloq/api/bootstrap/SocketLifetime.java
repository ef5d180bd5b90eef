package io.veloq.api.bootstrap;

import io.veloq.api.Op;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Arrays;

/**
 * The lifetime of one socket of the networking API, carried by the socket's {@link io.veloq.api.IoFd.Raw}
 * (so every op naming that handle, however it was built, finds it). It is what keeps an op from reaching
 * the driver with a descriptor number that already belongs to another socket:
 *
 * <ul>
 *   <li>the socket's {@code close} marks it {@linkplain #markClosed() closed} (any thread), then submits
 *       the {@code Close} op;</li>
 *   <li>the host, on the loop thread, refuses every later op of the socket with a closed-channel error,
 *       and counts the socket's ops that are in the driver ({@link #enter}/{@link #exit});</li>
 *   <li>the socket's synchronous calls ({@code setOption}, {@code getOption}, {@code bind}, {@code listen},
 *       {@code localAddress}, {@code remoteAddress}), which run on the caller's thread, are counted while
 *       they run ({@link #enterCall}/{@link #exitCall}): a call that finds the socket closed fails, one that
 *       got in first completes against this socket;</li>
 *   <li>the host holds the {@code Close} back while any op of the socket is in the driver (it cancels
 *       them) or any synchronous call is in progress, so the number is released by {@code close(2)} only
 *       once nothing naming it can still reach the kernel.</li>
 * </ul>
 *
 * <p>Threading: the closed flag and the count of calls in progress are one atomic word (any thread); the
 * bound loop is written once from any thread; everything else is the bound loop's, plain fields on its
 * thread. Allocation-free after construction, unless a socket has more than four ops in the driver at once.
 */
public final class SocketLifetime {
    private static final VarHandle HOST;
    private static final VarHandle CALLS;
    /** The closed flag: the sign bit of the calls word; the other bits count the calls in progress. */
    private static final int CLOSED = Integer.MIN_VALUE;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            HOST = l.findVarHandle(SocketLifetime.class, "host", Object.class);
            CALLS = l.findVarHandle(SocketLifetime.class, "calls", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private volatile int calls; // CLOSED | synchronous calls in progress
    private volatile Object host;
    private volatile SendWatch sendWatch;

    // The bound loop's thread only.
    private long[] tokens = new long[4];
    private int inDriver;
    private Op<?> closeOp;
    private boolean closeHeld;

    /**
     * What counts the bytes a socket's sends hold while in flight (its write queue): {@link io.veloq.api.Op}
     * reports a {@code Send}/{@code SendTo}/{@code SendMsg} naming the socket when it is submitted and when it completes.
     */
    public interface SendWatch {
        /** A send holding {@code bytes} was submitted (any thread). */
        void queued(long bytes);

        /** A send that held {@code bytes} completed, before its completer runs (loop thread). */
        void done(long bytes);

        /** After that completer returned (it may have sent again): report a writability change (loop thread). */
        void settle();
    }

    /** The socket's write-queue watch, or null. */
    public SendWatch sendWatch() {
        return sendWatch;
    }

    /** Installs the socket's write-queue watch (once, when the socket is made). */
    public void sendWatch(SendWatch watch) {
        this.sendWatch = watch;
    }

    /** Marks the socket closed: from now on no op of it reaches the driver. Any thread; idempotent. */
    public void markClosed() {
        CALLS.getAndBitwiseOr(this, CLOSED);
    }

    /** True once {@link #markClosed()} has run. */
    public boolean isClosed() {
        return calls < 0;
    }

    /**
     * A synchronous call on the socket begins (any thread). False if the socket is closed: the call must not
     * reach the driver. True: the descriptor stays this socket's until the matching {@link #exitCall()}.
     */
    public boolean enterCall() {
        int c;
        do {
            c = calls;
            if (c < 0) {
                return false;
            }
        } while (!CALLS.weakCompareAndSet(this, c, c + 1));
        return true;
    }

    /**
     * The synchronous call that {@link #enterCall()} admitted has returned. True if the socket is closed and
     * that was the last call in progress: its held {@code Close} may now proceed (tell the bound loop).
     */
    public boolean exitCall() {
        return (int) CALLS.getAndAdd(this, -1) - 1 == CLOSED;
    }

    /** Synchronous calls in progress now. */
    public int callsInProgress() {
        return calls & ~CLOSED;
    }

    /**
     * Binds the socket to the loop its ops run on, on first use; true if {@code loop} is that loop. Any
     * thread: the first loop to ask wins.
     */
    public boolean bindTo(Object loop) {
        Object h = host;
        return h == loop || (h == null && (HOST.compareAndSet(this, null, loop) || host == loop));
    }

    /** The loop the socket is bound to, or null before its first op. */
    public Object boundLoop() {
        return host;
    }

    /** An op of the socket entered the driver under {@code token}. */
    public void enter(long token) {
        if (inDriver == tokens.length) {
            tokens = Arrays.copyOf(tokens, inDriver * 2);
        }
        tokens[inDriver++] = token;
    }

    /**
     * The op under {@code token} left the driver; true if a close is held back and may proceed now (no op
     * in the driver, no synchronous call in progress).
     */
    public boolean exit(long token) {
        for (int i = 0; i < inDriver; i++) {
            if (tokens[i] == token) {
                tokens[i] = tokens[--inDriver];
                break;
            }
        }
        return mayReleaseClose();
    }

    /** True if a close is held back and nothing uses the descriptor any more: no op in the driver, no call. */
    public boolean mayReleaseClose() {
        return closeHeld && inDriver == 0 && callsInProgress() == 0;
    }

    /** Ops of the socket in the driver now. */
    public int inDriver() {
        return inDriver;
    }

    /** The token of the {@code i}-th op in the driver ({@code i < inDriver()}). */
    public long token(int i) {
        return tokens[i];
    }

    /** The {@code Close} op that closes the socket's descriptor, once one has been admitted. */
    public Op<?> closeOp() {
        return closeOp;
    }

    /** Records the one {@code Close} op of the socket; {@code held} while its ops or calls still use the descriptor. */
    public void closeOp(Op<?> op, boolean held) {
        this.closeOp = op;
        this.closeHeld = held;
    }

    /** The held {@code Close} is being issued. */
    public void releaseClose() {
        closeHeld = false;
    }

    /** True while the {@code Close} waits for the socket's ops to leave the driver and its calls to return. */
    public boolean closeHeld() {
        return closeHeld;
    }
}
