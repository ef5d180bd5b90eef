package io.veloq.api.op;

import io.veloq.api.IoFd;
import io.veloq.api.buffer.BufVec;
import io.veloq.api.buffer.FixedBuf;

/**
 * What an op does: plain, immutable data naming its descriptor, buffer and address. The runtime owns the
 * buffer and address while the op is in flight.
 *
 * <pre>{@code
 * OpPayload p = new Recv(IoFd.raw(7), buf);
 * p.kind();     // OpKind.RECV
 * p.describe(); // "Recv on fd 7"
 * }</pre>
 *
 * @since 0.1
 */
public sealed interface OpPayload
        permits Nop, Timeout, Cancel, Socket, Accept, Connect, Shutdown, Recv, Send, RecvFrom, SendTo,
        Read, Write, ReadFixed, WriteFixed, Open, Close, Fsync, AcceptMultishot, RecvMultishot, RecvMsg, SendMsg, SendFile {

    /** This payload's kind. */
    OpKind kind();

    /** The descriptor the op works on, or {@code null} for ops that have none (Nop, Timeout, Open...). */
    default IoFd fd() {
        return null;
    }

    /** The buffer the driver owns while the op is in flight, or {@code null}. */
    default FixedBuf buffer() {
        return null;
    }

    /**
     * The buffers of a vectored op ({@link RecvMsg}, {@link SendMsg}), owned by the driver while in flight, or
     * {@code null}. A payload has either a {@link #buffer()} or {@code buffers()}, never both.
     *
     * @since 0.1
     */
    default BufVec buffers() {
        return null;
    }

    /** A short human description for messages, e.g. {@code "Recv on fd 7"}. */
    default String describe() {
        IoFd fd = fd();
        String name = getClass().getSimpleName();
        return fd == null ? name : name + " on " + fd;
    }
}
