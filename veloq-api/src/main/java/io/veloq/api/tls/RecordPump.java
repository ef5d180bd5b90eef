package io.veloq.api.tls;

import io.veloq.api.EventLoop;
import io.veloq.api.IoErrorKind;
import io.veloq.api.Op;
import io.veloq.api.bootstrap.ApiAccess;
import io.veloq.api.buffer.BufPool;
import io.veloq.api.buffer.FixedBuf;
import io.veloq.api.net.StreamSocket;
import io.veloq.api.op.Recv;
import io.veloq.api.op.Send;

import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLEngineResult.HandshakeStatus;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLHandshakeException;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.ClosedChannelException;
import java.util.ArrayList;
import java.util.List;

/**
 * The TLS state machine of one {@link TlsStream}, on its loop thread only: an {@link SSLEngine}, two record
 * buffers (ciphertext in, ciphertext out) with one reusable {@code Recv} and one reusable {@code Send} op on
 * the socket, and at most one pending read, one pending write, the handshake and the close. Every event (a
 * request, a socket completion, the end of a delegated task) calls {@link #pump()}, which moves whatever can
 * move: handshake messages, records of the caller's plaintext, records from the peer into the caller's buffer.
 *
 * <p>Short reads and writes of the socket never break a record: the engine is handed whole records only
 * (it answers {@code BUFFER_UNDERFLOW} otherwise and the pump receives more), and a send resubmits itself
 * until the ciphertext buffer is drained.
 */
final class RecordPump {
    private static final ByteBuffer EMPTY = ByteBuffer.allocate(0);
    private static final byte HANDSHAKE_RECORD = 22;

    private final TlsStream owner;
    private final EventLoop loop;
    private final StreamSocket socket;
    private final SSLEngine engine;
    private final TlsConfig config;
    private final BufPool records;
    private final int packetSize;

    private FixedBuf netIn;
    private FixedBuf netOut;
    private FixedBuf appIn;
    private ByteBuffer netInView;
    private ByteBuffer netOutView;
    private ByteBuffer appInView;
    private Op<Recv> recvOp;
    private Op<Send> sendOp;
    private boolean recvBusy;
    private boolean sendBusy;
    private boolean socketEof;

    // The pending requests: set on the loop thread by TlsStream, at most one of each kind.
    private FixedBuf readBuf;
    private TlsCompleter readDone;
    private FixedBuf writeBuf;
    private TlsCompleter writeDone;
    private int writeLimit;
    private int writeConsumed;
    private boolean writeCancelled;
    private final List<TlsCompleter> handshakeWaiters = new ArrayList<>(1);
    private final List<TlsCompleter> shutdownWaiters = new ArrayList<>(1);
    private final List<TlsCompleter> closeWaiters = new ArrayList<>(1);

    private boolean handshakeBegun;
    private boolean handshakeDone;
    private boolean tls13;
    private boolean outputShutdown;   // close_notify asked for
    private boolean closing;          // full close asked for
    private boolean socketClosing;
    private boolean released;
    private boolean tasksRunning;
    private boolean alertSending;
    private boolean sendFailed;       // a record may be half sent: no alert can follow it
    private IOException failure;      // sticky: every request fails with it
    private IOException readFailure;  // reads only (a truncated stream); writes may go on

    private boolean pumping;
    private boolean again;

    // Views of the caller's buffers, kept while the caller keeps using the same buffer: no allocation per record.
    private FixedBuf readViewOf;
    private ByteBuffer readView;
    private FixedBuf writeViewOf;
    private ByteBuffer writeView;
    private final ByteBuffer[] dsts2 = new ByteBuffer[2];
    private final ByteBuffer[] dsts1 = new ByteBuffer[1];

    private final Runnable tasksDone = this::tasksDone;

    RecordPump(TlsStream owner, StreamSocket socket, SSLEngine engine, TlsConfig config) {
        this.owner = owner;
        this.loop = socket.loop();
        this.socket = socket;
        this.engine = engine;
        this.config = config;
        this.records = config.recordBuffers();
        this.packetSize = engine.getSession().getPacketBufferSize();
        if (records.bufferSize() < packetSize) {
            throw new IllegalArgumentException("TLS record buffers of " + records.bufferSize() + " bytes cannot hold a "
                    + "record of " + packetSize + " bytes (SSLSession.getPacketBufferSize())");
        }
    }

