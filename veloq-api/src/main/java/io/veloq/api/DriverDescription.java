package io.veloq.api;

import java.util.Map;
import java.util.Set;

/**
 * What {@link IoRuntime#drivers()} reports about one driver found on the module path.
 *
 * <pre>{@code
 * for (DriverDescription d : IoRuntime.drivers())
 *     System.out.println(d.id() + (d.available() ? " available" : " unavailable: " + d.reason()));
 * }</pre>
 *
 * @param id           the driver id ({@code uring}, {@code iocp}, {@code fake})
 * @param available    whether it can run here
 * @param reason       why not (or a short note when available)
 * @param priority     higher wins when no driver is named
 * @param explicitOnly true for drivers selected only by name (the fake)
 * @param capabilities what it supports
 * @param details      driver facts for diagnostics (kernel, setup flags...)
 * @since 0.1
 */
public record DriverDescription(String id, boolean available, String reason, int priority, boolean explicitOnly,
                                Set<Capability> capabilities, Map<String, String> details) {
    public DriverDescription {
        capabilities = Set.copyOf(capabilities);
        details = Map.copyOf(details);
    }
}
