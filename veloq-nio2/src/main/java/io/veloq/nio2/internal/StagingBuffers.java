package io.veloq.nio2.internal;

import io.veloq.api.buffer.BufPool;
import io.veloq.api.buffer.FixedBuf;

import java.io.IOException;
import java.util.Arrays;

/**
 * The off-heap buffers a loop stages NIO.2's {@code ByteBuffer}s through: a read lands in them and is copied
 * into the caller's buffer on completion; a write is copied into them when it starts. They come from pools
 * of {@value #BUF_SIZE}-byte buffers that grow by a pool of {@value #PER_POOL} whenever all are leased (up to
 * {@value #MAX_POOLS} pools), so the steady state leases and releases without allocating.
 *
 * <p>Why direct {@code ByteBuffer}s are staged too: Veloq's ops take {@link FixedBuf}s, whose ownership is
 * guarded while the kernel holds them and whose memory is kept reachable until completion. A caller's
 * {@code ByteBuffer} has neither guard (NIO.2 only asks callers not to touch it), and wrapping one would
 * need a new buffer type in the api for one copy per op that loopback traffic barely notices.
 *
 * <p>Thread-safe: any thread leases (an operation starts where its caller is), the loop releases.
 */
final class StagingBuffers implements AutoCloseable {
    static final int BUF_SIZE = 16 * 1024;
    static final int PER_POOL = 256;
    static final int MAX_POOLS = 64;

    // Copied on growth (rare) and read by index: iterating a collection would allocate per lease.
    private volatile BufPool[] pools = new BufPool[0];

    /** Leases a buffer, growing by one pool when every buffer is out. */
    FixedBuf lease() throws IOException {
        FixedBuf b = tryEach(pools);
        if (b != null) {
            return b;
        }
        synchronized (this) {
            b = tryEach(pools); // another thread may have grown it meanwhile
            if (b != null) {
                return b;
            }
            BufPool[] now = pools;
            if (now.length >= MAX_POOLS) {
                throw new IOException("veloq-nio2: all " + MAX_POOLS * PER_POOL + " staging buffers of " + BUF_SIZE
                        + " bytes are in use by pending reads and writes");
            }
            BufPool p = BufPool.allocate(BUF_SIZE, PER_POOL);
            BufPool[] grown = Arrays.copyOf(now, now.length + 1);
            grown[now.length] = p;
            pools = grown;
            return p.lease();
        }
    }

    private static FixedBuf tryEach(BufPool[] ps) {
        for (int i = 0; i < ps.length; i++) {
            FixedBuf b = ps[i].tryLease();
            if (b != null) {
                return b;
            }
        }
        return null;
    }

    /** Buffers leased now (for tests: every operation gives its buffers back). */
    int outstanding() {
        int n = 0;
        for (BufPool p : pools) {
            n += p.outstanding();
        }
        return n;
    }

    @Override
    public synchronized void close() {
        for (BufPool p : pools) {
            if (p.outstanding() == 0) {
                p.close();
            }
        }
        pools = new BufPool[0];
    }
}
