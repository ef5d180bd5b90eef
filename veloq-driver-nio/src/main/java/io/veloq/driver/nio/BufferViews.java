package io.veloq.driver.nio;

import io.veloq.api.buffer.FixedBuf;
import io.veloq.spi.IoBuffers;

import java.nio.ByteBuffer;
import java.util.IdentityHashMap;

/**
 * One reusable view per {@link FixedBuf} of its memory, positioned for each op: java.nio reads and writes
 * between a buffer's position and limit, and the buffer's own memory must keep its position, so each op
 * gets the cached duplicate instead of a new one. Pools are bounded, so the cache is too; it is dropped if
 * it ever grows past {@link #LIMIT} (buffers from pools long closed). Loop thread only; a view handed to a
 * file worker belongs to that op alone until it completes.
 */
final class BufferViews {
    private static final int LIMIT = 1 << 16;
    private final IdentityHashMap<FixedBuf, ByteBuffer> views = new IdentityHashMap<>();

    private ByteBuffer view(FixedBuf buf) {
        ByteBuffer v = views.get(buf);
        if (v == null) {
            if (views.size() >= LIMIT) {
                views.clear();
            }
            v = IoBuffers.memory(buf).duplicate();
            views.put(buf, v);
        }
        return v;
    }

    /** The free space a receive or read fills: writer index to capacity. */
    ByteBuffer fill(FixedBuf buf) {
        ByteBuffer v = view(buf);
        int off = IoBuffers.fillOffset(buf);
        v.limit(off + IoBuffers.fillLength(buf)).position(off);
        return v;
    }

    /** The readable bytes a send or write drains: reader index to writer index. */
    ByteBuffer drain(FixedBuf buf) {
        ByteBuffer v = view(buf);
        int off = IoBuffers.drainOffset(buf);
        v.limit(off + IoBuffers.drainLength(buf)).position(off);
        return v;
    }
}
