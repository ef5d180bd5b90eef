package io.veloq.api.net;

import io.veloq.api.Completer;
import io.veloq.api.Completion;
import io.veloq.api.EventLoop;
import io.veloq.api.IoFd;
import io.veloq.api.Op;
import io.veloq.api.buffer.FixedBuf;
import io.veloq.api.internal.stream.SocketTransport;
import io.veloq.api.internal.stream.TransportInputStream;
import io.veloq.api.internal.stream.TransportOutputStream;
import io.veloq.api.op.Close;
import io.veloq.api.op.Open;
import io.veloq.api.op.Send;
import io.veloq.api.op.SendFile;
import io.veloq.api.op.Shutdown;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.SocketAddress;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Path;
import java.util.Objects;
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
     * Resubmit it with {@code loop().submit(op.reset())}; nothing is allocated per send.
     */
    public Op<Send> sendAllOp(FixedBuf buf, Completer<Send> completer) {
        Objects.requireNonNull(completer, "completer");
        return reusable(new Send(fd, buf), new SendAllLoop(completer));
    }

    /** Sends every readable byte of {@code buf}; {@code completer} runs once on the loop thread. Returns the op. */
    public Op<Send> sendAll(FixedBuf buf, Completer<Send> completer) {
        requireOpenUnchecked("sendAll");
        Objects.requireNonNull(completer, "completer");
        return submitTracked(new Send(fd, buf), new SendAllLoop(completer));
    }

    /**
     * Sends every readable byte of {@code buf}. The completion's value is the total sent; on failure it
     * carries the error and the buffer (its reader index shows how far it got).
     */
    public CompletableFuture<Completion<Send>> sendAllAsync(FixedBuf buf) {
        requireOpenUnchecked("sendAll");
        int total = buf.readableBytes();
        CompletableFuture<Completion<Send>> f = new CompletableFuture<>();
        submitTracked(new Send(fd, buf), new SendAllLoop(op ->
                f.complete(new Completion<>(op.payload(), op.isSuccess() ? total : 0, op.error()))));
        return f;
    }

    /** Sends every readable byte of {@code buf} and waits; returns the total. */
    public long sendAll(FixedBuf buf) throws IOException {
        long total = 0;
        while (buf.readableBytes() > 0) {
            total += callTracked(new Send(fd, buf)).valueOrThrow();
        }
        return total;
    }

    /** Resubmits a send until its buffer is drained, then hands the op to the application's completer. */
    private final class SendAllLoop implements Completer<Send> {
        private final Completer<Send> then;

        SendAllLoop(Completer<Send> then) {
            this.then = then;
        }

        @Override
        public void onComplete(Op<Send> op) {
            if (op.isSuccess() && op.result() > 0 && op.payload().buf().readableBytes() > 0 && isOpen()) {
                loop.submit(op.reset());
                return;
            }
            then.onComplete(op);
        }
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
