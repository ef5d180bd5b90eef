package io.veloq.spi;

import io.veloq.api.IoErrorKind;

/**
 * Linux errno values (x86-64 and arm64 share them) with their names and kinds. The io_uring driver reports
 * these; so does the testkit's fake driver, so code tested on the fake sees exactly what it will see on the
 * kernel.
 *
 * <pre>{@code
 * LinuxErrno.ECONNREFUSED.code();          // 111
 * LinuxErrno.TABLE.name(111);              // "ECONNREFUSED"
 * }</pre>
 *
 * @since 0.1
 */
public enum LinuxErrno implements ErrorTable.Code {
    EPERM(1, IoErrorKind.PERMISSION_DENIED, "operation not permitted"),
    ENOENT(2, IoErrorKind.NOT_FOUND, "no such file or directory"),
    EINTR(4, IoErrorKind.INTERRUPTED, "interrupted system call"),
    EIO(5, IoErrorKind.IO_ERROR, "input/output error"),
    ENXIO(6, IoErrorKind.NOT_FOUND, "no such device or address"),
    E2BIG(7, IoErrorKind.INVALID_ARGUMENT, "argument list too long"),
    EBADF(9, IoErrorKind.BAD_DESCRIPTOR, "bad file descriptor"),
    EAGAIN(11, IoErrorKind.WOULD_BLOCK, "resource temporarily unavailable"),
    ENOMEM(12, IoErrorKind.NO_BUFFER_SPACE, "cannot allocate memory"),
    EACCES(13, IoErrorKind.PERMISSION_DENIED, "permission denied"),
    EFAULT(14, IoErrorKind.INVALID_ARGUMENT, "bad address"),
    EBUSY(16, IoErrorKind.OTHER, "device or resource busy"),
    EEXIST(17, IoErrorKind.ALREADY_EXISTS, "file exists"),
    ENODEV(19, IoErrorKind.NOT_FOUND, "no such device"),
    ENOTDIR(20, IoErrorKind.NOT_FOUND, "not a directory"),
    EISDIR(21, IoErrorKind.INVALID_ARGUMENT, "is a directory"),
    EINVAL(22, IoErrorKind.INVALID_ARGUMENT, "invalid argument"),
    ENFILE(23, IoErrorKind.TOO_MANY_OPEN_FILES, "too many open files in system"),
    EMFILE(24, IoErrorKind.TOO_MANY_OPEN_FILES, "too many open files"),
    EFBIG(27, IoErrorKind.IO_ERROR, "file too large"),
    ENOSPC(28, IoErrorKind.IO_ERROR, "no space left on device"),
    ESPIPE(29, IoErrorKind.INVALID_ARGUMENT, "illegal seek"),
    EROFS(30, IoErrorKind.PERMISSION_DENIED, "read-only file system"),
    EPIPE(32, IoErrorKind.BROKEN_PIPE, "broken pipe"),
    ENAMETOOLONG(36, IoErrorKind.INVALID_ARGUMENT, "file name too long"),
    ENOSYS(38, IoErrorKind.NOT_SUPPORTED, "function not implemented"),
    ETIME(62, IoErrorKind.TIMED_OUT, "timer expired"),
    EOVERFLOW(75, IoErrorKind.OVERFLOW, "value too large for defined data type, or a completion queue overflowed"),
    EBADFD(77, IoErrorKind.BAD_DESCRIPTOR, "file descriptor in bad state"),
    ENOTSOCK(88, IoErrorKind.INVALID_ARGUMENT, "socket operation on non-socket"),
    EDESTADDRREQ(89, IoErrorKind.INVALID_ARGUMENT, "destination address required"),
    EMSGSIZE(90, IoErrorKind.INVALID_ARGUMENT, "message too long"),
    EPROTOTYPE(91, IoErrorKind.INVALID_ARGUMENT, "protocol wrong type for socket"),
    ENOPROTOOPT(92, IoErrorKind.NOT_SUPPORTED, "protocol not available"),
    EPROTONOSUPPORT(93, IoErrorKind.NOT_SUPPORTED, "protocol not supported"),
    EOPNOTSUPP(95, IoErrorKind.NOT_SUPPORTED, "operation not supported"),
    EAFNOSUPPORT(97, IoErrorKind.NOT_SUPPORTED, "address family not supported by protocol"),
    EADDRINUSE(98, IoErrorKind.ADDRESS_IN_USE, "address already in use"),
    EADDRNOTAVAIL(99, IoErrorKind.ADDRESS_NOT_AVAILABLE, "cannot assign requested address"),
    ENETDOWN(100, IoErrorKind.NETWORK_UNREACHABLE, "network is down"),
    ENETUNREACH(101, IoErrorKind.NETWORK_UNREACHABLE, "network is unreachable"),
    ECONNABORTED(103, IoErrorKind.CONNECTION_ABORTED, "software caused connection abort"),
    ECONNRESET(104, IoErrorKind.CONNECTION_RESET, "connection reset by peer"),
    ENOBUFS(105, IoErrorKind.NO_BUFFER_SPACE, "no buffer space available"),
    EISCONN(106, IoErrorKind.INVALID_ARGUMENT, "transport endpoint is already connected"),
    ENOTCONN(107, IoErrorKind.NOT_CONNECTED, "transport endpoint is not connected"),
    ETIMEDOUT(110, IoErrorKind.TIMED_OUT, "connection timed out"),
    ECONNREFUSED(111, IoErrorKind.CONNECTION_REFUSED, "connection refused"),
    EHOSTUNREACH(113, IoErrorKind.HOST_UNREACHABLE, "no route to host"),
    EALREADY(114, IoErrorKind.OTHER, "operation already in progress"),
    EINPROGRESS(115, IoErrorKind.WOULD_BLOCK, "operation now in progress"),
    ECANCELED(125, IoErrorKind.CANCELLED, "operation canceled");

    private static final LinuxErrno[] BY_CODE = new LinuxErrno[134];

    static {
        for (LinuxErrno e : values()) {
            BY_CODE[e.code] = e;
        }
    }

    /** The table view of this enum. */
    public static final ErrorTable TABLE = ErrorTable.of(LinuxErrno::of, "errno", "unknown error",
            ECANCELED.code, ETIMEDOUT.code, "Linux errno table");

    private final int code;
    private final IoErrorKind kind;
    private final String description;

    LinuxErrno(int code, IoErrorKind kind, String description) {
        this.code = code;
        this.kind = kind;
        this.description = description;
    }

    public int code() {
        return code;
    }

    @Override
    public IoErrorKind kind() {
        return kind;
    }

    @Override
    public String description() {
        return description;
    }

    /** The errno with this value, or null. */
    public static LinuxErrno of(int code) {
        return code > 0 && code < BY_CODE.length ? BY_CODE[code] : null;
    }
}
