package io.veloq.examples.http;

import io.veloq.api.Capability;
import io.veloq.api.Completer;
import io.veloq.api.EventLoop;
import io.veloq.api.IoErrorKind;
import io.veloq.api.IoFd;
import io.veloq.api.Op;
import io.veloq.api.OpState;
import io.veloq.api.buffer.FixedBuf;
import io.veloq.api.net.ShutdownHow;
import io.veloq.api.net.TcpStream;
import io.veloq.api.op.OpPayload;
import io.veloq.api.op.Read;
import io.veloq.api.op.ReadFixed;
import io.veloq.api.op.Recv;
import io.veloq.api.op.Send;
import io.veloq.api.op.SendFile;
import io.veloq.api.tls.TlsCompleter;
import io.veloq.api.tls.TlsStream;

import java.io.IOException;
import java.net.SocketTimeoutException;
import java.nio.channels.ClosedChannelException;
import java.time.Duration;
import java.util.Arrays;

/**
 * One HTTP/1.1 connection: two buffers from the loop's registered pool ({@code in} for requests,
 * {@code out} for responses) and reusable ops, so a keep-alive connection serving a cached file allocates
 * nothing per request.
 *
 * <p>At most one op is in flight per connection, and the state machine is {@link #pump()}: parse the next
 * request out of {@code in}, write its response head into {@code out}, and {@code ReadFixed} the file body
 * straight into {@code out} behind the head (the loop's pool is registered with the kernel, so the read
 * names the registered buffer instead of pinning pages; a driver without registered buffers, such as nio,
 * gets a plain {@code Read}). Pipelined requests are answered into the same
 * {@code out} until it is full or the next request is not complete yet; then one send-all writes the batch.
 * A body larger than {@code out} goes out with {@code SendFile} where the driver has it (io_uring: the file's
 * pages are spliced to the socket, 256 KiB per op, no copy through a buffer), right after the head and
 * whatever pipelined responses precede it; on a driver without it, in buffer-sized chunks, each a
 * {@code ReadFixed} and a send. Only when everything is sent does the connection receive again, so a client that sends without reading is held back by TCP, not by memory.
 *
 * <p>Errors: a failed or cancelled op (peer reset, idle timeout, shutdown) ends the connection; the buffers
 * are the connection's again in every completer, and {@link #finish()} returns them. A response that asks
 * to close (an error, {@code Connection: close}, HTTP/1.0) is sent, then the write side is shut down and the
 * rest of the client's bytes are read and dropped until it closes (a "lingering close": closing with unread
 * bytes would reset the connection and could destroy the response before the client read it).
 *
 * <p>HTTPS: the requests come in and the responses go out through a {@link TlsStream} over the socket (its
 * first receive runs the handshake); the rest is the same. The file body is still read straight into
 * {@code out}, and the TLS stream encrypts from there into its record buffer.
 *
 * <p>Loop thread only.
 */
final class HttpConnection {
    /** Free space in {@code in} below which the unparsed rest moves to the front before the next receive. */
    private static final int COMPACT_BELOW = 2048;
    /** Read ops kept per connection: a body of up to this many buffers is sent again without allocating. */
    private static final int MAX_CACHED_READS = 96;
    /** SendFile ops kept per connection (io_uring moves 256 KiB per op: 16 MiB bodies reuse them). */
    private static final int MAX_CACHED_SENDFILES = 64;
    private final HttpLoop owner;
    private final TcpStream stream;
    private final EventLoop loop;
    private final FixedBuf in;
    private final FixedBuf out;
    private final Op<Recv> recv;
    private final Op<Send> send;
    /** Null for plain HTTP. Its calls are not ops: {@code tlsBusy} says one is pending. */
    private final TlsStream tls;
    private final TlsCompleter tlsReceived = this::tlsReceived;
    private final TlsCompleter tlsSent = this::tlsSent;
    private boolean tlsBusy;
    private final Completer<ReadFixed> readDone = this::read;
    private final Completer<Read> plainReadDone = this::read;
    /** The loop's pool is registered with the driver: file reads are ReadFixed, else plain Read (the nio driver). */
    private final boolean registered;
    private final Completer<SendFile> sendFileDone = this::sentFile;
    /** Bodies larger than {@code out} go out with SendFile (the driver has it). */
    private final boolean sendFiles;
    /**
     * The read ops of the last responses, by chunk number: a payload's offset is final, so each chunk of a body
     * needs its own op, and a client fetching the same file again reuses them instead of allocating.
     */
    @SuppressWarnings("unchecked")
    private final Op<? extends OpPayload>[] reads = new Op[MAX_CACHED_READS];
    /** The SendFile ops of the last large body, by transfer number, kept for the same reason. */
    @SuppressWarnings("unchecked")
    private final Op<SendFile>[] fileSends = new Op[MAX_CACHED_SENDFILES];
    private int chunk;
    private Op<?> inFlight;

