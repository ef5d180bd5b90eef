package io.veloq.api.net;

import io.veloq.api.op.OpPayload;

import java.time.Duration;

/**
 * A data socket's read and write timeouts, handed to the ops the socket builds as their deadline
 * ({@link io.veloq.api.Op#deadline}). The host enforces a deadline with the driver's linked timeouts where
 * it has them (io_uring: no allocation) and with its own timers otherwise, on the driver's clock (virtual
 * time on the fake), so the timeouts work on every driver.
 *
 * <p>Written from any thread, read when an op is built: volatile fields, no lock.
 */
final class SocketTimeouts {
    private volatile Duration read;
    private volatile Duration write;

    Duration read() {
        Duration d = read;
        return d == null ? Duration.ZERO : d;
    }

    Duration write() {
        Duration d = write;
        return d == null ? Duration.ZERO : d;
    }

    void read(Duration timeout, Object socket) {
        read = checked(timeout, "read", socket);
    }

    void write(Duration timeout, Object socket) {
        write = checked(timeout, "write", socket);
    }

    /** The deadline for an op with this payload: the read timeout for receives, the write timeout for sends. */
    Duration deadlineFor(OpPayload payload) {
        return switch (payload.kind()) {
            case RECV, RECV_FROM, RECV_MSG -> read;
            case SEND, SEND_TO, SEND_MSG, SEND_FILE -> write;
            default -> null;
        };
    }

    /** Null for none (null or zero); refuses a negative timeout or one too long to count in nanoseconds. */
    static Duration checked(Duration timeout, String which, Object socket) {
        if (timeout == null || timeout.isZero()) {
            return null;
        }
        if (timeout.isNegative()) {
            throw new IllegalArgumentException(which + " timeout must not be negative, got " + timeout + " for " + socket);
        }
        try {
            timeout.toNanos();
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException(which + " timeout " + timeout + " for " + socket
                    + " is too long (at most " + Duration.ofNanos(Long.MAX_VALUE) + "); use zero for none", e);
        }
        return timeout;
    }
}