    EventLoop loop() {
        return loop;
    }

    SSLEngine engine() {
        return engine;
    }

    boolean handshakeDone() {
        return handshakeDone;
    }

    // ---- requests (loop thread) ----

    void handshake(TlsCompleter done) {
        if (failure != null) {
            done.onComplete(0, failure);
            return;
        }
        if (handshakeDone) {
            done.onComplete(0, null);
            return;
        }
        handshakeWaiters.add(done);
        begin();
        pump();
    }

    void read(FixedBuf buf, TlsCompleter done) {
        if (readDone != null) {
            throw new IllegalStateException("a recv is already pending on " + owner + ": one at a time");
        }
        readBuf = buf;
        readDone = done;
        begin();
        pump();
    }

    void write(FixedBuf buf, int limit, TlsCompleter done) {
        if (writeDone != null) {
            throw new IllegalStateException("a send is already pending on " + owner + ": one at a time");
        }
        if (outputShutdown || closing) {
            done.onComplete(0, new ClosedChannelException());
            return;
        }
        writeBuf = buf;
        writeDone = done;
        writeLimit = limit;
        writeConsumed = 0;
        writeCancelled = false;
        begin();
        pump();
    }

    /** Ends the pending read early (an interrupted blocking read); the ciphertext already received stays. */
    void cancelRead() {
        if (readDone != null) {
            completeRead(0, new AsynchronousCloseException());
        }
    }

    /** Ends the pending write after what the engine has already taken from the buffer. */
    void cancelWrite() {
        if (writeDone != null) {
            writeCancelled = true;
            pump();
        }
    }

    void shutdownOutput(TlsCompleter done) {
        shutdownWaiters.add(done);
        outputShutdown = true;
        begin();
        pump();
    }

    void close(TlsCompleter done) {
        if (released) {
            done.onComplete(0, null);
            return;
        }
        closeWaiters.add(done);
        if (closing) {
            return;
        }
        closing = true;
        outputShutdown = true;
        if (readDone != null) {
            completeRead(0, new AsynchronousCloseException());
        }
        if (!handshakeBegun || failure != null) {
            closeSocket();
            return;
        }
        // A peer that does not read would keep close_notify (and this close) waiting forever.
        loop.schedule(() -> {
            if (!socketClosing) {
                closeSocket();
            }
        }, config.closeTimeout());
        pump();
    }

    private void begin() {
        if (handshakeBegun) {
            return;
        }
        handshakeBegun = true;
        try {
            engine.beginHandshake();
        } catch (SSLException e) {
            fail(e);
        }
    }

    // ---- the pump ----

    void pump() {
        if (pumping) {
            again = true;
            return;
        }
        pumping = true;
        try {
            do {
                again = false;
                step();
            } while (again);
        } finally {
            pumping = false;
        }
    }

    private void step() {
        if (failure != null) {
            failEverything();
            return;
        }
        if (tasksRunning || socketClosing) {
            return;
        }
        try {
            if (handshakeBegun && engine.getHandshakeStatus() == HandshakeStatus.NEED_TASK) {
                runTasks();
                return;
            }
            outbound();
            inbound();
            finishWrite();
            finishShutdown();
        } catch (IOException e) {
            fail(e);
            again = true;
        } catch (RuntimeException e) {
            // SSLEngine reports some failures as runtime exceptions (a bad record from the peer, say).
            fail(new SSLException("TLS failed on " + owner + ": " + e, e));
            again = true;
        }
    }

    private void runTasks() {
        tasksRunning = true;
        config.tasks().execute(() -> {
            try {
                for (Runnable t; (t = engine.getDelegatedTask()) != null; ) {
                    t.run();
                }
            } finally {
                try {
                    loop.execute(tasksDone);
                } catch (IllegalStateException closedRuntime) {
                    // The runtime is gone, and this stream with it.
                }
            }
        });
    }

