package io.veloq.api.net;

import io.veloq.api.Completer;
import io.veloq.api.Completion;
import io.veloq.api.EventLoop;
import io.veloq.api.IoFd;
import io.veloq.api.Op;
import io.veloq.api.buffer.BufVec;
import io.veloq.api.buffer.FixedBuf;
import io.veloq.api.op.OpPayload;
import io.veloq.api.op.Send;
import io.veloq.api.op.SendMsg;
import io.veloq.api.internal.stream.SocketTransport;
import io.veloq.api.internal.stream.TransportInputStream;
import io.veloq.api.internal.stream.TransportOutputStream;
import io.veloq.api.op.Close;
import io.veloq.api.op.Open;
import io.veloq.api.op.SendFile;
import io.veloq.api.op.Shutdown;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Path;
import java.util.Objects;
import java.util.function.ToLongFunction;
import java.util.concurrent.CompletableFuture;

/**
 * A connected stream socket: {@link TcpStream} or {@link UnixStream}. Adds to {@link DataSocket} the
 * send that loops on short writes ({@code sendAll}), a file's bytes sent without a copy through user space
 * ({@code sendFile}), shutdown of one direction, and the peer address.
 *
 * <pre>{@code
 * buf.put(request);
 * long sent = stream.sendAll(buf);          // every readable byte, however many sends it takes
 * stream.shutdown(ShutdownHow.WRITE);       // the peer reads end of stream; we can still receive
 * buf.clear();
 * while (stream.recv(buf) > 0) { ... }
 * }</pre>
 *
 * <h2>Blocking stream views</h2>
 * {@link #inputStream()}, {@link #outputStream()}, {@link #readableChannel()} and {@link #writableChannel()}
 * give the socket to code written for {@code java.io}/{@code java.nio.channels}, from plain or virtual
 * threads (never the loop thread):
 * <pre>{@code
 * try (TcpStream s = TcpStream.connect(rt, addr)) {
 *     var out = new BufferedWriter(new OutputStreamWriter(s.outputStream(), UTF_8));
 *     var in = new BufferedReader(new InputStreamReader(s.inputStream(), UTF_8));
 *     out.write("PING\r\n");
 *     out.flush();                      // the bytes leave on flush (or when the view's buffer is full)
 *     String reply = in.readLine();     // null at end of stream
 * }
 * }</pre>
 * Each direction buffers through one {@link FixedBuf} of the loop's pool, leased on first use and released
 * when the view or the socket closes; a refill or a flush is one op, and the calling thread parks until it
 * completes (a virtual thread unmounts; nothing spins). The input stream and the readable channel share one
 * buffer, as do the output stream and the writable channel, so they can be mixed.
 * <ul>
 *   <li><b>End of stream</b>: {@code read} returns -1 once the peer has shut down its output (FIN).</li>
 *   <li><b>{@code available()}</b>: the bytes already buffered, without a system call.</li>
 *   <li><b>Close</b>: closing any view closes the socket, as the streams of {@code java.net.Socket} do
 *       (the output view flushes first). To half-close, {@code flush()} the output view, then
 *       {@code shutdown(ShutdownHow.WRITE)}: the peer reads end of stream and you can still read.
 *       Closing the socket releases the views' buffers.</li>
 *   <li><b>Interrupts</b> (plain and virtual threads alike): the streams cancel the pending op and throw
 *       {@link java.io.InterruptedIOException}; the socket stays open and no byte is lost (received bytes
 *       that won the race are returned; unsent ones stay buffered for the next flush). The channels behave
 *       like the JDK's interruptible channels: they close the socket and throw
 *       {@link java.nio.channels.ClosedByInterruptException}.</li>
 *   <li><b>Closed meanwhile</b>: a read or write blocked while another thread closes the socket throws
 *       {@link java.nio.channels.AsynchronousCloseException}.</li>
 * </ul>
 *
 * @since 0.1
 */
