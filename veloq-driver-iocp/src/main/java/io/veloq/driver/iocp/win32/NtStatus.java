package io.veloq.driver.iocp.win32;

/**
 * NTSTATUS values the kernel leaves in {@code OVERLAPPED.Internal}, and the Winsock code a failed socket
 * completion stands for.
 *
 * <p>Why translate here: the OVERLAPPED documentation says {@code Internal} holds the status code of the
 * request (STATUS_PENDING while it is outstanding); GetQueuedCompletionStatusEx reports no error per entry.
 * <ul>
 *   <li>Sockets: {@link #toWinsockError} gives the code {@code WSAGetOverlappedResult} would report. AFD's
 *       statuses are a closed set; the table is the one Winsock applies (libuv keeps the same one), and a
 *       status of facility 7 (FACILITY_NTWIN32) carries its Win32/Winsock code in the low word.</li>
 *   <li>Files: the driver calls {@code RtlNtStatusToDosError} ({@link Win32#rtlNtStatusToDosError}), which is
 *       what {@code GetOverlappedResult} does, so every file status gets its real Win32 code.</li>
 * </ul>
 * A cancelled operation is {@code ERROR_OPERATION_ABORTED} (995, also {@code WSA_OPERATION_ABORTED}) for both.
 *
 * <pre>{@code int code = NtStatus.toWinsockError(NtStatus.STATUS_CONNECTION_RESET);  // 10054}</pre>
 *
 * @since 0.1
 */
public final class NtStatus {
    private NtStatus() {
    }

