package io.veloq.api.net;

import io.veloq.api.IoErrorKind;
import io.veloq.api.Op;
import io.veloq.api.StreamCompleter;
import io.veloq.api.VeloqIoException;
import io.veloq.api.buffer.BufRing;
import io.veloq.api.buffer.FixedBuf;
import io.veloq.api.op.RecvMultishot;

/**
 * One socket's {@link DataSocket#recvEach}: a multishot receive on a buffer ring, re-armed when it ends for
 * a reason that is not the end of the connection: the ring ran dry (re-armed once a buffer is back in it,
 * so a slow consumer is not spun on) or the completion queue overflowed (re-armed at once). Loop thread.
 */
final class RingReceive implements StreamCompleter<RecvMultishot> {
    private final DataSocket socket;
    private final BufRing ring;
    private final ChunkReceiver receiver;
    private final Op<RecvMultishot> op;
    private final Runnable rearm = this::rearm;
    /** Times the receive was re-armed (tests, diagnostics). */
    long rearms;

    RingReceive(DataSocket socket, BufRing ring, ChunkReceiver receiver) {
        this.socket = socket;
        this.ring = ring;
        this.receiver = receiver;
        this.op = Op.of(new RecvMultishot(socket.fd, ring), this);
    }

    Op<RecvMultishot> start() {
        socket.loop.submit(op);
        return op;
    }

    @Override
    public void onItem(Op<RecvMultishot> o, long n, FixedBuf buf) {
        receiver.onChunk(buf);
    }

    @Override
    public void onComplete(Op<RecvMultishot> o) {
        VeloqIoException e = o.error();
        if (e == null) {
            receiver.onEnd(null); // end of stream
            return;
        }
        if (socket.isOpen() && !ring.isClosed()) {
            if (e.kind() == IoErrorKind.NO_BUFFER_SPACE) {
                ring.whenAvailable(rearm);
                return;
            }
            if (e.kind() == IoErrorKind.OVERFLOW) {
                rearm();
                return;
            }
        }
        receiver.onEnd(e);
    }

    /** Submits the same op again; a socket closed meanwhile makes it complete with BAD_DESCRIPTOR, which ends it. */
    private void rearm() {
        rearms++;
        socket.loop.submit(op.reset());
    }
}
