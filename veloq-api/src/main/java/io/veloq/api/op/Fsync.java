package io.veloq.api.op;

import io.veloq.api.IoFd;

import java.util.Objects;

/**
 * Flushes a file to stable storage; completes with 0.
 *
 * <pre>{@code loop.call(new Fsync(fd, false));}</pre>
 *
 * @param fd       the file
 * @param dataOnly flush data only ({@code fdatasync}), not metadata
 * @since 0.1
 */
public record Fsync(IoFd fd, boolean dataOnly) implements OpPayload {
    public Fsync {
        Objects.requireNonNull(fd, "Fsync needs an fd");
    }

    @Override
    public OpKind kind() {
        return OpKind.FSYNC;
    }
}
