package io.veloq.api.internal.stream;

import io.veloq.api.EventLoop;
import io.veloq.api.Op;
import io.veloq.api.OpState;
import io.veloq.api.buffer.BufPool;
import io.veloq.api.buffer.FixedBuf;
import io.veloq.api.net.StreamSocket;
import io.veloq.api.op.Recv;
import io.veloq.api.op.Send;

import java.io.IOException;
import java.nio.channels.ClosedChannelException;

/**
 * A stream socket as a {@link Transport}: one reusable {@code Recv} op and one reusable {@code Send} op, built
 * for the view's buffer on first use and resubmitted with {@code reset()}, so a steady stream of reads and
 * writes allocates nothing.
 */
public final class SocketTransport implements Transport {
    private final StreamSocket socket;
    private Op<Recv> recvOp;
    private Pending recvDone;
    private Op<Send> sendOp;
    private Pending sendDone;
    private int sendAsked;
    // Bumped by each start (caller's thread), read on the loop thread by the cancel tasks.
    private volatile int recvGeneration;
    private volatile int sendGeneration;
    private boolean sendCancelled; // loop thread, after the start that cleared it

    public SocketTransport(StreamSocket socket) {
        this.socket = socket;
    }

    @Override
    public EventLoop loop() {
        return socket.loop();
    }

    @Override
    public BufPool viewBuffers() {
        BufPool pool = socket.loop().bufPool();
        if (pool == null) {
            throw new IllegalStateException("the stream views of " + socket + " need the loop's buffer pool, and the "
                    + "runtime was opened without one");
        }
        return pool;
    }

    @Override
    public void startRecv(FixedBuf buf, Pending done) {
        try {
            if (recvOp == null || recvOp.payload().buf() != buf) {
                recvOp = socket.recvOp(buf, this::received);
            } else {
                recvOp.reset();
            }
            recvOp.deadline(socket.readTimeout()); // the socket's current read timeout (Socket.setSoTimeout's role)
            recvDone = done;
            recvGeneration++;
            socket.loop().submit(recvOp);
        } catch (IllegalStateException closed) {
            done.complete(0, closedError(closed));
        }
    }

    private void received(Op<Recv> op) {
        recvDone.complete(op.isSuccess() ? op.result() : 0, op.isSuccess() ? null : op.error().toJava());
    }

    @Override
    public void cancelRecv() {
        Op<Recv> op = recvOp;
        if (op == null) {
            return;
        }
        int generation = recvGeneration;
        // On the loop, and only if that receive is still the current one: a cancel request that arrived after
        // it completed must not hit the next submission of the same op.
        onLoop(() -> {
            if (generation == recvGeneration && op.state() == OpState.SUBMITTED) {
                socket.cancel(op);
            }
        });
    }

    @Override
    public void startSend(FixedBuf buf, Pending done) {
        try {
            if (sendOp == null || sendOp.payload().buf() != buf) {
                sendOp = socket.sendOp(buf, this::sent);
            } else {
                sendOp.reset();
            }
            sendDone = done;
            sendAsked = buf.readableBytes();
            sendOp.deadline(socket.writeTimeout());
            sendCancelled = false;
            sendGeneration++;
            socket.loop().submit(sendOp);
        } catch (IllegalStateException closed) {
            done.complete(0, closedError(closed));
        }
    }

    /** Resubmits on short writes until the buffer is drained, an error, or a cancel that came between two sends. */
    private void sent(Op<Send> op) {
        FixedBuf buf = op.payload().buf();
        if (op.isSuccess() && op.result() > 0 && buf.readableBytes() > 0 && !sendCancelled && socket.isOpen()) {
            socket.loop().submit(op.reset());
            return;
        }
        long moved = sendAsked - buf.readableBytes();
        sendDone.complete(moved, op.isSuccess() ? null : op.error().toJava());
    }

    @Override
    public void cancelSend() {
        Op<Send> op = sendOp;
        if (op == null) {
            return;
        }
        int generation = sendGeneration;
        onLoop(() -> {
            if (generation == sendGeneration) {
                sendCancelled = true; // a short write completing now must not resubmit
                if (op.state() == OpState.SUBMITTED) {
                    socket.cancel(op);
                }
            }
        });
    }

    private void onLoop(Runnable task) {
        try {
            socket.loop().execute(task);
        } catch (IllegalStateException closedRuntime) {
            // Closing the runtime completes every op in flight: nothing is left to cancel.
        }
    }

    @Override
    public boolean isOpen() {
        return socket.isOpen();
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }

    @Override
    public String describe() {
        return socket.toString();
    }

    /** A refused submission: the socket or its runtime is closed. */
    private IOException closedError(IllegalStateException why) {
        if (!socket.isOpen()) {
            return new ClosedChannelException();
        }
        return new IOException(why.getMessage(), why);
    }
}
