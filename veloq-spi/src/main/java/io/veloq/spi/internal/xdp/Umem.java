package io.veloq.spi.internal.xdp;

import io.veloq.api.bootstrap.ApiAccess;
import io.veloq.api.bootstrap.SlabMemory;
import io.veloq.api.buffer.BufPool;
import io.veloq.api.buffer.FixedBuf;

import java.nio.ByteBuffer;

/**
 * The frames of one UMEM as {@link FixedBuf}s, and where each one is: free, the user's, or the kernel's
 * (fill ring or TX ring). The buffers come from a {@link BufPool} whose single slab is the UMEM itself, so a
 * frame's offset in its region is its UMEM address. Shared by every socket on the UMEM; loop thread only.
 */
final class Umem {
    static final byte FREE = 0;
    static final byte USER = 1;
    static final byte FILL = 2;
    static final byte TX = 3;

    final int frameSize;
    final int shift;
    final int count;
    private final BufPool pool;
    private final FixedBuf[] frames;
    private final byte[] where;
    private final int[] free;
    private int freeCount;
    int inFill;
    int inTx;
    private int users = 1;
    private boolean closed;

    Umem(ByteBuffer memory, int frameSize, int count) {
        this.frameSize = frameSize;
        this.shift = Integer.numberOfTrailingZeros(frameSize);
        this.count = count;
        ByteBuffer whole = memory;
        this.pool = ApiAccess.bufs().newPool("the UMEM of an XdpSocket", "XdpConfig.builder(iface).frames(size, count)",
                frameSize, count, count, new SlabMemory() {
            @Override
            public ByteBuffer allocate(int bytes) {
                if (bytes != whole.capacity()) {
                    throw new IllegalStateException("UMEM of " + whole.capacity() + " bytes cannot hold a slab of " + bytes);
                }
                return whole;
            }

            @Override
            public void free(ByteBuffer slab) {
                // The driver unmaps the UMEM when its last socket closes.
            }
        });
        if (pool.regionCount() != 1) {
            throw new IllegalStateException("a UMEM must be one region, got " + pool.regionCount());
        }
        this.frames = new FixedBuf[count];
        this.where = new byte[count];
        this.free = new int[count];
        for (int i = 0; i < count; i++) {
            FixedBuf b = pool.lease();
            int idx = (int) (ApiAccess.bufs().offsetInRegion(b) >>> shift);
            frames[idx] = b;
        }
        for (int i = 0; i < count; i++) {
            free[i] = count - 1 - i;
        }
        freeCount = count;
    }

    FixedBuf frame(int index) {
        return frames[index];
    }

    /** The frame index of {@code buf}, after checking it is one of ours, still leased, and where {@code expected} says. */
    int indexOf(FixedBuf buf, byte expected, String op, Object socket) {
        if (buf == null) {
            throw new NullPointerException(op + " on " + socket + ": null frame");
        }
        if (buf.pool() != pool) {
            throw new IllegalArgumentException(op + " on " + socket + ": " + buf + " is not a frame of this socket's UMEM");
        }
        if (!buf.isLeased()) {
            throw new IllegalStateException(op + " on " + socket + ": " + buf + " was released to its pool; "
                    + "XDP frames are never released, give them back with free()");
        }
        int i = (int) (ApiAccess.bufs().offsetInRegion(buf) >>> shift);
        if (where[i] != expected) {
            throw new IllegalStateException(op + " on " + socket + ": frame " + i + " is " + describe(where[i])
                    + ", not " + describe(expected));
        }
        return i;
    }

    private static String describe(byte w) {
        return switch (w) {
            case FREE -> "free (on the socket's free stack)";
            case USER -> "yours";
            case FILL -> "in the kernel's fill ring (waiting for a packet)";
            default -> "in the kernel's TX ring (being sent; reclaim() gives it back)";
        };
    }

    void moveTo(int index, byte to) {
        where[index] = to;
    }

    byte where(int index) {
        return where[index];
    }

    int freeCount() {
        return freeCount;
    }

    int popFree() {
        int i = free[--freeCount];
        where[i] = USER;
        return i;
    }

    void pushFree(int index) {
        where[index] = FREE;
        free[freeCount++] = index;
    }

    void retain() {
        users++;
    }

    /** Drops one socket's hold; the last one hands every frame back to the pool and closes it, so a frame kept after close fails fast instead of touching unmapped memory. */
    void releaseOne() {
        if (--users > 0 || closed) {
            return;
        }
        closed = true;
        for (FixedBuf f : frames) {
            if (f.isLeased() && f.owner() == null) {
                f.release();
            }
        }
        if (pool.outstanding() == 0) {
            pool.close();
        }
    }
}
