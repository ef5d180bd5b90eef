package io.veloq.testkit.internal;

import java.nio.ByteBuffer;

/** A growable FIFO of bytes: a socket's receive queue. */
final class ByteQueue {
    private byte[] data = new byte[256];
    private int head;
    private int size;

    int size() {
        return size;
    }

    void append(ByteBuffer src, int offset, int len) {
        ensure(len);
        for (int i = 0; i < len; i++) {
            data[(head + size + i) % data.length] = src.get(offset + i);
        }
        size += len;
    }

    void append(byte[] src, int offset, int len) {
        ensure(len);
        for (int i = 0; i < len; i++) {
            data[(head + size + i) % data.length] = src[offset + i];
        }
        size += len;
    }

    /** Copies up to {@code len} bytes into {@code dst} at {@code offset}; consumes them unless {@code peek}. */
    int take(ByteBuffer dst, int offset, int len, boolean peek) {
        int n = Math.min(len, size);
        for (int i = 0; i < n; i++) {
            dst.put(offset + i, data[(head + i) % data.length]);
        }
        if (!peek) {
            head = (head + n) % data.length;
            size -= n;
        }
        return n;
    }

    byte[] takeAll() {
        byte[] out = new byte[size];
        for (int i = 0; i < size; i++) {
            out[i] = data[(head + i) % data.length];
        }
        head = 0;
        size = 0;
        return out;
    }

    void clear() {
        head = 0;
        size = 0;
    }

    private void ensure(int more) {
        if (size + more <= data.length) {
            return;
        }
        int cap = data.length;
        while (cap < size + more) {
            cap *= 2;
        }
        byte[] n = new byte[cap];
        for (int i = 0; i < size; i++) {
            n[i] = data[(head + i) % data.length];
        }
        data = n;
        head = 0;
    }
}