public abstract sealed class StreamSocket extends DataSocket permits TcpStream, UnixStream {
    private volatile SocketAddress remote;
    private final HeapStage heapStage = new HeapStage();
    private volatile Views views;

    /** The blocking views, made on first use; one per direction, shared by the stream and the channel. */
    private record Views(TransportInputStream in, TransportOutputStream out) {
    }

    StreamSocket(EventLoop loop, IoFd fd, AddressFamily family, SocketAddress remote) {
        super(loop, fd, family);
        this.remote = remote;
    }

    /** The peer's address: as accept or connect reported it, else {@code getpeername}. */
    public SocketAddress remoteAddress() throws IOException {
        SocketAddress r = remote;
        if (r == null) {
            requireOpen();
            r = loop.remoteAddress(fd);
            remote = r;
        }
        return r;
    }

    // ---- blocking views ----

    /**
     * This socket's bytes as an {@link InputStream} (see "Blocking stream views" above): {@code read} parks
     * until a receive completes, returns -1 at end of stream. The same object on every call.
     *
     * @since 0.2
     */
    public InputStream inputStream() {
        return views().in();
    }

    /**
     * An {@link OutputStream} to this socket (see above): writes are batched in one pooled buffer and sent
     * when it is full or on {@code flush()}. The same object on every call.
     *
     * @since 0.2
     */
    public OutputStream outputStream() {
        return views().out();
    }

    /**
     * The input view as a {@link ReadableByteChannel}: shares the input stream's buffer; an interrupt closes
     * the socket ({@link java.nio.channels.ClosedByInterruptException}).
     *
     * @since 0.2
     */
    public ReadableByteChannel readableChannel() {
        return views().in().channel();
    }

    /**
     * The output view as a {@link WritableByteChannel}: each write is sent before it returns, after the bytes
     * the output stream has batched; an interrupt closes the socket.
     *
     * @since 0.2
     */
    public WritableByteChannel writableChannel() {
        return views().out().channel();
    }

    private Views views() {
        Views v = views;
        if (v == null) {
            synchronized (this) {
                v = views;
                if (v == null) {
                    SocketTransport t = new SocketTransport(this);
                    v = new Views(new TransportInputStream(t), new TransportOutputStream(t));
                    views = v;
                    if (!isOpen()) {
                        closing();
                    }
                }
            }
        }
        return v;
    }

    @Override
    void closing() {
        Views v = views;
        if (v != null) {
            v.in().transportClosed();
            v.out().transportClosed();
        }
    }

    // ---- send all ----

    /**
     * A reusable op that sends every readable byte of {@code buf}, resubmitting itself on short writes;
     * {@code completer} runs once, when all is sent ({@code buf.readableBytes() == 0}) or on the first
     * error (the reader index then shows how far it got). Its {@code result()} is the last send's count.
     * Resubmit it with {@code loop().resubmit(op)}; nothing is allocated per send.
     */
    public Op<Send> sendAllOp(FixedBuf buf, Completer<Send> completer) {
        Objects.requireNonNull(completer, "completer");
        return reusable(new Send(fd, buf), new SendAllLoop<>(completer, StreamSocket::unsent));
    }

    /** Sends every readable byte of {@code buf}; {@code completer} runs once on the loop thread. Returns the op. */
    public Op<Send> sendAll(FixedBuf buf, Completer<Send> completer) {
        requireOpenUnchecked("sendAll");
        Objects.requireNonNull(completer, "completer");
        return submitTracked(new Send(fd, buf), new SendAllLoop<>(completer, StreamSocket::unsent));
    }

