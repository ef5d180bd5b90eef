package io.veloq.driver.nio;

import io.veloq.api.buffer.FixedBuf;
import io.veloq.api.buffer.BufVec;
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

    /**
     * A vectored op's views, one per buffer of {@code vec} (free space for a receive, readable bytes for a send),
     * into {@code s.vector}; returns the last one (what {@code shortRead} looks at), or null for an empty vector.
     */
    ByteBuffer vector(OpSlot s, BufVec vec, boolean fill) {
        int n = vec.size();
        if (s.vector.length < n) {
            s.vector = new ByteBuffer[Math.max(n, Math.min(2 * s.vector.length, BufVec.MAX_CAPACITY))];
        }
        for (int i = 0; i < n; i++) {
            s.vector[i] = fill ? fill(vec.get(i)) : drain(vec.get(i));
        }
        s.vectorLength = n;
        return n == 0 ? null : s.vector[n - 1];
    }

    /** The readable bytes a send or write drains: reader index to writer index. */
    ByteBuffer drain(FixedBuf buf) {
        ByteBuffer v = view(buf);
        int off = IoBuffers.drainOffset(buf);
        v.limit(off + IoBuffers.drainLength(buf)).position(off);
        return v;
    }
}
