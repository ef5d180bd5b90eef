package io.veloq.api.op;

import io.veloq.api.IoFd;
import io.veloq.api.buffer.FixedBuf;

import java.util.Objects;

/**
 * Writes the readable bytes of {@code buf} to a file at {@code offset} (-1: the current position); completes with the byte count and advances the reader index.
 *
 * <pre>{@code loop.call(new Write(fd, buf, 0)).valueOrThrow();}</pre>
 *
 * @param fd  the descriptor
 * @param buf the buffer; owned by the driver while the op is in flight
 * @param offset file offset, or -1 for the current position
 * @since 0.1
 */
public record Write(IoFd fd, FixedBuf buf, long offset) implements OpPayload {
    public Write {
        Objects.requireNonNull(fd, "Write needs an fd");
        Payloads.require(buf, "Write", fd, "a buffer");
        if (offset < -1) {
            throw new IllegalArgumentException("file offset must be >= 0 (or -1 for the current position), got " + offset + " for " + fd);
        }
    }

    @Override
    public OpKind kind() {
        return OpKind.WRITE;
    }

    @Override
    public FixedBuf buffer() {
        return buf;
    }
}
