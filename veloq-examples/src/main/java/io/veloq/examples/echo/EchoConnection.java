package io.veloq.examples.echo;

import io.veloq.api.EventLoop;
import io.veloq.api.IoErrorKind;
import io.veloq.api.Op;
import io.veloq.api.OpState;
import io.veloq.api.VeloqIoException;
import io.veloq.api.buffer.FixedBuf;
import io.veloq.api.net.StreamSocket;
import io.veloq.api.op.OpPayload;
import io.veloq.api.op.Recv;
import io.veloq.api.op.Send;

/**
 * One echoed connection: one pooled buffer and two ops made once, then reused for its whole life. A
 * receive fills the buffer; a send-all drains it back; then the receive goes again. Nothing is allocated
 * per message, and the connection never holds more than one buffer, so a client that sends without
 * reading is slowed down by TCP instead of filling the server's memory.
 *
 * <p>The two-line buffer idiom is in {@link #fail}: a failed or cancelled op hands its buffer back, and
 * the connection returns it to the pool.
 *
 * <p>With an idle timeout, the stream's read and write timeouts are set before the ops are built, so each
 * op carries it as its deadline: a client that sends nothing (or reads nothing back) for that long fails
 * the op in flight with {@code TIMED_OUT}, and the connection is closed, freeing its slot.
 *
 * <p>Loop thread only.
 */
final class EchoConnection extends Connection {
    private final EchoLoop owner;
    private final StreamSocket stream;
    private final EventLoop loop;
    private final FixedBuf buf;
    private final Op<Recv> recv;
    private final Op<Send> send;
    private boolean finished;

    EchoConnection(EchoLoop owner, StreamSocket stream, FixedBuf buf) {
        this.owner = owner;
        this.stream = stream;
        this.loop = stream.loop();
        this.buf = buf;
        stream.readTimeout(owner.idleTimeout());
        stream.writeTimeout(owner.idleTimeout());
        this.recv = stream.recvOp(buf, this::received);
        this.send = stream.sendAllOp(buf, this::sent);
    }

    @Override
    void start() {
        loop.submit(recv);
    }

    private void received(Op<Recv> op) {
        if (!op.isSuccess()) {
            fail(op);
            return;
        }
        long n = op.result();
        if (n == 0 || owner.stopping()) {
            finish(); // end of stream: the client closed its side
            return;
        }
        owner.bytesEchoed += n;
        loop.resubmit(send);
    }

    private void sent(Op<Send> op) {
        if (!op.isSuccess()) {
            fail(op);
            return;
        }
        if (owner.stopping()) {
            finish(); // the shutdown's cancel lost the race to this send; stop here
            return;
        }
        buf.clear();
        loop.resubmit(recv);
    }

    /** A failed op (peer reset, broken pipe), a timed-out one (idle) or a cancelled one (shutdown): drop the connection. */
    private void fail(Op<? extends OpPayload> op) {
        VeloqIoException e = op.error();
        if (e.kind() == IoErrorKind.TIMED_OUT) {
            owner.idleClosed++;
        } else if (e.kind() != IoErrorKind.CANCELLED) {
            owner.connectionErrors++;
        }
        finish();
    }

    /** Returns the buffer, closes the socket and leaves the loop's list. Idempotent. */
    @Override
    void finish() {
        if (finished) {
            return;
        }
        finished = true;
        // The buffer is ours again whatever happened to the last op (success, failure or cancellation):
        buf.release();
        owner.closeSocket(stream);
        owner.closed(this);
    }

    /**
     * Stops the connection at shutdown: cancels the op in flight; its completer sees {@code CANCELLED} and
     * finishes the connection (buffer back, socket closed).
     */
    @Override
    void stop() {
        if (recv.state() == OpState.SUBMITTED) {
            loop.cancel(recv);
        } else if (send.state() == OpState.SUBMITTED) {
            loop.cancel(send);
        } else {
            finish();
        }
    }
}
