package io.veloq.driver.iocp.win32;

import io.veloq.driver.iocp.Bindings;
import io.veloq.driver.iocp.ffi.Kernel32;
import io.veloq.driver.iocp.ffi.Ntdll;
import io.veloq.driver.iocp.ffi.WinSock;
import jnr.ffi.LibraryLoader;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The jnr-ffi binding interfaces. On Windows: the real binding loads, passes its sixth-argument self-test,
 * and creates and closes a completion port. Elsewhere jnr-ffi still generates both implementations (against
 * the C library, where the Windows symbols are missing and calling one throws), which proves the module
 * wiring (unqualified export of the ffi package, {@code requires org.objectweb.asm}) and the parameter
 * mappings before any Windows machine sees them.
 */
public class JnrBindingTest {

    @Test
    void bindingInterfacesAreGeneratedOnTheModulePath() {
        if (Bindings.windows()) {
            JnrWin32 w = JnrWin32.load();
            long port = w.createIoCompletionPort(Win32Constants.INVALID_HANDLE_VALUE, 0, 0, 1);
            assertTrue(port != 0, "CreateIoCompletionPort failed: " + w.lastError());
            assertTrue(w.postQueuedCompletionStatus(port, 7, 42, 0));
            try (NativeMemory.Block m = NativeMemory.allocate(64)) {
                assertTrue(w.getQueuedCompletionStatusEx(port, m.address(), 1, m.address() + 32, 1000, false),
                        "GetQueuedCompletionStatusEx failed: " + w.lastError());
                assertEquals(1, m.buffer().getInt(32));
                assertEquals(42, m.buffer().getLong(0));
                assertEquals(7, m.buffer().getInt(24));
            }
            assertTrue(w.closeHandle(port));
            assertEquals(38, w.rtlNtStatusToDosError(0xC0000011), "STATUS_END_OF_FILE -> ERROR_HANDLE_EOF");
            assertEquals(112, w.rtlNtStatusToDosError(0xC0070070), "facility 7 carries the Win32 code");
            return;
        }
        Kernel32 k = LibraryLoader.create(Kernel32.class).load("c");
        WinSock ws = LibraryLoader.create(WinSock.class).load("c");
        Ntdll nt = LibraryLoader.create(Ntdll.class).load("c");
        assertNotNull(nt);
        assertThrows(UnsatisfiedLinkError.class, () -> nt.RtlNtStatusToDosError(0xC0000011));
        assertNotNull(k);
        assertNotNull(ws);
        assertEquals("io.veloq.driver.iocp.ffi", Kernel32.class.getPackageName());
        assertThrows(UnsatisfiedLinkError.class, () -> k.CreateIoCompletionPort(-1, 0, 0, 1),
                "no kernel32 here: the generated stub must refuse, not call something else");
        // ws2_32's listen/bind/getsockname exist in libc with compatible shapes; they are not called here.
    }
}
