package io.veloq.api;

/**
 * What a driver can do beyond the ops every driver supports. Applications may check
 * {@link EventLoop#capabilities()} before using an optional feature; the driver refuses an unsupported
 * one with a clear error either way.
 *
 * @since 0.1
 */
public enum Capability {
    /** {@link IoFd.Fixed}: registered files. */
    FIXED_FILES,
    /** {@code ReadFixed}/{@code WriteFixed} on the loop's registered pool. */
    REGISTERED_BUFFERS,
    /** Per-op deadlines enforced by the driver (io_uring linked timeouts) rather than the host's timers. */
    LINKED_TIMEOUTS,
    /** Multishot accept/recv. */
    MULTISHOT,
    /** Zero-copy send. */
    ZERO_COPY_SEND,
    /** Unix-domain sockets. */
    UNIX_SOCKETS,
    /** File ops: Open, Read, Write, Fsync. */
    FILE_IO,
    /** Socket options through {@link EventLoop#setOption}. */
    SOCKET_OPTIONS,
    /** AF_XDP sockets ({@link io.veloq.api.xdp.XdpSocket}); since 0.2. */
    XDP
}
