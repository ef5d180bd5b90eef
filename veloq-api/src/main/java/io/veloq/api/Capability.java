package io.veloq.api;

/**
 * What a driver can do beyond the ops every driver supports. Applications may check
 * {@link EventLoop#capabilities()} before using an optional feature.
 *
 * <p>The runtime checks them too: an op that needs a capability its loop's driver does not report never
 * reaches the driver. It completes at once with a {@link VeloqIoException} of kind
 * {@link IoErrorKind#NOT_SUPPORTED} (code 0, code name {@code NOT_SUPPORTED}: no platform call was made)
 * whose message names the driver and the capability. Which op needs which capability is written on each
 * constant below. Every driver supports, without a capability: Nop, Timeout, Cancel, TCP (IPv4 and IPv6)
 * Socket/Accept/Connect/Shutdown/Recv/Send with flags 0, and Close.
 *
 * <pre>{@code
 * if (loop.capabilities().contains(Capability.DATAGRAM_SOCKETS)) {
 *     UdpSocket u = UdpSocket.bind(loop, new InetSocketAddress("127.0.0.1", 0));
 * }
 * }</pre>
 *
 * @since 0.1
 */
public enum Capability {
    /** {@link IoFd.Fixed}: registered files. Any op naming an {@code IoFd.Fixed} needs it. */
    FIXED_FILES,
    /** {@code ReadFixed}/{@code WriteFixed} on the loop's registered pool; both ops need it. */
    REGISTERED_BUFFERS,
    /** Per-op deadlines enforced by the driver (io_uring linked timeouts) rather than the host's timers. */
    LINKED_TIMEOUTS,
    /**
     * Multishot ops and buffer rings: {@code AcceptMultishot}, {@code RecvMultishot} and
     * {@link EventLoop#openBufRing} need it (io_uring on Linux 6.0+; the IOCP driver emulates them by
     * re-issuing {@code AcceptEx}/{@code WSARecv}). The net API uses them where present, one-shot ops elsewhere.
     */
    MULTISHOT,
    /**
     * {@code Send.zeroCopy} really avoids the copy (io_uring {@code SEND_ZC}, Linux 6.0+). Without it the same
     * op is a copying send: nothing needs it, it says which one runs.
     */
    ZERO_COPY_SEND,
    /** Unix-domain stream sockets: a {@code Socket} op of family {@code UNIX} needs it. */
    UNIX_SOCKETS,
    /** File ops: {@code Open}, {@code Read}, {@code Write} and {@code Fsync} need it. */
    FILE_IO,
    /**
     * Socket options through {@link EventLoop#setOption}/{@link EventLoop#getOption}: the standard
     * {@code SO_*} keys ({@code SO_RCVBUF}, {@code SO_SNDBUF}, {@code SO_REUSEADDR}, {@code SO_KEEPALIVE},
     * {@code SO_LINGER}), {@code TCP_NODELAY} and {@code IP_TOS}. Values read back are what the platform
     * reports, which may differ from what was set (Linux doubles {@code SO_RCVBUF}/{@code SO_SNDBUF}).
     * Without it, {@code setOption}/{@code getOption} may throw {@link UnsupportedOperationException}.
     */
    SOCKET_OPTIONS,
    /**
     * Datagram (UDP) sockets: a {@code Socket} op of type {@code DATAGRAM}, and {@code RecvFrom}/{@code SendTo},
     * need it.
     *
     * @since 0.1
     */
    DATAGRAM_SOCKETS,
    /**
     * Unix-domain datagram sockets: a {@code Socket} op of family {@code UNIX} and type {@code DATAGRAM} needs
     * it (and {@link #UNIX_SOCKETS} and {@link #DATAGRAM_SOCKETS}).
     *
     * @since 0.1
     */
    UNIX_DATAGRAM_SOCKETS,
    /**
     * Linux's abstract Unix-domain names ({@link io.veloq.api.net.SockAddrStorage#setAbstractUnix}): a
     * {@code Connect} or {@code SendTo} to an abstract address needs it.
     *
     * @since 0.1
     */
    UNIX_ABSTRACT_NAMES,
    /**
     * The {@code IPV6_V6ONLY} option, and dual-stack sockets: an IPv6 socket with it off, bound to
     * {@code ::}, also serves IPv4 peers (seen as {@code ::ffff:a.b.c.d}); with it on, it serves IPv6 only.
     * Without it, the option may be missing ({@link UnsupportedOperationException}) or fixed to the
     * platform's behaviour; socket options are not ops, so the runtime does not refuse them itself.
     *
     * @since 0.1
     */
    IPV6_V6ONLY,
    /**
     * Non-zero {@code recv(2)}/{@code send(2)} flags on {@code Recv}, {@code Send}, {@code RecvFrom} and
     * {@code SendTo}: at least {@code MSG_PEEK} (0x2) and {@code MSG_WAITALL} (0x100) on receives are honoured;
     * other flags are handed to the platform, which may refuse one it lacks with its own error. Flags 0 and
     * {@code MSG_NOSIGNAL} (0x4000, always applied where it exists) need no capability.
     *
     * @since 0.1
     */
    MESSAGE_FLAGS,
    /**
     * AF_XDP sockets ({@link io.veloq.api.xdp.XdpSocket}).
     *
     * @since 0.2
     */
    XDP,
    /**
     * {@link io.veloq.api.op.SendFile}: a file's bytes sent to a socket without a copy through user space
     * (io_uring {@code SPLICE} through a pipe, nio {@code FileChannel.transferTo}; not on IOCP yet). The op needs it.
     *
     * @since 0.3
     */
    SEND_FILE
}