    public static final int STATUS_SUCCESS = 0;
    public static final int STATUS_TIMEOUT = 0x00000102;
    public static final int STATUS_PENDING = 0x00000103;
    public static final int STATUS_BUFFER_OVERFLOW = 0x80000005;
    public static final int STATUS_NOT_IMPLEMENTED = 0xC0000002;
    public static final int STATUS_ACCESS_VIOLATION = 0xC0000005;
    public static final int STATUS_PAGEFILE_QUOTA = 0xC0000007;
    public static final int STATUS_INVALID_HANDLE = 0xC0000008;
    public static final int STATUS_INVALID_PARAMETER = 0xC000000D;
    public static final int STATUS_NO_SUCH_DEVICE = 0xC000000E;
    public static final int STATUS_NO_SUCH_FILE = 0xC000000F;
    public static final int STATUS_END_OF_FILE = 0xC0000011;
    public static final int STATUS_NO_MEMORY = 0xC0000017;
    public static final int STATUS_CONFLICTING_ADDRESSES = 0xC0000018;
    public static final int STATUS_ACCESS_DENIED = 0xC0000022;
    public static final int STATUS_BUFFER_TOO_SMALL = 0xC0000023;
    public static final int STATUS_OBJECT_TYPE_MISMATCH = 0xC0000024;
    public static final int STATUS_OBJECT_NAME_NOT_FOUND = 0xC0000034;
    public static final int STATUS_OBJECT_PATH_NOT_FOUND = 0xC000003A;
    public static final int STATUS_SHARING_VIOLATION = 0xC0000043;
    public static final int STATUS_QUOTA_EXCEEDED = 0xC0000044;
    public static final int STATUS_DISK_FULL = 0xC000007F;
    public static final int STATUS_TOO_MANY_PAGING_FILES = 0xC0000097;
    public static final int STATUS_INSUFFICIENT_RESOURCES = 0xC000009A;
    public static final int STATUS_WORKING_SET_QUOTA = 0xC00000A1;
    public static final int STATUS_DEVICE_NOT_READY = 0xC00000A3;
    public static final int STATUS_PIPE_DISCONNECTED = 0xC00000B0;
    public static final int STATUS_IO_TIMEOUT = 0xC00000B5;
    public static final int STATUS_NOT_SUPPORTED = 0xC00000BB;
    public static final int STATUS_REMOTE_NOT_LISTENING = 0xC00000BC;
    public static final int STATUS_BAD_NETWORK_PATH = 0xC00000BE;
    public static final int STATUS_NETWORK_BUSY = 0xC00000BF;
    public static final int STATUS_INVALID_NETWORK_RESPONSE = 0xC00000C3;
    public static final int STATUS_UNEXPECTED_NETWORK_ERROR = 0xC00000C4;
    public static final int STATUS_REQUEST_NOT_ACCEPTED = 0xC00000D0;
    public static final int STATUS_CANCELLED = 0xC0000120;
    public static final int STATUS_COMMITMENT_LIMIT = 0xC000012D;
    public static final int STATUS_LOCAL_DISCONNECT = 0xC000013B;
    public static final int STATUS_REMOTE_DISCONNECT = 0xC000013C;
    public static final int STATUS_REMOTE_RESOURCES = 0xC000013D;
    public static final int STATUS_LINK_FAILED = 0xC000013E;
    public static final int STATUS_LINK_TIMEOUT = 0xC000013F;
    public static final int STATUS_INVALID_CONNECTION = 0xC0000140;
    public static final int STATUS_INVALID_ADDRESS = 0xC0000141;
    public static final int STATUS_PIPE_BROKEN = 0xC000014B;
    public static final int STATUS_INVALID_BUFFER_SIZE = 0xC0000206;
    public static final int STATUS_INVALID_ADDRESS_COMPONENT = 0xC0000207;
    public static final int STATUS_TOO_MANY_ADDRESSES = 0xC0000209;
    public static final int STATUS_ADDRESS_ALREADY_EXISTS = 0xC000020A;
    public static final int STATUS_CONNECTION_DISCONNECTED = 0xC000020C;
    public static final int STATUS_CONNECTION_RESET = 0xC000020D;
    public static final int STATUS_TRANSACTION_ABORTED = 0xC000020F;
    public static final int STATUS_CONNECTION_REFUSED = 0xC0000236;
    public static final int STATUS_GRACEFUL_DISCONNECT = 0xC0000237;
    public static final int STATUS_NETWORK_UNREACHABLE = 0xC000023C;
    public static final int STATUS_HOST_UNREACHABLE = 0xC000023D;
    public static final int STATUS_PROTOCOL_UNREACHABLE = 0xC000023E;
    public static final int STATUS_PORT_UNREACHABLE = 0xC000023F;
    public static final int STATUS_REQUEST_ABORTED = 0xC0000240;
    public static final int STATUS_CONNECTION_ABORTED = 0xC0000241;
    public static final int STATUS_HOPLIMIT_EXCEEDED = 0xC000A012;

    /** FACILITY_NTWIN32 in bits 16..27: the status wraps a Win32 code. */
    private static final int FACILITY_NTWIN32 = 7;

    /** {@code NT_SUCCESS}: success and informational statuses (STATUS_PENDING included). */
    public static boolean isSuccess(int status) {
        return status >= 0;
    }

