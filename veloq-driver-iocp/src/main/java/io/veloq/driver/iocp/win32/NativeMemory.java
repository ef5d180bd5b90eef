package io.veloq.driver.iocp.win32;

import com.kenai.jffi.MemoryIO;

import java.nio.Buffer;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Native memory that never moves, for the structures the kernel reads and writes (OVERLAPPED, WSABUF,
 * addresses). Allocated with jffi's {@code MemoryIO} and freed explicitly, so freeing is deterministic and
 * counted ({@link #liveBytes()}, which the tests check after close). Each block is wrapped once as a
 * little-endian direct {@link ByteBuffer}: plain absolute gets and puts, no JNI call per field access
 * (NATIVE.md, pitfall 4).
 *
 * <pre>{@code
 * try (NativeMemory.Block b = NativeMemory.allocate(32)) {
 *     b.buffer().putLong(0, 42);
 *     w.someCall(b.address());
 * }
 * }</pre>
 *
 * @since 0.1
 */
public final class NativeMemory {
    private static final AtomicLong LIVE = new AtomicLong();

    private NativeMemory() {
    }

    /** Allocates {@code size} zeroed bytes (at least 16-byte aligned). */
    public static Block allocate(int size) {
        if (size <= 0) {
            throw new IllegalArgumentException("native block size must be positive, got " + size);
        }
        long address = io().allocateMemory(size, true);
        if (address == 0) {
            throw new OutOfMemoryError("cannot allocate " + size + " bytes of native memory");
        }
        LIVE.addAndGet(size);
        return new Block(address, size, view(address, size));
    }

    /** A little-endian view of {@code size} bytes at {@code address} (memory someone else owns). */
    public static ByteBuffer view(long address, int size) {
        return io().newDirectByteBuffer(address, size).order(ByteOrder.LITTLE_ENDIAN);
    }

    /** The native address of a direct buffer's first byte (its position 0). */
    public static long address(Buffer direct) {
        if (!direct.isDirect()) {
            throw new IllegalArgumentException("not a direct buffer: " + direct);
        }
        return io().getDirectBufferAddress(direct);
    }

    /** Bytes allocated through this class and not yet freed, process-wide. */
    public static long liveBytes() {
        return LIVE.get();
    }

    private static MemoryIO io() {
        return MemoryIO.getInstance();
    }

    /** One allocation. Close frees it exactly once. */
    public static final class Block implements AutoCloseable {
        private final long address;
        private final int size;
        private final ByteBuffer buffer;
        private boolean freed;

        private Block(long address, int size, ByteBuffer buffer) {
            this.address = address;
            this.size = size;
            this.buffer = buffer;
        }

        public long address() {
            return address;
        }

        public int size() {
            return size;
        }

        /** The block as a little-endian buffer; use absolute gets and puts only. */
        public ByteBuffer buffer() {
            return buffer;
        }

        public synchronized boolean isFreed() {
            return freed;
        }

        @Override
        public synchronized void close() {
            if (!freed) {
                freed = true;
                io().freeMemory(address);
                LIVE.addAndGet(-size);
            }
        }

        @Override
        public String toString() {
            return "native block of " + size + " bytes at 0x" + Long.toHexString(address);
        }
    }
}
