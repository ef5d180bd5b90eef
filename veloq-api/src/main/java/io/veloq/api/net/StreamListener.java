package io.veloq.api.net;

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
 * listener's loop. Accept comes in the three shapes; the completer shape reuses one {@code Accept} op (and
 * its address storage), so an accept loop allocates only the new stream.
 *
 * <pre>{@code
 * NetCompleter<TcpStream> onAccept = new NetCompleter<>() {
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
    // acceptEach: its completer and its multishot op (null on a driver without MULTISHOT).
    private NetCompleter<S> each;
    private Op<AcceptMultishot> stream;

    StreamListener(EventLoop loop, IoFd fd, AddressFamily family) {
        super(loop, fd, family);
        this.cached = Op.of(new Accept(this.fd, SockAddrStorage.allocate(loop.addressLayout())), this::accepted);
    }

    /** Wraps an accepted connection. */
    abstract S wrap(IoFd fd, SocketAddress peer);

    /**
     * Accepts one connection; {@code completer} runs on the loop thread with the stream or the error.
     * Call it again (from the completer, typically) for the next connection.
     */
    public void accept(NetCompleter<S> completer) {
        Objects.requireNonNull(completer, "completer");
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
        ((NetCompleter<S>) op.attachment()).onComplete(null, new AsynchronousCloseException());
    }

    @SuppressWarnings("unchecked")
    private void accepted(Op<Accept> op) {
        NetCompleter<S> completer = (NetCompleter<S>) op.attachment();
        S stream = null;
        Throwable error = op.error();
        backoff.record(op.error(), this);
        if (error == null) {
            IoFd conn = IoFd.raw(op.result());
            try {
                stream = wrap(conn, Addresses.toJdk(op.payload().peer()));
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
        completer.onComplete(stream, error);
    }

    /**
     * Accepts every connection until the listener is closed (see the class comment): {@code completer} runs on
     * the loop thread once per connection, and once per failed accept, after which the listener goes on by
     * itself. Closing the listener ends it; the completer then runs once more with the cancellation. One
     * {@code acceptEach} per listener, and not beside {@link #accept(NetCompleter)}.
     *
     * @throws IllegalStateException if the listener is closed or already accepting each connection
     * @since 0.3
     */
    public void acceptEach(NetCompleter<S> completer) {
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
     * acceptEach on a driver without multishot: one-shot accepts, re-armed after each ({@link #accept(NetCompleter)}
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
        Completion<Accept> c = callTracked(new Accept(fd, peer));
        backoff.record(c.error(), this);
        IoFd conn = IoFd.raw(c.valueOrThrow());
        return wrap(conn, Addresses.toJdk(peer));
    }
}
