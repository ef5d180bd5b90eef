package io.veloq.driver.iocp.win32;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The driver's structure layouts against the Windows x64 definitions: each structure is described by its
 * documented field types (ULONG_PTR and pointers 8 bytes, DWORD/ULONG/INT 4, USHORT 2, arrays of bytes), laid
 * out here by the C rules (each field at its natural alignment, the size rounded up to the largest
 * alignment), and every size and offset the driver uses must match.
 */
public class StructLayoutTest {

    /** A minimal x64 C layout: field name -> {size, alignment}. */
    private static final class Layout {
        private final Map<String, Integer> offsets = new LinkedHashMap<>();
        private int at;
        private int maxAlign = 1;

        Layout field(String name, int size, int align) {
            at = (at + align - 1) / align * align;
            offsets.put(name, at);
            at += size;
            maxAlign = Math.max(maxAlign, align);
            return this;
        }

        int offset(String name) {
            return offsets.get(name);
        }

        int size() {
            return (at + maxAlign - 1) / maxAlign * maxAlign;
        }
    }

    private static final int PTR = 8;

    @Test
    void overlapped() {
        // typedef struct _OVERLAPPED { ULONG_PTR Internal; ULONG_PTR InternalHigh;
        //   union { struct { DWORD Offset; DWORD OffsetHigh; }; PVOID Pointer; }; HANDLE hEvent; }
        Layout l = new Layout().field("Internal", PTR, PTR).field("InternalHigh", PTR, PTR)
                .field("Offset", 4, PTR) // the union is pointer-aligned
                .field("OffsetHigh", 4, 4).field("hEvent", PTR, PTR);
        assertEquals(32, l.size());
        assertEquals(l.size(), Structs.Overlapped.SIZE);
        assertEquals(l.offset("Internal"), Structs.Overlapped.INTERNAL);
        assertEquals(l.offset("InternalHigh"), Structs.Overlapped.INTERNAL_HIGH);
        assertEquals(l.offset("Offset"), Structs.Overlapped.OFFSET);
        assertEquals(l.offset("OffsetHigh"), Structs.Overlapped.OFFSET_HIGH);
        assertEquals(l.offset("hEvent"), Structs.Overlapped.H_EVENT);
    }

    @Test
    void overlappedEntry() {
        // { ULONG_PTR lpCompletionKey; LPOVERLAPPED lpOverlapped; ULONG_PTR Internal; DWORD dwNumberOfBytesTransferred; }
        Layout l = new Layout().field("lpCompletionKey", PTR, PTR).field("lpOverlapped", PTR, PTR)
                .field("Internal", PTR, PTR).field("dwNumberOfBytesTransferred", 4, 4);
        assertEquals(32, l.size());
        assertEquals(l.size(), Structs.OverlappedEntry.SIZE);
        assertEquals(l.offset("lpCompletionKey"), Structs.OverlappedEntry.COMPLETION_KEY);
        assertEquals(l.offset("lpOverlapped"), Structs.OverlappedEntry.OVERLAPPED);
        assertEquals(l.offset("Internal"), Structs.OverlappedEntry.INTERNAL);
        assertEquals(l.offset("dwNumberOfBytesTransferred"), Structs.OverlappedEntry.BYTES_TRANSFERRED);
    }

    @Test
    void wsabuf() {
        // typedef struct _WSABUF { ULONG len; CHAR *buf; }
        Layout l = new Layout().field("len", 4, 4).field("buf", PTR, PTR);
        assertEquals(16, l.size());
        assertEquals(l.size(), Structs.WsaBuf.SIZE);
        assertEquals(l.offset("len"), Structs.WsaBuf.LEN);
        assertEquals(l.offset("buf"), Structs.WsaBuf.BUF);
    }

