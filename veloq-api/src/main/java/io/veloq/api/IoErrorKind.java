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
    NO_BUFFER_SPACE,
    TOO_MANY_OPEN_FILES,
    NOT_SUPPORTED,
    IO_ERROR,
    OTHER
}