    private void tasksDone() {
        tasksRunning = false;
        pump();
    }

    // ---- outbound: handshake messages, the caller's plaintext, close_notify ----

    private void outbound() throws IOException {
        if (sendBusy || !handshakeBegun) {
            return;
        }
        while (true) {
            HandshakeStatus hs = engine.getHandshakeStatus();
            ByteBuffer src;
            boolean user = false;
            if (hs == HandshakeStatus.NEED_WRAP) {
                src = EMPTY;
            } else if (hs == HandshakeStatus.NEED_TASK) {
                again = true;
                break;
            } else if (handshakeDone && !closing && writeDone != null && !writeCancelled && writeConsumed < writeLimit
                    && writeBuf.readableBytes() > 0 && !engine.isOutboundDone()) {
                src = writeViewOf(writeBuf);
                user = true;
            } else if (outputShutdown && !engine.isOutboundDone()
                    && (closing || (writeDone == null && (handshakeDone || hs == HandshakeStatus.NOT_HANDSHAKING)))) {
                engine.closeOutbound();
                continue;
            } else {
                break;
            }
            FixedBuf out = netOut();
            if (out.writableBytes() < packetSize) {
                break; // send what is there first
            }
            netOutView.limit(out.capacity()).position(out.writerIndex());
            SSLEngineResult r = engine.wrap(src, netOutView);
            out.writerIndex(netOutView.position());
            if (user) {
                writeBuf.readerIndex(src.position());
                writeConsumed += r.bytesConsumed();
            }
            if (r.getHandshakeStatus() == HandshakeStatus.FINISHED) {
                handshakeFinished();
            }
            if (r.getStatus() == SSLEngineResult.Status.BUFFER_OVERFLOW) {
                if (out.readableBytes() == 0) {
                    throw new SSLException("a TLS record does not fit the " + out.capacity() + "-byte record buffer of " + owner);
                }
                break;
            }
            if (r.getStatus() == SSLEngineResult.Status.CLOSED || (r.bytesProduced() == 0 && r.bytesConsumed() == 0)) {
                break;
            }
        }
        if (netOut != null && netOut.readableBytes() > 0) {
            sendBusy = true;
            if (sendOp == null) {
                sendOp = socket.sendOp(netOut, this::sent);
            } else {
                sendOp.reset();
            }
            sendOp.deadline(socket.writeTimeout());
            loop.submit(sendOp);
        }
    }

    private void sent(Op<Send> op) {
        if (op.isSuccess() && op.result() > 0 && netOut.readableBytes() > 0 && socket.isOpen()) {
            loop.submit(op.reset()); // a short write: the rest of the records, in order
            return;
        }
        sendBusy = false;
        if (!op.isSuccess()) {
            sendFailed = true;
            if (failure == null && !socketClosing) {
                failure = op.error().toJava();
            }
        } else {
            netOut.clear();
        }
        pump();
        releaseIfIdle();
    }

    private void finishWrite() {
        if (writeDone == null) {
            return;
        }
        boolean consumed = writeConsumed >= writeLimit || writeBuf.readableBytes() == 0;
        // Done once its records are sent; a cancelled write ends at once with what the engine took (those
        // records still go out, in order, before anything written later).
        if (writeCancelled || (consumed && !sendBusy)) {
            TlsCompleter c = writeDone;
            int n = writeConsumed;
            writeDone = null;
            writeBuf = null;
            again = true;
            c.onComplete(n, null);
        }
    }

    private void finishShutdown() {
        if (shutdownWaiters.isEmpty() && !closing) {
            return;
        }
        boolean notified = engine.isOutboundDone() && !sendBusy && (netOut == null || netOut.readableBytes() == 0);
        if (!notified) {
            return;
        }
        complete(shutdownWaiters, null);
        if (closing && !socketClosing) {
            closeSocket();
        }
    }

    // ---- inbound: handshake messages, records for the caller, close_notify ----

