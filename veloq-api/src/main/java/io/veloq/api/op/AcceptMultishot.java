package io.veloq.api.op;

import io.veloq.api.IoFd;

import java.util.Objects;

/**
 * Accepts connections on a listening socket until cancelled or failed: one submission, one item per
 * accepted connection (the new handle; the peer address comes from {@code getpeername}), then one final
 * completion that says why it ended. io_uring runs it as {@code IORING_ACCEPT_MULTISHOT}; the IOCP driver
 * re-issues {@code AcceptEx} itself. Needs {@link io.veloq.api.Capability#MULTISHOT}.
 *
 * <pre>{@code
 * Op<AcceptMultishot> accepts = Op.of(new AcceptMultishot(listenFd), StreamCompleter.of(
 *         (op, fd, buf) -> serve(IoFd.raw(fd)),                 // each connection, on the loop thread
 *         op -> { if (!op.isSuccess()) rearmLater(op); }));      // ended: EMFILE, cancelled, ...
 * loop.submit(accepts);
 * }</pre>
 *
 * @param fd the listening socket
 * @since 0.3
 */
public record AcceptMultishot(IoFd fd) implements OpPayload {
    public AcceptMultishot {
        Objects.requireNonNull(fd, "AcceptMultishot needs a listening fd");
    }

    @Override
    public OpKind kind() {
        return OpKind.ACCEPT_MULTISHOT;
    }
}
