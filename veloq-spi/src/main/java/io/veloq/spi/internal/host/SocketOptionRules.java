package io.veloq.spi.internal.host;

import io.veloq.api.IoFd;
import io.veloq.api.net.VeloqSocketOptions;

import java.net.SocketOption;
import java.net.StandardSocketOptions;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * Validates socket option values before any native call, so a bad value never reaches a driver: the
 * application gets an {@link IllegalArgumentException} naming the option, the value, the allowed range and
 * the descriptor, on every platform alike.
 */
final class SocketOptionRules {
    /** An inclusive range for an Integer-valued option. */
    private record Range(int min, int max, String unit) {
        boolean contains(int v) {
            return v >= min && v <= max;
        }
    }

    private static final Map<SocketOption<?>, Range> RANGES = new IdentityHashMap<>();

    static {
        // Buffer sizes: the kernel clamps small values up, but a negative or zero size is a bug in the caller.
        RANGES.put(StandardSocketOptions.SO_RCVBUF, new Range(1, Integer.MAX_VALUE, "bytes"));
        RANGES.put(StandardSocketOptions.SO_SNDBUF, new Range(1, Integer.MAX_VALUE, "bytes"));
        RANGES.put(StandardSocketOptions.IP_TOS, new Range(0, 255, ""));
        RANGES.put(StandardSocketOptions.IP_MULTICAST_TTL, new Range(0, 255, "hops"));
        // Linux's limits (MAX_TCP_KEEPIDLE, MAX_TCP_KEEPINTVL, MAX_TCP_KEEPCNT); Windows accepts these too.
        RANGES.put(VeloqSocketOptions.TCP_KEEPIDLE, new Range(1, 32767, "s"));
        RANGES.put(VeloqSocketOptions.TCP_KEEPINTVL, new Range(1, 32767, "s"));
        RANGES.put(VeloqSocketOptions.TCP_KEEPCNT, new Range(1, 127, "probes"));
        RANGES.put(VeloqSocketOptions.SO_BUSY_POLL, new Range(0, Integer.MAX_VALUE, "µs"));
        RANGES.put(VeloqSocketOptions.TCP_FASTOPEN, new Range(0, Integer.MAX_VALUE, "queued requests"));
    }

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
        if (option == StandardSocketOptions.SO_LINGER) {
            // Java's convention: a negative value disables linger; the kernel's l_linger is an int of seconds,
            // and the JDK caps it at 65535 as well.
            int v = (Integer) value;
            if (v > 65535) {
                throw new IllegalArgumentException("SO_LINGER must be at most 65535 s (or negative to disable), got "
                        + v + " for " + fd);
            }
            return;
        }
        Range r = RANGES.get(option);
        if (r != null) {
            int v = (Integer) value;
            if (!r.contains(v)) {
                String range = r.max() != Integer.MAX_VALUE ? "in " + r.min() + ".." + r.max()
                        + (r.unit().isEmpty() ? "" : " " + r.unit())
                        : r.min() == 1 ? "positive" : r.min() == 0 ? "non-negative" : ">= " + r.min();
                throw new IllegalArgumentException(option.name() + " must be " + range + ", got " + v + " for " + fd);
            }
        }
    }
}
