package io.veloq.driver.iocp;

import io.veloq.api.IoErrorKind;
import io.veloq.api.VeloqIoException;
import io.veloq.driver.iocp.win32.NtStatus;
import org.junit.jupiter.api.Test;

import java.net.ConnectException;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.ClosedChannelException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The Win32/Winsock error table: names, kinds, the Java exceptions they become, and NTSTATUS translation. */
public class Win32ErrorTest {

    private static void mapsTo(int code, String name, IoErrorKind kind) {
        assertEquals(name, Win32Error.TABLE.name(code), "name of " + code);
        assertEquals(kind, Win32Error.TABLE.kind(code), "kind of " + name);
    }

    @Test
    void theCodesTheDriverReportsHaveTheirWindowsNamesAndKinds() {
        mapsTo(10054, "WSAECONNRESET", IoErrorKind.CONNECTION_RESET);
        mapsTo(64, "ERROR_NETNAME_DELETED", IoErrorKind.CONNECTION_RESET);
        mapsTo(995, "ERROR_OPERATION_ABORTED", IoErrorKind.CANCELLED);
        mapsTo(10061, "WSAECONNREFUSED", IoErrorKind.CONNECTION_REFUSED);
        mapsTo(1225, "ERROR_CONNECTION_REFUSED", IoErrorKind.CONNECTION_REFUSED);
        mapsTo(10060, "WSAETIMEDOUT", IoErrorKind.TIMED_OUT);
        mapsTo(10022, "WSAEINVAL", IoErrorKind.INVALID_ARGUMENT);
        mapsTo(10038, "WSAENOTSOCK", IoErrorKind.BAD_DESCRIPTOR);
        mapsTo(6, "ERROR_INVALID_HANDLE", IoErrorKind.BAD_DESCRIPTOR);
        mapsTo(38, "ERROR_HANDLE_EOF", IoErrorKind.IO_ERROR);
        mapsTo(10048, "WSAEADDRINUSE", IoErrorKind.ADDRESS_IN_USE);
        mapsTo(10058, "WSAESHUTDOWN", IoErrorKind.BROKEN_PIPE);
        mapsTo(2, "ERROR_FILE_NOT_FOUND", IoErrorKind.NOT_FOUND);
        mapsTo(50, "ERROR_NOT_SUPPORTED", IoErrorKind.NOT_SUPPORTED);
        assertEquals(995, Win32Error.TABLE.cancelledCode());
        assertEquals(10060, Win32Error.TABLE.timedOutCode());
        assertEquals("Win32 error 424242", Win32Error.TABLE.name(424242));
        assertEquals(IoErrorKind.OTHER, Win32Error.TABLE.kind(424242));
    }

    @Test
    void exceptionsNameTheOpTheCodeAndBecomeTheJavaTypeUsersExpect() {
        VeloqIoException refused = Win32Error.TABLE.exception(10061, "Connect on fd 260 to /127.0.0.1:9");
        assertEquals("Connect on fd 260 to /127.0.0.1:9 failed: WSAECONNREFUSED (10061): no connection could be made "
                + "because the target machine actively refused it", refused.getMessage());
        assertInstanceOf(ConnectException.class, refused.toJava());
        assertInstanceOf(SocketException.class, Win32Error.TABLE.exception(10054, "Recv on fd 8").toJava());
        assertInstanceOf(AsynchronousCloseException.class, Win32Error.TABLE.exception(995, "Recv on fd 8").toJava());
        assertInstanceOf(SocketTimeoutException.class, Win32Error.TABLE.exception(10060, "Connect").toJava());
        assertInstanceOf(ClosedChannelException.class, Win32Error.TABLE.exception(10038, "Send on fd 8").toJava());
    }

    @Test
    void everyCodeIsUnique() {
        java.util.Set<Integer> seen = new java.util.HashSet<>();
        for (Win32Error e : Win32Error.values()) {
            assertTrue(seen.add(e.code()), "duplicate code " + e.code() + " (" + e + ")");
            assertEquals(e, Win32Error.of(e.code()));
        }
    }

