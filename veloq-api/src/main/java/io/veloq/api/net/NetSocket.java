package io.veloq.api.net;

import io.veloq.api.Completer;
import io.veloq.api.Completion;
import io.veloq.api.EventLoop;
import io.veloq.api.IoFd;
import io.veloq.api.Op;
import io.veloq.api.bootstrap.ApiAccess;
import io.veloq.api.bootstrap.OpenSockets;
import io.veloq.api.bootstrap.SocketLifetime;
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
 * <h2>Ops are bound to the socket's lifetime</h2>
 * Every op that names this socket's {@link #fd()} is bound to the socket, whoever built it: the reusable
 * ops of {@code recvOp}/{@code sendOp}/{@code sendAllOp}, the one-shot calls, accepts, and ops you build
 * yourself with {@code new Recv(socket.fd(), buf)}. Closing the socket, from any thread:
 * <ul>
 *   <li>cancels its ops that are in flight: they complete with a {@link io.veloq.api.IoErrorKind#CANCELLED}
 *       error ({@link java.nio.channels.AsynchronousCloseException}) and hand their buffers back;</li>
 *   <li>makes every op submitted afterwards, from any thread (a completer resubmitting its op included),
 *       complete through its completer with a {@link io.veloq.api.IoErrorKind#BAD_DESCRIPTOR} error
 *       ({@link ClosedChannelException} from {@code toJava()}), buffer handed back, without ever reaching the
 *       driver;</li>
 *   <li>closes the descriptor only once none of its ops is left in the driver, so its number cannot be
 *       handed to a new socket while an op of this one could still use it.</li>
 * </ul>
 * An op of a closed socket therefore never reads or writes the connection that later got the same
 * descriptor number. Submit a socket's ops to its {@link #loop()}: another loop refuses them. The same holds
 * for the synchronous calls ({@code setOption}, {@code getOption}, {@code localAddress}, ... on the socket,
 * or on the loop with {@link #fd()}), which run on the calling thread: a call that starts after the close
 * throws {@link ClosedChannelException}, and the close waits for the calls already in progress, so each
 * completes against this socket. This holds for the {@code IoFd} the socket hands out; a raw handle you
 * make yourself with {@code IoFd.raw(n)} is yours and is not protected (see {@link IoFd.Raw}).
 *
 * <h2>The runtime owns the descriptor</h2>
 * A socket's descriptor belongs to the networking layer, not to the application: closing the
 * {@link io.veloq.api.IoRuntime} closes every socket still open, as above (its ops cancelled, then the
 * descriptor closed), the way shutting down a Netty event loop group closes its channels. Such a socket
 * then reports {@link #isOpen()} false, and closing it afterwards is a no-op. (A descriptor you made
 * yourself with a {@code Socket} op is yours: closing the runtime leaves it open.)
 *
 * @since 0.1
 */
public abstract sealed class NetSocket implements AutoCloseable permits StreamListener, DataSocket {
    final EventLoop loop;
    final IoFd fd;
    final AddressFamily family;
    private final SocketLifetime lifetime = new SocketLifetime();
    private final AtomicBoolean closed = new AtomicBoolean();

    NetSocket(EventLoop loop, IoFd fd, AddressFamily family) {
        this.loop = Objects.requireNonNull(loop, "loop");
        Objects.requireNonNull(fd, "fd");
        // The socket's own handle carries its lifetime, so that every op naming it is bound to the socket; the
        // loop registers it, so that closing the runtime closes it if the application did not.
        if (fd instanceof IoFd.Raw r) {
            IoFd.Raw owned = ApiAccess.fds().owned(r.handle(), lifetime);
            this.fd = owned;
            if (loop instanceof OpenSockets register) {
                register.opened(lifetime, owned);
            }
        } else {
            this.fd = fd;
        }
        this.family = family;
    }

    /** The lifetime the socket's own handle carries (its ops are bound to it). */
    final SocketLifetime lifetime() {
        return lifetime;
    }

    /** The loop this socket's ops run on. */
    public final EventLoop loop() {
        return loop;
    }

    /**
     * The descriptor, for ops built by hand ({@code new Recv(socket.fd(), buf)}): they are bound to this
     * socket's lifetime like its own ops (see the class comment).
     */
    public final IoFd fd() {
        return fd;
    }

    /** The address family: {@code INET}, {@code INET6} (dual stack when bound to {@code ::}) or {@code UNIX}. */
    public final AddressFamily family() {
        return family;
    }

    /** False once {@link #close()} (in any shape) has been called, or the runtime closed the socket. */
    public final boolean isOpen() {
        return !closed.get() && !lifetime.isClosed();
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
     * Closes the socket and waits until the descriptor is closed: its ops in flight are cancelled first
     * and complete with their buffers. Called on the loop thread (from a completer) it does not wait. A
     * second close does nothing, and so does a close once the runtime has closed (the runtime closed the
     * socket); during the runtime's close it leaves the descriptor to the runtime, which closes it before
     * {@code IoRuntime.close()} returns.
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
        Completion<Close> c;
        try {
            c = loop.call(new Close(fd));
        } catch (IllegalStateException closedRuntime) {
            if (loop.isClosed()) {
                return; // the runtime closed the socket
            }
            throw closedRuntime;
        }
        closedByRuntime(c).valueOrThrow();
    }

    /**
     * Closes the socket; the future completes on the loop thread with the {@code Close} completion (at once,
     * successfully, if the socket or its runtime was already closed).
     */
    public CompletableFuture<Completion<Close>> closeAsync() {
        if (!beginClose() || loop.isClosed()) {
            return CompletableFuture.completedFuture(new Completion<>(new Close(fd), 0, null));
        }
        try {
            return loop.submitAsync(new Close(fd)).thenApply(this::closedByRuntime);
        } catch (IllegalStateException closedRuntime) {
            if (loop.isClosed()) {
                return CompletableFuture.completedFuture(new Completion<>(new Close(fd), 0, null));
            }
            throw closedRuntime;
        }
    }

    /**
     * Closes the socket; {@code completer} runs on the loop thread with {@code (null, null)} once the
     * descriptor is closed, or {@code (null, error)}. If the socket was already closed it runs at once; if
     * its runtime has closed (and so closed the socket), at once on the calling thread.
     */
    public void close(Completer.OfValue<Void> completer) {
        Objects.requireNonNull(completer, "completer");
        boolean first = beginClose();
        try {
            if (!first) {
                loop.execute(() -> completer.onComplete(null, null));
            } else {
                loop.submit(Op.of(new Close(fd), op -> completer.onComplete(null, closedByRuntime(op.completion()).error())));
            }
        } catch (IllegalStateException closedRuntime) {
            if (!loop.isClosed()) {
                throw closedRuntime;
            }
            completer.onComplete(null, null); // the runtime closed the socket; no loop thread is left
        }
    }

    /** A close that failed because the runtime closed (or is closing) the socket itself succeeded. */
    private Completion<Close> closedByRuntime(Completion<Close> c) {
        return c.isSuccess() || !loop.isClosed() ? c : new Completion<>(c.payload(), 0, null);
    }

    private boolean beginClose() {
        if (!closed.compareAndSet(false, true)) {
            return false;
        }
        // From here on the loop refuses this socket's ops; the Close op cancels those in the driver and
        // waits for them before it closes the descriptor.
        lifetime.markClosed();
        closing();
        return true;
    }

    /** Runs once, when a close begins, on the closing thread: subclasses let go of what they hold. */
    void closing() {
    }

    final void requireOpen() throws ClosedChannelException {
        if (!isOpen()) {
            throw new ClosedChannelException();
        }
    }

    final void requireOpenUnchecked(String what) {
        if (!isOpen()) {
            throw new IllegalStateException("cannot " + what + " on " + this + ": it is closed");
        }
    }

    /* The ops below name this socket's fd, so they are bound to its lifetime by the host. */

    /** Submits a one-shot op with a completer. */
    final <P extends OpPayload> Op<P> submitTracked(P payload, Completer<P> completer) {
        Op<P> op = timed(Op.of(payload, completer));
        loop.submit(op);
        return op;
    }

    /** Submits a one-shot op for a future. */
    final <P extends OpPayload> CompletableFuture<Completion<P>> submitTrackedAsync(P payload) {
        return loop.submitAsync(timed(Op.of(payload)));
    }

    /** Runs a one-shot op and waits (cancelled if the waiting thread is interrupted or the socket closes). */
    final <P extends OpPayload> Completion<P> callTracked(P payload) throws ClosedChannelException {
        requireOpen();
        return loop.call(timed(Op.of(payload)));
    }

    /**
     * Runs a one-shot op with its own deadline (instead of the socket's timeout) and waits: a per-call timeout.
     * A null or zero {@code timeout} means none.
     */
    final <P extends OpPayload> Completion<P> callTracked(P payload, java.time.Duration timeout)
            throws ClosedChannelException {
        requireOpen();
        java.time.Duration d = SocketTimeouts.checked(timeout, "call", this);
        return loop.call(Op.of(payload).deadline(d));
    }

    /** A reusable op, not yet submitted. */
    final <P extends OpPayload> Op<P> reusable(P payload, Completer<P> completer) {
        requireOpenUnchecked("create an op");
        return timed(Op.of(payload, completer));
    }

    /** The deadline this socket gives an op it builds for {@code payload}, or null: see {@link DataSocket#readTimeout(java.time.Duration)}. */
    java.time.Duration deadlineFor(OpPayload payload) {
        return null;
    }

    private <P extends OpPayload> Op<P> timed(Op<P> op) {
        java.time.Duration d = deadlineFor(op.payload());
        return d == null ? op : op.deadline(d);
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + "(" + fd + ", " + family + (isOpen() ? "" : ", closed") + ")";
    }
}
