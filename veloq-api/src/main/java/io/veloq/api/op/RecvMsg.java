package io.veloq.api.op;

import io.veloq.api.IoFd;
import io.veloq.api.buffer.BufVec;

import java.util.Objects;

/**
 * A vectored receive on a connected socket ({@code recvmsg(2)} with several {@code iovec}s on Linux,
 * {@code WSARecv} with several {@code WSABUF}s on Windows): one op fills the free space of each buffer of
 * {@code bufs} in order, then completes with the total byte count (0 at end of stream) and advances each
 * buffer's writer index by what it received.
 *
 * <pre>{@code
 * BufVec vec = BufVec.of(header, body);                    // header: 16 bytes free, body: 16 KiB free
 * long n = loop.call(new RecvMsg(fd, vec)).valueOrThrow(); // n <= 16 + 16384; header fills first
 * }</pre>
 *
 * <p>Buffers without free space are skipped; if none has any, submission throws
 * {@link IllegalArgumentException} (a receive of 0 bytes would look like end of stream). With a deadline
 * ({@link io.veloq.api.Op#deadline}) it fails with {@code TIMED_OUT} if nothing arrives in time, and no byte
 * is lost: a receive that ends by timeout received nothing.
 *
 * @param fd    a connected stream or datagram socket
 * @param bufs  the buffers; the vector and each buffer are owned by the driver while the op is in flight
 * @param flags {@code recv(2)} flags, usually 0
 * @since 0.1
 */
public record RecvMsg(IoFd fd, BufVec bufs, int flags) implements OpPayload {
    public RecvMsg {
        Objects.requireNonNull(fd, "RecvMsg needs an fd");
        Objects.requireNonNull(bufs, "RecvMsg on " + fd + " needs a BufVec");
    }

    /** With no flags. */
    public RecvMsg(IoFd fd, BufVec bufs) {
        this(fd, bufs, 0);
    }

    @Override
    public OpKind kind() {
        return OpKind.RECV_MSG;
    }

    @Override
    public BufVec buffers() {
        return bufs;
    }
}
