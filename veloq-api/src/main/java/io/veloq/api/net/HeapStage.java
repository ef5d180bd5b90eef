package io.veloq.api.net;

import io.veloq.api.buffer.BufPool;
import io.veloq.api.buffer.BufVec;
import io.veloq.api.buffer.FixedBuf;

import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Where a stream's heap sends ({@code sendAll(ByteBuffer)}) stage their bytes: up to {@link #BUFFERS} buffers
 * leased from the loop's pool, chained in one vector, so a heap payload of several buffer-fulls goes out in one
 * {@code SendMsg} rather than one send and one round trip per buffer. The vector is made once per socket and
 * reused; a second heap send running at the same time on the same socket (from another thread) gets a
 * vector of its own. Heap sends may run on any thread, hence the atomic.
 */
final class HeapStage {
    /** The most buffers one staged send carries: 16 x 16 KiB (the default size) = 256 KiB per op. */
    static final int BUFFERS = 16;

    private final AtomicReference<BufVec> spare = new AtomicReference<>();

    /** A vector to stage into: the socket's own when free, else a new one. */
    BufVec take() {
        BufVec v = spare.getAndSet(null);
        return v != null ? v : BufVec.withCapacity(BUFFERS);
    }

    /** Gives {@code v} back (its buffers released) for the next heap send. Not for a vector an op still owns. */
    void giveBack(BufVec v) {
        releaseBuffers(v);
        spare.set(v);
    }

    /**
     * Copies the next part of {@code src} into pooled buffers appended to the empty vector {@code v}: one
     * buffer at least (leased, so an exhausted pool throws, naming itself), more while {@code src} has bytes,
     * the vector has room and the pool has buffers to spare ({@code tryLease}: a busy pool makes smaller ops,
     * never a failure).
     */
    static void fill(BufVec v, ByteBuffer src, BufPool pool) {
        FixedBuf b = pool.lease();
        do {
            b.clear();
            b.transferFrom(src);
            v.add(b);
        } while (src.hasRemaining() && v.size() < v.capacity() && (b = pool.tryLease()) != null);
    }

    /** Releases the buffers of {@code v} and empties it. */
    static void releaseBuffers(BufVec v) {
        for (int i = 0; i < v.size(); i++) {
            v.get(i).release();
        }
        v.clear();
    }
}
