package io.veloq.api.buffer;

import io.veloq.api.Op;
import io.veloq.api.bootstrap.ApiAccess;
import io.veloq.api.bootstrap.RingHost;
import io.veloq.api.bootstrap.SlabMemory;
import io.veloq.api.op.OpKind;

import java.nio.ByteBuffer;
import java.util.Objects;

/**
 * A fixed-size, off-heap, address-stable buffer leased from a {@link BufPool}. It has a reader index and
 * a writer index, like Netty's {@code ByteBuf}: bytes in {@code [readerIndex, writerIndex)} are readable
 * (what {@code Send}/{@code Write} send); {@code [writerIndex, capacity)} is free (what {@code Recv}/
 * {@code Read} fill). Completion advances the index by the bytes transferred.
 *
 * <p>Typed values are in network byte order (big-endian), in four families: {@code getX(i)}/{@code setX(i, v)} at
 * an absolute index (no index moves), {@code readX()} at the reader index and {@code putX(v)} at the writer
 * index (both advance): {@code Byte}, {@code Short}, {@code Int}, {@code Long}, and unsigned reads. To parse
 * without a check per access, take {@link #readableView()}.
 *
 * <p>While an op that holds it is in flight the kernel may write into it, so every read or write through
 * this API throws {@link IllegalStateException} naming that op. Release it to its pool once; double
 * release and use after release are detected.
 *
 * <pre>{@code
 * FixedBuf buf = loop.bufPool().lease();
 * buf.put("ping".getBytes(US_ASCII));
 * loop.call(new Send(fd, buf)).valueOrThrow();   // reader index advances by bytes sent
 * buf.clear();
 * loop.call(new Recv(fd, buf)).valueOrThrow();
 * byte[] reply = buf.getBytes();                 // the readable bytes
 * buf.release();
 * }</pre>
 *
 * @since 0.1
 */
public final class FixedBuf {
    private static final java.lang.invoke.VarHandle OWNER;
    private static final boolean LITTLE_ENDIAN = java.nio.ByteOrder.nativeOrder() == java.nio.ByteOrder.LITTLE_ENDIAN;

