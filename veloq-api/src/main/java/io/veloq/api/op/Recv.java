package io.veloq.api.op;

import io.veloq.api.IoFd;
import io.veloq.api.buffer.FixedBuf;

import java.util.Objects;

/**
 * Receives into the free space of {@code buf} (from its writer index to its capacity); completes with the byte count, 0 at end of stream, and advances the buffer's writer index by it.
 *
 * <pre>{@code long n = loop.call(new Recv(fd, buf)).valueOrThrow();  // buf.readableBytes() grew by n}</pre>
 *
 * @param fd  the descriptor
 * @param buf the buffer; owned by the driver while the op is in flight
 * @param flags {@code recv(2)} flags, usually 0
 * @since 0.1
 */
public record Recv(IoFd fd, FixedBuf buf, int flags) implements OpPayload {
    public Recv {
        Objects.requireNonNull(fd, "Recv needs an fd");
        Payloads.require(buf, "Recv", fd, "a buffer");
    }

    /** With no flags. */
    public Recv(IoFd fd, FixedBuf buf) {
        this(fd, buf, 0);
    }

    @Override
    public OpKind kind() {
        return OpKind.RECV;
    }

    @Override
    public FixedBuf buffer() {
        return buf;
    }
}
