package io.veloq.api;

import io.veloq.api.buffer.BufPool;
import io.veloq.api.buffer.BufRing;
import io.veloq.api.net.AddressLayout;
import io.veloq.api.op.OpPayload;

import java.io.IOException;
import java.net.SocketAddress;
import java.net.SocketOption;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

/**
 * One event loop: one thread that owns one driver instance (one io_uring, one completion port). Ops
 * submitted to a loop run and complete on its thread; any thread may submit, and ops from other threads
 * reach the loop through a queue and a driver wake-up.
 *
 * <p>Three ways to run an op, all over the same core:
 * <pre>{@code
 * loop.submit(Op.of(new Recv(fd, buf), op -> onRecv(op)));              // completer: loop thread, no allocation
 * CompletableFuture<Completion<Recv>> f = loop.submitAsync(new Recv(fd, buf));  // future
 * Completion<Recv> c = loop.call(new Recv(fd, buf));                     // blocking (virtual-thread friendly)
 * }</pre>
 *
 * <p>Errors: a payload the driver refuses completes the op with a {@link VeloqIoException}; misuse
 * (submitting twice, a buffer owned by another op) throws {@link IllegalStateException} at once, naming the
 * op.
 *
 * <h2>Submitting while the runtime closes</h2>
 * {@link IoRuntime#close()} completes every op in flight with a {@link IoErrorKind#CANCELLED} error, which
 * runs the completers, and those typically resubmit ({@link #resubmit(Op) loop.resubmit(op)}). So a submit <em>on
 * the loop thread</em> after close has begun does not throw: the op completes, through its completer (or
 * future), with a {@code CANCELLED} error and its payload handed back, and never reaches the driver. A
 * completer that checks {@code op.isSuccess()} before resubmitting, as every example does, simply stops
 * there. A submit from <em>another</em> thread after close has begun throws {@link IllegalStateException}
 * and leaves the op {@link OpState#DEFINED}, its buffer still the caller's: that thread is not inside the
 * shutdown, it can handle an exception on the spot, and nothing is lost. (A submit that races with the
 * start of close may still be accepted; it then completes as cancelled, like the ops in flight.) One
 * exception: a {@code Close} from another thread while close is draining is accepted and still runs, as
 * it gives a descriptor back. {@link #isClosed()} tells a caller which case it is in.
 *
 * @since 0.1
 */
public interface EventLoop extends Executor {

    /** This loop's index in its runtime. */
    int index();

    /** The id of the driver this loop runs. */
    String driverId();

    /** The driver's capabilities. */
    Set<Capability> capabilities();

    /** The native address layout of this loop's driver (for {@code SockAddrStorage}). */
    AddressLayout addressLayout();

    /**
     * Submits an op created with a completer. Callable from any thread; the completer runs on this loop's
     * thread.
     *
     * @throws IllegalStateException if the op is not {@link OpState#DEFINED}, has no completer, or the loop is
     *         closed and the caller is not the loop thread (see "Submitting while the runtime closes")
     * @throws java.util.concurrent.RejectedExecutionException from another thread, under
     *         {@link BackpressurePolicy#QUEUE}, when the loop already holds its in-flight budget plus
     *         {@link IoRuntime.Builder#maxQueued} ops; the op is not submitted
     */
    <P extends OpPayload> void submit(Op<P> op);