    static {
        try {
            OWNER = java.lang.invoke.MethodHandles.lookup().findVarHandle(FixedBuf.class, "owner", Op.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
        ApiAccess.installBufs(new BufBridge());
    }

    private final BufPool pool;
    private final int index;
    private final ByteBuffer memory;
    private final int region;
    private final long offsetInRegion;
    private int readerIndex;
    private int writerIndex;
    private volatile Op<?> owner;
    private boolean leased;
    // Set while the buffer belongs to a BufRing: release() gives it back to the ring, and while it sits in
    // the ring (the kernel may fill it) every access throws. Written by the loop thread, or by a releasing
    // thread before it hands the buffer to the loop.
    private BufRing ring;
    private int ringId;
    private boolean inRing;

    FixedBuf(BufPool pool, int index, ByteBuffer memory, int region, long offsetInRegion) {
        this.pool = pool;
        this.index = index;
        this.memory = memory;
        this.region = region;
        this.offsetInRegion = offsetInRegion;
    }

    /** The pool this buffer belongs to. */
    public BufPool pool() {
        return pool;
    }

    /** The registered region (slab) this buffer lies in: the index {@code ReadFixed} passes to the kernel. */
    public int regionIndex() {
        return region;
    }

    public int capacity() {
        return memory.capacity();
    }

    public int readerIndex() {
        checkAccess();
        return readerIndex;
    }

    public int writerIndex() {
        checkAccess();
        return writerIndex;
    }

    public int readableBytes() {
        checkAccess();
        return writerIndex - readerIndex;
    }

    public int writableBytes() {
        checkAccess();
        return memory.capacity() - writerIndex;
    }

    /** Empties the buffer: both indices to 0. */
    public FixedBuf clear() {
        checkAccess();
        readerIndex = 0;
        writerIndex = 0;
        return this;
    }

    /** Moves the readable bytes to the start, freeing the space already read. */
    public FixedBuf compact() {
        checkAccess();
        int n = writerIndex - readerIndex;
        if (readerIndex > 0 && n > 0) {
            ByteBuffer src = memory.duplicate().position(readerIndex).limit(writerIndex);
            memory.duplicate().position(0).put(src);
        }
        readerIndex = 0;
        writerIndex = n;
        return this;
    }

    /** Sets the reader index, within {@code [0, writerIndex]}. */
    public FixedBuf readerIndex(int i) {
        checkAccess();
        if (i < 0 || i > writerIndex) {
            throw new IndexOutOfBoundsException("readerIndex " + i + " outside [0, " + writerIndex + "]");
        }
        readerIndex = i;
        return this;
    }

    /** Sets the writer index, within {@code [readerIndex, capacity]}. */
    public FixedBuf writerIndex(int i) {
        checkAccess();
        if (i < readerIndex || i > memory.capacity()) {
            throw new IndexOutOfBoundsException("writerIndex " + i + " outside [" + readerIndex + ", " + memory.capacity() + "]");
        }
        writerIndex = i;
        return this;
    }

    /** Appends {@code src}; throws if it does not fit. */
    public FixedBuf put(byte[] src) {
        return put(src, 0, src.length);
    }

    /** Appends {@code len} bytes of {@code src} from {@code off}. */
    public FixedBuf put(byte[] src, int off, int len) {
        checkAccess();
        Objects.checkFromIndexSize(off, len, src.length);
        ensureWritable(len);
        memory.put(writerIndex, src, off, len);
        writerIndex += len;
        return this;
    }

    /** Appends the remaining bytes of {@code src}, advancing its position. */
    public FixedBuf put(ByteBuffer src) {
        checkAccess();
        int len = src.remaining();
        ensureWritable(len);
        memory.put(writerIndex, src, src.position(), len);
        src.position(src.limit());
        writerIndex += len;
        return this;
    }

    /** Appends one byte. */
    public FixedBuf putByte(int b) {
        checkAccess();
        ensureWritable(1);
        memory.put(writerIndex++, (byte) b);
        return this;
    }

    /** Reads {@code len} readable bytes into {@code dst} at {@code off}, advancing the reader index. */
    public FixedBuf get(byte[] dst, int off, int len) {
        checkAccess();
        Objects.checkFromIndexSize(off, len, dst.length);
        if (len > writerIndex - readerIndex) {
            throw new IndexOutOfBoundsException("asked for " + len + " bytes, " + (writerIndex - readerIndex) + " readable");
        }
        memory.get(readerIndex, dst, off, len);
        readerIndex += len;
        return this;
    }

    /** Reads all readable bytes into a new array, advancing the reader index. */
    public byte[] getBytes() {
        checkAccess();
        byte[] out = new byte[writerIndex - readerIndex];
        get(out, 0, out.length);
        return out;
    }

    /** Copies the readable bytes into {@code dst} (as many as fit), advancing both. Returns the count. */
    public int get(ByteBuffer dst) {
        checkAccess();
        int n = Math.min(dst.remaining(), writerIndex - readerIndex);
        dst.put(dst.position(), memory, readerIndex, n);
        dst.position(dst.position() + n);
        readerIndex += n;
        return n;
    }

    // ---- typed access: network byte order (big-endian) ----
    //
    // get/set: absolute, at an index within [0, capacity), no index moves (rewrite a header in place).
    // read:    relative, from the reader index, which advances; only readable bytes.
    // put:     relative, at the writer index, which advances; only free space.

    /** The byte at absolute index {@code i} (no index moves). */
    public byte getByte(int i) {
        checkAccess();
        Objects.checkIndex(i, memory.capacity());
        return memory.get(i);
    }

    /** The byte at absolute index {@code i}, unsigned (0..255). */
    public int getUnsignedByte(int i) {
        return getByte(i) & 0xFF;
    }

    /** Sets the byte at absolute index {@code i} (no index moves), e.g. to rewrite a packet header in place. */
    public FixedBuf setByte(int i, int value) {
        checkAccess();
        Objects.checkIndex(i, memory.capacity());
        memory.put(i, (byte) value);
        return this;
    }

    /** The 16-bit value at absolute index {@code i}, big-endian. */
    public short getShort(int i) {
        checkAccess();
        Objects.checkFromIndexSize(i, 2, memory.capacity());
        return net(memory.getShort(i));
    }

    /** The 16-bit value at absolute index {@code i}, in network byte order (big-endian), unsigned. */
    public int getUnsignedShort(int i) {
        return Short.toUnsignedInt(getShort(i));
    }

    /** Sets the 16-bit value at absolute index {@code i}, in network byte order (big-endian). */
    public FixedBuf setShort(int i, int value) {
        checkAccess();
        Objects.checkFromIndexSize(i, 2, memory.capacity());
        memory.putShort(i, net((short) value));
        return this;
    }

    /** The 32-bit value at absolute index {@code i}, in network byte order (big-endian). */
    public int getInt(int i) {
        checkAccess();
        Objects.checkFromIndexSize(i, 4, memory.capacity());
        return net(memory.getInt(i));
    }

    /** The 32-bit value at absolute index {@code i}, big-endian, unsigned. */
    public long getUnsignedInt(int i) {
        return Integer.toUnsignedLong(getInt(i));
    }

    /** Sets the 32-bit value at absolute index {@code i}, in network byte order (big-endian). */
    public FixedBuf setInt(int i, int value) {
        checkAccess();
        Objects.checkFromIndexSize(i, 4, memory.capacity());
        memory.putInt(i, net(value));
        return this;
    }

    /** The 64-bit value at absolute index {@code i}, big-endian. */
    public long getLong(int i) {
        checkAccess();
        Objects.checkFromIndexSize(i, 8, memory.capacity());
        return net(memory.getLong(i));
    }

    /** Sets the 64-bit value at absolute index {@code i}, big-endian. */
    public FixedBuf setLong(int i, long value) {
        checkAccess();
        Objects.checkFromIndexSize(i, 8, memory.capacity());
        memory.putLong(i, net(value));
        return this;
    }

    /** Reads one byte at the reader index and advances it. */
    public byte readByte() {
        return getByte(readable(1));
    }

    /** Reads one unsigned byte (0..255) at the reader index and advances it. */
    public int readUnsignedByte() {
        return getByte(readable(1)) & 0xFF;
    }

    /** Reads a big-endian 16-bit value at the reader index and advances it by 2. */
    public short readShort() {
        return getShort(readable(2));
    }

    /** Reads a big-endian unsigned 16-bit value at the reader index and advances it by 2. */
    public int readUnsignedShort() {
        return Short.toUnsignedInt(getShort(readable(2)));
    }

    /** Reads a big-endian 32-bit value at the reader index and advances it by 4. */
    public int readInt() {
        return getInt(readable(4));
    }

    /** Reads a big-endian unsigned 32-bit value at the reader index and advances it by 4. */
    public long readUnsignedInt() {
        return Integer.toUnsignedLong(getInt(readable(4)));
    }

    /** Reads a big-endian 64-bit value at the reader index and advances it by 8. */
    public long readLong() {
        return getLong(readable(8));
    }

    /** Appends a big-endian 16-bit value at the writer index. */
    public FixedBuf putShort(int value) {
        return setShort(writable(2), value);
    }

    /** Appends a big-endian 32-bit value at the writer index. */
    public FixedBuf putInt(int value) {
        return setInt(writable(4), value);
    }

    /** Appends a big-endian 64-bit value at the writer index. */
    public FixedBuf putLong(long value) {
        return setLong(writable(8), value);
    }

    /** Checks that {@code n} bytes are readable, advances the reader index past them, returns where they start. */
    private int readable(int n) {
        checkAccess();
        int at = readerIndex;
        if (n > writerIndex - at) {
            throw new IndexOutOfBoundsException("cannot read " + n + " bytes: " + (writerIndex - at) + " readable in " + this);
        }
        readerIndex = at + n;
        return at;
    }

    /** Checks that {@code n} bytes are free, advances the writer index past them, returns where they start. */
    private int writable(int n) {
        checkAccess();
        ensureWritable(n);
        int at = writerIndex;
        writerIndex = at + n;
        return at;
    }

    // ---- parsing in place, heap data in ----

    /**
     * A read-only {@link ByteBuffer} over the readable bytes ({@code [readerIndex, writerIndex)}, position 0,
     * big-endian), sharing this buffer's memory: parse a request in place with the JDK's own accessors
     * (a {@code CharsetDecoder}, {@code ByteBuffer.get(int)}, {@code mismatch}) and no per-byte checks. It is a
     * snapshot of the bounds, checked once now: valid until this buffer's next op or its release (the kernel
     * may write the memory once an op owns it, and the pool hands it to someone else after release); Veloq cannot
     * check accesses through it. Reading through it does not move the reader index: call
     * {@link #readerIndex(int)} with what you consumed.
     *
     * <pre>{@code
     * ByteBuffer in = buf.readableView();
     * int eol = indexOf(in, (byte) '\n');            // plain ByteBuffer.get(i) in a loop
     * if (eol >= 0) { handleLine(in.slice(0, eol)); buf.readerIndex(buf.readerIndex() + eol + 1); }
     * }</pre>
     *
     * @since 0.2
     */
    public ByteBuffer readableView() {
        checkAccess();
        return memory.slice(readerIndex, writerIndex - readerIndex).asReadOnlyBuffer().order(java.nio.ByteOrder.BIG_ENDIAN);
    }

    /**
     * A read-only slice of {@code length} bytes from absolute index {@code index} (position 0, big-endian),
     * sharing this buffer's memory like {@link #readableView()}: hand one field or one message of a received
     * batch to a parser without copying it and without moving either index. Bounds are checked once, here,
     * against the capacity; the same validity rule applies (until this buffer's next op or its release).
     *
     * <pre>{@code
     * int len = buf.getInt(buf.readerIndex());                          // a length-prefixed frame
     * ByteBuffer frame = buf.view(buf.readerIndex() + 4, len);           // its body, in place
     * handle(frame);
     * buf.readerIndex(buf.readerIndex() + 4 + len);
     * }</pre>
     *
     * @throws IndexOutOfBoundsException if {@code [index, index + length)} is not within the capacity
     * @since 0.2
     */
    public ByteBuffer view(int index, int length) {
        checkAccess();
        Objects.checkFromIndexSize(index, length, memory.capacity());
        return memory.slice(index, length).asReadOnlyBuffer().order(java.nio.ByteOrder.BIG_ENDIAN);
    }

    /**
     * Copies as many remaining bytes of {@code src} as fit into the free space, advancing {@code src}'s position
     * and the writer index; returns the count (0 when full). The way to stage heap data ({@code byte[]} through
     * {@link ByteBuffer#wrap}) into a registered buffer in pieces.
     *
     * @since 0.2
     */
    public int transferFrom(ByteBuffer src) {
        checkAccess();
        int n = Math.min(src.remaining(), memory.capacity() - writerIndex);
        memory.put(writerIndex, src, src.position(), n);
        src.position(src.position() + n);
        writerIndex += n;
        return n;
    }

    /** Copies the readable bytes of {@code src} (another buffer) to this one, advancing both. */
    public FixedBuf transferFrom(FixedBuf src) {
        checkAccess();
        src.checkAccess();
        int n = src.writerIndex - src.readerIndex;
        ensureWritable(n);
        memory.put(writerIndex, src.memory, src.readerIndex, n);
        writerIndex += n;
        src.readerIndex += n;
        return this;
    }

    /**
     * Returns the buffer to its pool, or, for a buffer of a {@link BufRing}, to that ring. It must not be
     * used afterwards.
     */
    public void release() {
        Op<?> o = owner;
        if (o != null) {
            throw new IllegalStateException("cannot release " + this + ": it is owned by " + o
                    + " until that op completes");
        }
        BufRing r = ring;
        if (r != null) {
            r.recycle(this);
            return;
        }
        pool.giveBack(this);
    }

    /** The ring this buffer belongs to, or null. @since 0.3 */
    public BufRing ring() {
        return ring;
    }

    void adoptInto(BufRing r, int id) {
        ring = r;
        ringId = id;
        inRing = true;
    }

    int ringId() {
        return ringId;
    }

    boolean inRing() {
        return inRing;
    }

    void returnToRing() {
        inRing = true;
    }

    /** The ring closed: the buffer is an ordinary pool buffer again (given back by the caller). */
    void leaveRing() {
        ring = null;
        inRing = false;
    }

    void takeFromRing(int length) {
        inRing = false;
        readerIndex = 0;
        writerIndex = Math.min(length, memory.capacity());
    }

    /** True while leased from the pool (not yet released). */
    public boolean isLeased() {
        return leased;
    }

    /** The op currently owning this buffer, or null. */
    public Op<?> owner() {
        return owner;
    }

    int poolIndex() {
        return index;
    }

    /** Called by the pool under its lock; returns false if already leased/released as asked. */
    boolean setLeased(boolean value) {
        if (leased == value) {
            return false;
        }
        leased = value;
        if (value) {
            readerIndex = 0;
            writerIndex = 0;
        }
        return true;
    }

    /** Free space, checking only that the buffer is leased (for a submission about to take it). */
    int leasedWritable(Op<?> op) {
        if (!leased) {
            throw new IllegalStateException("cannot submit " + op + ": its buffer " + this
                    + " was released to its pool (use after release)");
        }
        return memory.capacity() - writerIndex;
    }

    /** Marks this buffer owned by {@code op}; throws if released or owned by another op (or by {@code op} twice). */
    void take(Op<?> op) {
        take(op, false);
    }

    /**
     * {@link #take(Op)}; {@code onLoop}: the caller is the loop thread submitting its own op (a completer
     * resubmitting), so a check and a release store do; from another thread a CAS, since two threads may
     * submit ops naming this buffer at once and exactly one may take it.
     */
    void take(Op<?> op, boolean onLoop) {
        if (!leased) {
            throw new IllegalStateException("cannot submit " + op + ": its buffer " + this
                    + " was released to its pool (use after release)");
        }
        if (inRing) {
            throw new IllegalStateException("cannot submit " + op + ": its buffer " + this + " was released to "
                    + ring + " (use after release)");
        }
        if (onLoop ? owner != null : !OWNER.compareAndSet(this, null, op)) {
            Op<?> cur = owner;
            throw new IllegalStateException("cannot submit " + op + ": its buffer " + this + " is owned by "
                    + (cur == op ? "this same op (it appears twice)" : cur + " until that op completes"));
        }
        if (onLoop) {
            OWNER.setRelease(this, op);
        }
    }

    /**
     * Ends {@code op}'s ownership and advances the writer index ({@code fill}) or the reader index by at most
     * {@code max} bytes, as many as this buffer had room or data for. Returns the bytes it took.
     */
    int giveBack(Op<?> op, long max, boolean fill) {
        if (owner != op) {
            return 0;
        }
        int n;
        if (fill) {
            n = (int) Math.min(Math.max(0, max), memory.capacity() - writerIndex);
            writerIndex += n;
        } else {
            n = (int) Math.min(Math.max(0, max), writerIndex - readerIndex);
            readerIndex += n;
        }
        OWNER.setRelease(this, null); // publishes the indices above with it
        return n;
    }

    // The memory is in native order; these convert to and from network order (a no-op on big-endian CPUs).
    private static short net(short v) {
        return LITTLE_ENDIAN ? Short.reverseBytes(v) : v;
    }

    private static int net(int v) {
        return LITTLE_ENDIAN ? Integer.reverseBytes(v) : v;
    }

    private static long net(long v) {
        return LITTLE_ENDIAN ? Long.reverseBytes(v) : v;
    }

    private void ensureWritable(int len) {
        if (len > memory.capacity() - writerIndex) {
            throw new IndexOutOfBoundsException("cannot write " + len + " bytes: " + (memory.capacity() - writerIndex)
                    + " of " + memory.capacity() + " free");
        }
    }

    private void checkAccess() {
        if (!leased) {
            throw new IllegalStateException("use after release: " + this + " was returned to its pool");
        }
        if (inRing) {
            throw new IllegalStateException("use after release: " + this + " was released to " + ring
                    + " and the kernel may be writing into it");
        }
        Op<?> o = owner;
        if (o != null) {
            throw new IllegalStateException(this + " is owned by " + o
                    + " until it completes; the kernel may be writing into it");
        }
    }

    @Override
    public String toString() {
        return "FixedBuf#" + index + "(region " + region + ", " + memory.capacity() + " bytes)";
    }

    private static final class BufBridge implements ApiAccess.Bufs {
        @Override
        public void acquire(FixedBuf buf, Op<?> op, boolean onLoop) {
            boolean fills = op.payload().kind().bufferUse() == OpKind.BufferUse.FILL;
            if (fills && buf.leasedWritable(op) == 0) {
                throw new IllegalArgumentException("cannot submit " + op + ": its buffer " + buf
                        + " has no free space (writer index at capacity); clear() or compact() it first");
            }
            buf.take(op, onLoop);
        }

        @Override
        public void release(FixedBuf buf, Op<?> op, long transferred) {
            OpKind.BufferUse use = op.payload().kind().bufferUse();
            boolean fill = use == OpKind.BufferUse.FILL;
            buf.giveBack(op, fill || use == OpKind.BufferUse.DRAIN ? transferred : 0, fill);
        }

        @Override
        public void acquire(BufVec vec, Op<?> op) {
            vec.acquire(op);
        }

        @Override
        public void release(BufVec vec, Op<?> op, long transferred) {
            vec.release(op, transferred);
        }

        @Override
        public ByteBuffer table(BufVec vec) {
            return vec.table();
        }

        @Override
        public ByteBuffer memory(FixedBuf buf) {
            return buf.memory;
        }

        @Override
        public int readerIndex(FixedBuf buf) {
            return buf.readerIndex;
        }

        @Override
        public int writerIndex(FixedBuf buf) {
            return buf.writerIndex;
        }

        @Override
        public long offsetInRegion(FixedBuf buf) {
            return buf.offsetInRegion;
        }

        @Override
        public BufPool newPool(String name, String capSetting, int bufSize, int initial, int max, SlabMemory memory) {
            return new BufPool(name, capSetting, bufSize, initial, max, memory);
        }

        @Override
        public int maxRegions(BufPool pool) {
            return pool.maxRegions();
        }

        @Override
        public ByteBuffer[] slabs(BufPool pool) {
            return pool.slabs();
        }

        @Override
        public void registered(BufPool pool, boolean registered) {
            pool.registered(registered);
        }

        @Override
        public BufRing newRing(String name, FixedBuf[] bufs, int group, RingHost host) {
            return new BufRing(name, bufs, group, host);
        }

        @Override
        public FixedBuf takeFromRing(BufRing ring, int id, int length) {
            return ring.take(id, length);
        }

        @Override
        public FixedBuf[] ringBuffers(BufRing ring) {
            return ring.buffers();
        }

        @Override
        public void ringUsers(BufRing ring, int delta) {
            ring.users(delta);
        }

        @Override
        public int ringUsers(BufRing ring) {
            return ring.users();
        }

        @Override
        public void ringClosed(BufRing ring) {
            ring.closed();
        }
    }
}
