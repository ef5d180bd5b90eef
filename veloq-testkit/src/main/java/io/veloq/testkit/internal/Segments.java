package io.veloq.testkit.internal;

import io.veloq.api.buffer.BufVec;
import io.veloq.api.buffer.FixedBuf;
import io.veloq.api.op.OpKind;
import io.veloq.api.op.OpPayload;
import io.veloq.spi.IoBuffers;

import java.nio.ByteBuffer;

/**
 * The memory an op's data moves through, as the simulated kernel sees it: one span for a plain
 * receive/send, one per buffer for a vectored one (the iovec array). Receives scatter into the spans in
 * order, sends gather from them in order, so a vectored op is one kernel operation, as on Linux.
 */
final class Segments {
    private final ByteBuffer[] mem;
    private final int[] off;
    private final int[] len;
    final int total;

    private Segments(int n) {
        mem = new ByteBuffer[n];
        off = new int[n];
        len = new int[n];
        total = 0;
    }

    private Segments(ByteBuffer[] mem, int[] off, int[] len) {
        this.mem = mem;
        this.off = off;
        this.len = len;
        int t = 0;
        for (int l : len) {
            t += l;
        }
        this.total = t;
    }

    /** One span of {@code len} bytes of {@code mem} from {@code off} (a SendFile's piece of its file). */
    static Segments span(ByteBuffer mem, int off, int len) {
        return new Segments(new ByteBuffer[] {mem}, new int[] {off}, new int[] {len});
    }

    /** The spans of {@code p}'s buffer or buffers: free space for receives ({@code fill}), readable bytes for sends. */
    static Segments of(OpPayload p, boolean fill) {
        FixedBuf one = p.buffer();
        if (one != null) {
            return new Segments(new ByteBuffer[] {IoBuffers.memory(one)},
                    new int[] {fill ? IoBuffers.fillOffset(one) : IoBuffers.drainOffset(one)},
                    new int[] {fill ? IoBuffers.fillLength(one) : IoBuffers.drainLength(one)});
        }
        BufVec v = p.buffers();
        if (v == null) {
            return new Segments(0);
        }
        int n = v.size();
        ByteBuffer[] m = new ByteBuffer[n];
        int[] o = new int[n];
        int[] l = new int[n];
        for (int i = 0; i < n; i++) {
            FixedBuf b = v.get(i);
            m[i] = IoBuffers.memory(b);
            o[i] = fill ? IoBuffers.fillOffset(b) : IoBuffers.drainOffset(b);
            l[i] = fill ? IoBuffers.fillLength(b) : IoBuffers.drainLength(b);
        }
        return new Segments(m, o, l);
    }

    /** True for the kinds whose data lands in their buffers. */
    static boolean fills(OpKind k) {
        return k == OpKind.RECV || k == OpKind.RECV_FROM || k == OpKind.READ || k == OpKind.READ_FIXED
                || k == OpKind.RECV_MSG;
    }

    /** Moves up to {@code want} bytes of {@code q} into the spans (leaving them in {@code q} if {@code peek}). */
    int takeFrom(ByteQueue q, int want, boolean peek) {
        if (mem.length == 1) {
            return q.take(mem[0], off[0], Math.min(want, len[0]), peek);
        }
        byte[] tmp = new byte[Math.min(want, Math.min(total, q.size()))];
        int n = q.take(ByteBuffer.wrap(tmp), 0, tmp.length, peek);
        scatter(tmp, n);
        return n;
    }

    /** Writes the first {@code n} bytes of {@code data} over the spans, in order. */
    void scatter(byte[] data, int n) {
        int done = 0;
        for (int i = 0; i < mem.length && done < n; i++) {
            int k = Math.min(len[i], n - done);
            mem[i].put(off[i], data, done, k);
            done += k;
        }
    }

    /** The first {@code n} bytes of the spans, in order. */
    byte[] gather(int n) {
        byte[] out = new byte[n];
        int done = 0;
        for (int i = 0; i < mem.length && done < n; i++) {
            int k = Math.min(len[i], n - done);
            mem[i].get(off[i], out, done, k);
            done += k;
        }
        return out;
    }

    /** Appends the first {@code n} bytes of the spans to {@code q}. */
    void appendTo(ByteQueue q, int n) {
        int done = 0;
        for (int i = 0; i < mem.length && done < n; i++) {
            int k = Math.min(len[i], n - done);
            q.append(mem[i], off[i], k);
            done += k;
        }
    }
}
