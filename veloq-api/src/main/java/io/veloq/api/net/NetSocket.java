package io.veloq.api.net;

import io.veloq.api.Completer;
import io.veloq.api.Completion;
import io.veloq.api.EventLoop;
import io.veloq.api.IoFd;
import io.veloq.api.Op;
import io.veloq.api.op.Close;
import io.veloq.api.op.OpPayload;

import java.io.IOException;
import java.net.SocketAddress;
import java.net.SocketOption;
import java.nio.channels.ClosedChannelException;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * What every Veloq socket has: the event loop it lives on, its descriptor, type-safe options, its local
 * address, and close in the three shapes. A socket's ops run on its loop; its completers run on that
 * loop's thread.
 *
 * <pre>{@code
 * try (TcpStream s = TcpStream.connect(loop, new InetSocketAddress("::1", 7000))) {
 *     s.setOption(StandardSocketOptions.TCP_NODELAY, true);
 *     boolean on = s.getOption(StandardSocketOptions.TCP_NODELAY);   // read back from the kernel
 * }
 * }</pre>
 *
 * <p>Closing cancels the ops this socket started that are still in flight (they complete with a
 * {@link io.veloq.api.IoErrorKind#CANCELLED} error and hand their buffers back), then closes the
 * descriptor. Ops submitted after close fail with {@link ClosedChannelException}.
 *
 * @since 0.1
 */
public abstract sealed class NetSocket implements AutoCloseable permits StreamListener, DataSocket {
    final EventLoop loop;
    final IoFd fd;
    final AddressFamily family;
    final OpRoster roster = new OpRoster();
    private final AtomicBoolean closed = new AtomicBoolean();

    NetSocket(EventLoop loop, IoFd fd, AddressFamily family) {
        this.loop = Objects.requireNonNull(loop, "loop");
        this.fd = Objects.requireNonNull(fd, "fd");
        this.family = family;
    }

    /** The loop this socket's ops run on. */
    public final EventLoop loop() {
        return loop;
    }

    /** The descriptor, for ops built by hand ({@code new Recv(socket.fd(), buf)}). */
    public final IoFd fd() {
        return fd;
    }

    /** The address family: {@code INET}, {@code INET6} (dual stack when bound to {@code ::}) or {@code UNIX}. */
    public final AddressFamily family() {
        return family;
    }

    /** False once {@link #close()} (in any shape) has been called. */
    public final boolean isOpen() {
        return !closed.get();
    }

    /** The local address ({@code getsockname}): the port the kernel picked for a bind to port 0. */
    public SocketAddress localAddress() throws IOException {
        requireOpen();
        return loop.localAddress(fd);
    }

    /**
     * Sets an option: a {@link java.net.StandardSocketOptions} key or a {@link VeloqSocketOptions} key.
     *
     * @throws IllegalArgumentException for a value out of range, before any native call
     * @throws UnsupportedOperationException naming the key and the OS when the platform lacks it
     */
    public <T> void setOption(SocketOption<T> option, T value) throws IOException {
        requireOpen();
        loop.setOption(fd, option, value);
    }

    /** Reads an option back from the kernel. */
    public <T> T getOption(SocketOption<T> option) throws IOException {
        requireOpen();
        return loop.getOption(fd, option);
    }

    /** Asks the loop to cancel {@code op} (one of this socket's); its completer still runs, with the buffer back. */
    public boolean cancel(Op<?> op) {
        return loop.cancel(op);
    }

    /**
     * Closes the socket and waits. Called on the loop thread (from a completer) it does not wait: the close
     * is queued behind the cancellations. A second close does nothing.
     */
    @Override
    public void close() throws IOException {
        if (!beginClose()) {
            return;
        }
        if (loop.inLoop()) {
            SocketSetup.closeQuietly(loop, fd);
            return;
        }
        loop.call(new Close(fd)).valueOrThrow();
    }

    /** Closes the socket; the future completes on the loop thread with the {@code Close} completion. */
    public CompletableFuture<Completion<Close>> closeAsync() {
        if (!beginClose()) {
            return CompletableFuture.completedFuture(new Completion<>(new Close(fd), 0, null));
        }
        return loop.submitAsync(new Close(fd));
    }

    /**
     * Closes the socket; {@code completer} runs on the loop thread with {@code (null, null)} once the
     * descriptor is closed, or {@code (null, error)}. If the socket was already closed it runs at once.
     */
    public void close(NetCompleter<Void> completer) {
        Objects.requireNonNull(completer, "completer");
        if (!beginClose()) {
            loop.execute(() -> completer.onComplete(null, null));
            return;
        }
        loop.submit(Op.of(new Close(fd), op -> completer.onComplete(null, op.error())));
    }

    private boolean beginClose() {
        if (!closed.compareAndSet(false, true)) {
            return false;
        }
        roster.cancelInFlight(loop);
        closing();
        return true;
    }

    /** Runs once, when a close begins, on the closing thread: subclasses let go of what they hold. */
    void closing() {
    }

    final void requireOpen() throws ClosedChannelException {
        if (closed.get()) {
            throw new ClosedChannelException();
        }
    }

    final void requireOpenUnchecked(String what) {
        if (closed.get()) {
            throw new IllegalStateException("cannot " + what + " on " + this + ": it is closed");
        }
    }

    /** Submits a one-shot op with a completer, tracked for cancellation on close. */
    final <P extends OpPayload> Op<P> submitTracked(P payload, Completer<P> completer) {
        Op<P> op = Op.of(payload, completer);
        roster.track(op);
        loop.submit(op);
        return op;
    }

    /** Submits a one-shot op for a future, tracked for cancellation on close. */
    final <P extends OpPayload> CompletableFuture<Completion<P>> submitTrackedAsync(P payload) {
        Op<P> op = Op.of(payload);
        roster.track(op);
        return loop.submitAsync(op);
    }

    /** Runs a one-shot op and waits (cancelled if the waiting thread is interrupted or the socket closes). */
    final <P extends OpPayload> Completion<P> callTracked(P payload) throws ClosedChannelException {
        requireOpen();
        Op<P> op = Op.of(payload);
        roster.track(op);
        return loop.call(op);
    }

    /** A reusable op, tracked until close. */
    final <P extends OpPayload> Op<P> reusable(P payload, Completer<P> completer) {
        requireOpenUnchecked("create an op");
        Op<P> op = Op.of(payload, completer);
        roster.keep(op);
        return op;
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + "(" + fd + ", " + family + (isOpen() ? "" : ", closed") + ")";
    }
}
