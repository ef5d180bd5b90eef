package io.veloq.examples.echo;

import io.veloq.api.EventLoop;
import io.veloq.api.Op;
import io.veloq.api.OpState;
import io.veloq.api.buffer.FixedBuf;
import io.veloq.api.net.StreamSocket;
import io.veloq.api.op.OpPayload;
import io.veloq.api.op.Recv;
import io.veloq.api.op.Send;

/**
 * One client connection of the load generator. It keeps {@code depth} messages in flight: it writes as
 * many as fit into its send buffer, stamps each with the time it was written, and sends them with one
 * send-all; its receive runs continuously, checks every echoed byte against the pattern it sent, and for
 * each complete message records the latency and writes a new one. Two buffers and two reused ops per
 * connection; no allocation per message. Loop thread only.
 *
 * <p>Paced (the soak mode): once everything it wrote has come back, it waits {@code pause} before writing
 * the next batch, so that many connections make a steady, light load instead of a flood.
 */
final class LoadConnection {
    private final LoadLoop owner;
    private final StreamSocket stream;
    private final EventLoop loop;
    private final FixedBuf out;
    private final FixedBuf in;
    private final Op<Send> send;
    private final Op<Recv> recv;
    private final int id;
    private final int size;
    private final int depth;
    private final long[] writtenAt;
    private long written;
    private long echoed;
    private int offset;
    private boolean sending;
    private boolean done;
    private boolean released;
    private final java.time.Duration pause;
    private final Runnable fillLater = this::fillLater;
    private boolean fillScheduled;

    LoadConnection(LoadLoop owner, int id, StreamSocket stream, FixedBuf out, FixedBuf in, int size, int depth) {
        this(owner, id, stream, out, in, size, depth, null);
    }

    /** A connection that pauses {@code pause} after each batch is echoed (null: never pauses). */
    LoadConnection(LoadLoop owner, int id, StreamSocket stream, FixedBuf out, FixedBuf in, int size, int depth,
                   java.time.Duration pause) {
        this.pause = pause;
        this.owner = owner;
        this.id = id;
        this.stream = stream;
        this.loop = stream.loop();
        this.out = out;
        this.in = in;
        this.size = size;
        this.depth = depth;
        this.writtenAt = new long[depth];
        this.send = stream.sendAllOp(out, this::sent);
        this.recv = stream.recvOp(in, this::received);
    }

    /** The byte at {@code offset} of message {@code seq} on connection {@code id}: reordering or corruption shows. */
    static byte pattern(int id, long seq, int offset) {
        return (byte) (seq * 31 + offset * 7 + id * 13);
    }

    void start() {
        fill();
        loop.submit(recv);
    }

    private void fill() {
        if (sending || done) {
            return;
        }
        if (!owner.running()) {
            if (echoed == written) {
                finish(null);
            }
            return;
        }
        int n = (int) Math.min(depth - (written - echoed), out.capacity() / size);
        if (n <= 0) {
            return;
        }
        out.clear();
        long now = System.nanoTime();
        for (int m = 0; m < n; m++) {
            for (int i = 0; i < size; i++) {
                out.putByte(pattern(id, written, i));
            }
            writtenAt[(int) (written % depth)] = now;
            written++;
        }
        sending = true;
        loop.resubmit(send);
    }

    private void sent(Op<Send> op) {
        if (done) {
            releaseWhenIdle();
            return;
        }
        if (!op.isSuccess()) {
            failed(op);
            return;
        }
        sending = false;
        next();
    }

    /** Writes more now, or (paced) once everything is back, after the pause. */
    private void next() {
        if (pause == null || !owner.running()) {
            fill();
            return;
        }
        if (echoed == written && !sending && !fillScheduled) {
            fillScheduled = true;
            loop.schedule(fillLater, pause);
        }
    }

    private void fillLater() {
        fillScheduled = false;
        fill();
    }

    private void received(Op<Recv> op) {
        if (done) {
            releaseWhenIdle();
            return;
        }
        if (!op.isSuccess()) {
            failed(op);
            return;
        }
        if (op.result() == 0) {
            finish("server closed the connection after " + echoed + " messages");
            return;
        }
        int end = in.writerIndex();
        for (int i = in.readerIndex(); i < end; i++) {
            byte expected = pattern(id, echoed, offset);
            byte got = in.getByte(i);
            if (got != expected) {
                finish("connection " + id + ": byte " + offset + " of message " + echoed + " is " + got
                        + ", expected " + expected);
                return;
            }
            if (++offset == size) {
                long latency = System.nanoTime() - writtenAt[(int) (echoed % depth)];
                owner.echoed(latency, size);
                echoed++;
                offset = 0;
            }
        }
        in.clear();
        if (!owner.running() && echoed == written && !sending) {
            finish(null);
            return;
        }
        loop.resubmit(recv);
        next();
    }

    private void failed(Op<? extends OpPayload> op) {
        finish(op.toString() + ": " + op.error().getMessage());
    }

    /** Stops: cancels what is still in flight, returns the buffers once both ops are done, closes. */
    private void finish(String error) {
        if (done) {
            return;
        }
        done = true;
        if (error != null) {
            owner.failed(error);
        }
        if (send.state() == OpState.SUBMITTED) {
            loop.cancel(send);
        }
        if (recv.state() == OpState.SUBMITTED) {
            loop.cancel(recv);
        }
        releaseWhenIdle();
    }

    /** Returns the buffers once neither op is in flight (a cancelled op's completer calls this again). */
    private void releaseWhenIdle() {
        if (released || send.state() == OpState.SUBMITTED || recv.state() == OpState.SUBMITTED) {
            return;
        }
        released = true;
        out.release();
        in.release();
        owner.closeSocket(stream);
        owner.connectionDone();
    }
}