    /**
     * Sends every readable byte of {@code buf}. The completion's value is the total sent; on failure it
     * carries the error and the buffer (its reader index shows how far it got).
     */
    public CompletableFuture<Completion<Send>> sendAllAsync(FixedBuf buf) {
        requireOpenUnchecked("sendAll");
        int total = buf.readableBytes();
        CompletableFuture<Completion<Send>> f = new CompletableFuture<>();
        submitTracked(new Send(fd, buf), new SendAllLoop<Send>(op ->
                f.complete(new Completion<>(op.payload(), op.isSuccess() ? total : 0, op.error())), StreamSocket::unsent));
        return f;
    }

    /** Sends every readable byte of {@code buf} and waits; returns the total. */
    public long sendAll(FixedBuf buf) throws IOException {
        return drain(new Send(fd, buf), StreamSocket::unsent, new Within());
    }

    /**
     * Sends every readable byte of {@code buf} and waits, all within {@code timeout}: a per-call deadline for the
     * whole transfer (each send gets what is left of it). On timeout the reader index shows how far it got and
     * what the peer received is unknown: close the socket.
     *
     * <pre>{@code
     * stream.sendAll(reply, Duration.ofSeconds(10));    // a peer that does not read for 10 s: SocketTimeoutException
     * }</pre>
     *
     * @since 0.2
     */
    public long sendAll(FixedBuf buf, Duration timeout) throws IOException {
        return drain(new Send(fd, buf), StreamSocket::unsent, new Within(timeout));
    }

    // ---- send all over a chain of buffers: one op, not one per buffer ----

    /**
     * Sends every readable byte of the buffers of {@code vec}, in order, with vectored sends: one
     * {@code SendMsg} ({@code sendmsg}/{@code WSASend}) for the whole chain, resubmitted only when the kernel takes
     * less than all of it. This is how to send a payload larger than one buffer (a file read into several pooled
     * buffers, a header plus a body) without a round trip per buffer. {@code completer} runs once, when all is
     * sent or on the first error (the buffers' reader indexes show how far it got). Returns the op.
     *
     * <pre>{@code
     * BufVec body = BufVec.withCapacity(64);
     * for (FixedBuf b : chunks) body.add(b);              // 64 x 16 KiB = 1 MiB
     * stream.sendAll(body, op -> { chunks.forEach(FixedBuf::release); });
     * }</pre>
     *
     * Every driver supports vectored ops (io_uring, IOCP, the fake).
     *
     * @since 0.2
     */
    public Op<SendMsg> sendAll(BufVec vec, Completer<SendMsg> completer) {
        requireOpenUnchecked("sendAll");
        Objects.requireNonNull(completer, "completer");
        return submitTracked(new SendMsg(fd, vec), new SendAllLoop<>(completer, StreamSocket::unsent));
    }

    /** A reusable {@link #sendAll(BufVec, Completer)}: resubmit it with {@code loop().resubmit(op)}. @since 0.2 */
    public Op<SendMsg> sendAllOp(BufVec vec, Completer<SendMsg> completer) {
        Objects.requireNonNull(completer, "completer");
        return reusable(new SendMsg(fd, vec), new SendAllLoop<>(completer, StreamSocket::unsent));
    }

    /** Sends every readable byte of {@code vec}'s buffers with vectored sends and waits; returns the total. @since 0.2 */
    public long sendAll(BufVec vec) throws IOException {
        return drain(new SendMsg(fd, vec), StreamSocket::unsent, new Within());
    }

    /**
     * Sends every readable byte of {@code vec}'s buffers with vectored sends and waits, all within {@code timeout}
     * (one deadline for the whole transfer, as for {@link #sendAll(FixedBuf, Duration)}); returns the total.
     *
     * @throws java.net.SocketTimeoutException when the peer did not take it all in time; the buffers' reader
     *         indexes show how far it got
     * @since 0.2
     */
    public long sendAll(BufVec vec, Duration timeout) throws IOException {
        return drain(new SendMsg(fd, vec), StreamSocket::unsent, new Within(timeout));
    }

