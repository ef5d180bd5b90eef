package io.veloq.api.op;

/**
 * The closed set of operation kinds. Drivers translate ops through a table indexed by this enum
 * ({@link #ordinal()}), not through one class per op.
 *
 * @since 0.1
 */
public enum OpKind {
    NOP, TIMEOUT, CANCEL,
    SOCKET, ACCEPT, CONNECT, SHUTDOWN,
    RECV, SEND, RECV_FROM, SEND_TO,
    READ, WRITE, READ_FIXED, WRITE_FIXED,
    OPEN, CLOSE, FSYNC,
    /** Vectored receive ({@link RecvMsg}); appended so earlier ordinals stay stable. */
    RECV_MSG,
    /** Vectored send ({@link SendMsg}). */
    SEND_MSG;

    private static final OpKind[] VALUES = values();

    /** Number of kinds, for tables indexed by ordinal. */
    public static int count() {
        return VALUES.length;
    }

    /** The kind with this ordinal. */
    public static OpKind of(int ordinal) {
        return VALUES[ordinal];
    }
}
