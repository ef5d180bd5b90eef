package io.veloq.spi.internal.host;

import io.veloq.api.DriverDescription;
import io.veloq.api.IoRuntime;
import io.veloq.api.RuntimeConfig;
import io.veloq.api.bootstrap.RuntimeFactory;

import java.util.List;

/** The host's entry, found by {@code veloq.api} through {@link RuntimeFactory}. */
public final class HostRuntimeFactory implements RuntimeFactory {
    /** Public no-arg constructor for {@link java.util.ServiceLoader}. */
    public HostRuntimeFactory() {
    }

    @Override
    public IoRuntime open(RuntimeConfig config) {
        DriverCatalog catalog = DriverCatalog.load();
        return RuntimeHost.open(config, catalog.select(config.driver()));
    }

    @Override
    public List<DriverDescription> drivers() {
        return DriverCatalog.load().describe();
    }
}
