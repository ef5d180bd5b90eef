package io.veloq.api.op;

import io.veloq.api.IoFd;
import io.veloq.api.net.ShutdownHow;

import java.util.Objects;

/**
 * Shuts down one or both directions of a connected socket; completes with 0.
 *
 * <pre>{@code loop.call(new Shutdown(fd, ShutdownHow.WRITE));  // peer reads EOF}</pre>
 *
 * @param fd  a connected socket
 * @param how which direction
 * @since 0.1
 */
public record Shutdown(IoFd fd, ShutdownHow how) implements OpPayload {
    public Shutdown {
        Objects.requireNonNull(fd, "Shutdown needs a socket fd");
        Objects.requireNonNull(how, "Shutdown needs a direction");
    }

    @Override
    public OpKind kind() {
        return OpKind.SHUTDOWN;
    }
}
