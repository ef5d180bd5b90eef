package io.veloq.api.op;

import io.veloq.api.IoFd;
import io.veloq.api.buffer.FixedBuf;

import java.util.Objects;

/**
 * Reads into the free space of {@code buf} from a file at {@code offset} (-1: the current position); completes with the byte count and advances the writer index.
 *
 * <pre>{@code long n = loop.call(new Read(fd, buf, 4096)).valueOrThrow();}</pre>
 *
 * @param fd  the descriptor
 * @param buf the buffer; owned by the driver while the op is in flight
 * @param offset file offset, or -1 for the current position
 * @since 0.1
 */
public record Read(IoFd fd, FixedBuf buf, long offset) implements OpPayload {
    public Read {
        Objects.requireNonNull(fd, "Read needs an fd");
        Payloads.require(buf, "Read", fd, "a buffer");
        if (offset < -1) {
            throw new IllegalArgumentException("file offset must be >= 0 (or -1 for the current position), got " + offset + " for " + fd);
        }
    }

    @Override
    public OpKind kind() {
        return OpKind.READ;
    }

    @Override
    public FixedBuf buffer() {
        return buf;
    }
}