    /** Sends until {@code send}'s buffers are drained: one blocking op after another, each within {@code within}. */
    private <P extends OpPayload> long drain(P send, ToLongFunction<P> unsent, Within within) throws IOException {
        long total = 0;
        while (unsent.applyAsLong(send) > 0) {
            total += within.call(send);
        }
        return total;
    }

    /**
     * How long the blocking sends of one call may take: the socket's write timeout per send (no per-call
     * timeout), or one per-call deadline on the loop's clock for the whole transfer, each send getting what is
     * left of it (a null or zero per-call timeout: none).
     */
    private final class Within {
        private final boolean perCall;
        private final Duration timeout;
        private final long end;

        Within() {
            this.perCall = false;
            this.timeout = null;
            this.end = 0;
        }

        Within(Duration timeout) {
            this.perCall = true;
            this.timeout = SocketTimeouts.checked(timeout, "sendAll", StreamSocket.this);
            this.end = this.timeout == null ? 0 : loop.nanoTime() + this.timeout.toNanos();
        }

        <P extends OpPayload> long call(P payload) throws IOException {
            if (!perCall) {
                return callTracked(payload).valueOrThrow();
            }
            Duration left = timeout == null ? null : Duration.ofNanos(Math.max(1, end - loop.nanoTime()));
            return callTracked(payload, left).valueOrThrow();
        }
    }

    // ---- send all from the heap ----

    /**
     * Sends every remaining byte of {@code src} (a heap buffer, {@code ByteBuffer.wrap(bytes)}, or any other) and
     * waits, staging it through buffers leased from the loop's pool: up to 16 buffer-fulls are copied and go out
     * in one vectored send, then the next part. So a payload larger than one buffer costs one op per 16 buffers
     * (and per short write), not one per buffer. No direct buffer is allocated per call; the staging buffers go
     * back to the pool at the end. The position of {@code src} advances by what was sent.
     *
     * <pre>{@code
     * stream.sendAll(ByteBuffer.wrap("HTTP/1.1 200 OK\r\n...".getBytes(US_ASCII)));
     * }</pre>
     *
     * @throws IllegalStateException if the pool is at its cap (see {@code BufPool.lease})
     * @since 0.2
     */
    public long sendAll(ByteBuffer src) throws IOException {
        return sendHeap(src, new Within());
    }

    /**
     * Sends every remaining byte of {@code src}, staged as {@link #sendAll(ByteBuffer)} does, and waits, all
     * within {@code timeout} (one deadline for the whole transfer).
     *
     * @throws java.net.SocketTimeoutException when the peer did not take it all in time; the position of
     *         {@code src} says what was sent, what the peer received of the rest is unknown: close the socket
     * @since 0.2
     */
    public long sendAll(ByteBuffer src, Duration timeout) throws IOException {
        return sendHeap(src, new Within(timeout));
    }

    private long sendHeap(ByteBuffer src, Within within) throws IOException {
        requireOpen();
        BufVec stage = heapStage.take();
        long total = 0;
        try {
            while (src.hasRemaining()) {
                HeapStage.fill(stage, src, loop.bufPool());
                total += drain(new SendMsg(fd, stage), StreamSocket::unsent, within);
                HeapStage.releaseBuffers(stage);
            }
        } catch (IOException | RuntimeException e) {
            // What was staged but not sent goes back to src, so its position says what was sent.
            if (stage.owner() == null) {
                src.position(src.position() - (int) stage.readableBytes());
            }
            throw e;
        } finally {
            if (stage.owner() == null) {
                heapStage.giveBack(stage);
            }
        }
        return total;
    }