    private void inbound() throws IOException {
        while (true) {
            if (readDone != null && appIn != null && appIn.readableBytes() > 0) {
                int n = Math.min(appIn.readableBytes(), readBuf.writableBytes());
                if (n > 0) {
                    int lim = appIn.writerIndex();
                    appIn.writerIndex(appIn.readerIndex() + n);
                    readBuf.transferFrom(appIn);
                    appIn.writerIndex(lim);
                }
                releaseAppInIfEmpty();
                completeRead(n, null);
                continue;
            }
            if (!handshakeBegun) {
                return;
            }
            HandshakeStatus hs = engine.getHandshakeStatus();
            boolean handshaking = hs == HandshakeStatus.NEED_UNWRAP || hs == HandshakeStatus.NEED_UNWRAP_AGAIN;
            if (!handshaking && !(readDone != null && handshakeDone)) {
                return; // nobody wants records now: leave them in the socket (back-pressure)
            }
            if (engine.isInboundDone()) {
                if (readDone != null) {
                    completeRead(0, readFailure);
                }
                return;
            }
            if (readFailure != null) {
                completeRead(0, readFailure);
                return;
            }
            if (recvBusy) {
                return; // the buffer holds part of a record, and the socket is filling it: wait
            }
            FixedBuf in = netIn();
            if (in.readableBytes() == 0) {
                receiveMore();
                return;
            }
            if (handshakeDone && !tls13 && in.getByte(in.readerIndex()) == HANDSHAKE_RECORD) {
                throw new SSLHandshakeException("TLS renegotiation refused on " + owner + ": the peer started a new "
                        + "handshake on an established " + engine.getSession().getProtocol() + " connection; Veloq "
                        + "does not renegotiate (use a new connection)");
            }
            netInView.limit(in.writerIndex()).position(in.readerIndex());
            ByteBuffer[] dsts = destinations();
            SSLEngineResult r = engine.unwrap(netInView, dsts);
            in.readerIndex(netInView.position());
            int toCaller = settleDestinations();
            if (r.getHandshakeStatus() == HandshakeStatus.FINISHED) {
                handshakeFinished();
            }
            switch (r.getStatus()) {
                case BUFFER_UNDERFLOW -> {
                    receiveMore();
                    return;
                }
                case BUFFER_OVERFLOW -> {
                    if (appIn != null) {
                        throw new SSLException("a TLS record's plaintext does not fit the record buffer of " + owner);
                    }
                    appIn(); // the next round hands the engine room for a whole record
                    continue;
                }
                case CLOSED -> {
                    // close_notify from the peer: end of stream. Under TLS 1.2 the engine now wants to answer it.
                    releaseAppInIfEmpty();
                    if (readDone != null && toCaller == 0 && (appIn == null || appIn.readableBytes() == 0)) {
                        completeRead(0, null);
                    }
                    again = true;
                    return;
                }
                default -> {
                }
            }
            releaseAppInIfEmpty();
            if (toCaller > 0) {
                completeRead(toCaller, null);
            } else if (r.bytesConsumed() == 0 && r.bytesProduced() == 0) {
                return; // no progress: wait for the next event rather than spin
            }
            HandshakeStatus now = engine.getHandshakeStatus();
            if (now == HandshakeStatus.NEED_WRAP || now == HandshakeStatus.NEED_TASK) {
                again = true;
                return;
            }
        }
    }

    /** The engine's output space: the caller's free space (if a read waits) and the overflow buffer (if leased). */
    private ByteBuffer[] destinations() {
        ByteBuffer user = null;
        if (readDone != null && handshakeDone) {
            user = readViewOf(readBuf);
            user.limit(readBuf.capacity()).position(readBuf.writerIndex());
        }
        if (appIn != null) {
            appInView.limit(appIn.capacity()).position(appIn.writerIndex());
        }
        if (user != null && appIn != null) {
            dsts2[0] = user;
            dsts2[1] = appInView;
            return dsts2;
        }
        dsts1[0] = user != null ? user : appIn != null ? appInView : EMPTY;
        return dsts1;
    }