    /**
     * The Winsock code for a failed socket completion status, as WSAGetOverlappedResult reports it; WSAEINVAL
     * for a status Winsock has no code for (its own fallback).
     */
    public static int toWinsockError(int status) {
        switch (status) {
            case STATUS_CANCELLED:
            case STATUS_REQUEST_ABORTED:
                return 995; // WSA_OPERATION_ABORTED
            case STATUS_INVALID_HANDLE:
            case STATUS_OBJECT_TYPE_MISMATCH:
                return 10038; // WSAENOTSOCK
            case STATUS_INSUFFICIENT_RESOURCES:
            case STATUS_PAGEFILE_QUOTA:
            case STATUS_COMMITMENT_LIMIT:
            case STATUS_WORKING_SET_QUOTA:
            case STATUS_NO_MEMORY:
            case STATUS_CONFLICTING_ADDRESSES:
            case STATUS_QUOTA_EXCEEDED:
            case STATUS_TOO_MANY_PAGING_FILES:
            case STATUS_REMOTE_RESOURCES:
            case STATUS_TOO_MANY_ADDRESSES:
                return 10055; // WSAENOBUFS
            case STATUS_SHARING_VIOLATION:
            case STATUS_ADDRESS_ALREADY_EXISTS:
                return 10048; // WSAEADDRINUSE
            case STATUS_LINK_TIMEOUT:
            case STATUS_IO_TIMEOUT:
            case STATUS_TIMEOUT:
                return 10060; // WSAETIMEDOUT
            case STATUS_GRACEFUL_DISCONNECT:
                return 10101; // WSAEDISCON
            case STATUS_REMOTE_DISCONNECT:
            case STATUS_CONNECTION_RESET:
            case STATUS_LINK_FAILED:
            case STATUS_CONNECTION_DISCONNECTED:
            case STATUS_PORT_UNREACHABLE:
            case STATUS_HOPLIMIT_EXCEEDED:
                return 10054; // WSAECONNRESET
            case STATUS_LOCAL_DISCONNECT:
            case STATUS_TRANSACTION_ABORTED:
            case STATUS_CONNECTION_ABORTED:
                return 10053; // WSAECONNABORTED
            case STATUS_BAD_NETWORK_PATH:
            case STATUS_NETWORK_UNREACHABLE:
            case STATUS_PROTOCOL_UNREACHABLE:
                return 10051; // WSAENETUNREACH
            case STATUS_HOST_UNREACHABLE:
                return 10065; // WSAEHOSTUNREACH
            case STATUS_BUFFER_OVERFLOW:
            case STATUS_INVALID_BUFFER_SIZE:
                return 10040; // WSAEMSGSIZE
            case STATUS_BUFFER_TOO_SMALL:
            case STATUS_ACCESS_VIOLATION:
                return 10014; // WSAEFAULT
            case STATUS_DEVICE_NOT_READY:
            case STATUS_REQUEST_NOT_ACCEPTED:
                return 10035; // WSAEWOULDBLOCK
            case STATUS_INVALID_NETWORK_RESPONSE:
            case STATUS_NETWORK_BUSY:
            case STATUS_NO_SUCH_DEVICE:
            case STATUS_NO_SUCH_FILE:
            case STATUS_OBJECT_PATH_NOT_FOUND:
            case STATUS_OBJECT_NAME_NOT_FOUND:
            case STATUS_UNEXPECTED_NETWORK_ERROR:
                return 10050; // WSAENETDOWN
            case STATUS_INVALID_CONNECTION:
                return 10057; // WSAENOTCONN
            case STATUS_REMOTE_NOT_LISTENING:
            case STATUS_CONNECTION_REFUSED:
                return 10061; // WSAECONNREFUSED
            case STATUS_PIPE_DISCONNECTED:
                return 10058; // WSAESHUTDOWN
            case STATUS_INVALID_ADDRESS:
            case STATUS_INVALID_ADDRESS_COMPONENT:
                return 10049; // WSAEADDRNOTAVAIL
            case STATUS_NOT_SUPPORTED:
            case STATUS_NOT_IMPLEMENTED:
                return 10045; // WSAEOPNOTSUPP
            case STATUS_ACCESS_DENIED:
                return 10013; // WSAEACCES
            case STATUS_PIPE_BROKEN:
                return 109; // ERROR_BROKEN_PIPE
            default:
                // A warning or error of facility 7 wraps a Win32/Winsock code in its low word.
                if (((status >>> 16) & 0xFFF) == FACILITY_NTWIN32 && (status & 0xC0000000) != 0) {
                    return status & 0xFFFF;
                }
                return 10022; // WSAEINVAL
        }
    }

    /** A readable form, e.g. {@code 0xC000020D}. */
    public static String hex(int status) {
        return String.format("0x%08X", status);
    }
}
