package io.veloq.driver.iocp.win32;

import static io.veloq.driver.iocp.win32.Win32Constants.ERROR_HANDLE_EOF;
import static io.veloq.driver.iocp.win32.Win32Constants.ERROR_OPERATION_ABORTED;

/**
 * NTSTATUS values the kernel leaves in {@code OVERLAPPED.Internal} when an operation completes, and their
 * translation to the Win32/Winsock codes the driver reports.
 *
 * <p>Why translate here: the OVERLAPPED documentation says {@code Internal} holds the status code of the
 * completed request; GetQueuedCompletionStatusEx does not report errors per entry. Socket statuses map to
 * the Winsock codes {@code WSAGetOverlappedResult} would give ({@code STATUS_CONNECTION_RESET} to
 * {@code WSAECONNRESET}); file statuses to the Win32 codes {@code GetOverlappedResult} would give
 * ({@code STATUS_END_OF_FILE} to {@code ERROR_HANDLE_EOF}); a cancelled operation is
 * {@code ERROR_OPERATION_ABORTED} for both.
 *
 * <pre>{@code int code = NtStatus.toWin32Error(NtStatus.STATUS_CONNECTION_RESET, true);  // 10054}</pre>
 *
 * @since 0.1
 */
public final class NtStatus {
    private NtStatus() {
    }

    public static final int STATUS_SUCCESS = 0;
    public static final int STATUS_PENDING = 0x00000103;
    public static final int STATUS_BUFFER_OVERFLOW = 0x80000005;
    public static final int STATUS_INVALID_HANDLE = 0xC0000008;
    public static final int STATUS_INVALID_PARAMETER = 0xC000000D;
    public static final int STATUS_END_OF_FILE = 0xC0000011;
    public static final int STATUS_ACCESS_DENIED = 0xC0000022;
    public static final int STATUS_DISK_FULL = 0xC000007F;
    public static final int STATUS_INSUFFICIENT_RESOURCES = 0xC000009A;
    public static final int STATUS_IO_TIMEOUT = 0xC00000B5;
    public static final int STATUS_NOT_SUPPORTED = 0xC00000BB;
    public static final int STATUS_CANCELLED = 0xC0000120;
    public static final int STATUS_LOCAL_DISCONNECT = 0xC000013B;
    public static final int STATUS_REMOTE_DISCONNECT = 0xC000013C;
    public static final int STATUS_INVALID_CONNECTION = 0xC0000140;
    public static final int STATUS_PIPE_BROKEN = 0xC000014B;
    public static final int STATUS_ADDRESS_ALREADY_EXISTS = 0xC000020A;
    public static final int STATUS_CONNECTION_DISCONNECTED = 0xC000020C;
    public static final int STATUS_CONNECTION_RESET = 0xC000020D;
    public static final int STATUS_CONNECTION_REFUSED = 0xC0000236;
    public static final int STATUS_GRACEFUL_DISCONNECT = 0xC0000237;
    public static final int STATUS_NETWORK_UNREACHABLE = 0xC000023C;
    public static final int STATUS_HOST_UNREACHABLE = 0xC000023D;
    public static final int STATUS_PORT_UNREACHABLE = 0xC000023F;
    public static final int STATUS_REQUEST_ABORTED = 0xC0000240;
    public static final int STATUS_CONNECTION_ABORTED = 0xC0000241;

    /** {@code NT_SUCCESS}: success and informational statuses. */
    public static boolean isSuccess(int status) {
        return status >= 0;
    }

    /**
     * The Win32 or Winsock error code for a failed completion status.
     *
     * @param status a status with {@code !isSuccess(status)}
     * @param socket whether the operation was on a socket (Winsock codes) or a file (Win32 codes)
     */
    public static int toWin32Error(int status, boolean socket) {
        switch (status) {
            case STATUS_CANCELLED:
            case STATUS_REQUEST_ABORTED:
                return ERROR_OPERATION_ABORTED;
            case STATUS_END_OF_FILE:
                return ERROR_HANDLE_EOF;
            case STATUS_INVALID_HANDLE:
                return socket ? 10038 /* WSAENOTSOCK */ : 6 /* ERROR_INVALID_HANDLE */;
            case STATUS_INVALID_PARAMETER:
                return socket ? 10022 /* WSAEINVAL */ : 87 /* ERROR_INVALID_PARAMETER */;
            case STATUS_ACCESS_DENIED:
                return socket ? 10013 /* WSAEACCES */ : 5 /* ERROR_ACCESS_DENIED */;
            case STATUS_DISK_FULL:
                return 112; // ERROR_DISK_FULL
            case STATUS_INSUFFICIENT_RESOURCES:
                return socket ? 10055 /* WSAENOBUFS */ : 1450 /* ERROR_NO_SYSTEM_RESOURCES */;
            case STATUS_PIPE_BROKEN:
                return 109; // ERROR_BROKEN_PIPE
            default:
                break;
        }
        if (!socket) {
            return 31; // ERROR_GEN_FAILURE: a file status this table does not know
        }
        switch (status) {
            case STATUS_BUFFER_OVERFLOW:
                return 10040; // WSAEMSGSIZE
            case STATUS_IO_TIMEOUT:
                return 10060; // WSAETIMEDOUT
            case STATUS_CONNECTION_RESET:
            case STATUS_REMOTE_DISCONNECT:
            case STATUS_CONNECTION_DISCONNECTED:
            case STATUS_PORT_UNREACHABLE:
                return 10054; // WSAECONNRESET
            case STATUS_LOCAL_DISCONNECT:
            case STATUS_CONNECTION_ABORTED:
                return 10053; // WSAECONNABORTED
            case STATUS_CONNECTION_REFUSED:
                return 10061; // WSAECONNREFUSED
            case STATUS_NETWORK_UNREACHABLE:
                return 10051; // WSAENETUNREACH
            case STATUS_HOST_UNREACHABLE:
                return 10065; // WSAEHOSTUNREACH
            case STATUS_ADDRESS_ALREADY_EXISTS:
                return 10048; // WSAEADDRINUSE
            case STATUS_GRACEFUL_DISCONNECT:
                return 10101; // WSAEDISCON
            case STATUS_INVALID_CONNECTION:
                return 10057; // WSAENOTCONN
            case STATUS_NOT_SUPPORTED:
                return 10045; // WSAEOPNOTSUPP
            default:
                return 10050; // WSAENETDOWN: a socket status this table does not know
        }
    }

    /** A readable form, e.g. {@code 0xC000020D}. */
    public static String hex(int status) {
        return String.format("0x%08X", status);
    }
}
