package io.veloq.api.net;

import io.veloq.api.Completer;
import io.veloq.api.Completion;
import io.veloq.api.EventLoop;
import io.veloq.api.IoFd;
import io.veloq.api.Op;
import io.veloq.api.buffer.BufVec;
import io.veloq.api.buffer.BufRing;
import io.veloq.api.buffer.FixedBuf;
import io.veloq.api.op.RecvMultishot;
import io.veloq.api.op.Recv;
import io.veloq.api.op.RecvMsg;
import io.veloq.api.op.Send;
import io.veloq.api.op.SendMsg;

import io.veloq.api.op.OpPayload;

import java.io.IOException;
import java.time.Duration;
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
 * <h2>Read and write timeouts: dropping idle peers</h2>
 * {@link #readTimeout(Duration)} bounds how long any receive of this socket waits for its first byte;
 * {@link #writeTimeout(Duration)} how long any send waits to move a byte. A receive that times out
 * completes with a {@link io.veloq.api.IoErrorKind#TIMED_OUT} error ({@code toJava()}: a
 * {@link java.net.SocketTimeoutException}) and hands its buffer back; the socket stays open. Set them before
 * building the reusable ops: each op takes the timeout as its {@linkplain Op#deadline deadline} when built.
 * <pre>{@code
 * stream.readTimeout(Duration.ofSeconds(60));      // a peer silent for 60 s is idle
 * Op<Recv> recv = stream.recvOp(buf, op -> {
 *     if (!op.isSuccess()) {
 *         if (op.error().kind() == IoErrorKind.TIMED_OUT) log("idle for 60 s, closing " + stream);
 *         buf.release(); stream.close(closed); return;
 *     }
 *     ...
 * });
 * }</pre>
 *
 * @see #readTimeout(Duration)
 *
 * @since 0.1
 */
public abstract sealed class DataSocket extends NetSocket permits StreamSocket, UdpSocket {

    private final SocketTimeouts timeouts = new SocketTimeouts();
    private final WriteQueue writeQueue;

    DataSocket(EventLoop loop, IoFd fd, AddressFamily family) {
        super(loop, fd, family);
        this.writeQueue = new WriteQueue(loop);
        lifetime().sendWatch(writeQueue);
    }

    // ---- write queue and writability ----

    /**
     * Told when a socket's {@linkplain #bytesQueued() write queue} crosses its watermarks: {@code false} when it
     * rises above the high mark, {@code true} when it falls back to the low mark or below. Runs on the socket's
     * loop thread, never inside your own send call.
     *
     * @since 0.2
     */
    @FunctionalInterface
    public interface WritabilityListener {
        void writabilityChanged(boolean writable);
    }

    /**
     * The bytes this socket's sends hold right now: every send built on this socket's {@link #fd()} (the calls
     * below in every shape, {@code sendAll}'s remainder, ops built by hand) counts the readable bytes of its
     * buffer from submission until it completes. A peer that does not read fills its receive window and the
     * kernel's send buffer, and then the sends wait: this number grows. Any thread.
     *
     * @since 0.2
     */
    public final long bytesQueued() {
        return writeQueue.queued();
    }

    /**
     * False from the moment {@link #bytesQueued()} rose above the high watermark until it fell back to the low
     * one; always true without watermarks. Any thread (the loop thread sees every change first).
     *
     * @since 0.2
     */
    public final boolean isWritable() {
        return writeQueue.writable();
    }

    /**
     * Sets the write-queue watermarks and the listener told when writability changes (Netty's
     * {@code WriteBufferWaterMark}). The way to stop reading from a peer that does not read: when the socket
     * turns unwritable, stop resubmitting the receive; when it turns writable again, resume.
     *
     * <pre>{@code
     * stream.writeWatermarks(64 * 1024, 256 * 1024, writable -> {
     *     if (writable && readingPaused) { readingPaused = false; stream.loop().resubmit(recv); }
     * });
     * Op<Recv> recv = stream.recvOp(in, op -> {
     *     if (!op.isSuccess() || op.result() == 0) { close(); return; }
     *     respond(in);                                  // sendAll(...) of the replies: they queue
     *     if (stream.isWritable()) stream.loop().resubmit(op);
     *     else readingPaused = true;                   // the peer reads too slowly: stop reading from it
     * });
     * }</pre>
     *
     * @throws IllegalArgumentException unless {@code 0 <= low <= high}
     * @since 0.2
     */
    public final void writeWatermarks(long low, long high, WritabilityListener listener) {
        java.util.Objects.requireNonNull(listener, "listener");
        if (low < 0 || high < low) {
            throw new IllegalArgumentException("write watermarks need 0 <= low <= high, got low " + low + ", high "
                    + high + " for " + this);
        }
        writeQueue.watermarks(low, high, listener);
    }

    // ---- timeouts ----

    /**
     * Bounds how long each receive waits: a receive ({@code recv}, {@code recvFrom}, in every shape) that has
     * got no byte after {@code timeout} completes with a {@link io.veloq.api.IoErrorKind#TIMED_OUT} error
     * ({@link io.veloq.api.VeloqIoException#toJava()} gives a {@link java.net.SocketTimeoutException}) and hands
     * its buffer back; nothing is lost, the socket stays open, the next receive waits again. It is
     * {@code Socket.setSoTimeout} for every shape, Netty's {@code ReadTimeoutHandler}, Go's
     * {@code SetReadDeadline(now + timeout)} before each read: a peer that stays silent this long while you wait
     * for it is idle. {@code null} or zero: no timeout (the default).
     *
     * <p>It applies to receives started after the call, and to the reusable ops of {@link #recvOp} built after
     * it (an op keeps the deadline it was built with across {@code reset()}; set another one with
     * {@link Op#deadline} between {@code reset()} and the submit). The runtime enforces it with the driver's
     * linked timeouts where it has them (io_uring: nothing allocated per op) and with its own timer otherwise,
     * on the driver's clock (virtual time on the fake driver's {@code Simulation}).
     *
     * @throws IllegalArgumentException if {@code timeout} is negative or too long to count in nanoseconds
     */
    public final void readTimeout(Duration timeout) {
        timeouts.read(timeout, this);
    }

    /** The read timeout, {@link Duration#ZERO} when there is none. */
    public final Duration readTimeout() {
        return timeouts.read();
    }

    /**
     * Bounds how long each send waits to move a byte: a send ({@code send}, {@code sendTo}, each send of a
     * {@code sendAll}) still blocked after {@code timeout} (a peer that does not read, its window full)
     * completes with a {@link io.veloq.api.IoErrorKind#TIMED_OUT} error. A {@code sendAll} makes progress with
     * each send, so it fails only when one send moves nothing for that long; the buffer's reader index shows
     * how far it got. What the peer received after a timed-out send is unknown: close the socket. Applies like
     * {@link #readTimeout(Duration)}; {@code null} or zero: none (the default).
     *
     * @throws IllegalArgumentException if {@code timeout} is negative or too long to count in nanoseconds
     */
    public final void writeTimeout(Duration timeout) {
        timeouts.write(timeout, this);
    }

    /** The write timeout, {@link Duration#ZERO} when there is none. */
    public final Duration writeTimeout() {
        return timeouts.write();
    }

    @Override
    final Duration deadlineFor(OpPayload payload) {
        return timeouts.deadlineFor(payload);
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

    /**
     * Receives into {@code buf} and waits at most {@code timeout} for the first byte: a per-call timeout, in place
     * of the socket's {@link #readTimeout()} for this call. The completer and future shapes take theirs as the
     * op's deadline: {@code loop().submit(recvOp(buf, completer).deadline(timeout))}.
     *
     * <pre>{@code
     * int n = stream.recv(buf, Duration.ofSeconds(5));   // SocketTimeoutException after 5 s without a byte
     * }</pre>
     *
     * @throws java.net.SocketTimeoutException when nothing arrived in time; the buffer is the caller's, the
     *         socket stays open
     * @since 0.2
     */
    public int recv(FixedBuf buf, Duration timeout) throws IOException {
        return (int) callTracked(new Recv(fd, buf), timeout).valueOrThrow();
    }

    // ---- vectored receive: one op fills several buffers ----

    /**
     * A reusable vectored receive ({@code recvmsg}/{@code readv} with an {@code iovec} per buffer;
     * {@code WSARecv} with several {@code WSABUF}s): fills the free space of the buffers of {@code vec} in order
     * and completes with the total (0 at end of stream), each buffer's writer index advanced by what it took.
     * Every driver supports it.
     *
     * <pre>{@code
     * BufVec in = BufVec.of(a, b, c);                     // three pooled buffers: 48 KiB in one op
     * Op<RecvMsg> recv = stream.recvOp(in, op -> { ...; stream.loop().resubmit(op); });
     * stream.loop().submit(recv);
     * }</pre>
     *
     * @since 0.2
     */
    public Op<RecvMsg> recvOp(BufVec vec, Completer<RecvMsg> completer) {
        return reusable(new RecvMsg(fd, vec), completer);
    }

    /** Receives into the buffers of {@code vec} in one op; {@code completer} runs on the loop thread. @since 0.2 */
    public Op<RecvMsg> recv(BufVec vec, Completer<RecvMsg> completer) {
        requireOpenUnchecked("recv");
        return submitTracked(new RecvMsg(fd, vec), completer);
    }

    /** Receives into the buffers of {@code vec} in one op; the completion carries the vector back. @since 0.2 */
    public CompletableFuture<Completion<RecvMsg>> recvAsync(BufVec vec) {
        requireOpenUnchecked("recv");
        return submitTrackedAsync(new RecvMsg(fd, vec));
    }

    /** Receives into the buffers of {@code vec} in one op and waits; returns the total, 0 at end of stream. @since 0.2 */
    public long recv(BufVec vec) throws IOException {
        return callTracked(new RecvMsg(fd, vec)).valueOrThrow();
    }

    /**
     * Receives into the buffers of {@code vec} in one op and waits at most {@code timeout} for the first byte, in
     * place of the socket's read timeout for this call; returns the total, 0 at end of stream.
     *
     * @throws java.net.SocketTimeoutException when nothing arrived in time; the buffers are the caller's
     * @since 0.2
     */
    public long recv(BufVec vec, Duration timeout) throws IOException {
        return callTracked(new RecvMsg(fd, vec), timeout).valueOrThrow();
    }

    // ---- vectored send: one op drains several buffers ----

    /**
     * A reusable vectored send ({@code sendmsg}/{@code writev}; {@code WSASend}): sends the readable bytes of
     * every buffer of {@code vec}, in order, in one op; completes with the total sent, which may be less than
     * asked (each buffer's reader index says how far it got). See {@code StreamSocket.sendAll(BufVec)} for the
     * op that continues until everything is sent. Every driver supports it.
     *
     * @since 0.2
     */
    public Op<SendMsg> sendOp(BufVec vec, Completer<SendMsg> completer) {
        return reusable(new SendMsg(fd, vec), completer);
    }

    /** Sends the readable bytes of {@code vec}'s buffers in one op (may be short); completer on the loop thread. @since 0.2 */
    public Op<SendMsg> send(BufVec vec, Completer<SendMsg> completer) {
        requireOpenUnchecked("send");
        return submitTracked(new SendMsg(fd, vec), completer);
    }

    /** Sends the readable bytes of {@code vec}'s buffers in one op (may be short). @since 0.2 */
    public CompletableFuture<Completion<SendMsg>> sendAsync(BufVec vec) {
        requireOpenUnchecked("send");
        return submitTrackedAsync(new SendMsg(fd, vec));
    }

    /** Sends the readable bytes of {@code vec}'s buffers in one op and waits; returns the total (may be short). @since 0.2 */
    public long send(BufVec vec) throws IOException {
        return callTracked(new SendMsg(fd, vec)).valueOrThrow();
    }

    /**
     * Sends the readable bytes of {@code vec}'s buffers in one op, waiting at most {@code timeout} for it to move
     * a byte, in place of the socket's write timeout; returns the total (may be short).
     *
     * @throws java.net.SocketTimeoutException when the peer's window stayed full that long
     * @since 0.2
     */
    public long send(BufVec vec, Duration timeout) throws IOException {
        return callTracked(new SendMsg(fd, vec), timeout).valueOrThrow();
    }

    /**
     * Receives every chunk until the connection ends, into buffers of {@code ring}, with one multishot
     * receive (one submission for all of them): {@code receiver} gets each chunk (release its buffer when
     * done: it goes back into the ring), then the end. When the ring runs dry the receive pauses and re-arms
     * by itself once a buffer is released; when the kernel ends it for lack of completion-queue room it
     * re-arms at once; neither reaches {@code receiver}. Closing the socket ends it.
     *
     * <pre>{@code
     * BufRing ring = loop.openBufRing(256);             // shared by every connection of the loop
     * stream.recvEach(ring, new ChunkReceiver() { ... });
     * }</pre>
     *
     * @param ring a ring of this socket's loop ({@link EventLoop#openBufRing}); needs
     *             {@link io.veloq.api.Capability#MULTISHOT}
     * @return the receive op, to cancel it ({@code loop().cancel(op)}); it is reused when re-armed
     * @since 0.3
     */
    public Op<RecvMultishot> recvEach(BufRing ring, ChunkReceiver receiver) {
        java.util.Objects.requireNonNull(ring, "ring");
        java.util.Objects.requireNonNull(receiver, "receiver");
        requireOpenUnchecked("recv");
        return new RingReceive(this, ring, receiver).start();
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

    /**
     * Sends the readable bytes of {@code buf} once, waiting at most {@code timeout} for the send to move a byte:
     * a per-call timeout, in place of the socket's {@link #writeTimeout()}. Returns the count (may be short).
     *
     * @throws java.net.SocketTimeoutException when the peer's window stayed full that long
     * @since 0.2
     */
    public int send(FixedBuf buf, Duration timeout) throws IOException {
        return (int) callTracked(new Send(fd, buf), timeout).valueOrThrow();
    }
}
