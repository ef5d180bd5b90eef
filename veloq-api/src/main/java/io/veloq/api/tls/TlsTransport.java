package io.veloq.api.tls;

import io.veloq.api.EventLoop;
import io.veloq.api.buffer.BufPool;
import io.veloq.api.buffer.FixedBuf;
import io.veloq.api.internal.stream.Pending;
import io.veloq.api.internal.stream.Transport;

import java.io.IOException;

/**
 * A {@link TlsStream} as a {@link Transport}: the blocking calls and the stream views park on it. The start
 * tasks and completers are made once, so a blocking read or write allocates nothing on this side.
 */
final class TlsTransport implements Transport {
    private final TlsStream tls;
    private final RecordPump pump;

    private FixedBuf recvBuf;
    private Pending recvPending;
    private FixedBuf sendBuf;
    private int sendLimit;
    private Pending sendPending;

    private final TlsCompleter received = (n, e) -> recvPending.complete(n, e);
    private final TlsCompleter sent = (n, e) -> sendPending.complete(n, e);
    private final Runnable startRecv = this::startRecvOnLoop;
    private final Runnable startSend = this::startSendOnLoop;
    private final Runnable cancelRecv;
    private final Runnable cancelSend;

    TlsTransport(TlsStream tls, RecordPump pump) {
        this.tls = tls;
        this.pump = pump;
        this.cancelRecv = pump::cancelRead;
        this.cancelSend = pump::cancelWrite;
    }

    @Override
    public EventLoop loop() {
        return pump.loop();
    }

    @Override
    public BufPool viewBuffers() {
        BufPool pool = pump.loop().bufPool();
        if (pool == null) {
            throw new IllegalStateException("the stream views of " + tls + " need the loop's buffer pool, and the "
                    + "runtime was opened without one");
        }
        return pool;
    }

    @Override
    public void startRecv(FixedBuf buf, Pending done) {
        recvBuf = buf;
        recvPending = done;
        post(startRecv, done);
    }

    private void startRecvOnLoop() {
        try {
            pump.read(recvBuf, received);
        } catch (RuntimeException e) {
            recvPending.complete(0, new IOException(e.getMessage(), e));
        }
    }

    @Override
    public void cancelRecv() {
        post(cancelRecv, null);
    }

    @Override
    public void startSend(FixedBuf buf, Pending done) {
        startSend(buf, buf.readableBytes(), done);
    }

    void startSend(FixedBuf buf, int limit, Pending done) {
        sendBuf = buf;
        sendLimit = limit;
        sendPending = done;
        post(startSend, done);
    }

    private void startSendOnLoop() {
        try {
            pump.write(sendBuf, sendLimit, sent);
        } catch (RuntimeException e) {
            sendPending.complete(0, new IOException(e.getMessage(), e));
        }
    }

    @Override
    public void cancelSend() {
        post(cancelSend, null);
    }

    private void post(Runnable task, Pending done) {
        EventLoop loop = pump.loop();
        if (loop.inLoop()) {
            task.run();
            return;
        }
        try {
            loop.execute(task);
        } catch (IllegalStateException closedRuntime) {
            if (done != null) {
                done.complete(0, new IOException("cannot use " + tls + ": " + closedRuntime.getMessage(), closedRuntime));
            }
        }
    }

    @Override
    public boolean isOpen() {
        return tls.isOpen();
    }

    @Override
    public void close() throws IOException {
        tls.close();
    }

    @Override
    public String describe() {
        return tls.toString();
    }
}
