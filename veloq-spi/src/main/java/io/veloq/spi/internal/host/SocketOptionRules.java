package io.veloq.spi.internal.host;

import io.veloq.api.IoFd;

import java.net.SocketOption;
import java.net.StandardSocketOptions;
import java.util.Objects;

/** Validates socket option values before any native call, so a bad value never reaches a driver. */
final class SocketOptionRules {
    private SocketOptionRules() {
    }

    static <T> void validate(SocketOption<T> option, T value, IoFd fd) {
        Objects.requireNonNull(option, "option must not be null");
        if (value == null) {
            throw new IllegalArgumentException("value of " + option.name() + " for " + fd + " must not be null");
        }
        if (!option.type().isInstance(value)) {
            throw new IllegalArgumentException(option.name() + " takes a " + option.type().getSimpleName()
                    + ", got " + value.getClass().getSimpleName() + " for " + fd);
        }
        if (option == StandardSocketOptions.SO_RCVBUF || option == StandardSocketOptions.SO_SNDBUF) {
            if ((Integer) value <= 0) {
                throw new IllegalArgumentException(option.name() + " must be positive, got " + value + " for " + fd);
            }
        } else if (option == StandardSocketOptions.SO_LINGER) {
            int v = (Integer) value;
            if (v > 65535) {
                throw new IllegalArgumentException("SO_LINGER must be at most 65535 s (or negative to disable), got "
                        + v + " for " + fd);
            }
        } else if (option == StandardSocketOptions.IP_TOS) {
            int v = (Integer) value;
            if (v < 0 || v > 255) {
                throw new IllegalArgumentException("IP_TOS must be in 0..255, got " + v + " for " + fd);
            }
        } else if (option == StandardSocketOptions.IP_MULTICAST_TTL) {
            int v = (Integer) value;
            if (v < 0 || v > 255) {
                throw new IllegalArgumentException("IP_MULTICAST_TTL must be in 0..255, got " + v + " for " + fd);
            }
        }
    }
}
