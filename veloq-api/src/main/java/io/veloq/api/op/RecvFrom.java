package io.veloq.api.op;

import io.veloq.api.IoFd;
import io.veloq.api.buffer.FixedBuf;
import io.veloq.api.net.SockAddrStorage;

import java.util.Objects;

/**
 * Receives one datagram into the free space of {@code buf} and writes the sender's address into
 * {@code from}; completes with the datagram's length and advances the writer index.
 *
 * <pre>{@code
 * SockAddrStorage from = SockAddrStorage.allocate();
 * long n = loop.call(new RecvFrom(udp, buf, from)).valueOrThrow();
 * }</pre>
 *
 * @param fd   a datagram socket
 * @param buf  the buffer; owned by the driver while in flight
 * @param from where the sender's address is written
 * @since 0.1
 */
public record RecvFrom(IoFd fd, FixedBuf buf, SockAddrStorage from) implements OpPayload {
    public RecvFrom {
        Objects.requireNonNull(fd, "RecvFrom needs an fd");
        Payloads.require(buf, "RecvFrom", fd, "a buffer");
        Payloads.require(from, "RecvFrom", fd, "a SockAddrStorage for the sender");
    }

    @Override
    public OpKind kind() {
        return OpKind.RECV_FROM;
    }

    @Override
    public FixedBuf buffer() {
        return buf;
    }
}