    // The response being written: its status (0 = none), the file it serves, and how far the body got.
    private int status;
    private boolean headPending;
    private boolean headOnly;
    private boolean keepAliveHeader;
    /** The body of the response being written goes out with SendFile. */
    private boolean sendingFile;
    private LoopFiles.Slot file;
    private long fileOffset;
    private long fileRemaining;
    /** Once a response asks to close, nothing after it is read. */
    private boolean closeAfter;
    /** Request body bytes still to drop (a GET may carry a small body; it is ignored). */
    private long discard;
    /** The path being resolved by the catalog: no op is in flight meanwhile. */
    private byte[] resolving;
    private boolean lingering;
    private boolean finished;
    // Intrusive list of the loop's open connections.
    HttpConnection prev;
    HttpConnection next;

    HttpConnection(HttpLoop owner, TcpStream stream, TlsStream tls, FixedBuf in, FixedBuf out, Duration idleTimeout) {
        this.owner = owner;
        this.stream = stream;
        this.loop = stream.loop();
        this.in = in;
        this.out = out;
        // A peer silent for idleTimeout, or one that stops reading a response for that long, is dropped.
        stream.readTimeout(idleTimeout);
        stream.writeTimeout(idleTimeout);
        this.tls = tls;
        this.recv = tls == null ? stream.recvOp(in, this::received) : null;
        this.send = tls == null ? stream.sendAllOp(out, this::sent) : null;
        this.sendFiles = tls == null && owner.sendFiles(); // TLS encrypts from the buffer: no file -> socket path
        this.registered = loop.capabilities().contains(Capability.REGISTERED_BUFFERS);
    }

    void start() {
        receive();
    }

    private void receive() {
        if (tls == null) {
            submit(recv);
        } else {
            tlsBusy = true;
            tls.recv(in, tlsReceived);
        }
    }

    private void sendOut() {
        if (tls == null) {
            submit(send);
        } else {
            tlsBusy = true;
            tls.sendAll(out, tlsSent);
        }
    }

    // ---- completions ----

    private void received(Op<Recv> op) {
        inFlight = null;
        received(op.isSuccess(), op.isSuccess() ? op.result() : 0, op.isSuccess() ? null : op.error().kind());
    }

    private void tlsReceived(int n, IOException e) {
        tlsBusy = false;
        received(e == null, n, kindOf(e));
    }

    private void received(boolean ok, long n, IoErrorKind error) {
        if (!ok || n == 0 || owner.stopping()) {
            // reset, idle timeout, cancelled at shutdown, or end of stream: nothing more to answer
            if (!ok && !lingering) {
                owner.connectionEnded(error);
            }
            finish();
            return;
        }
        if (lingering) {
            in.clear(); // drop what the client still sends until it closes
            receive();
            return;
        }
        pump();
    }

    private void sent(Op<Send> op) {
        inFlight = null;
        sent(op.isSuccess(), op.isSuccess() ? null : op.error().kind());
    }

    private void tlsSent(int n, IOException e) {
        tlsBusy = false;
        sent(e == null, kindOf(e));
    }

    private void sent(boolean ok, IoErrorKind error) {
        if (!ok || owner.stopping()) {
            if (!ok) {
                owner.connectionEnded(error);
            }
            finish();
            return;
        }
        out.clear();
        pump();
    }

    /** What a TLS failure counts as: a timeout, a close (shutdown), or null for any other connection error. */
    private static IoErrorKind kindOf(IOException e) {
        if (e == null) {
            return null;
        }
        if (e instanceof SocketTimeoutException) {
            return IoErrorKind.TIMED_OUT;
        }
        if (e instanceof ClosedChannelException) {
            return IoErrorKind.CANCELLED; // AsynchronousCloseException too: the server stopping
        }
        return HttpServer.kindOf(e);
    }

    private void read(Op<?> op) {
        inFlight = null;
        if (!op.isSuccess() || op.result() == 0 || owner.stopping()) {
            // an I/O error, or the file shrank under us: the promised Content-Length cannot be kept
            if (!op.isSuccess() && op.error().kind() != IoErrorKind.CANCELLED) {
                owner.fileErrors++;
            }
            finish();
            return;
        }
        long n = op.result();
        if (n > fileRemaining) { // the file grew since it was sized: send what Content-Length announced
            out.writerIndex(out.writerIndex() - (int) (n - fileRemaining));
            n = fileRemaining;
        }
        fileOffset += n;
        fileRemaining -= n;
        pump();
    }

