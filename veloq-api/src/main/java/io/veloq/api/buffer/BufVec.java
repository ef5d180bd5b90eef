package io.veloq.api.buffer;

import io.veloq.api.Op;
import io.veloq.api.op.OpKind;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Objects;

/**
 * An ordered list of {@link FixedBuf}s for one vectored op ({@code RecvMsg} scatters into them, {@code SendMsg}
 * gathers from them): the {@code iovec} array of {@code readv(2)}/{@code sendmsg(2)}, the {@code WSABUF} array
 * of {@code WSARecv}/{@code WSASend}. One op moves the bytes of every buffer, so a 64 KiB response made of a
 * header buffer and four body buffers costs one system call, not five.
 *
 * <p>A vector is reusable: {@link #clear()} it and {@link #add} other buffers, then submit its op again
 * (after {@link Op#reset()}); it carries the native table the driver fills per submission, so nothing is
 * allocated per op. While an op that holds it is in flight, the vector and each of its buffers belong to the
 * driver: changing the vector, or touching one of its buffers, throws {@link IllegalStateException} naming
 * that op. Completion gives them back and advances each buffer's index by the bytes it took, in order:
 * a send of 20 bytes over buffers of 16 and 16 readable bytes leaves the first drained and the second with 12.
 *
 * <pre>{@code
 * BufVec vec = BufVec.withCapacity(8);
 * vec.add(header).add(body);                              // two leased FixedBufs
 * loop.call(new SendMsg(fd, vec)).valueOrThrow();         // one sendmsg: header then body
 * vec.clear();
 * vec.add(a).add(b);
 * long n = loop.call(new RecvMsg(fd, vec)).valueOrThrow(); // fills a, then b
 * }</pre>
 *
 * <p>A vector is not thread-safe: build it on one thread and submit it from there. The same buffer must
 * not appear twice (submission throws); a vector is empty or holds up to {@link #capacity()} buffers
 * (at most {@link #MAX_CAPACITY}, Linux's {@code IOV_MAX}).
 *
 * @since 0.1
 */
public final class BufVec {
    /** The largest vector: {@code IOV_MAX} on Linux. */
    public static final int MAX_CAPACITY = 1024;
    /** Bytes of driver table per entry: a 64-bit {@code iovec} or {@code WSABUF}. */
    static final int ENTRY_BYTES = 16;

    private final FixedBuf[] bufs;
    private final ByteBuffer table;
    private int size;
    private volatile Op<?> owner;

    private BufVec(int capacity) {
        this.bufs = new FixedBuf[capacity];
        this.table = ByteBuffer.allocateDirect(capacity * ENTRY_BYTES).order(ByteOrder.nativeOrder());
    }

    /** An empty vector that holds up to {@code capacity} buffers. */
    public static BufVec withCapacity(int capacity) {
        if (capacity < 1 || capacity > MAX_CAPACITY) {
            throw new IllegalArgumentException("a BufVec holds 1 to " + MAX_CAPACITY + " buffers, asked for " + capacity);
        }
        return new BufVec(capacity);
    }

    /** A vector of exactly these buffers, in order. */
    public static BufVec of(FixedBuf... bufs) {
        BufVec v = withCapacity(Math.max(1, bufs.length));
        for (FixedBuf b : bufs) {
            v.add(b);
        }
        return v;
    }

    /** Appends {@code buf}. @throws IllegalStateException if full or owned by an in-flight op */
    public BufVec add(FixedBuf buf) {
        Objects.requireNonNull(buf, "buf");
        checkAccess("add to");
        if (size == bufs.length) {
            throw new IllegalStateException("cannot add " + buf + ": this BufVec is full (" + bufs.length + " buffers)");
        }
        bufs[size++] = buf;
        return this;
    }

    /** Removes every buffer (the buffers themselves are untouched: release them yourself). */
    public BufVec clear() {
        checkAccess("clear");
        java.util.Arrays.fill(bufs, 0, size, null);
        size = 0;
        return this;
    }

    /** How many buffers it holds. */
    public int size() {
        return size;
    }

    /** The most buffers it can hold. */
    public int capacity() {
        return bufs.length;
    }

    /** The buffer at {@code i}, in {@code [0, size)}. Readable while in flight (the buffer itself is not). */
    public FixedBuf get(int i) {
        Objects.checkIndex(i, size);
        return bufs[i];
    }

    /** The sum of the buffers' readable bytes: what a {@code SendMsg} sends at most. */
    public long readableBytes() {
        checkAccess("read");
        long n = 0;
        for (int i = 0; i < size; i++) {
            n += bufs[i].readableBytes();
        }
        return n;
    }

    /** The sum of the buffers' free space: what a {@code RecvMsg} receives at most. */
    public long writableBytes() {
        checkAccess("read");
        long n = 0;
        for (int i = 0; i < size; i++) {
            n += bufs[i].writableBytes();
        }
        return n;
    }

    /** The op currently owning this vector, or null. */
    public Op<?> owner() {
        return owner;
    }

    private void checkAccess(String what) {
        Op<?> o = owner;
        if (o != null) {
            throw new IllegalStateException("cannot " + what + " " + this + ": it is owned by " + o
                    + " until that op completes");
        }
    }

    /** The driver table (16 bytes per entry, native order); only the driver owning the op writes it. */
    ByteBuffer table() {
        return table;
    }

    /** Takes the vector and each of its buffers for {@code op}; on failure nothing stays taken. */
    void acquire(Op<?> op) {
        Op<?> cur = owner;
        if (cur != null) {
            throw new IllegalStateException("cannot submit " + op + ": its " + this + " is owned by " + cur
                    + " until that op completes");
        }
        OpKind k = op.payload().kind();
        if (k == OpKind.RECV_MSG) {
            long room = 0;
            for (int i = 0; i < size; i++) {
                room += bufs[i].leasedWritable(op);
            }
            if (room == 0) {
                throw new IllegalArgumentException("cannot submit " + op + ": none of the " + size
                        + " buffers of its BufVec has free space; clear() or compact() them first");
            }
        }
        int taken = 0;
        try {
            for (; taken < size; taken++) {
                bufs[taken].take(op);
            }
        } catch (RuntimeException e) {
            for (int i = 0; i < taken; i++) {
                bufs[i].giveBack(op, 0, false);
            }
            throw e;
        }
        owner = op;
    }

    /** Gives the buffers back, spreading {@code transferred} bytes over them in order. */
    void release(Op<?> op, long transferred) {
        if (owner != op) {
            return;
        }
        boolean fill = op.payload().kind() == OpKind.RECV_MSG;
        long left = transferred;
        for (int i = 0; i < size; i++) {
            left -= bufs[i].giveBack(op, left, fill);
        }
        owner = null;
    }

    @Override
    public String toString() {
        return "BufVec(" + size + " of " + bufs.length + " buffers)";
    }
}