    @Test
    void sockaddrStorageAndSockaddrIn6AndSockaddrIn() {
        // SOCKADDR_STORAGE { ADDRESS_FAMILY ss_family; CHAR __ss_pad1[6]; __int64 __ss_align; CHAR __ss_pad2[112]; }
        Layout ss = new Layout().field("ss_family", 2, 2).field("pad1", 6, 1).field("align", 8, 8).field("pad2", 112, 1);
        assertEquals(128, ss.size());
        assertEquals(ss.size(), Structs.SockaddrStorage.SIZE);
        // sockaddr_in6 { ADDRESS_FAMILY sin6_family; USHORT sin6_port; ULONG sin6_flowinfo; IN6_ADDR sin6_addr; ULONG sin6_scope_id; }
        Layout in6 = new Layout().field("family", 2, 2).field("port", 2, 2).field("flowinfo", 4, 4)
                .field("addr", 16, 2).field("scope_id", 4, 4);
        assertEquals(28, in6.size());
        assertEquals(in6.size(), Structs.SockaddrIn6.SIZE);
        assertEquals(in6.offset("port"), Structs.SockaddrIn6.PORT);
        assertEquals(in6.offset("flowinfo"), Structs.SockaddrIn6.FLOWINFO);
        assertEquals(in6.offset("addr"), Structs.SockaddrIn6.ADDR);
        assertEquals(in6.offset("scope_id"), Structs.SockaddrIn6.SCOPE_ID);
        // sockaddr_in { ADDRESS_FAMILY sin_family; USHORT sin_port; IN_ADDR sin_addr; CHAR sin_zero[8]; }
        Layout in4 = new Layout().field("family", 2, 2).field("port", 2, 2).field("addr", 4, 4).field("zero", 8, 1);
        assertEquals(16, in4.size());
        assertEquals(in4.size(), Structs.SockaddrIn.SIZE);
        assertEquals(in4.offset("addr"), Structs.SockaddrIn.ADDR);
        assertEquals(144, Structs.ACCEPT_EX_ADDRESS_LENGTH, "sizeof(SOCKADDR_STORAGE) + 16");
        assertEquals(288, Structs.ACCEPT_EX_BUFFER_LENGTH, "(sizeof(SOCKADDR_STORAGE) + 16) x 2");
    }

    @Test
    void lingerAndGuidAndProtocolInfo() {
        Layout linger = new Layout().field("l_onoff", 2, 2).field("l_linger", 2, 2);
        assertEquals(linger.size(), Structs.Linger.SIZE);
        assertEquals(linger.offset("l_linger"), Structs.Linger.LINGER);
        // GUID { DWORD Data1; WORD Data2; WORD Data3; BYTE Data4[8]; }
        Layout guid = new Layout().field("Data1", 4, 4).field("Data2", 2, 2).field("Data3", 2, 2).field("Data4", 8, 1);
        assertEquals(16, guid.size());
        byte[] connectEx = ExtensionFunction.CONNECT_EX.guid();
        assertEquals("b9 07 a2 25 f3 dd 60 46 8e e9 76 e5 8c 74 06 3e", hex(connectEx),
                "{25a207b9-ddf3-4660-8ee9-76e58c74063e} as it lies in memory");
        // WSAPROTOCOL_INFOW: 5 DWORDs, GUID, DWORD, WSAPROTOCOLCHAIN {int; DWORD[7]}, 10 ints, DWORD, WCHAR[256]
        Layout pi = new Layout();
        for (int i = 0; i < 5; i++) {
            pi.field("dw" + i, 4, 4);
        }
        pi.field("guid", 16, 4).field("catalog", 4, 4).field("chain", 32, 4);
        for (int i = 0; i < 10; i++) {
            pi.field("i" + i, 4, 4);
        }
        pi.field("reserved", 4, 4).field("szProtocol", 512, 2);
        assertEquals(628, pi.size());
        assertEquals(pi.size(), Structs.WsaProtocolInfoW.SIZE);
        // the ten ints: iVersion, iAddressFamily, iMaxSockAddr, iMinSockAddr, iSocketType, iProtocol, ...
        assertEquals(pi.offset("i1"), Structs.WsaProtocolInfoW.ADDRESS_FAMILY);
        assertEquals(pi.offset("i4"), Structs.WsaProtocolInfoW.SOCKET_TYPE);
    }

    @Test
    void encodersWriteWhereTheLayoutSays() {
        try (NativeMemory.Block b = NativeMemory.allocate(64)) {
            ByteBuffer m = b.buffer();
            m.putLong(0, -1);
            Structs.Overlapped.clear(m, 0);
            Structs.Overlapped.setOffset(m, 0, 0x1_2345_6789L);
            assertEquals(0x2345_6789, m.getInt(16));
            assertEquals(1, m.getInt(20));
            assertEquals(0, m.getLong(0));
            Structs.WsaBuf.put(m, 32, 0x7FF0_1234_5678L, 4096);
            assertEquals(4096, m.getInt(32));
            assertEquals(0x7FF0_1234_5678L, m.getLong(40));
            assertEquals(b.address() + 40, b.address() + Structs.WsaBuf.BUF + 32);
            assertEquals(java.nio.ByteOrder.LITTLE_ENDIAN, m.order(), "Windows x64 is little-endian");
        }
    }

    private static String hex(byte[] b) {
        StringBuilder sb = new StringBuilder();
        for (byte x : b) {
            sb.append(sb.length() == 0 ? "" : " ").append(String.format("%02x", x));
        }
        return sb.toString();
    }
}
