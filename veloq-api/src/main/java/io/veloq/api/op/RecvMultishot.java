package io.veloq.api.op;

import io.veloq.api.IoFd;
import io.veloq.api.buffer.BufRing;

import java.util.Objects;

/**
 * Receives until the stream ends, is cancelled or fails: one submission, one item per received chunk, each
 * in a buffer the driver took from {@code ring} (its writer index at the chunk's length; release it to give
 * it back to the ring), then one final completion. io_uring runs it as a multishot {@code RECV} with
 * {@code IOSQE_BUFFER_SELECT} on the ring's registered buffer group; the IOCP driver re-issues
 * {@code WSARecv} itself. Needs {@link io.veloq.api.Capability#MULTISHOT}.
 *
 * <p>The final completion says why it ended: success with result 0 at end of stream; otherwise an error:
 * {@link io.veloq.api.IoErrorKind#NO_BUFFER_SPACE} when the ring ran dry (release buffers, then submit
 * again), {@link io.veloq.api.IoErrorKind#OVERFLOW} when the kernel ended it for lack of completion-queue
 * room (submit again: nothing was lost), {@link io.veloq.api.IoErrorKind#CANCELLED}, or the socket's error.
 *
 * <pre>{@code
 * BufRing ring = loop.openBufRing(64);
 * Op<RecvMultishot> recv = Op.of(new RecvMultishot(fd, ring), StreamCompleter.of(
 *         (op, n, buf) -> { handle(buf); buf.release(); },   // n bytes in buf
 *         op -> { ... }));
 * loop.submit(recv);
 * }</pre>
 *
 * @param fd    the connected socket
 * @param ring  where the chunks' buffers come from; it must belong to the loop the op is submitted to
 * @param flags {@code recv(2)} flags, usually 0
 * @since 0.3
 */
public record RecvMultishot(IoFd fd, BufRing ring, int flags) implements OpPayload {
    public RecvMultishot {
        Objects.requireNonNull(fd, "RecvMultishot needs an fd");
        Payloads.require(ring, "RecvMultishot", fd, "a BufRing");
    }

    /** With no flags. */
    public RecvMultishot(IoFd fd, BufRing ring) {
        this(fd, ring, 0);
    }

    @Override
    public OpKind kind() {
        return OpKind.RECV_MULTISHOT;
    }
}
