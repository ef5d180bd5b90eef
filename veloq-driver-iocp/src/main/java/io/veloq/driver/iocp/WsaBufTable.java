package io.veloq.driver.iocp;

import io.veloq.api.buffer.BufVec;
import io.veloq.api.buffer.FixedBuf;
import io.veloq.driver.iocp.win32.NativeMemory;
import io.veloq.driver.iocp.win32.Structs;
import io.veloq.spi.IoBuffers;

import java.nio.ByteBuffer;

/**
 * The {@code WSABUF} array of a vectored {@code WSARecv}/{@code WSASend}, written into the vector's own
 * native table (one 16-byte {@code WSABUF} per buffer), so a vectored op needs no per-slot room and
 * allocates nothing. Winsock captures the array during the call; the table stays valid longer anyway,
 * since the op keeps its vector reachable until completion.
 */
final class WsaBufTable {
    private WsaBufTable() {
    }

    /** Fills the table of {@code vec} with its free space ({@code fill}) or readable bytes; returns its address. */
    static long fill(BufVec vec, boolean fill) {
        ByteBuffer table = IoBuffers.vectorTable(vec);
        for (int i = 0; i < vec.size(); i++) {
            FixedBuf b = vec.get(i);
            long base = NativeMemory.address(IoBuffers.memory(b));
            long addr = base + (fill ? IoBuffers.fillOffset(b) : IoBuffers.drainOffset(b));
            Structs.WsaBuf.put(table, i * Structs.WsaBuf.SIZE, addr, fill ? IoBuffers.fillLength(b) : IoBuffers.drainLength(b));
        }
        return NativeMemory.address(table);
    }
}
