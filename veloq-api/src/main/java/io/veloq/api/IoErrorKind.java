package io.veloq.api;

/**
 * The platform-independent meaning of an I/O error. Drivers map their platform codes onto it
 * ({@code ECONNRESET} and {@code WSAECONNRESET} are both {@link #CONNECTION_RESET}).
 *
 * @since 0.1
 */
public enum IoErrorKind {
    CONNECTION_REFUSED,
    CONNECTION_RESET,
    CONNECTION_ABORTED,
    NOT_CONNECTED,
    BROKEN_PIPE,
    ADDRESS_IN_USE,
    ADDRESS_NOT_AVAILABLE,
    HOST_UNREACHABLE,
    NETWORK_UNREACHABLE,
    TIMED_OUT,
    /** The op was cancelled: explicitly, by close of its runtime, or by the driver. */
    CANCELLED,
    /** The descriptor is not open (or was closed while the op was pending). */
    BAD_DESCRIPTOR,
    NOT_FOUND,
    ALREADY_EXISTS,
    PERMISSION_DENIED,
    INVALID_ARGUMENT,
    WOULD_BLOCK,
    INTERRUPTED,
    /**
     * No buffer space: the kernel's, or, for a multishot receive, its provided-buffer ring ran dry (release
     * buffers to the ring, then submit the op again).
     */
    NO_BUFFER_SPACE,
    TOO_MANY_OPEN_FILES,
    NOT_SUPPORTED,
    IO_ERROR,
    /**
     * A queue overflowed: for a multishot op, the kernel ended it because its completion queue was full.
     * Nothing was lost (every item before it was delivered); submit the op again to go on. @since 0.3
     */
    OVERFLOW,
    OTHER
}
