package io.veloq.api.op;

import io.veloq.api.IoFd;

import java.util.Objects;

/**
 * Closes a descriptor; completes with 0. Ops still pending on it, on any loop, complete first, with a
 * {@link io.veloq.api.IoErrorKind#CANCELLED} error ({@code ECANCELED} on Linux, {@code ERROR_OPERATION_ABORTED}
 * on Windows; {@link io.veloq.api.VeloqIoException#toJava()} gives an
 * {@link java.nio.channels.AsynchronousCloseException}) and their buffers back, unless their own result won the
 * race. None stays in flight.
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
