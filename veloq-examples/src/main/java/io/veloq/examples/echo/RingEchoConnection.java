package io.veloq.examples.echo;

import io.veloq.api.EventLoop;
import io.veloq.api.IoErrorKind;
import io.veloq.api.Op;
import io.veloq.api.OpState;
import io.veloq.api.VeloqIoException;
import io.veloq.api.buffer.BufRing;
import io.veloq.api.buffer.FixedBuf;
import io.veloq.api.net.ChunkReceiver;
import io.veloq.api.net.StreamSocket;
import io.veloq.api.op.RecvMultishot;
import io.veloq.api.op.Send;

/**
 * One echoed connection on a multishot receive: the loop's buffer ring holds the receive buffers of every
 * connection (only connections with bytes in flight use one), and this connection owns one send buffer and
 * one send-all op, made once. A chunk is copied into the send buffer and its ring buffer goes straight back;
 * chunks that arrive while a send is in flight wait (in their ring buffers) and go out together with the
 * next send. Nothing is allocated per message.
 *
 * <p>When the ring runs dry the socket's receive pauses until a buffer comes back (see
 * {@link StreamSocket#recvEach}): a client that sends without reading fills its send window, then the ring,
 * then TCP slows it down. Loop thread only.
 */
final class RingEchoConnection extends Connection implements ChunkReceiver {
    private final EchoLoop owner;
    private final StreamSocket stream;
    private final EventLoop loop;
    private final BufRing ring;
    private final FixedBuf out;
    private final Op<Send> send;
    private Op<RecvMultishot> recv;
    private FixedBuf[] waiting = new FixedBuf[8];
    private int waitHead;
    private int waitCount;
    private boolean ended;
    private boolean finished;
    // A connection whose peer does not read back holds chunks; past MAX_WAITING it stops receiving (the
    // receive is cancelled) until its send drains, so that one client cannot empty the loop's shared ring.
    private boolean paused;
    private boolean receiving;
    static final int MAX_WAITING = 8;
    // The idle timeout: a multishot receive runs for the connection's whole life, so no per-op deadline can
    // say "idle". One timer per connection instead, armed for the moment the timeout would expire if nothing
    // moved; when it fires early (bytes moved meanwhile) it is armed again for the rest: at most one timer per
    // timeout period, never one per message. 0: none.
    private final long idleNanos;
    private long lastActivity;
    private final Runnable idleCheck = this::checkIdle;

    RingEchoConnection(EchoLoop owner, StreamSocket stream, FixedBuf out, BufRing ring) {
        this.owner = owner;
        this.stream = stream;
        this.loop = stream.loop();
        this.ring = ring;
        this.out = out;
        this.send = stream.sendAllOp(out, this::sent);
        this.idleNanos = owner.idleTimeout().toNanos();
    }

    @Override
    void start() {
        if (recv == null && idleNanos > 0) {
            lastActivity = loop.nanoTime();
            loop.schedule(idleCheck, java.time.Duration.ofNanos(idleNanos));
        }
        receiving = true;
        recv = stream.recvEach(ring, this);
    }

    private void touch() {
        if (idleNanos > 0) {
            lastActivity = loop.nanoTime();
        }
    }

    /** The idle timer: closes the connection if nothing moved for the whole timeout, else waits for the rest. */
    private void checkIdle() {
        if (finished || ended) {
            return;
        }
        long idle = loop.nanoTime() - lastActivity;
        if (idle >= idleNanos) {
            owner.idleClosed++;
            stop(); // cancels the receive; its end closes the connection
        } else {
            loop.schedule(idleCheck, java.time.Duration.ofNanos(idleNanos - idle));
        }
    }

    @Override
    public void onChunk(FixedBuf buf) {
        touch();
        owner.bytesEchoed += buf.readableBytes();
        if (ended || owner.stopping()) {
            buf.release();
            return;
        }
        if (send.state() != OpState.SUBMITTED && waitCount == 0) {
            out.clear().transferFrom(buf);
            buf.release();
            submitSend();
            return;
        }
        if (waitCount == waiting.length) {
            waiting = grow(waiting, waitHead, waitCount);
            waitHead = 0;
        }
        waiting[(waitHead + waitCount++) & (waiting.length - 1)] = buf;
        if (waitCount >= MAX_WAITING && receiving && !paused) {
            paused = true;
            loop.cancel(recv); // its end (CANCELLED) stops the receive; sent() starts it again
        }
    }

    private static FixedBuf[] grow(FixedBuf[] q, int head, int count) {
        FixedBuf[] n = new FixedBuf[q.length * 2];
        for (int i = 0; i < count; i++) {
            n[i] = q[(head + i) & (q.length - 1)];
        }
        return n;
    }

    private void sent(Op<Send> op) {
        touch();
        if (!op.isSuccess()) {
            fail(op.error());
            return;
        }
        if (owner.stopping()) {
            finish();
            return;
        }
        out.clear();
        // Everything that arrived meanwhile, as much as fits, in one send.
        while (waitCount > 0) {
            FixedBuf next = waiting[waitHead];
            if (next.readableBytes() > out.writableBytes()) {
                break;
            }
            out.transferFrom(next);
            next.release();
            waiting[waitHead] = null;
            waitHead = (waitHead + 1) & (waiting.length - 1);
            waitCount--;
        }
        if (out.readableBytes() > 0) {
            submitSend();
        } else if (ended) {
            finish(); // end of stream: everything received has been echoed
            return;
        }
        if (paused && !receiving && waitCount < MAX_WAITING / 2) {
            paused = false;
            start(); // the peer reads again: a new receive (allocates; only after a pause)
        }
    }

    private void submitSend() {
        if (send.state() == OpState.COMPLETED) {
            send.reset();
        }
        loop.submit(send);
    }

    @Override
    public void onEnd(Throwable error) {
        receiving = false;
        if (paused && !owner.stopping() && !finished && error instanceof VeloqIoException v
                && v.kind() == IoErrorKind.CANCELLED) {
            if (send.state() != OpState.SUBMITTED && waitCount < MAX_WAITING / 2) {
                paused = false;
                start();
            }
            return; // paused by us, not ended: sent() resumes it
        }
        ended = true;
        if (error != null) {
            fail(error);
            return;
        }
        if (send.state() != OpState.SUBMITTED) {
            finish(); // end of stream and nothing left to send
        }
    }

    private void fail(Throwable error) {
        ended = true;
        if (!(error instanceof VeloqIoException v && v.kind() == IoErrorKind.CANCELLED)) {
            owner.connectionErrors++;
        }
        if (send.state() == OpState.SUBMITTED) {
            loop.cancel(send); // its completer finishes the connection
            return;
        }
        finish();
    }

    /** Returns every buffer (waiting chunks to the ring, the send buffer to the pool), closes the socket. */
    @Override
    void finish() {
        if (finished) {
            return;
        }
        finished = true;
        ended = true;
        while (waitCount > 0) {
            waiting[waitHead].release();
            waiting[waitHead] = null;
            waitHead = (waitHead + 1) & (waiting.length - 1);
            waitCount--;
        }
        out.release();
        owner.closeSocket(stream); // ends the receive too (cancelled) if it is still running
        owner.closed(this);
    }

    /** Shutdown: cancel the receive (its end finishes the connection, after any send in flight). */
    @Override
    void stop() {
        if (recv != null && recv.state() == OpState.SUBMITTED) {
            loop.cancel(recv);
        } else if (send.state() == OpState.SUBMITTED) {
            loop.cancel(send);
        } else {
            finish();
        }
    }
}