    /**
     * Submits a completed op again: {@link Op#reset()} then {@link #submit(Op)}, in one call, allocating nothing.
     * This is the resubmit pattern of a server's completer:
     *
     * <pre>{@code
     * Op<Recv> recv = Op.of(new Recv(fd, buf), op -> {
     *     if (!op.isSuccess()) { buf.release(); return; }   // failed, cancelled, or the runtime is closing
     *     handle(buf); buf.clear();
     *     loop.resubmit(op);                                // same op, same buffer
     * });
     * }</pre>
     *
     * It behaves as {@code submit} does, from any thread: on the loop thread after close has begun, the op
     * completes through its completer as {@link IoErrorKind#CANCELLED} (so the completer above stops at its
     * {@code isSuccess()} check); from another thread after close it throws and the op stays
     * {@link OpState#DEFINED}. An op that is still {@link OpState#DEFINED} (never submitted, or reset already) is
     * simply submitted.
     *
     * @throws IllegalStateException if the op is {@link OpState#SUBMITTED} (in flight: it cannot be resubmitted
     *         before it completes), has no completer, or as {@link #submit(Op)} throws
     * @since 0.2
     */
    default <P extends OpPayload> void resubmit(Op<P> op) {
        if (op.state() == OpState.COMPLETED) {
            op.reset();
        } else if (op.state() != OpState.DEFINED) {
            throw new IllegalStateException("cannot resubmit " + op + ": it is still in flight (" + op.state()
                    + "); resubmit it from its completer, once it has completed");
        }
        submit(op);
    }

    /** Submits {@code payload} and returns a future of its completion (never completed exceptionally for I/O errors). */
    <P extends OpPayload> CompletableFuture<Completion<P>> submitAsync(P payload);

    /** Submits an op created without a completer (to set a deadline, say) and returns a future of its completion. */
    <P extends OpPayload> CompletableFuture<Completion<P>> submitAsync(Op<P> op);

    /**
     * Submits and waits. If the waiting thread is interrupted the op is cancelled, the call still waits for
     * its completion (so the payload comes back) and returns it with the interrupt flag set again. Not
     * callable on the loop's own thread (it would wait for itself), except in a manual runtime, where it
     * drives the loop until the op completes.
     */
    <P extends OpPayload> Completion<P> call(P payload);

    /** {@link #call(OpPayload)} for an op created without a completer. */
    <P extends OpPayload> Completion<P> call(Op<P> op);

    /**
     * Requests cancellation of {@code op} from any thread. Returns true if the op was in flight on this loop
     * (it will complete, with a {@link IoErrorKind#CANCELLED} error unless its result won the race), false if
     * it was not. A cancel is never dropped or delayed by the in-flight budget.
     */
    boolean cancel(Op<?> op);

    /**
     * Runs {@code task} on the loop thread. Tasks from other threads are bounded like their ops: a loop holds
     * at most {@code maxInFlight + maxQueued} of them not yet run ({@link IoRuntime.Builder#maxQueued}); past
     * that, under {@link BackpressurePolicy#QUEUE} this throws
     * {@link java.util.concurrent.RejectedExecutionException} (naming the loop and the limit, the task not
     * accepted), under {@link BackpressurePolicy#WAIT} it waits for room. The loop thread is never refused.
     *
     * @throws IllegalStateException if the runtime is closed
     */
    @Override
    void execute(Runnable task);

    /**
     * Runs {@code task} on the loop thread after {@code delay} (the driver's clock). A delay longer than
     * about 146 years (2^62 ns) is taken as that: it never comes in practice. From another thread the task
     * counts toward the same bound as {@link #execute} until it runs or is cancelled.
     *
     * @throws IllegalArgumentException if {@code delay} is negative
     */
    Scheduled schedule(Runnable task, Duration delay);

    /**
     * True once the runtime's close has begun. From then on a submit from another thread throws, and a
     * submit on the loop thread completes the op as cancelled (see "Submitting while the runtime closes").
     *
     * @since 0.2
     */
    boolean isClosed();

    /**
     * The loop's clock in nanoseconds, the one its timers, {@code Timeout} ops and deadlines use: the driver's
     * ({@link System#nanoTime()} on the kernel drivers, virtual time on the fake driver's simulation). Compute
     * a deadline that spans several ops with it; only differences between two readings mean something. Any thread.
     *
     * <pre>{@code
     * long end = loop.nanoTime() + timeout.toNanos();
     * while (...) { Duration left = Duration.ofNanos(end - loop.nanoTime()); ... }
     * }</pre>
     *
     * @since 0.2
     */
    default long nanoTime() {
        return System.nanoTime();
    }

