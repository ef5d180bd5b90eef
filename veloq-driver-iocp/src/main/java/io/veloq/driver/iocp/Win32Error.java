package io.veloq.driver.iocp;

import io.veloq.api.IoErrorKind;
import io.veloq.spi.ErrorTable;

import java.util.HashMap;
import java.util.Map;

/**
 * The Win32 and Winsock error codes the IOCP driver reports, with their symbolic names, kinds and meanings.
 * They map onto the same {@link IoErrorKind}s as Linux errno values, so an application sees the same
 * exception types on both: {@code WSAECONNRESET} and {@code ECONNRESET} are both
 * {@link IoErrorKind#CONNECTION_RESET}; {@code ERROR_OPERATION_ABORTED} is {@link IoErrorKind#CANCELLED};
 * {@code WSAECONNREFUSED} becomes a {@link java.net.ConnectException}.
 *
 * <pre>{@code
 * Win32Error.TABLE.name(10054);   // "WSAECONNRESET"
 * Win32Error.TABLE.kind(995);     // IoErrorKind.CANCELLED
 * }</pre>
 *
 * @since 0.1
 */
public enum Win32Error implements ErrorTable.Code {
    ERROR_FILE_NOT_FOUND(2, IoErrorKind.NOT_FOUND, "the system cannot find the file specified"),
    ERROR_PATH_NOT_FOUND(3, IoErrorKind.NOT_FOUND, "the system cannot find the path specified"),
    ERROR_TOO_MANY_OPEN_FILES(4, IoErrorKind.TOO_MANY_OPEN_FILES, "the system cannot open the file"),
    ERROR_ACCESS_DENIED(5, IoErrorKind.PERMISSION_DENIED, "access is denied"),
    ERROR_INVALID_HANDLE(6, IoErrorKind.BAD_DESCRIPTOR, "the handle is invalid (or it is not one the iocp driver "
            + "created or adopted: a handle from elsewhere must be adopted first with IocpDriverProvider.adopt)"),
    ERROR_NOT_ENOUGH_MEMORY(8, IoErrorKind.NO_BUFFER_SPACE, "not enough memory resources are available"),
    ERROR_GEN_FAILURE(31, IoErrorKind.IO_ERROR, "a device attached to the system is not functioning"),
    ERROR_CRC(23, IoErrorKind.IO_ERROR, "data error (cyclic redundancy check)"),
    ERROR_SHARING_VIOLATION(32, IoErrorKind.PERMISSION_DENIED, "the file is being used by another process"),
    ERROR_LOCK_VIOLATION(33, IoErrorKind.PERMISSION_DENIED, "the process cannot access the file because another "
            + "process has locked a portion of it"),
    ERROR_HANDLE_EOF(38, IoErrorKind.IO_ERROR, "reached the end of the file"),
    ERROR_NOT_SUPPORTED(50, IoErrorKind.NOT_SUPPORTED, "the request is not supported (the IOCP driver has no "
            + "registered files (IoFd.Fixed) and no registered buffers (ReadFixed/WriteFixed): use IoFd.Raw, Read and Write)"),
    ERROR_NETNAME_DELETED(64, IoErrorKind.CONNECTION_RESET, "the specified network name is no longer available "
            + "(the connection was reset)"),
    ERROR_FILE_EXISTS(80, IoErrorKind.ALREADY_EXISTS, "the file exists"),
    ERROR_INVALID_PARAMETER(87, IoErrorKind.INVALID_ARGUMENT, "the parameter is incorrect (for an op on a socket "
            + "or file: it may be associated with the completion port of a loop that was closed)"),
    ERROR_BROKEN_PIPE(109, IoErrorKind.BROKEN_PIPE, "the pipe has been ended"),
    ERROR_DISK_FULL(112, IoErrorKind.IO_ERROR, "there is not enough space on the disk"),
    ERROR_SEM_TIMEOUT(121, IoErrorKind.TIMED_OUT, "the semaphore timeout period has expired (the device did not "
            + "answer in time)"),
    ERROR_INSUFFICIENT_BUFFER(122, IoErrorKind.INVALID_ARGUMENT, "the data area passed to a system call is too small"),
    ERROR_DIRECTORY(267, IoErrorKind.INVALID_ARGUMENT, "the directory name is invalid"),
    ERROR_ALREADY_EXISTS(183, IoErrorKind.ALREADY_EXISTS, "cannot create a file when that file already exists"),
    ERROR_MORE_DATA(234, IoErrorKind.OTHER, "more data is available"),
    WAIT_TIMEOUT(258, IoErrorKind.TIMED_OUT, "the wait operation timed out"),
    ERROR_MR_MID_NOT_FOUND(317, IoErrorKind.IO_ERROR, "the system has no message for this error (an NTSTATUS "
            + "without a Win32 code)"),
    ERROR_ABANDONED_WAIT_0(735, IoErrorKind.BAD_DESCRIPTOR, "the completion port was closed during the wait"),
    ERROR_OPERATION_ABORTED(995, IoErrorKind.CANCELLED, "the I/O operation has been aborted because of either a "
            + "thread exit or an application request"),
    ERROR_IO_INCOMPLETE(996, IoErrorKind.WOULD_BLOCK, "overlapped I/O event is not in a signaled state"),
    ERROR_IO_PENDING(997, IoErrorKind.WOULD_BLOCK, "overlapped I/O operation is in progress"),
    ERROR_IO_DEVICE(1117, IoErrorKind.IO_ERROR, "the request could not be performed because of an I/O device error"),
    ERROR_NOT_FOUND(1168, IoErrorKind.NOT_FOUND, "element not found"),
    ERROR_CONNECTION_REFUSED(1225, IoErrorKind.CONNECTION_REFUSED, "the remote computer refused the network connection"),
    ERROR_NETWORK_UNREACHABLE(1231, IoErrorKind.NETWORK_UNREACHABLE, "the network location cannot be reached"),
    ERROR_HOST_UNREACHABLE(1232, IoErrorKind.HOST_UNREACHABLE, "the network location cannot be reached"),
    ERROR_PORT_UNREACHABLE(1234, IoErrorKind.CONNECTION_REFUSED, "no service is operating at the destination port"),
    ERROR_CONNECTION_ABORTED(1236, IoErrorKind.CONNECTION_ABORTED, "the network connection was aborted by the local system"),
    ERROR_NO_SYSTEM_RESOURCES(1450, IoErrorKind.NO_BUFFER_SPACE, "insufficient system resources exist"),
    WSAEINTR(10004, IoErrorKind.INTERRUPTED, "a blocking operation was interrupted"),
    WSAEBADF(10009, IoErrorKind.BAD_DESCRIPTOR, "the file handle supplied is not valid"),
    WSAEACCES(10013, IoErrorKind.PERMISSION_DENIED, "an attempt was made to access a socket in a way forbidden by its access permissions"),
    WSAEFAULT(10014, IoErrorKind.INVALID_ARGUMENT, "the system detected an invalid pointer address or a too-short length"),
    WSAEINVAL(10022, IoErrorKind.INVALID_ARGUMENT, "an invalid argument was supplied (or the socket is in the wrong "
            + "state, e.g. not bound or not listening)"),
    WSAEMFILE(10024, IoErrorKind.TOO_MANY_OPEN_FILES, "too many open sockets"),
    WSAEWOULDBLOCK(10035, IoErrorKind.WOULD_BLOCK, "a non-blocking socket operation could not be completed immediately"),
    WSAEINPROGRESS(10036, IoErrorKind.WOULD_BLOCK, "a blocking operation is currently executing"),
    WSAEALREADY(10037, IoErrorKind.OTHER, "an operation was attempted on a non-blocking socket that already had an operation in progress"),
    WSAENOTSOCK(10038, IoErrorKind.BAD_DESCRIPTOR, "an operation was attempted on something that is not a socket "
            + "(or a socket that was closed, or a handle the iocp driver did not create or adopt: a handle from "
            + "elsewhere must be adopted first with IocpDriverProvider.adopt)"),
    WSAEDESTADDRREQ(10039, IoErrorKind.INVALID_ARGUMENT, "a required address was omitted"),
    WSAEMSGSIZE(10040, IoErrorKind.INVALID_ARGUMENT, "the message was larger than the buffer or the internal limit"),
    WSAEPROTOTYPE(10041, IoErrorKind.INVALID_ARGUMENT, "a protocol was specified that does not support the socket type"),
    WSAENOPROTOOPT(10042, IoErrorKind.NOT_SUPPORTED, "an unknown, invalid or unsupported option or level was specified"),
    WSAEPROTONOSUPPORT(10043, IoErrorKind.NOT_SUPPORTED, "the requested protocol is not supported"),
    WSAESOCKTNOSUPPORT(10044, IoErrorKind.NOT_SUPPORTED, "the socket type is not supported in this address family"),
    WSAEOPNOTSUPP(10045, IoErrorKind.NOT_SUPPORTED, "the operation is not supported for this type of object"),
    WSAEPFNOSUPPORT(10046, IoErrorKind.NOT_SUPPORTED, "the protocol family is not supported"),
    WSAEAFNOSUPPORT(10047, IoErrorKind.NOT_SUPPORTED, "an address incompatible with the requested protocol was used"),
    WSAEADDRINUSE(10048, IoErrorKind.ADDRESS_IN_USE, "only one usage of each socket address is normally permitted"),
    WSAEADDRNOTAVAIL(10049, IoErrorKind.ADDRESS_NOT_AVAILABLE, "the requested address is not valid in its context"),
    WSAENETDOWN(10050, IoErrorKind.NETWORK_UNREACHABLE, "the network is down"),
    WSAENETUNREACH(10051, IoErrorKind.NETWORK_UNREACHABLE, "the network is unreachable"),
    WSAENETRESET(10052, IoErrorKind.CONNECTION_RESET, "the connection was broken by keep-alive activity"),
    WSAECONNABORTED(10053, IoErrorKind.CONNECTION_ABORTED, "an established connection was aborted by the software in your host machine"),
    WSAECONNRESET(10054, IoErrorKind.CONNECTION_RESET, "an existing connection was forcibly closed by the remote host"),
    WSAENOBUFS(10055, IoErrorKind.NO_BUFFER_SPACE, "no buffer space available"),
    WSAEISCONN(10056, IoErrorKind.INVALID_ARGUMENT, "the socket is already connected"),
    WSAENOTCONN(10057, IoErrorKind.NOT_CONNECTED, "the socket is not connected"),
    WSAESHUTDOWN(10058, IoErrorKind.BROKEN_PIPE, "cannot send after the socket was shut down"),
    WSAETIMEDOUT(10060, IoErrorKind.TIMED_OUT, "the connection attempt or operation timed out"),
    WSAECONNREFUSED(10061, IoErrorKind.CONNECTION_REFUSED, "no connection could be made because the target machine actively refused it"),
    WSAEHOSTDOWN(10064, IoErrorKind.HOST_UNREACHABLE, "the remote host is down"),
    WSAEHOSTUNREACH(10065, IoErrorKind.HOST_UNREACHABLE, "no route to host"),
    WSANOTINITIALISED(10093, IoErrorKind.OTHER, "WSAStartup has not been called"),
    WSAEDISCON(10101, IoErrorKind.CONNECTION_RESET, "the remote party initiated a graceful shutdown");

    private static final Map<Integer, Win32Error> BY_CODE = new HashMap<>();

    static {
        for (Win32Error e : values()) {
            BY_CODE.put(e.code, e);
        }
    }

    /** The table view the driver reports through {@code Driver.errors()}. */
    public static final ErrorTable TABLE = ErrorTable.of(Win32Error::of, "Win32 error", "unknown Win32/Winsock error",
            ERROR_OPERATION_ABORTED.code, WSAETIMEDOUT.code, "Win32/Winsock error table");

    private final int code;
    private final IoErrorKind kind;
    private final String description;

    Win32Error(int code, IoErrorKind kind, String description) {
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

    /** The error with this code, or null. */
    public static Win32Error of(int code) {
        return BY_CODE.get(code);
    }
}