    /**
     * Sends every remaining byte of {@code src}, staged through pooled buffers as above, without waiting:
     * {@code completer} runs once on the loop thread with {@code src} (position at its limit) or with the first
     * error (position: what was sent). One op per call, resubmitted for every staged part and short write; the
     * staging buffers are leased at the start and released before {@code completer} runs. Do not touch
     * {@code src} until then.
     *
     * @since 0.2
     */
    public void sendAll(ByteBuffer src, Completer.OfValue<ByteBuffer> completer) {
        Objects.requireNonNull(completer, "completer");
        requireOpenUnchecked("sendAll");
        BufVec stage = heapStage.take();
        try {
            HeapStage.fill(stage, src, loop.bufPool());
            submitTracked(new SendMsg(fd, stage), new SendAllLoop<SendMsg>(op -> {
                BufVec v = op.payload().bufs();
                if (!op.isSuccess()) {
                    src.position(src.position() - (int) v.readableBytes());
                    heapStage.giveBack(v);
                    completer.onComplete(null, op.error());
                } else if (v.readableBytes() > 0 || src.hasRemaining()) {
                    if (v.readableBytes() == 0) {
                        HeapStage.releaseBuffers(v);
                        try {
                            HeapStage.fill(v, src, loop.bufPool());
                        } catch (RuntimeException poolAtItsCap) {
                            heapStage.giveBack(v);
                            completer.onComplete(null, poolAtItsCap);
                            return;
                        }
                    }
                    loop.resubmit(op);                   // a closed socket fails it: reported above
                } else {
                    heapStage.giveBack(v);
                    completer.onComplete(src, null);
                }
            }, StreamSocket::unsent));
        } catch (RuntimeException e) {
            if (stage.owner() == null) {
                src.position(src.position() - (int) stage.readableBytes());
                heapStage.giveBack(stage);
            }
            throw e;
        }
    }

    /**
     * Resubmits a send until its buffers are drained, then hands the op to the application's completer: for
     * {@code Send} (one buffer) and {@code SendMsg} (a vector) alike.
     */
    private final class SendAllLoop<P extends OpPayload> implements Completer<P> {
        private final Completer<P> then;
        private final ToLongFunction<P> remaining;

        SendAllLoop(Completer<P> then, ToLongFunction<P> remaining) {
            this.then = then;
            this.remaining = remaining;
        }

        @Override
        public void onComplete(Op<P> op) {
            if (op.isSuccess() && op.result() > 0 && remaining.applyAsLong(op.payload()) > 0 && isOpen()) {
                loop.resubmit(op);
                return;
            }
            then.onComplete(op);
        }
    }

    private static long unsent(Send s) {
        return s.buf().readableBytes();
    }

    private static long unsent(SendMsg s) {
        return s.bufs().readableBytes();
    }

    // ---- send file ----

    /**
     * A reusable {@link SendFile} of up to {@code count} bytes of {@code file} from {@code offset}, not yet
     * submitted: one transfer, which may be short (a driver moves at most one chunk per op, 256 KiB on
     * io_uring by default). It takes the {@link #writeTimeout(java.time.Duration) write timeout} as its
     * deadline. Needs {@link io.veloq.api.Capability#SEND_FILE}: without it the op completes with a
     * {@code NOT_SUPPORTED} error that names the capability.
     *
     * @param file a regular file open for reading ({@link Open#read}); its position is not used
     */
    public Op<SendFile> sendFileOp(IoFd file, long offset, long count, Completer<SendFile> completer) {
        return reusable(new SendFile(fd, file, offset, count), completer);
    }

    /**
     * Sends {@code count} bytes of {@code file} from {@code offset}, or up to its end if it is shorter,
     * submitting one {@link SendFile} after another over short transfers; {@code completer} runs once on the
     * loop thread: after the last byte (or at end of file: a transfer of 0), or on the first error. The range
     * sent ends at {@code op.payload().offset() + op.result()} of the op it gets. A 1 MiB file on io_uring
     * takes 4 ops and no pool buffer.
     *
     * <pre>{@code
     * stream.sendFile(file, 0, size, op -> {
     *     if (!op.isSuccess()) { stream.close(); return; }        // reset by the peer, timed out, closed
     *     long end = op.payload().offset() + op.result();          // == size unless the file shrank
     *     ...next request...
     * });
     * }</pre>
     *
     * @return the first op (cancel it to stop before the first transfer)
     */
    public Op<SendFile> sendFile(IoFd file, long offset, long count, Completer<SendFile> completer) {
        requireOpenUnchecked("sendFile");
        Objects.requireNonNull(completer, "completer");
        return submitTracked(new SendFile(fd, file, offset, count), new SendFileLoop(completer));
    }

