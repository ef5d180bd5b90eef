package io.veloq.driver.iocp.win32;

import com.kenai.jffi.Library;
import com.kenai.jffi.Type;
import io.veloq.driver.iocp.Bindings;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The path the real binding uses for AcceptEx, ConnectEx and GetAcceptExSockaddrs (a function known only by
 * its address, called through jffi's generic invoker), exercised for real on a 7-argument function every
 * platform has: getnameinfo (libc here, ws2_32.dll on Windows). Seven arguments also put one on the stack,
 * past the register arguments, like AcceptEx's eighth.
 */
public class FunctionPointerTest {

    @Test
    void sevenArgumentCallThroughAFunctionPointer() {
        boolean windows = Bindings.windows();
        if (windows) {
            JnrWin32.load(); // WSAStartup before any Winsock call
        }
        Library lib = Library.getCachedInstance(windows ? "ws2_32.dll" : "libc.so.6", Library.LAZY | Library.LOCAL);
        assertTrue(lib != null, "cannot open the C library: " + Library.getLastError());
        long address = lib.getSymbolAddress("getnameinfo");
        assertTrue(address != 0, "getnameinfo not found");
        FunctionPointer getnameinfo = new FunctionPointer(address, Type.SINT32, Type.POINTER, Type.UINT32,
                Type.POINTER, Type.UINT32, Type.POINTER, Type.UINT32, Type.SINT32);
        int niNumericHost = windows ? 0x02 : 0x01;
        int niNumericServ = windows ? 0x08 : 0x02;
        try (NativeMemory.Block m = NativeMemory.allocate(256)) {
            // sockaddr_in 127.0.0.1:8080 (AF_INET = 2 on both)
            m.buffer().putShort(0, (short) 2);
            m.buffer().put(2, (byte) 0x1F).put(3, (byte) 0x90);
            m.buffer().put(4, (byte) 127).put(7, (byte) 1);
            int rc = getnameinfo.invokeInt(getnameinfo.arguments().address(m.address()).int32(16)
                    .address(m.address() + 32).int32(64).address(m.address() + 128).int32(32)
                    .int32(niNumericHost | niNumericServ));
            assertEquals(0, rc, "getnameinfo failed");
            assertEquals("127.0.0.1", cString(m, 32));
            assertEquals("8080", cString(m, 128), "the seventh argument (flags, on the stack) arrived");
        }
    }

    private static String cString(NativeMemory.Block m, int at) {
        int end = at;
        while (m.buffer().get(end) != 0) {
            end++;
        }
        byte[] b = new byte[end - at];
        m.buffer().get(at, b);
        return new String(b, StandardCharsets.US_ASCII);
    }
}
