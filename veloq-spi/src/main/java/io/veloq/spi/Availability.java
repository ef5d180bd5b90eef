package io.veloq.spi;

import java.util.Objects;

/**
 * Whether a driver can run here, and if not, a human-readable cause with the fix when there is one
 * ("io_uring is disabled: kernel.io_uring_disabled=2; set it to 0 with sysctl").
 *
 * <pre>{@code
 * public Availability availability() {
 *     return isLinux() ? Availability.available("kernel 6.18") : Availability.unavailable("io_uring requires Linux");
 * }
 * }</pre>
 *
 * @param available whether the driver can be opened
 * @param reason    why not, or a short note when available
 * @since 0.1
 */
public record Availability(boolean available, String reason) {
    public Availability {
        Objects.requireNonNull(reason, "reason");
    }

    public static Availability available(String note) {
        return new Availability(true, note);
    }

    public static Availability unavailable(String reason) {
        return new Availability(false, reason);
    }
}