    /**
     * #16 item 4: the socket statuses AFD completes requests with, and the Winsock codes
     * WSAGetOverlappedResult reports for them (the same table libuv keeps), including the facility 7
     * (FACILITY_NTWIN32) statuses that carry a Win32 code in their low word.
     */
    @Test
    void socketStatusesTranslateAsWinsockDoes() {
        int[][] pairs = {
            {0xC00000B0, 10058}, // STATUS_PIPE_DISCONNECTED -> WSAESHUTDOWN
            {0xC0000141, 10049}, // STATUS_INVALID_ADDRESS -> WSAEADDRNOTAVAIL
            {0xC0000207, 10049}, // STATUS_INVALID_ADDRESS_COMPONENT -> WSAEADDRNOTAVAIL
            {0x00000102, 10060}, // STATUS_TIMEOUT -> WSAETIMEDOUT
            {0xC000013F, 10060}, // STATUS_LINK_TIMEOUT -> WSAETIMEDOUT
            {0xC000A012, 10054}, // STATUS_HOPLIMIT_EXCEEDED -> WSAECONNRESET
            {0xC000013E, 10054}, // STATUS_LINK_FAILED -> WSAECONNRESET
            {0xC000023E, 10051}, // STATUS_PROTOCOL_UNREACHABLE -> WSAENETUNREACH
            {0xC00000BE, 10051}, // STATUS_BAD_NETWORK_PATH -> WSAENETUNREACH
            {0xC00000BC, 10061}, // STATUS_REMOTE_NOT_LISTENING -> WSAECONNREFUSED
            {0xC0000005, 10014}, // STATUS_ACCESS_VIOLATION -> WSAEFAULT
            {0xC0000023, 10014}, // STATUS_BUFFER_TOO_SMALL -> WSAEFAULT
            {0xC0000206, 10040}, // STATUS_INVALID_BUFFER_SIZE -> WSAEMSGSIZE
            {0xC000020F, 10053}, // STATUS_TRANSACTION_ABORTED -> WSAECONNABORTED
            {0xC0000043, 10048}, // STATUS_SHARING_VIOLATION -> WSAEADDRINUSE
            {0xC0000017, 10055}, // STATUS_NO_MEMORY -> WSAENOBUFS
            {0xC0000209, 10055}, // STATUS_TOO_MANY_ADDRESSES -> WSAENOBUFS
            {0xC00000A3, 10035}, // STATUS_DEVICE_NOT_READY -> WSAEWOULDBLOCK
            {0xC0000024, 10038}, // STATUS_OBJECT_TYPE_MISMATCH -> WSAENOTSOCK
            {0xC0000002, 10045}, // STATUS_NOT_IMPLEMENTED -> WSAEOPNOTSUPP
            {0xC00000C4, 10050}, // STATUS_UNEXPECTED_NETWORK_ERROR -> WSAENETDOWN
            {0xC0072747, 10055}, // facility 7: the Win32 code WSAENOBUFS in the low word
            {0xC0070040, 64},    // facility 7: ERROR_NETNAME_DELETED
        };
        for (int[] p : pairs) {
            assertEquals(p[1], NtStatus.toWinsockError(p[0]), "socket status " + NtStatus.hex(p[0]));
        }
        assertEquals(10022, NtStatus.toWinsockError(0xC0001234), "an unknown status is WSAEINVAL, as Winsock's fallback");
    }

    @Test
    void completionStatusesTranslateToTheCodesWinsockReports() {
        assertEquals(10054, NtStatus.toWinsockError(NtStatus.STATUS_CONNECTION_RESET));
        assertEquals(10054, NtStatus.toWinsockError(NtStatus.STATUS_REMOTE_DISCONNECT));
        assertEquals(10054, NtStatus.toWinsockError(NtStatus.STATUS_PORT_UNREACHABLE));
        assertEquals(10053, NtStatus.toWinsockError(NtStatus.STATUS_CONNECTION_ABORTED));
        assertEquals(10061, NtStatus.toWinsockError(NtStatus.STATUS_CONNECTION_REFUSED));
        assertEquals(10060, NtStatus.toWinsockError(NtStatus.STATUS_IO_TIMEOUT));
        assertEquals(995, NtStatus.toWinsockError(NtStatus.STATUS_CANCELLED));
        assertEquals(10038, NtStatus.toWinsockError(NtStatus.STATUS_INVALID_HANDLE));
        assertEquals(10040, NtStatus.toWinsockError(NtStatus.STATUS_BUFFER_OVERFLOW));
        assertTrue(NtStatus.isSuccess(NtStatus.STATUS_SUCCESS));
        assertTrue(!NtStatus.isSuccess(NtStatus.STATUS_BUFFER_OVERFLOW), "warnings are not NT_SUCCESS");
        for (int status : new int[]{NtStatus.STATUS_CONNECTION_RESET, NtStatus.STATUS_CANCELLED, 0xC0001234,
                NtStatus.STATUS_PIPE_DISCONNECTED, NtStatus.STATUS_HOPLIMIT_EXCEEDED}) {
            assertTrue(Win32Error.of(NtStatus.toWinsockError(status)) != null,
                    "every socket status lands on a named code: " + NtStatus.hex(status));
        }
    }
}
