package io.veloq.driver.iocp;

import io.veloq.api.net.AddressFamily;
import io.veloq.api.net.AddressLayout;
import io.veloq.api.net.SockAddrStorage;

import java.nio.ByteBuffer;

/**
 * Moves socket addresses between a {@link SockAddrStorage} and native memory in the Windows layout. The
 * layouts of Linux and Windows x64 differ only in the family values (AF_INET6 is 10 on Linux, 23 on
 * Windows), so a storage made with another layout is copied and its family rewritten; nothing allocates.
 *
 * <pre>{@code
 * int len = AddressCodec.encode(connect.address(), slotMemory, ADDRESS);   // Windows sockaddr, its length
 * AddressCodec.decode(slotMemory, ADDRESS, len, recvFrom.from());
 * }</pre>
 */
final class AddressCodec {
    private AddressCodec() {
    }

    /**
     * Writes {@code src} in the Windows layout at {@code dst[at]}; returns its length, or -1 when the storage
     * is empty or of a family Windows sockets here do not take.
     */
    static int encode(SockAddrStorage src, ByteBuffer dst, int at) {
        AddressFamily family = src.family();
        int len = src.length();
        if (family == null || len <= 0) {
            return -1;
        }
        dst.put(at, src.block(), 0, len);
        if (src.layout() != AddressLayout.WINDOWS) {
            dst.putShort(at, (short) AddressLayout.WINDOWS.nativeFamily(family));
        }
        return len;
    }

    /**
     * Reads a Windows-layout address of {@code len} bytes at {@code src[at]} into {@code dst}, in
     * {@code dst}'s layout. Returns false when the family is unknown (dst is then left empty).
     */
    static boolean decode(ByteBuffer src, int at, int len, SockAddrStorage dst) {
        if (len <= 0 || len > SockAddrStorage.SIZE) {
            dst.clear();
            return false;
        }
        ByteBuffer block = dst.block();
        block.put(0, src, at, len);
        for (int i = len; i < SockAddrStorage.SIZE; i++) {
            block.put(i, (byte) 0);
        }
        dst.setLength(len);
        AddressFamily family = AddressLayout.WINDOWS.family(Short.toUnsignedInt(src.getShort(at)));
        if (family == null) {
            dst.clear();
            return false;
        }
        if (dst.layout() != AddressLayout.WINDOWS) {
            block.putShort(0, (short) dst.layout().nativeFamily(family));
        }
        return true;
    }
}
