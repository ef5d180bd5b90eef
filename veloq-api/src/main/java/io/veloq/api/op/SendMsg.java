package io.veloq.api.op;

import io.veloq.api.IoFd;
import io.veloq.api.buffer.BufVec;

import java.util.Objects;

/**
 * A vectored (gathering) send on a connected socket ({@code sendmsg(2)} with several {@code iovec}s on
 * Linux, {@code WSASend} with several {@code WSABUF}s on Windows): one op sends the readable bytes of each
 * buffer of {@code bufs} in order and completes with the total sent, which may be less than asked (a stream
 * socket whose send buffer fills up); each buffer's reader index advances by what was sent from it, so a
 * resubmission continues where the last one stopped.
 *
 * <pre>{@code
 * BufVec vec = BufVec.of(header, body);
 * while (vec.readableBytes() > 0) {
 *     loop.call(new SendMsg(fd, vec)).valueOrThrow();     // header bytes go out before body bytes
 * }
 * }</pre>
 *
 * <p>{@code MSG_NOSIGNAL} is always applied where it exists: a send to a closed peer fails with
 * {@code EPIPE}, it never raises {@code SIGPIPE}. An empty vector (or one with no readable byte) sends
 * nothing and completes with 0.
 *
 * @param fd    a connected stream or datagram socket
 * @param bufs  the buffers; the vector and each buffer are owned by the driver while the op is in flight
 * @param flags {@code send(2)} flags, usually 0
 * @since 0.1
 */
public record SendMsg(IoFd fd, BufVec bufs, int flags) implements OpPayload {
    public SendMsg {
        Objects.requireNonNull(fd, "SendMsg needs an fd");
        Objects.requireNonNull(bufs, "SendMsg on " + fd + " needs a BufVec");
    }

    /** With no flags. */
    public SendMsg(IoFd fd, BufVec bufs) {
        this(fd, bufs, 0);
    }

    @Override
    public OpKind kind() {
        return OpKind.SEND_MSG;
    }

    @Override
    public BufVec buffers() {
        return bufs;
    }
}
