package io.veloq.api.op;

import io.veloq.api.IoFd;
import io.veloq.api.buffer.FixedBuf;
import io.veloq.api.net.SockAddrStorage;

import java.util.Objects;

/**
 * Sends the readable bytes of {@code buf} as one datagram to {@code to}; completes with the byte count
 * and advances the reader index.
 *
 * <pre>{@code loop.call(new SendTo(udp, buf, SockAddrStorage.of(new InetSocketAddress("::1", 9000))));}</pre>
 *
 * @param fd  a datagram socket
 * @param buf the buffer; owned by the driver while in flight
 * @param to  the destination
 * @since 0.1
 */
public record SendTo(IoFd fd, FixedBuf buf, SockAddrStorage to) implements OpPayload {
    public SendTo {
        Objects.requireNonNull(fd, "SendTo needs an fd");
        Payloads.require(buf, "SendTo", fd, "a buffer");
        Payloads.require(to, "SendTo", fd, "a destination address");
        if (to.isEmpty()) {
            throw new IllegalArgumentException("SendTo on " + fd + " needs a non-empty destination address");
        }
    }

    @Override
    public OpKind kind() {
        return OpKind.SEND_TO;
    }

    @Override
    public FixedBuf buffer() {
        return buf;
    }
}
