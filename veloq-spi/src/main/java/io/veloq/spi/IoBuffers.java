package io.veloq.spi;

import io.veloq.api.bootstrap.ApiAccess;
import io.veloq.api.buffer.BufVec;
import io.veloq.api.buffer.FixedBuf;

import java.nio.ByteBuffer;

/**
 * A driver's view of an in-flight op's buffer. The application-facing {@link FixedBuf} methods refuse
 * access while an op owns the buffer; the driver that owns it reads the memory and indices through here.
 *
 * <pre>{@code
 * ByteBuffer mem = IoBuffers.memory(recv.buf());          // whole capacity, native order
 * int off = IoBuffers.fillOffset(recv.buf());             // where the kernel may write
 * int len = IoBuffers.fillLength(recv.buf());
 * }</pre>
 *
 * @since 0.1
 */
public final class IoBuffers {
    private IoBuffers() {
    }

    /** The buffer's memory: a native-order direct buffer covering its whole capacity. Do not change its position. */
    public static ByteBuffer memory(FixedBuf buf) {
        return ApiAccess.bufs().memory(buf);
    }

    /** Where a receive/read writes: the writer index. */
    public static int fillOffset(FixedBuf buf) {
        return ApiAccess.bufs().writerIndex(buf);
    }

    /** How much a receive/read may write: capacity minus writer index. */
    public static int fillLength(FixedBuf buf) {
        return buf.capacity() - ApiAccess.bufs().writerIndex(buf);
    }

    /** Where a send/write reads from: the reader index. */
    public static int drainOffset(FixedBuf buf) {
        return ApiAccess.bufs().readerIndex(buf);
    }

    /** How much a send/write sends: the readable bytes. */
    public static int drainLength(FixedBuf buf) {
        return ApiAccess.bufs().writerIndex(buf) - ApiAccess.bufs().readerIndex(buf);
    }

    /**
     * The native table of a vector for the driver that owns its op: {@code 16 * vec.capacity()} bytes,
     * native order, for an {@code iovec} (Linux: base, then length) or {@code WSABUF} (Windows: length, then
     * pointer) per buffer. It lives as long as the vector. Only the driver the op was submitted to writes it.
     *
     * @since 0.1
     */
    public static ByteBuffer vectorTable(BufVec vec) {
        return ApiAccess.bufs().table(vec);
    }

    /** Offset of the buffer's first byte within its region (slab). */
    public static long offsetInRegion(FixedBuf buf) {
        return ApiAccess.bufs().offsetInRegion(buf);
    }
}