    /** Moves the writer indices after an unwrap; returns the bytes that went to the caller's buffer. */
    private int settleDestinations() {
        int toCaller = 0;
        if (readDone != null && handshakeDone && readViewOf == readBuf) {
            toCaller = readView.position() - readBuf.writerIndex();
            readBuf.writerIndex(readView.position());
        }
        if (appIn != null) {
            appIn.writerIndex(appInView.position());
        }
        return toCaller;
    }

    private void receiveMore() throws IOException {
        if (recvBusy) {
            return;
        }
        FixedBuf in = netIn();
        if (socketEof) {
            endOfSocket();
            return;
        }
        in.compact();
        if (in.writableBytes() == 0) {
            throw new SSLException("a TLS record larger than the " + in.capacity() + "-byte record buffer arrived on " + owner);
        }
        recvBusy = true;
        if (recvOp == null) {
            recvOp = socket.recvOp(in, this::received);
        } else {
            recvOp.reset();
        }
        recvOp.deadline(socket.readTimeout());
        loop.submit(recvOp);
    }

    private void received(Op<Recv> op) {
        recvBusy = false;
        if (!op.isSuccess() && op.error().kind() == IoErrorKind.TIMED_OUT && handshakeDone && !socketClosing) {
            // The socket's read timeout after the handshake: this read ends, the stream stays usable, as
            // SSLSocket's does after SO_TIMEOUT. Nothing was received, so no record is cut.
            if (readDone != null) {
                completeRead(0, op.error().toJava());
            }
        } else if (!op.isSuccess() && op.error().kind() == IoErrorKind.TIMED_OUT && !socketClosing) {
            // A peer silent that long in the middle of the handshake is dropped (a handshake cannot pause:
            // a recv that came back would have to run it on for nobody).
            if (failure == null) {
                failure = new SocketTimeoutException("the TLS handshake on " + owner + " timed out: the peer sent "
                        + "nothing for " + socket.readTimeout().toMillis() + " ms (the socket's read timeout)");
            }
        } else if (!op.isSuccess()) {
            if (failure == null && !socketClosing) {
                failure = op.error().toJava();
            }
        } else if (op.result() == 0) {
            socketEof = true;
        }
        pump();
        releaseIfIdle();
    }

    /** The socket reached end of stream with no close_notify before it. */
    private void endOfSocket() throws IOException {
        if (!handshakeDone) {
            throw new SSLHandshakeException("the peer closed the connection during the TLS handshake on " + owner);
        }
        try {
            engine.closeInbound(); // throws: no close_notify came first
            readFailure = new SSLException("the peer closed the connection without close_notify on " + owner);
        } catch (SSLException truncated) {
            readFailure = truncated;
        }
        if (readDone != null) {
            completeRead(0, readFailure);
        }
    }

    private void completeRead(int n, IOException error) {
        TlsCompleter c = readDone;
        readDone = null;
        readBuf = null;
        again = true;
        c.onComplete(n, error);
    }

    private void handshakeFinished() {
        if (handshakeDone) {
            return;
        }
        handshakeDone = true;
        again = true; // writes waiting for the handshake can go now (it may have ended in an unwrap)
        tls13 = "TLSv1.3".equals(engine.getSession().getProtocol());
        complete(handshakeWaiters, null);
    }

    // ---- failure and close ----

    private void fail(IOException e) {
        if (failure == null) {
            failure = e;
        }
    }

    private void failEverything() {
        IOException e = failure;
        if (readDone != null) {
            completeRead(0, e);
        }
        if (writeDone != null) {
            TlsCompleter c = writeDone;
            writeDone = null;
            writeBuf = null;
            c.onComplete(0, e);
        }
        complete(handshakeWaiters, e);
        complete(shutdownWaiters, e);
        if (!socketClosing && !alertSending) {
            // Tell the peer, if the engine has an alert to send and the socket can take it; then close.
            if (!sendBusy && !sendFailed && !socketEof && handshakeBegun && netOut != null) {
                try {
                    engine.closeOutbound();
                    netOut.clear();
                    netOutView.limit(netOut.capacity()).position(0);
                    engine.wrap(EMPTY, netOutView);
                    netOut.writerIndex(netOutView.position());
                    if (netOut.readableBytes() > 0) {
                        sendBusy = true;
                        alertSending = true;
                        // Bounded: a peer that does not read must not keep the socket open.
                        loop.submit(Op.of(new Send(socket.fd(), netOut), op -> {
                            sendBusy = false;
                            closeSocket();
                        }).deadline(config.closeTimeout()));
                        return;
                    }
                } catch (SSLException | RuntimeException ignored) {
                    // no alert, then
                }
            }
            closeSocket();
        }
    }

