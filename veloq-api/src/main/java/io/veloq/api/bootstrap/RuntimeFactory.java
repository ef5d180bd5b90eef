package io.veloq.api.bootstrap;

import io.veloq.api.DriverDescription;
import io.veloq.api.IoRuntime;
import io.veloq.api.RuntimeConfig;

import java.util.List;

/**
 * The one service {@code veloq.api} uses: implemented by {@code veloq.spi}'s host, found with
 * {@link java.util.ServiceLoader}. Service binding of this interface pulls the host, and through its own
 * {@code uses}, the drivers, into an application that only {@code requires veloq.api}.
 */
public interface RuntimeFactory {
    /** Opens a runtime. */
    IoRuntime open(RuntimeConfig config);

    /** Every driver found, available or not, with the reason. */
    List<DriverDescription> drivers();
}
