package io.veloq.api.net;

import io.veloq.api.Completer;
import io.veloq.api.Capability;
import io.veloq.api.Completion;
import io.veloq.api.IoErrorKind;
import io.veloq.api.StreamCompleter;
import io.veloq.api.VeloqIoException;
import io.veloq.api.EventLoop;
import io.veloq.api.IoFd;
import io.veloq.api.Op;
import io.veloq.api.OpState;
import io.veloq.api.op.Accept;
import io.veloq.api.op.AcceptMultishot;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.SocketAddress;
import java.nio.channels.AsynchronousCloseException;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * A listening stream socket: {@link TcpListener} or {@link UnixListener}. Accepted connections live on the
 * listener's loop, or on the loop {@link #accept(EventLoop, Completer.OfValue)} hands them to. Accept comes
 * in the three shapes; the completer shape reuses one {@code Accept} op (and
 * its address storage), so an accept loop allocates only the new stream.
 *
 * <pre>{@code
 * Completer.OfValue<TcpStream> onAccept = new Completer.OfValue<>() {
 *     public void onComplete(TcpStream s, Throwable error) {
 *         if (error == null) serve(s);
 *         if (listener.isOpen()) listener.accept(this);   // the next one, same Accept op
 *     }
 * };
 * listener.accept(onAccept);
 * }</pre>
 *
 * <p>When an accept fails for want of resources ({@code EMFILE}/{@code ENFILE}: the process or the system is
 * out of descriptors; {@code ENOBUFS}/{@code ENOMEM}), the connection stays in the listen backlog and an
 * accept re-armed at once would fail again at once. So after such a failure the listener's next accept, in
 * any shape, waits first: 5 ms, doubling per failure up to 1 s, none again after the first success. The
 * completer still gets every error; re-arming from it, as above, is safe. Each episode (until accepts go
 * 2 s without failing) logs one warning through {@link System.Logger} (logger {@code io.veloq.api.net})
 * with the error, the open-file limit and the fix ({@code ulimit -n}).
 *
 * <h2>Every connection from one call</h2>
 * {@link #acceptEach} accepts until the listener closes: where the driver has
 * {@link io.veloq.api.Capability#MULTISHOT} it is one multishot accept for all connections (one submission,
 * no op per connection); elsewhere it re-arms a one-shot accept after each. Either way the completer runs once
 * per connection, and once per failed accept; the listener re-arms by itself, after the same back-off when
 * the failure is for want of resources (a multishot accept that ends with {@code EMFILE} is re-armed only
 * after the pause).
 * <pre>{@code
 * listener.acceptEach((stream, error) -> {
 *     if (error == null) serve(stream);        // every connection, on the loop thread
 * });
 * }</pre>
 *
 * <p>On Linux the accepted stream wraps the fd the kernel returned; on Windows the IOCP driver's
 * {@code Accept} lifecycle pre-creates the socket. This class never knows which.
 *
 * @param <S> the stream type accepted
 * @since 0.1
 */
public abstract sealed class StreamListener<S extends StreamSocket> extends NetSocket permits TcpListener, UnixListener {
    private final Op<Accept> cached;
    private boolean cachedBusy;
    private final AcceptBackoff backoff = new AcceptBackoff();
    private volatile Duration acceptTimeout;
    // acceptEach: its completer and its multishot op (null on a driver without MULTISHOT).
    private Completer.OfValue<S> each;
    private Op<AcceptMultishot> stream;

    StreamListener(EventLoop loop, IoFd fd, AddressFamily family) {
        super(loop, fd, family);
        this.cached = Op.of(new Accept(this.fd, SockAddrStorage.allocate(loop.addressLayout())), this::accepted);
    }

    /**
     * Bounds how long each accept waits: an accept (in any shape) that gets no connection within
     * {@code timeout} completes with a {@link io.veloq.api.IoErrorKind#TIMED_OUT} error
     * ({@link java.net.SocketTimeoutException} in the {@code java.net} form); the listener stays open, the next
     * accept waits again. {@code ServerSocket.setSoTimeout} for every shape. {@code null} or zero: none (the
     * default). Applies to accepts started after the call.
     *
     * <pre>{@code
     * listener.acceptTimeout(Duration.ofSeconds(30));
     * try { serve(listener.accept()); } catch (SocketTimeoutException idle) { checkShutdown(); }
     * }</pre>
     *
     * @throws IllegalArgumentException if negative or too long to count in nanoseconds
     * @since 0.2
     */
    public final void acceptTimeout(Duration timeout) {
        this.acceptTimeout = SocketTimeouts.checked(timeout, "accept", this);
    }

    /** The accept timeout, {@link Duration#ZERO} when there is none. */
    public final Duration acceptTimeout() {
        Duration d = acceptTimeout;
        return d == null ? Duration.ZERO : d;
    }

    @Override
    final Duration deadlineFor(io.veloq.api.op.OpPayload payload) {
        return payload instanceof Accept ? acceptTimeout : null;
    }

    /** Wraps an accepted connection for {@code owner}, the loop its ops will run on. */
    abstract S wrap(EventLoop owner, IoFd fd, SocketAddress peer);

    /** Wraps an accepted connection for this listener's loop. */
    final S wrap(IoFd fd, SocketAddress peer) {
        return wrap(loop, fd, peer);
    }

    /**
     * Accepts one connection; {@code completer} runs on the loop thread with the stream or the error.
     * Call it again (from the completer, typically) for the next connection.
     */
    public void accept(Completer.OfValue<S> completer) {
        Objects.requireNonNull(completer, "completer");
        arm(completer);
    }

    /**
     * Accepts one connection on this listener's loop and hands the stream to {@code owner}, another loop of
     * the same runtime: the stream's ops run there and {@code completer} runs on {@code owner}'s thread with
     * the stream ({@code owner == loop()} is the plain {@link #accept(Completer.OfValue)}). An error (the accept
     * failed, the listener closed) comes on this listener's loop thread. This is how a server on a platform
     * without {@code SO_REUSEPORT} uses every core: one listener, each connection adopted by the next loop
     * ({@link TcpServer} does it for you).
     *
     * <pre>{@code
     * listener.accept(rt.next(), (stream, error) -> {    // on the stream's loop
     *     if (error == null) serve(stream);
     * });
     * }</pre>
     *
     * <p>It works because a descriptor is valid on every loop of a runtime (the {@code Driver} handle
     * contract): the new stream has run no op yet, so it binds to {@code owner} at its first op. On IOCP the
     * accepted socket is associated with the completion port of the loop that starts its first overlapped op,
     * which is {@code owner}'s.
     *
     * @throws IllegalArgumentException if {@code owner} runs another driver (not a loop of this runtime)
     * @since 0.2
     */
    public void accept(EventLoop owner, Completer.OfValue<S> completer) {
        Objects.requireNonNull(owner, "owner");
        Objects.requireNonNull(completer, "completer");
        if (owner == loop) {
            arm(completer);
            return;
        }
        if (!owner.driverId().equals(loop.driverId())) {
            throw new IllegalArgumentException("cannot hand connections of " + this + " (driver " + loop.driverId()
                    + ") to " + owner + " (driver " + owner.driverId() + "): it must be a loop of the same runtime");
        }
        arm(new Handoff<>(owner, completer, true));
    }

    /**
     * Accepts one connection for {@code owner} (its ops will run there), but runs {@code completer} on this
     * listener's loop thread: what {@link TcpServer} uses to re-arm its accept before handing the stream over.
     */
    void acceptFor(EventLoop owner, Completer.OfValue<S> completer) {
        Objects.requireNonNull(completer, "completer");
        arm(owner == loop ? completer : new Handoff<>(owner, completer, false));
    }

    /** What an accept that gives its stream to another loop carries as its attachment. */
    private record Handoff<T>(EventLoop owner, Completer.OfValue<T> completer, boolean onOwnerThread) implements Completer.OfValue<T> {
        @Override
        public void onComplete(T value, Throwable error) {
            completer.onComplete(value, error);
        }
    }

    private void arm(Completer.OfValue<S> completer) {
        requireOpenUnchecked("accept");
        Op<Accept> op;
        synchronized (this) {
            if (!cachedBusy && cached.state() != OpState.SUBMITTED) {
                if (cached.state() == OpState.COMPLETED) {
                    cached.reset();
                }
                cachedBusy = true;
                op = cached;
            } else {
                // Several accepts at once: the extra ones get their own op.
                op = Op.of(new Accept(fd, SockAddrStorage.allocate(loop.addressLayout())), this::accepted);
            }
        }
        op.attach(completer);
        op.deadline(acceptTimeout);
        op.payload().peer().prepareForReceive();
        long delay = backoff.delayNanos();
        if (delay == 0) {
            loop.submit(op);
        } else {
            loop.schedule(() -> submitLate(op), Duration.ofNanos(delay));
        }
    }

    /** Submits an accept held back by {@link AcceptBackoff}, unless the listener closed meanwhile. */
    @SuppressWarnings("unchecked")
    private void submitLate(Op<Accept> op) {
        if (isOpen()) {
            loop.submit(op);
            return;
        }
        if (op == cached) {
            synchronized (this) {
                cachedBusy = false;
            }
        }
        ((Completer.OfValue<S>) op.attachment()).onComplete(null, new AsynchronousCloseException());
    }

    @SuppressWarnings("unchecked")
    private void accepted(Op<Accept> op) {
        Completer.OfValue<S> completer = (Completer.OfValue<S>) op.attachment();
        Handoff<S> handoff = completer instanceof Handoff<S> h ? h : null;
        EventLoop owner = handoff != null ? handoff.owner() : loop;
        S stream = null;
        Throwable error = op.error();
        backoff.record(op.error(), this);
        if (error == null) {
            IoFd conn = IoFd.raw(op.result());
            try {
                stream = wrap(owner, conn, Addresses.toJdk(op.payload().peer()));
            } catch (RuntimeException e) {
                SocketSetup.closeQuietly(loop, conn);
                error = e;
            }
        }
        if (op == cached) {
            synchronized (this) {
                cachedBusy = false;
            }
        }
        if (handoff != null && handoff.onOwnerThread() && stream != null) {
            handOff(owner, stream, handoff.completer());
            return;
        }
        completer.onComplete(stream, error);
    }

    /** Runs {@code completer} with the new stream on its loop; if that loop is closing, closes the stream. */
    private void handOff(EventLoop owner, S stream, Completer.OfValue<S> completer) {
        try {
            owner.execute(() -> completer.onComplete(stream, null));
        } catch (IllegalStateException closed) {
            stream.closeAsync();
            completer.onComplete(null, closed);
        }
    }

    /**
     * Accepts every connection until the listener is closed (see the class comment): {@code completer} runs on
     * the loop thread once per connection, and once per failed accept, after which the listener goes on by
     * itself. Closing the listener ends it; the completer then runs once more with the cancellation. One
     * {@code acceptEach} per listener, and not beside {@link #accept(Completer.OfValue)}.
     *
     * @throws IllegalStateException if the listener is closed or already accepting each connection
     * @since 0.3
     */
    public void acceptEach(Completer.OfValue<S> completer) {
        Objects.requireNonNull(completer, "completer");
        requireOpenUnchecked("accept");
        synchronized (this) {
            if (each != null) {
                throw new IllegalStateException(this + " already accepts each connection (acceptEach was called)");
            }
            each = completer;
        }
        if (loop.capabilities().contains(Capability.MULTISHOT)) {
            stream = Op.of(new AcceptMultishot(fd), StreamCompleter.of(this::acceptedOne, this::streamEnded));
            loop.submit(stream);
        } else {
            accept(this::acceptedOneShot);
        }
    }

    /** An item of the multishot accept: a connection. Its peer address comes from getpeername. */
    private void acceptedOne(Op<AcceptMultishot> op, long handle, io.veloq.api.buffer.FixedBuf unused) {
        backoff.record(null, this);
        IoFd conn = IoFd.raw(handle);
        if (!isOpen()) {
            SocketSetup.closeQuietly(loop, conn); // accepted while the listener closed: nobody will serve it
            return;
        }
        S s;
        try {
            s = wrap(conn, loop.remoteAddress(conn));
        } catch (IOException | RuntimeException e) {
            SocketSetup.closeQuietly(loop, conn); // reset before we saw it: the listener goes on
            each.onComplete(null, e);
            return;
        }
        each.onComplete(s, null);
    }

    /**
     * The multishot accept ended: closed listener (cancelled), a failed accept (the completer hears it, then
     * the stream is re-armed, after the back-off for want of resources), or the kernel's CQ overflowed
     * (re-armed at once).
     */
    private void streamEnded(Op<AcceptMultishot> op) {
        VeloqIoException e = op.error();
        if (!isOpen()) {
            each.onComplete(null, e != null ? e : new java.nio.channels.AsynchronousCloseException());
            return;
        }
        if (e != null && e.kind() != IoErrorKind.OVERFLOW) {
            backoff.record(e, this);
            each.onComplete(null, e);
        }
        if (!isOpen()) {
            return; // the completer closed it
        }
        long pause = e == null || e.kind() == IoErrorKind.OVERFLOW ? 0 : backoff.delayNanos();
        if (pause == 0) {
            loop.submit(op.reset());
        } else {
            loop.schedule(() -> {
                if (isOpen()) {
                    loop.submit(op.reset());
                } else {
                    each.onComplete(null, new java.nio.channels.AsynchronousCloseException());
                }
            }, Duration.ofNanos(pause));
        }
    }

    /**
     * acceptEach on a driver without multishot: one-shot accepts, re-armed after each ({@link #accept(Completer.OfValue)}
     * applies the back-off itself).
     */
    private void acceptedOneShot(S s, Throwable error) {
        if (error == null) {
            each.onComplete(s, null);
        } else {
            each.onComplete(null, error);
        }
        if (isOpen()) {
            accept(this::acceptedOneShot);
        }
    }

    /** Accepts one connection; the future completes on the loop thread, exceptionally with the {@code java.net} exception. */
    public CompletableFuture<S> acceptAsync() {
        CompletableFuture<S> f = new CompletableFuture<>();
        accept((s, e) -> {
            if (e != null) {
                f.completeExceptionally(e instanceof io.veloq.api.VeloqIoException v ? v.toJava() : e);
            } else {
                f.complete(s);
            }
        });
        return f;
    }

    /**
     * Accepts one connection and waits. Closing the listener from another thread cancels the wait
     * ({@link java.nio.channels.AsynchronousCloseException}).
     */
    public S accept() throws IOException {
        return accept(acceptTimeout);
    }

    /**
     * Accepts one connection and waits at most {@code timeout} (a per-call timeout, in place of
     * {@link #acceptTimeout()}; null or zero: no limit).
     *
     * @throws java.net.SocketTimeoutException when no connection came in time; the listener stays open
     * @since 0.2
     */
    public S accept(Duration timeout) throws IOException {
        long delay = backoff.delayNanos();
        if (delay > 0 && !loop.inLoop()) {
            try {
                TimeUnit.NANOSECONDS.sleep(delay);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted while accept on " + this + " backed off");
            }
        }
        SockAddrStorage peer = SockAddrStorage.allocate(loop.addressLayout()).prepareForReceive();
        Completion<Accept> c = callTracked(new Accept(fd, peer), timeout);
        backoff.record(c.error(), this);
        IoFd conn = IoFd.raw(c.valueOrThrow());
        return wrap(conn, Addresses.toJdk(peer));
    }
}