    private void sentFile(Op<SendFile> op) {
        inFlight = null;
        if (!op.isSuccess() || op.result() == 0 || owner.stopping()) {
            // reset, timed out, cancelled at shutdown, or the file shrank under us (0: end of file before
            // Content-Length): the response cannot be completed
            if (!op.isSuccess()) {
                if (op.error().kind() == IoErrorKind.CANCELLED || op.error().kind() == IoErrorKind.TIMED_OUT
                        || op.error().kind() == IoErrorKind.CONNECTION_RESET || op.error().kind() == IoErrorKind.BROKEN_PIPE) {
                    owner.connectionEnded(op.error().kind());
                } else {
                    owner.fileErrors++;
                }
            }
            finish();
            return;
        }
        long n = op.result();
        fileOffset += n;
        fileRemaining -= n;
        pump();
    }

    /** The catalog's answer for the path this connection waits on. */
    void resolved(byte[] key, FileEntry entry) {
        LoopFiles.Slot slot = owner.files().install(key, entry);
        if (finished) {
            if (slot.evicted && slot.users == 0) {
                owner.files().acquire(slot);
                owner.files().release(slot); // a one-off slot: drop its reference
            }
            return;
        }
        resolving = null;
        respond(slot);
        pump();
    }

    // ---- the state machine ----

    /** Moves on until an op must be waited for; on return one op is in flight, or the connection waits on the catalog. */
    private void pump() {
        for (;;) {
            if (status != 0) {
                if (headPending && !writeHead()) {
                    flushOrReceive();
                    return;
                }
                if (fileRemaining > 0) {
                    if (sendingFile) {
                        if (out.readableBytes() > 0) {
                            flushOrReceive(); // the head (and responses before it) first, in order
                        } else {
                            sendFile();
                        }
                    } else if (out.writableBytes() == 0) {
                        flushOrReceive();
                    } else {
                        readFile();
                    }
                    return;
                }
                endResponse();
                continue;
            }
            if (closeAfter) {
                flushOrReceive();
                return;
            }
            int readable = in.readableBytes();
            if (readable == 0) {
                flushOrReceive();
                return;
            }
            if (discard > 0) {
                int d = (int) Math.min(discard, readable);
                in.readerIndex(in.readerIndex() + d);
                discard -= d;
                continue;
            }
            if (!nextRequest(readable)) {
                return;
            }
        }
    }

    /** Parses the next request and starts its response; false when it waits (more bytes, or the catalog). */
    private boolean nextRequest(int readable) {
        byte[] scratch = owner.scratch();
        int r = in.readerIndex();
        int n = Math.min(readable, scratch.length);
        in.get(scratch, 0, n);
        in.readerIndex(r);
        RequestParser p = owner.parser();
        int result = p.parse(scratch, 0, n, owner.maxHeaderBytes());
        if (result == RequestParser.INCOMPLETE) {
            flushOrReceive();
            return false;
        }
        owner.requests++;
        if (result != RequestParser.OK) {
            error(result, true, false);
            return true;
        }
        in.readerIndex(r + p.headLength);
        headOnly = p.method == RequestParser.Method.HEAD;
        keepAliveHeader = !p.http11 && !p.close;
        if (p.transferEncoding) {
            error(501, true, headOnly); // a body of unknown length could not be skipped
            return true;
        }
        if (p.contentLength > owner.maxBodyBytes()) {
            error(413, true, headOnly);
            return true;
        }
        discard = p.contentLength;
        closeAfter = p.close;
        if (p.method == RequestParser.Method.OTHER) {
            error(405, false, false);
            return true;
        }
        LoopFiles.Slot slot = owner.files().find(scratch, p.pathStart, p.pathEnd);
        if (slot == null) {
            resolving = Arrays.copyOfRange(scratch, p.pathStart, p.pathEnd);
            owner.resolve(resolving, this);
            return false;
        }
        respond(slot);
        return true;
    }

    private void respond(LoopFiles.Slot slot) {
        FileEntry e = slot.entry;
        if (e.status != 200) {
            error(e.status, false, headOnly);
            return;
        }
        owner.files().acquire(slot);
        file = slot;
        status = 200;
        headPending = true;
        fileOffset = 0;
        fileRemaining = headOnly ? 0 : e.size;
        sendingFile = sendFiles && fileRemaining > out.capacity();
        chunk = 0;
    }

    private void error(int code, boolean close, boolean head) {
        status = code;
        headPending = true;
        headOnly = head;
        closeAfter |= close;
        fileRemaining = 0;
        sendingFile = false;
        owner.errorResponses++;
    }

