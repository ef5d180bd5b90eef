package io.veloq.api.op;

import io.veloq.api.IoFd;

import java.util.Objects;

/**
 * Closes a descriptor; completes with 0. Ops still pending on it complete with an error.
 *
 * <pre>{@code loop.call(new Close(fd));}</pre>
 *
 * @param fd the descriptor to close
 * @since 0.1
 */
public record Close(IoFd fd) implements OpPayload {
    public Close {
        Objects.requireNonNull(fd, "Close needs an fd");
    }

    @Override
    public OpKind kind() {
        return OpKind.CLOSE;
    }
}
