package io.veloq.api.op;

import io.veloq.api.Capability;

/**
 * The closed set of operation kinds, with what the runtime needs to know about each: which part of its
 * buffer it uses, whether it completes many times, and which driver capability it needs. Drivers and the
 * host translate ops through tables indexed by this enum ({@link #ordinal()}), not one class per op, so a
 * new kind is one constant here, one payload record, and one row in each driver's table.
 *
 * <pre>{@code
 * OpKind.RECV.bufferUse();             // FILL: the op writes from the buffer's writer index
 * OpKind.RECV_MULTISHOT.multishot();   // true: items, then one final completion
 * OpKind.RECV_MULTISHOT.capability();  // Capability.MULTISHOT
 * OpKind.READ.capability();            // Capability.FILE_IO
 * }</pre>
 *
 * @since 0.1
 */
public enum OpKind {
    NOP(BufferUse.NONE),
    TIMEOUT(BufferUse.NONE),
    CANCEL(BufferUse.NONE),
    SOCKET(BufferUse.NONE),
    ACCEPT(BufferUse.NONE),
    CONNECT(BufferUse.NONE),
    SHUTDOWN(BufferUse.NONE),
    RECV(BufferUse.FILL),
    SEND(BufferUse.DRAIN),
    RECV_FROM(BufferUse.FILL, false, Capability.DATAGRAM_SOCKETS),
    SEND_TO(BufferUse.DRAIN, false, Capability.DATAGRAM_SOCKETS),
    READ(BufferUse.FILL, false, Capability.FILE_IO),
    WRITE(BufferUse.DRAIN, false, Capability.FILE_IO),
    READ_FIXED(BufferUse.FILL, false, Capability.REGISTERED_BUFFERS),
    WRITE_FIXED(BufferUse.DRAIN, false, Capability.REGISTERED_BUFFERS),
    OPEN(BufferUse.NONE, false, Capability.FILE_IO),
    CLOSE(BufferUse.NONE),
    FSYNC(BufferUse.NONE, false, Capability.FILE_IO),
    /** {@link AcceptMultishot}: every accepted connection is an item. @since 0.3 */
    ACCEPT_MULTISHOT(BufferUse.NONE, true, Capability.MULTISHOT),
    /** {@link RecvMultishot}: every received chunk is an item, in a buffer of a {@code BufRing}. @since 0.3 */
    RECV_MULTISHOT(BufferUse.PROVIDED, true, Capability.MULTISHOT),
    /** Vectored receive ({@link RecvMsg}); appended so earlier ordinals stay stable. */
    RECV_MSG(BufferUse.VECTOR),
    /** Vectored send ({@link SendMsg}). */
    SEND_MSG(BufferUse.VECTOR),
    /** File to socket without a user-space copy ({@link SendFile}). @since 0.3 */
    SEND_FILE(BufferUse.NONE, false, Capability.SEND_FILE);

    /**
     * Which part of the payload's buffer an op uses.
     *
     * @since 0.3
     */
    public enum BufferUse {
        /** No buffer. */
        NONE,
        /** Writes into the free space, from the writer index to the capacity; completion advances the writer index. */
        FILL,
        /** Reads the readable bytes, from the reader index to the writer index; completion advances the reader index. */
        DRAIN,
        /** Takes buffers from a provided-buffer ring ({@code BufRing}), one per item. */
        PROVIDED,
        /** A vector of buffers ({@code BufVec}, the payload's {@code buffers()}), filled or drained in order. */
        VECTOR
    }

    private static final OpKind[] VALUES = values();

    private final BufferUse bufferUse;
    private final boolean multishot;
    private final Capability capability;

    OpKind(BufferUse bufferUse) {
        this(bufferUse, false, null);
    }

    OpKind(BufferUse bufferUse, boolean multishot, Capability capability) {
        this.bufferUse = bufferUse;
        this.multishot = multishot;
        this.capability = capability;
    }

    /** Number of kinds, for tables indexed by ordinal. */
    public static int count() {
        return VALUES.length;
    }

    /** The kind with this ordinal. */
    public static OpKind of(int ordinal) {
        return VALUES[ordinal];
    }

    /** Which part of its buffer an op of this kind uses. @since 0.3 */
    public BufferUse bufferUse() {
        return bufferUse;
    }

    /**
     * True for a kind that completes many times: zero or more items, then exactly one final completion
     * (see {@code io.veloq.api.StreamCompleter}). @since 0.3
     */
    public boolean multishot() {
        return multishot;
    }

    /**
     * The capability a driver must report to run any op of this kind, or null when every driver runs it. The
     * host refuses an op of a kind its driver lacks the capability for, naming both (some ops need more,
     * depending on their payload: a fixed file, message flags, a Unix socket). @since 0.3
     */
    public Capability capability() {
        return capability;
    }
}
