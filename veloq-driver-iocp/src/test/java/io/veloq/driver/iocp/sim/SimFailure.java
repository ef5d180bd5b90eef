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
