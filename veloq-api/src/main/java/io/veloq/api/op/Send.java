package io.veloq.api.op;

import io.veloq.api.IoFd;
import io.veloq.api.buffer.FixedBuf;

import java.util.Objects;

/**
 * Sends the readable bytes of {@code buf} (reader index to writer index); completes with the byte count sent, which may be less than asked, and advances the reader index by it.
 *
 * <pre>{@code loop.call(new Send(fd, buf)).valueOrThrow();}</pre>
 *
 * <h2>Zero-copy</h2>
 * {@link #zeroCopy(IoFd, FixedBuf)} asks the driver not to copy the bytes into the kernel: the network
 * card reads them from {@code buf} itself (io_uring {@code SEND_ZC}, with the registered-buffer form when
 * {@code buf} comes from the loop's registered pool). The buffer then stays the op's until the kernel
 * says it is done with it, which can be long after the bytes were sent (about 20 ms on loopback), and the
 * op completes once, with the byte count, only then: never wait for it on the loop thread, keep other
 * buffers going meanwhile. Where the driver or kernel cannot ({@link io.veloq.api.Capability#ZERO_COPY_SEND}
 * absent) the same op is a copying send and completes as soon as it is sent. Zero-copy pays off for large
 * sends (tens of KiB and up) to a real network card; on loopback the kernel copies anyway.
 *
 * @param fd  the descriptor
 * @param buf the buffer; owned by the driver while the op is in flight
 * @param flags {@code send(2)} flags, usually 0 ({@code MSG_NOSIGNAL} is always applied where it exists)
 * @param zeroCopy true to send without copying where the driver can (see above)
 * @since 0.1
 */
public record Send(IoFd fd, FixedBuf buf, int flags, boolean zeroCopy) implements OpPayload {
    public Send {
        Objects.requireNonNull(fd, "Send needs an fd");
        Payloads.require(buf, "Send", fd, "a buffer");
    }

    /** A copying send with {@code send(2)} flags. */
    public Send(IoFd fd, FixedBuf buf, int flags) {
        this(fd, buf, flags, false);
    }

    /** A copying send with no flags. */
    public Send(IoFd fd, FixedBuf buf) {
        this(fd, buf, 0, false);
    }

    /**
     * A zero-copy send of the readable bytes of {@code buf}: the buffer is the op's until the kernel no longer
     * needs it (see the class comment). @since 0.3
     */
    public static Send zeroCopy(IoFd fd, FixedBuf buf) {
        return new Send(fd, buf, 0, true);
    }

    @Override
    public OpKind kind() {
        return OpKind.SEND;
    }

    @Override
    public FixedBuf buffer() {
        return buf;
    }

    @Override
    public String describe() {
        return (zeroCopy ? "Send (zero-copy) on " : "Send on ") + fd;
    }
}
