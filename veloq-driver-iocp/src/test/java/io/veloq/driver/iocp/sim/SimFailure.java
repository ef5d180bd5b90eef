package io.veloq.driver.iocp.sim;

import java.io.IOException;
import java.net.BindException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.nio.channels.ClosedChannelException;

/**
 * How a failure of the loopback socket underneath shows on Windows: the NTSTATUS an overlapped completion
 * carries, and the Winsock code a call that fails at once returns. Written from the Winsock documentation,
 * independently of the driver's own translation table, so the tests check one against the other.
 */
enum SimFailure {
    CONNECTION_RESET(0xC000020D, 10054),
    CONNECTION_ABORTED(0xC0000241, 10053),
    CONNECTION_REFUSED(0xC0000236, 10061),
    HOST_UNREACHABLE(0xC000023D, 10065),
    NETWORK_UNREACHABLE(0xC000023C, 10051),
    TIMED_OUT(0xC00000B5, 10060),
    CANCELLED(0xC0000120, 995),
    ADDRESS_IN_USE(0xC000020A, 10048),
    INVALID_HANDLE(0xC0000008, 10038);

    final int ntStatus;
    final int wsaError;

    SimFailure(int ntStatus, int wsaError) {
        this.ntStatus = ntStatus;
        this.wsaError = wsaError;
    }

    /**
     * RtlNtStatusToDosError for the statuses the simulator produces or tests inject (from ntstatus.h and
     * winerror.h): facility 7 carries the Win32 code in its low word; ERROR_MR_MID_NOT_FOUND otherwise.
     */
    static int dosError(int status) {
        switch (status) {
            case 0: return 0;
            case 0x00000103: return 997;      // STATUS_PENDING -> ERROR_IO_PENDING
            case 0x80000005: return 234;      // STATUS_BUFFER_OVERFLOW -> ERROR_MORE_DATA
            case 0xC0000008: return 6;        // STATUS_INVALID_HANDLE
            case 0xC000000D: return 87;       // STATUS_INVALID_PARAMETER
            case 0xC0000011: return 38;       // STATUS_END_OF_FILE -> ERROR_HANDLE_EOF
            case 0xC0000022: return 5;        // STATUS_ACCESS_DENIED
            case 0xC000007F: return 112;      // STATUS_DISK_FULL
            case 0xC000009A: return 1450;     // STATUS_INSUFFICIENT_RESOURCES -> ERROR_NO_SYSTEM_RESOURCES
            case 0xC00000B5: return 121;      // STATUS_IO_TIMEOUT -> ERROR_SEM_TIMEOUT
            case 0xC0000120: return 995;      // STATUS_CANCELLED -> ERROR_OPERATION_ABORTED
            case 0xC0000185: return 1117;     // STATUS_IO_DEVICE_ERROR -> ERROR_IO_DEVICE
            case 0xC000009C: return 23;       // STATUS_DEVICE_DATA_ERROR -> ERROR_CRC
            case 0xC0000054: return 33;       // STATUS_FILE_LOCK_CONFLICT -> ERROR_LOCK_VIOLATION
            default:
                if ((status & 0xFFFF0000) == 0xC0070000 || (status & 0xFFFF0000) == 0x80070000) {
                    return status & 0xFFFF;
                }
                return 317;                   // ERROR_MR_MID_NOT_FOUND
        }
    }

    static SimFailure of(IOException e) {
        if (e instanceof java.net.PortUnreachableException) {
            return CONNECTION_RESET; // Windows reports an ICMP port unreachable on UDP as WSAECONNRESET
        }
        if (e instanceof ConnectException) {
            return CONNECTION_REFUSED;
        }
        if (e instanceof NoRouteToHostException) {
            return HOST_UNREACHABLE;
        }
        if (e instanceof BindException) {
            return ADDRESS_IN_USE;
        }
        if (e instanceof ClosedChannelException) {
            return CANCELLED;
        }
        String m = String.valueOf(e.getMessage());
        if (m.contains("reset") || m.contains("Broken pipe")) {
            return CONNECTION_RESET;
        }
        if (m.contains("Network is unreachable")) {
            return NETWORK_UNREACHABLE;
        }
        if (m.contains("timed out")) {
            return TIMED_OUT;
        }
        return CONNECTION_ABORTED;
    }
}
