package io.veloq.bench.load;

import java.nio.ByteBuffer;

/**
 * The deterministic byte stream every connection sends: byte {@code i} of the stream is {@link #at(long)}
 * of {@code base + i}. The sender writes slices of one shared direct buffer and the receiver compares what
 * comes back with the same slices ({@link ByteBuffer#mismatch}), so sending and verifying allocate
 * nothing.
 *
 * <p>The buffer holds one period plus {@link #MAX_CHUNK} bytes, so any slice of up to {@code MAX_CHUNK}
 * bytes starting anywhere in the period is contiguous.
 */
public final class Pattern {

    /** Period of the stream, a power of two. */
    public static final int PERIOD = 1 << 16;
    /** Largest slice that can be taken at once. */
    public static final int MAX_CHUNK = 1 << 16;

    private Pattern() {
    }

    /** Byte {@code i} of the stream. */
    public static byte at(long i) {
        int x = (int) (i & (PERIOD - 1));
        return (byte) ((x * 131) ^ ((x >>> 8) * 7) ^ 0x5a);
    }

    /** Offset of stream position {@code i} inside the buffer. */
    public static int offset(long i) {
        return (int) (i & (PERIOD - 1));
    }

    /** A new direct buffer with the pattern: {@code PERIOD + MAX_CHUNK} bytes. */
    public static ByteBuffer newBuffer() {
        ByteBuffer b = ByteBuffer.allocateDirect(PERIOD + MAX_CHUNK);
        for (int i = 0; i < b.capacity(); i++) {
            b.put(i, at(i));
        }
        return b;
    }

    /** Points {@code view} (a duplicate of a {@link #newBuffer()}) at stream bytes {@code [pos, pos+len)}. */
    public static ByteBuffer slice(ByteBuffer view, long pos, int len) {
        if (len > MAX_CHUNK || len < 0) {
            throw new IllegalArgumentException("len " + len);
        }
        int p = offset(pos);
        view.limit(view.capacity()).position(p).limit(p + len);
        return view;
    }
}
