package io.veloq.testkit;

import io.veloq.api.IoRuntime;
import io.veloq.api.RuntimeConfig;
import io.veloq.spi.DriverProvider;
import io.veloq.spi.internal.host.RuntimeHost;

import java.util.Objects;

/**
 * Opens a {@link IoRuntime} on a {@link DriverProvider} you construct yourself, instead of one the
 * {@code ServiceLoader} finds by id: a driver wired to a simulated binding, a provider with test options,
 * a deliberately broken driver. The runtime is the real Veloq host (event loops, op table, backlog, timers,
 * close and drain), exactly what {@code IoRuntime.open} gives applications, so the networking API, files and
 * ops all run on it unchanged. This is how {@link io.veloq.testkit.tck.DriverTck} opens its runtimes.
 *
 * <pre>{@code
 * // open a runtime on a provider you construct yourself, e.g. a driver wired to a simulated binding
 * DriverProvider provider = IocpDriverProvider.withBinding(() -> simulator, "the IOCP simulator");
 * try (IoRuntime rt = DriverRuntimes.open(provider, IoRuntime.builder().threads(2).maxInFlight(1024));
 *      TcpServer server = TcpServer.bind(rt, new InetSocketAddress("127.0.0.1", 0), this::serve)) {
 *     ...
 * }
 * }</pre>
 *
 * The driver id in the configuration is ignored: {@code provider} is the driver. Its
 * {@link DriverProvider#availability() availability} is not consulted either, so a provider whose OS check
 * says "unavailable" still opens when its binding works (that is the point of a simulated binding).
 *
 * @since 0.1
 */
public final class DriverRuntimes {
    private DriverRuntimes() {
    }

    /** Opens a runtime with {@code config} on {@code provider}'s driver, one driver instance per loop. */
    public static IoRuntime open(DriverProvider provider, RuntimeConfig config) {
        Objects.requireNonNull(provider, "provider must not be null");
        Objects.requireNonNull(config, "config must not be null");
        return RuntimeHost.open(config, provider);
    }

    /** Opens a runtime configured by {@code builder} (threads, queue depth, buffers, options) on {@code provider}. */
    public static IoRuntime open(DriverProvider provider, IoRuntime.Builder builder) {
        Objects.requireNonNull(builder, "builder must not be null");
        return open(provider, builder.config());
    }

    /** Opens a runtime with {@link RuntimeConfig#defaults()} on {@code provider}. */
    public static IoRuntime open(DriverProvider provider) {
        return open(provider, RuntimeConfig.defaults());
    }
}
