package io.veloq.api.op;

import io.veloq.api.IoFd;
import io.veloq.api.buffer.FixedBuf;

import java.util.Objects;

/**
 * Like {@link Write}, through the driver's registered buffer of {@code buf}'s region (io_uring {@code WRITE_FIXED}). {@code buf} must come from the loop's registered pool.
 *
 * <pre>{@code loop.call(new WriteFixed(fd, buf, 0)).valueOrThrow();}</pre>
 *
 * @param fd  the descriptor
 * @param buf the buffer; owned by the driver while the op is in flight
 * @param offset file offset, or -1 for the current position
 * @since 0.1
 */
public record WriteFixed(IoFd fd, FixedBuf buf, long offset) implements OpPayload {
    public WriteFixed {
        Objects.requireNonNull(fd, "WriteFixed needs an fd");
        Payloads.require(buf, "WriteFixed", fd, "a buffer");
        if (offset < -1) {
            throw new IllegalArgumentException("file offset must be >= 0 (or -1 for the current position), got " + offset + " for " + fd);
        }
    }

    @Override
    public OpKind kind() {
        return OpKind.WRITE_FIXED;
    }

    @Override
    public FixedBuf buffer() {
        return buf;
    }
}