    private void closeSocket() {
        if (socketClosing) {
            return;
        }
        socketClosing = true;
        if (readDone != null) {
            completeRead(0, failure != null ? failure : new AsynchronousCloseException());
        }
        if (writeDone != null) {
            TlsCompleter c = writeDone;
            writeDone = null;
            writeBuf = null;
            c.onComplete(writeConsumed, failure != null ? failure : new AsynchronousCloseException());
        }
        complete(handshakeWaiters, failure != null ? failure : new AsynchronousCloseException());
        complete(shutdownWaiters, failure);
        socket.close((v, error) -> {
            releaseIfIdle();
            complete(closeWaiters, null);
        });
    }

    /** Once the socket is closing and no op holds them, the record buffers go back to their pool. */
    private void releaseIfIdle() {
        if (!socketClosing || recvBusy || sendBusy || released) {
            return;
        }
        released = true;
        for (FixedBuf b : new FixedBuf[] {netIn, netOut, appIn}) {
            if (b != null && b.isLeased() && b.owner() == null) {
                b.release();
            }
        }
        netIn = netOut = appIn = null;
    }

    private static void complete(List<TlsCompleter> waiters, IOException error) {
        if (waiters.isEmpty()) {
            return;
        }
        TlsCompleter[] now = waiters.toArray(new TlsCompleter[0]);
        waiters.clear();
        for (TlsCompleter c : now) {
            c.onComplete(0, error);
        }
    }

    // ---- buffers ----

    private FixedBuf netIn() throws IOException {
        if (netIn == null) {
            netIn = lease("received records");
            netInView = view(netIn);
        }
        return netIn;
    }

    private FixedBuf netOut() throws IOException {
        if (netOut == null) {
            netOut = lease("records to send");
            netOutView = view(netOut);
        }
        return netOut;
    }

    private void appIn() throws IOException {
        appIn = lease("plaintext that did not fit the caller's buffer");
        if (appInView == null || ApiAccess.bufs().memory(appIn) != appInMemory) {
            appInMemory = ApiAccess.bufs().memory(appIn);
            appInView = view(appIn);
        }
    }

    private ByteBuffer appInMemory;

    private void releaseAppInIfEmpty() {
        if (appIn != null && appIn.readableBytes() == 0) {
            appIn.release();
            appIn = null;
        }
    }

    private FixedBuf lease(String what) throws IOException {
        FixedBuf b = records.tryLease();
        if (b == null) {
            try {
                records.lease(); // throws, saying why
            } catch (IllegalStateException e) {
                throw new IOException("no TLS record buffer for the " + what + " of " + owner + ": " + e.getMessage(), e);
            }
            throw new IOException("no TLS record buffer for the " + what + " of " + owner);
        }
        return b;
    }

    private ByteBuffer readViewOf(FixedBuf buf) {
        if (readViewOf != buf) {
            readViewOf = buf;
            readView = view(buf);
        }
        return readView;
    }

    private ByteBuffer writeViewOf(FixedBuf buf) {
        if (writeViewOf != buf) {
            writeViewOf = buf;
            writeView = view(buf);
        }
        writeView.limit(buf.readerIndex() + Math.min(buf.readableBytes(), writeLimit - writeConsumed)).position(buf.readerIndex());
        return writeView;
    }

    /** A view of the buffer's memory with its own position and limit (the buffer's own ByteBuffer is never moved). */
    private static ByteBuffer view(FixedBuf buf) {
        return ApiAccess.bufs().memory(buf).duplicate();
    }
}