    /** Writes the response head (and an error's body) into {@code out}; false when it does not fit yet. */
    private boolean writeHead() {
        byte[] head = status == 200 ? file.entry.head : Responses.head(status);
        byte[] body = status == 200 || headOnly ? null : Responses.body(status);
        byte[] date = owner.dateLine();
        byte[] connection = closeAfter ? Responses.CONNECTION_CLOSE
                : keepAliveHeader ? Responses.CONNECTION_KEEP_ALIVE : null;
        int need = head.length + date.length + (connection == null ? 0 : connection.length) + Responses.CRLF.length
                + (body == null ? 0 : body.length);
        // A body that fits in an empty buffer is not split over two sends: that would cost a second read op
        // (at another offset) and a send of a few bytes.
        int whole = need + (int) Math.min(fileRemaining, out.capacity());
        if (out.writableBytes() < need || (whole <= out.capacity() && out.writableBytes() < whole)) {
            if (out.readableBytes() == 0) {
                throw new IllegalStateException("response head of " + need + " bytes does not fit in an empty "
                        + out.capacity() + "-byte buffer");
            }
            return false;
        }
        out.put(head).put(date);
        if (connection != null) {
            out.put(connection);
        }
        out.put(Responses.CRLF);
        if (body != null) {
            out.put(body);
        }
        headPending = false;
        return true;
    }

    private void endResponse() {
        if (file != null) {
            owner.files().release(file);
            file = null;
        }
        status = 0;
        owner.responses++;
    }

    private void readFile() {
        IoFd fd = file.entry.fd;
        int k = chunk++;
        Op<? extends OpPayload> op = k < reads.length ? reads[k] : null;
        if (op != null && op.payload().fd() == fd && offset(op.payload()) == fileOffset) {
            op.reset(); // the same chunk of the same file as before: the same op again
        } else {
            op = registered ? Op.of(new ReadFixed(fd, out, fileOffset), readDone)
                    : Op.of(new Read(fd, out, fileOffset), plainReadDone);
            if (k < reads.length) {
                reads[k] = op;
            }
        }
        submit(op);
    }

    private static long offset(OpPayload p) {
        return p instanceof ReadFixed r ? r.offset() : ((Read) p).offset();
    }

    private void sendFile() {
        IoFd fd = file.entry.fd;
        int k = chunk++;
        Op<SendFile> op = k < fileSends.length ? fileSends[k] : null;
        SendFile p = op == null ? null : op.payload();
        if (p != null && p.file() == fd && p.offset() == fileOffset && p.count() == fileRemaining) {
            op.reset(); // the same transfer of the same file as before: the same op again
        } else {
            op = stream.sendFileOp(fd, fileOffset, fileRemaining, sendFileDone);
            if (k < fileSends.length) {
                fileSends[k] = op;
            }
        }
        submit(op);
    }

    /** Sends what {@code out} holds; with nothing to send, receives (or closes after a closing response). */
    private void flushOrReceive() {
        if (out.readableBytes() > 0) {
            sendOut();
            return;
        }
        if (closeAfter && status == 0) {
            linger();
            return;
        }
        if (in.readableBytes() == 0) {
            in.clear();
        } else if (in.writableBytes() < COMPACT_BELOW) {
            in.compact(); // rare: a partial request near the end of the buffer
        }
        receive();
    }

    private void linger() {
        lingering = true;
        if (tls != null) {
            tlsBusy = true;
            tls.shutdownOutput((n, e) -> { // close_notify
                tlsBusy = false;
                if (e != null || owner.stopping()) {
                    finish();
                    return;
                }
                in.clear();
                receive();
            });
            return;
        }
        Op<?> shut = stream.shutdown(ShutdownHow.WRITE, op -> {
            inFlight = null;
            if (!op.isSuccess() || owner.stopping()) {
                finish();
                return;
            }
            in.clear();
            receive();
        });
        inFlight = shut;
    }

    private void submit(Op<?> op) {
        if (op.state() == OpState.COMPLETED) {
            op.reset();
        }
        inFlight = op;
        loop.submit(op);
    }

    /** Returns the buffers, drops the file, closes the socket, leaves the loop's list. Idempotent. */
    void finish() {
        if (finished) {
            return;
        }
        finished = true;
        if (file != null) {
            owner.files().release(file);
            file = null;
        }
        // No op is in flight here (this runs from a completer, or from stop() with nothing pending), so both
        // buffers are ours whatever the last op did.
        in.release();
        out.release();
        if (tls != null) {
            owner.closeTls(tls);
        } else {
            owner.closeSocket(stream);
        }
        owner.closed(this);
    }

    /** At shutdown: cancels the op in flight (its completer then finishes), or finishes at once. */
    void stop() {
        if (tlsBusy) {
            owner.closeTls(tls); // the pending TLS call fails with AsynchronousCloseException: its completer finishes
            return;
        }
        Op<?> op = inFlight;
        if (op != null && op.state() == OpState.SUBMITTED) {
            loop.cancel(op);
        } else if (resolving != null || op == null) {
            finish();
        }
    }
}