    /**
     * Sends {@code count} bytes of {@code file} from {@code offset} (fewer if the file ends first) over as
     * many {@link SendFile}s as it takes. The completion's value is the total sent; on failure it carries
     * the error and the failed op's payload (its offset shows how far the earlier ops got).
     */
    public CompletableFuture<Completion<SendFile>> sendFileAsync(IoFd file, long offset, long count) {
        requireOpenUnchecked("sendFile");
        CompletableFuture<Completion<SendFile>> f = new CompletableFuture<>();
        submitTracked(new SendFile(fd, file, offset, count), new SendFileLoop(op -> f.complete(new Completion<>(
                op.payload(), op.isSuccess() ? op.payload().offset() + op.result() - offset : 0, op.error()))));
        return f;
    }

    /**
     * Sends {@code count} bytes of {@code file} from {@code offset} (fewer if the file ends first) and waits;
     * returns the total sent.
     *
     * @throws IOException the {@code java.net} form of the first error ({@code NOT_SUPPORTED} on a driver
     *                     without {@link io.veloq.api.Capability#SEND_FILE})
     */
    public long sendFile(IoFd file, long offset, long count) throws IOException {
        long sent = 0;
        while (sent < count) {
            long n = callTracked(new SendFile(fd, file, offset + sent, count - sent)).valueOrThrow();
            if (n == 0) {
                break; // end of file
            }
            sent += n;
        }
        return sent;
    }

    /**
     * Opens {@code file} for reading, sends its bytes from {@code offset} ({@code count} of them, fewer if
     * it ends first), closes it and returns the total sent. Blocking; the file is opened and closed through
     * this socket's loop.
     */
    public long sendFile(Path file, long offset, long count) throws IOException {
        requireOpen();
        IoFd f = IoFd.raw(loop.call(Open.read(file)).valueOrThrow());
        try {
            return sendFile(f, offset, count);
        } finally {
            loop.call(new Close(f));
        }
    }

    /** Submits the next SendFile after a short transfer, then hands the last op to the application's completer. */
    private final class SendFileLoop implements Completer<SendFile> {
        private final Completer<SendFile> then;

        SendFileLoop(Completer<SendFile> then) {
            this.then = then;
        }

        @Override
        public void onComplete(Op<SendFile> op) {
            SendFile p = op.payload();
            long n = op.result();
            if (op.isSuccess() && n > 0 && n < p.count() && isOpen()) {
                submitTracked(new SendFile(fd, p.file(), p.offset() + n, p.count() - n), this);
                return;
            }
            then.onComplete(op);
        }
    }

    // ---- shutdown ----

    /** Shuts down one direction (or both); {@code completer} runs on the loop thread. */
    public Op<Shutdown> shutdown(ShutdownHow how, Completer<Shutdown> completer) {
        requireOpenUnchecked("shutdown");
        return submitTracked(new Shutdown(fd, how), completer);
    }

    /** Shuts down one direction (or both). */
    public CompletableFuture<Completion<Shutdown>> shutdownAsync(ShutdownHow how) {
        requireOpenUnchecked("shutdown");
        return submitTrackedAsync(new Shutdown(fd, how));
    }

    /** Shuts down one direction (or both) and waits: {@code WRITE} sends FIN, the peer reads end of stream. */
    public void shutdown(ShutdownHow how) throws IOException {
        callTracked(new Shutdown(fd, how)).valueOrThrow();
    }
}