    /** True when called on this loop's thread (or, in a manual runtime, the thread driving it). */
    boolean inLoop();

    /** Ops submitted and not yet completed (in the driver or the backlog). */
    int inFlight();

    /**
     * The loop's registered pool, or null if the runtime was configured without one. Its buffers may be
     * used with {@code ReadFixed}/{@code WriteFixed}.
     */
    BufPool bufPool();

    /**
     * Opens a ring of {@code buffers} buffers leased from this loop's pool, handed to the driver for
     * multishot receives ({@link io.veloq.api.op.RecvMultishot}). Close it once its receives have ended.
     *
     * <pre>{@code BufRing ring = loop.openBufRing(128);}</pre>
     *
     * @param buffers a power of two, at most 32768
     * @throws UnsupportedOperationException if the driver lacks {@link Capability#MULTISHOT}
     * @throws IllegalArgumentException if {@code buffers} is not a power of two in range
     * @throws IllegalStateException if the pool cannot lend that many buffers, or the loop has no pool
     * @since 0.3
     */
    default BufRing openBufRing(int buffers) {
        throw new UnsupportedOperationException(this + " has no provided-buffer rings");
    }

    /**
     * Registers a file with the driver; ops may then name it by the returned {@link IoFd.Fixed}.
     *
     * @throws UnsupportedOperationException if the driver lacks {@link Capability#FIXED_FILES}
     * @throws IllegalStateException if the registered-file table is full
     */
    IoFd.Fixed registerFile(IoFd.Raw fd) throws IOException;

    /** Removes a registered file from the table (the raw descriptor stays open). */
    void unregisterFile(IoFd.Fixed fd) throws IOException;

    /*
     * The synchronous socket calls below run on the calling thread. On the handle of a networking-API socket
     * (NetSocket.fd()) they are bound to that socket's lifetime: once it is closed they throw
     * ClosedChannelException, and its close waits for those in progress (see NetSocket).
     */

    /**
     * Binds a socket ({@code bind(2)}); synchronous, any thread.
     *
     * @throws java.nio.channels.ClosedChannelException if {@code fd} is the handle of a closed net socket (the
     *         same holds for every synchronous socket call below)
     */
    void bind(IoFd fd, SocketAddress local) throws IOException;

    /** Marks a bound stream socket as listening; synchronous, any thread. */
    void listen(IoFd fd, int backlog) throws IOException;

    /** The socket's local address ({@code getsockname}). */
    SocketAddress localAddress(IoFd fd) throws IOException;

    /** The socket's peer address ({@code getpeername}). */
    SocketAddress remoteAddress(IoFd fd) throws IOException;

    /**
     * Sets a socket option: a {@link java.net.StandardSocketOptions} key or one of Veloq's own
     * ({@code io.veloq.api.net.VeloqSocketOptions}). Values are validated before any native call.
     *
     * @throws UnsupportedOperationException naming the key and the OS when the platform lacks it
     * @throws IllegalArgumentException for an invalid value
     */
    <T> void setOption(IoFd fd, SocketOption<T> option, T value) throws IOException;

    /** Reads a socket option back from the kernel. */
    <T> T getOption(IoFd fd, SocketOption<T> option) throws IOException;

    /**
     * Drives a manual loop for one turn: runs due tasks, hands queued ops to the driver and waits up to
     * {@code maxWait} for completions, running their completers. Returns the number of completions and
     * tasks run. A {@code maxWait} beyond 2^62 ns is taken as that.
     *
     * @throws IllegalStateException if this loop has its own thread
     */
    int runOnce(Duration maxWait);

    /** A task scheduled with {@link #schedule}. */
    interface Scheduled {
        /** Cancels it; returns false if it already ran or was cancelled. */
        boolean cancel();
    }
}
