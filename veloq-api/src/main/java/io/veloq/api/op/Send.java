package io.veloq.api.op;

import io.veloq.api.IoFd;
import io.veloq.api.buffer.FixedBuf;

import java.util.Objects;

/**
 * Sends the readable bytes of {@code buf} (reader index to writer index); completes with the byte count sent, which may be less than asked, and advances the reader index by it.
 *
 * <pre>{@code loop.call(new Send(fd, buf)).valueOrThrow();}</pre>
 *
 * @param fd  the descriptor
 * @param buf the buffer; owned by the driver while the op is in flight
 * @param flags {@code send(2)} flags, usually 0 ({@code MSG_NOSIGNAL} is always applied where it exists)
 * @since 0.1
 */
public record Send(IoFd fd, FixedBuf buf, int flags) implements OpPayload {
    public Send {
        Objects.requireNonNull(fd, "Send needs an fd");
        Objects.requireNonNull(buf, "Send on " + fd + " needs a buffer");
    }

    /** With no flags. */
    public Send(IoFd fd, FixedBuf buf) {
        this(fd, buf, 0);
    }

    @Override
    public OpKind kind() {
        return OpKind.SEND;
    }

    @Override
    public FixedBuf buffer() {
        return buf;
    }
}
