package io.veloq.api.internal.stream;

import io.veloq.api.EventLoop;
import io.veloq.api.buffer.BufPool;
import io.veloq.api.buffer.FixedBuf;

import java.io.IOException;

/**
 * An asynchronous byte stream that the blocking views ({@link TransportInputStream},
 * {@link TransportOutputStream}) drive: a plain stream socket, or TLS over one. Each start call runs its
 * {@link Pending} exactly once, on the loop thread or at once on the calling thread, with the byte count or
 * the error; the buffer is the caller's again by then.
 *
 * <p>Threading: the start and cancel calls may come from any thread; at most one receive and one send are
 * outstanding at a time (the views serialise their callers).
 */
public interface Transport {
    /** The loop the transport's ops run on. */
    EventLoop loop();

    /** The pool the views lease their one buffer per direction from. */
    BufPool viewBuffers();

    /** Starts a receive into the free space of {@code buf}: result 0 is end of stream. */
    void startRecv(FixedBuf buf, Pending done);

    /** Asks the receive started last to stop early; it still completes its {@link Pending}. */
    void cancelRecv();

    /** Starts sending every readable byte of {@code buf}: the result is the count sent. */
    void startSend(FixedBuf buf, Pending done);

    /** Asks the send started last to stop early; it still completes, the reader index showing what went. */
    void cancelSend();

    /** True until the transport (its socket) is closed. */
    boolean isOpen();

    /** Closes the transport (for TLS: close_notify first) and waits. */
    void close() throws IOException;

    /** How messages name the transport. */
    String describe();
}
