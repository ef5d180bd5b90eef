package io.veloq.driver.iocp.sim;

import io.veloq.driver.iocp.win32.NativeMemory;

import java.nio.ByteBuffer;

/**
 * The simulator's access to the caller's native memory by address, as the Windows kernel has it: the
 * driver's OVERLAPPEDs, WSABUFs and addresses are read and written where they lie.
 */
final class SimMemory {
    private SimMemory() {
    }

    static ByteBuffer view(long address, int length) {
        if (address == 0) {
            throw new IllegalStateException("simulated kernel asked to touch a NULL pointer (" + length + " bytes)");
        }
        return NativeMemory.view(address, length);
    }

    static int getInt(long address) {
        return view(address, 4).getInt(0);
    }

    static long getLong(long address) {
        return view(address, 8).getLong(0);
    }

    static void putInt(long address, int value) {
        view(address, 4).putInt(0, value);
    }

    static void putLong(long address, long value) {
        view(address, 8).putLong(0, value);
    }

    static byte[] bytes(long address, int length) {
        byte[] out = new byte[length];
        view(address, length).get(0, out);
        return out;
    }

    static void put(long address, byte[] bytes) {
        view(address, bytes.length).put(0, bytes);
    }

    /** The WSABUF array's buffers as views, read at call time as Winsock does. */
    static ByteBuffer[] wsaBufs(long array, int count) {
        ByteBuffer[] out = new ByteBuffer[count];
        for (int i = 0; i < count; i++) {
            int len = getInt(array + 16L * i);
            long ptr = getLong(array + 16L * i + 8);
            out[i] = len == 0 ? ByteBuffer.allocate(0) : view(ptr, len);
        }
        return out;
    }
}
