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

    @Test
    void completionStatusesTranslateToTheCodesWinsockAndKernel32Report() {
        assertEquals(10054, NtStatus.toWin32Error(NtStatus.STATUS_CONNECTION_RESET, true));
        assertEquals(10054, NtStatus.toWin32Error(NtStatus.STATUS_REMOTE_DISCONNECT, true));
        assertEquals(10053, NtStatus.toWin32Error(NtStatus.STATUS_CONNECTION_ABORTED, true));
        assertEquals(10061, NtStatus.toWin32Error(NtStatus.STATUS_CONNECTION_REFUSED, true));
        assertEquals(10060, NtStatus.toWin32Error(NtStatus.STATUS_IO_TIMEOUT, true));
        assertEquals(995, NtStatus.toWin32Error(NtStatus.STATUS_CANCELLED, true));
        assertEquals(995, NtStatus.toWin32Error(NtStatus.STATUS_CANCELLED, false));
        assertEquals(38, NtStatus.toWin32Error(NtStatus.STATUS_END_OF_FILE, false));
        assertEquals(6, NtStatus.toWin32Error(NtStatus.STATUS_INVALID_HANDLE, false));
        assertEquals(10038, NtStatus.toWin32Error(NtStatus.STATUS_INVALID_HANDLE, true));
        assertTrue(NtStatus.isSuccess(NtStatus.STATUS_SUCCESS));
        assertTrue(!NtStatus.isSuccess(NtStatus.STATUS_BUFFER_OVERFLOW), "warnings are not NT_SUCCESS");
        for (int status : new int[]{NtStatus.STATUS_CONNECTION_RESET, NtStatus.STATUS_CANCELLED, 0xC0001234}) {
            assertTrue(Win32Error.of(NtStatus.toWin32Error(status, true)) != null,
                    "every socket status lands on a named code: " + NtStatus.hex(status));
            assertTrue(Win32Error.of(NtStatus.toWin32Error(status, false)) != null,
                    "every file status lands on a named code: " + NtStatus.hex(status));
        }
    }
}
