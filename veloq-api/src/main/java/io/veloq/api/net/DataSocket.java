package io.veloq.api.net;

import io.veloq.api.Completer;
import io.veloq.api.Completion;
import io.veloq.api.EventLoop;
import io.veloq.api.IoFd;
import io.veloq.api.Op;
import io.veloq.api.buffer.FixedBuf;
import io.veloq.api.op.Recv;
import io.veloq.api.op.Send;

import java.io.IOException;
import java.util.concurrent.CompletableFuture;

/**
 * A socket that carries bytes: {@link StreamSocket} (TCP, Unix domain) or {@link UdpSocket}. Receive and
 * send work on {@link FixedBuf}s, in the three shapes of the core API.
 *
 * <h2>Completer: loop thread, no allocation</h2>
 * Build the op once with {@link #recvOp}/{@link #sendOp}, then resubmit it from its own completer with
 * {@code loop.resubmit(op)}. A failed or cancelled op hands its buffer back, so the error path is
 * two lines:
 * <pre>{@code
 * Op<Recv> recv = stream.recvOp(buf, op -> {
 *     if (!op.isSuccess()) {                       // failed (reset by peer) or cancelled (closed)
 *         op.payload().buffer().release(); return; // the buffer is ours again: give it back
 *     }
 *     if (op.result() == 0) { ...end of stream... }
 *     ...use buf...; buf.clear();
 *     stream.loop().resubmit(op);            // same op, same buffer: nothing allocated
 * });
 * stream.loop().submit(recv);
 * }</pre>
 *
 * <p>The op is bound to the stream's lifetime: once the stream is closed (from any thread, even while
 * the completer above runs), a resubmit completes with a {@link io.veloq.api.IoErrorKind#BAD_DESCRIPTOR}
 * error ({@link java.nio.channels.ClosedChannelException}) through the same completer, buffer handed back,
 * and never reaches the kernel; it can never read the connection that got the same descriptor number
 * next. While the runtime closes, the resubmit comes back {@link io.veloq.api.IoErrorKind#CANCELLED}. Either
 * way the {@code !op.isSuccess()} branch ends the loop. See {@link NetSocket} for the rule.
 *
 * <h2>Future</h2>
 * <pre>{@code
 * stream.recvAsync(buf).thenAccept(c -> {         // runs on the loop thread
 *     if (!c.isSuccess()) { c.payload().buffer().release(); return; }
 *     ...
 * });
 * }</pre>
 *
 * <h2>Blocking (plain or virtual threads, not the loop thread)</h2>
 * <pre>{@code
 * int n = stream.recv(buf);      // 0: end of stream; throws the java.net exception on failure
 * }</pre>
 *
 * @since 0.1
 */
public abstract sealed class DataSocket extends NetSocket permits StreamSocket, UdpSocket {

    DataSocket(EventLoop loop, IoFd fd, AddressFamily family) {
        super(loop, fd, family);
    }

    // ---- receive ----

    /**
     * A reusable receive into the free space of {@code buf}, not yet submitted: submit it with
     * {@code loop().submit(op)}, and again with {@code loop().resubmit(op)} from its completer.
     * Completes with the byte count (0 at end of stream) and advances the writer index.
     */
    public Op<Recv> recvOp(FixedBuf buf, Completer<Recv> completer) {
        return reusable(new Recv(fd, buf), completer);
    }

    /** Receives into {@code buf}; {@code completer} runs on the loop thread. Returns the submitted op (to cancel it). */
    public Op<Recv> recv(FixedBuf buf, Completer<Recv> completer) {
        requireOpenUnchecked("recv");
        return submitTracked(new Recv(fd, buf), completer);
    }

    /** Receives into {@code buf}; the completion carries the buffer back, on failure too. */
    public CompletableFuture<Completion<Recv>> recvAsync(FixedBuf buf) {
        requireOpenUnchecked("recv");
        return submitTrackedAsync(new Recv(fd, buf));
    }

    /**
     * Receives into {@code buf} and waits; returns the byte count, 0 at end of stream (the buffer has free
     * space, or submission is refused). On failure the buffer is still the caller's.
     *
     * @throws IOException the {@code java.net} form of the error, with the {@link io.veloq.api.VeloqIoException} as its cause
     */
    public int recv(FixedBuf buf) throws IOException {
        return (int) callTracked(new Recv(fd, buf)).valueOrThrow();
    }

    // ---- send ----

    /**
     * A reusable send of the readable bytes of {@code buf}, not yet submitted. Completes with the byte count
     * sent, which may be less than asked, and advances the reader index. See {@code StreamSocket.sendAllOp}
     * for the op that loops until everything is sent.
     */
    public Op<Send> sendOp(FixedBuf buf, Completer<Send> completer) {
        return reusable(new Send(fd, buf), completer);
    }

    /** Sends the readable bytes of {@code buf} once (may be short); {@code completer} runs on the loop thread. */
    public Op<Send> send(FixedBuf buf, Completer<Send> completer) {
        requireOpenUnchecked("send");
        return submitTracked(new Send(fd, buf), completer);
    }

    /** Sends the readable bytes of {@code buf} once (may be short). */
    public CompletableFuture<Completion<Send>> sendAsync(FixedBuf buf) {
        requireOpenUnchecked("send");
        return submitTrackedAsync(new Send(fd, buf));
    }

    /** Sends the readable bytes of {@code buf} once and waits; returns the byte count (may be short). */
    public int send(FixedBuf buf) throws IOException {
        return (int) callTracked(new Send(fd, buf)).valueOrThrow();
    }
}
