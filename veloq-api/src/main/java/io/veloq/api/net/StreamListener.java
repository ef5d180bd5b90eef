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
import java.net.SocketAddress;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;

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
 * <h2>Every connection from one call</h2>
 * {@link #acceptEach} accepts until the listener closes: where the driver has
 * {@link io.veloq.api.Capability#MULTISHOT} it is one multishot accept for all connections (one submission,
 * no op per connection); elsewhere it re-arms a one-shot accept after each. Either way the completer runs once
 * per connection, and once per failed accept; the listener re-arms by itself, after a pause when the failure
 * is for want of resources ({@code EMFILE}, {@code ENFILE}, {@code ENOBUFS}: 5 ms doubling to 1 s).
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
    private static final long FIRST_PAUSE_NANOS = java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(5);
    private static final long MAX_PAUSE_NANOS = java.util.concurrent.TimeUnit.SECONDS.toNanos(1);

    private final Op<Accept> cached;
    private boolean cachedBusy;
    // acceptEach: its completer, its multishot op (null on a driver without MULTISHOT), the re-arm pause.
    private NetCompleter<S> each;
    private Op<AcceptMultishot> stream;
    private long pauseNanos;

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
        loop.submit(op);
    }

    @SuppressWarnings("unchecked")
    private void accepted(Op<Accept> op) {
        NetCompleter<S> completer = (NetCompleter<S>) op.attachment();
        S stream = null;
        Throwable error = op.error();
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
        pauseNanos = 0;
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
     * the stream is re-armed, after a pause for want of resources), or the kernel's CQ overflowed (re-armed).
     */
    private void streamEnded(Op<AcceptMultishot> op) {
        VeloqIoException e = op.error();
        if (!isOpen()) {
            each.onComplete(null, e != null ? e : new java.nio.channels.AsynchronousCloseException());
            return;
        }
        if (e != null && e.kind() != IoErrorKind.OVERFLOW) {
            each.onComplete(null, e);
        }
        if (!isOpen()) {
            return; // the completer closed it
        }
        long pause = pauseAfter(e);
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

    /** acceptEach on a driver without multishot: one-shot accepts, re-armed after each. */
    private void acceptedOneShot(S s, Throwable error) {
        if (error == null) {
            pauseNanos = 0;
            each.onComplete(s, null);
        } else {
            each.onComplete(null, error);
        }
        if (!isOpen()) {
            return;
        }
        long pause = error instanceof VeloqIoException v ? pauseAfter(v) : 0;
        if (pause == 0) {
            accept(this::acceptedOneShot);
        } else {
            loop.schedule(() -> {
                if (isOpen()) {
                    accept(this::acceptedOneShot);
                }
            }, Duration.ofNanos(pause));
        }
    }

    /**
     * How long to wait before accepting again after {@code e}: 0, except after a failure for want of resources
     * (the connection stays in the backlog, so an accept at once would fail at once): 5 ms doubling to 1 s.
     */
    private long pauseAfter(VeloqIoException e) {
        if (e == null || (e.kind() != IoErrorKind.TOO_MANY_OPEN_FILES && e.kind() != IoErrorKind.NO_BUFFER_SPACE)) {
            return 0;
        }
        pauseNanos = pauseNanos == 0 ? FIRST_PAUSE_NANOS : Math.min(MAX_PAUSE_NANOS, pauseNanos * 2);
        return pauseNanos;
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
        SockAddrStorage peer = SockAddrStorage.allocate(loop.addressLayout()).prepareForReceive();
        Completion<Accept> c = callTracked(new Accept(fd, peer));
        IoFd conn = IoFd.raw(c.valueOrThrow());
        return wrap(conn, Addresses.toJdk(peer));
    }
}
