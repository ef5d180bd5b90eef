package io.veloq.api.net;

import io.veloq.api.buffer.FixedBuf;

/**
 * What {@link DataSocket#recvEach} delivers: every received chunk, then the end. Both run on the socket's
 * loop thread, and nothing is allocated to call them.
 *
 * <pre>{@code
 * stream.recvEach(ring, new ChunkReceiver() {
 *     public void onChunk(FixedBuf buf) { consume(buf); buf.release(); }   // back into the ring
 *     public void onEnd(Throwable error) { if (error != null) log(error); stream.close(...); }
 * });
 * }</pre>
 *
 * @since 0.3
 */
public interface ChunkReceiver {
    /**
     * One chunk: its bytes are {@code buf}'s readable bytes. The buffer is the application's until it
     * {@linkplain FixedBuf#release() releases} it, which puts it back into the ring; hold few at a time.
     */
    void onChunk(FixedBuf buf);

    /**
     * The receive ended, once: {@code error} null at end of stream (the peer closed its side), else why: the
     * connection failed, or the socket was closed ({@link io.veloq.api.IoErrorKind#CANCELLED} or
     * {@link io.veloq.api.IoErrorKind#BAD_DESCRIPTOR}). A ring that ran dry or a completion queue that
     * overflowed does not end it: the socket re-arms the receive by itself.
     */
    void onEnd(Throwable error);
}
