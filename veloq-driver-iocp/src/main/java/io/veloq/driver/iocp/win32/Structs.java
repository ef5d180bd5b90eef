package io.veloq.driver.iocp.win32;

import java.nio.ByteBuffer;

/**
 * Windows x64 layouts of the structures the IOCP driver shares with the kernel: sizes and field offsets,
 * and small encoders over a little-endian {@link ByteBuffer} view of native memory. The tests check every
 * size and offset against the documented field types under the x64 C layout rules.
 *
 * <pre>{@code
 * ByteBuffer slot = ...;                                  // native memory, LITTLE_ENDIAN
 * Structs.Overlapped.clear(slot, 0);
 * Structs.Overlapped.setOffset(slot, 0, 4096);            // Offset / OffsetHigh
 * }</pre>
 *
 * @since 0.1
 */
public final class Structs {
    private Structs() {
    }

    /** {@code OVERLAPPED}: Internal, InternalHigh (ULONG_PTR), Offset, OffsetHigh (DWORD), hEvent (HANDLE). */
    public static final class Overlapped {
        public static final int SIZE = 32;
        public static final int INTERNAL = 0;
        public static final int INTERNAL_HIGH = 8;
        public static final int OFFSET = 16;
        public static final int OFFSET_HIGH = 20;
        public static final int H_EVENT = 24;

        private Overlapped() {
        }

        /** Zeroes the structure, as Windows requires before each use. */
        public static void clear(ByteBuffer b, int at) {
            b.putLong(at + INTERNAL, 0);
            b.putLong(at + INTERNAL_HIGH, 0);
            b.putLong(at + OFFSET, 0);
            b.putLong(at + H_EVENT, 0);
        }

        /** Sets the 64-bit file offset (Offset = low 32 bits, OffsetHigh = high 32 bits). */
        public static void setOffset(ByteBuffer b, int at, long offset) {
            b.putInt(at + OFFSET, (int) offset);
            b.putInt(at + OFFSET_HIGH, (int) (offset >>> 32));
        }

        /** The completion status the kernel left in Internal (an NTSTATUS, in the low 32 bits). */
        public static int status(ByteBuffer b, int at) {
            return (int) b.getLong(at + INTERNAL);
        }

        /** The byte count the kernel left in InternalHigh. */
        public static long transferred(ByteBuffer b, int at) {
            return b.getLong(at + INTERNAL_HIGH);
        }
    }

    /** {@code OVERLAPPED_ENTRY}: lpCompletionKey, lpOverlapped, Internal, dwNumberOfBytesTransferred. */
    public static final class OverlappedEntry {
        public static final int SIZE = 32;
        public static final int COMPLETION_KEY = 0;
        public static final int OVERLAPPED = 8;
        public static final int INTERNAL = 16;
        public static final int BYTES_TRANSFERRED = 24;

        private OverlappedEntry() {
        }
    }

    /** {@code WSABUF}: ULONG len, then CHAR* buf (8-aligned). */
    public static final class WsaBuf {
        public static final int SIZE = 16;
        public static final int LEN = 0;
        public static final int BUF = 8;

        private WsaBuf() {
        }

        public static void put(ByteBuffer b, int at, long address, int length) {
            b.putInt(at + LEN, length);
            b.putInt(at + LEN + 4, 0);
            b.putLong(at + BUF, address);
        }
    }

    /** {@code SOCKADDR_STORAGE}: 128 bytes, family at 0. */
    public static final class SockaddrStorage {
        public static final int SIZE = 128;
        public static final int FAMILY = 0;

        private SockaddrStorage() {
        }
    }

    /** {@code sockaddr_in}: family, port (network order), IPv4 address, 8 bytes of zero. */
    public static final class SockaddrIn {
        public static final int SIZE = 16;
        public static final int FAMILY = 0;
        public static final int PORT = 2;
        public static final int ADDR = 4;
        public static final int ZERO = 8;

        private SockaddrIn() {
        }
    }

    /** {@code sockaddr_in6}: family, port, flow info, 16-byte address, scope id. */
    public static final class SockaddrIn6 {
        public static final int SIZE = 28;
        public static final int FAMILY = 0;
        public static final int PORT = 2;
        public static final int FLOWINFO = 4;
        public static final int ADDR = 8;
        public static final int SCOPE_ID = 24;

        private SockaddrIn6() {
        }
    }

    /** {@code struct linger}: u_short l_onoff, u_short l_linger. */
    public static final class Linger {
        public static final int SIZE = 4;
        public static final int ONOFF = 0;
        public static final int LINGER = 2;

        private Linger() {
        }
    }

    /** {@code WSAPROTOCOL_INFOW}: 628 bytes; the driver reads dwServiceFlags1, iAddressFamily and iSocketType. */
    public static final class WsaProtocolInfoW {
        public static final int SIZE = 628;
        public static final int SERVICE_FLAGS1 = 0;
        public static final int ADDRESS_FAMILY = 76;
        public static final int SOCKET_TYPE = 88;

        private WsaProtocolInfoW() {
        }
    }

    /** {@code GUID}: Data1 (DWORD), Data2, Data3 (WORD), Data4 (8 bytes), little-endian in memory. */
    public static final class Guid {
        public static final int SIZE = 16;

        private Guid() {
        }

        /** The 16 bytes of a GUID as they lie in memory. */
        public static byte[] bytes(int data1, int data2, int data3, int... data4) {
            if (data4.length != 8) {
                throw new IllegalArgumentException("GUID Data4 needs 8 bytes, got " + data4.length);
            }
            ByteBuffer b = ByteBuffer.allocate(SIZE).order(java.nio.ByteOrder.LITTLE_ENDIAN);
            b.putInt(data1).putShort((short) data2).putShort((short) data3);
            for (int d : data4) {
                b.put((byte) d);
            }
            return b.array();
        }
    }

    /**
     * Bytes reserved for each address in AcceptEx's output buffer: the largest address plus the 16 bytes
     * the documentation requires.
     */
    public static final int ACCEPT_EX_ADDRESS_LENGTH = SockaddrStorage.SIZE + 16;

    /** AcceptEx's output buffer with no receive data: local then remote address. */
    public static final int ACCEPT_EX_BUFFER_LENGTH = 2 * ACCEPT_EX_ADDRESS_LENGTH;
}
