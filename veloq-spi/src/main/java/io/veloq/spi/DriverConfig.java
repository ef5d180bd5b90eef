package io.veloq.spi;

import java.util.Map;

/**
 * What the host asks of a driver instance.
 *
 * @param loopIndex       index of the loop that owns the instance
 * @param queueDepth      submission queue entries wanted
 * @param maxInFlight     the host never has more ops than this in the driver at once
 * @param registeredFiles size of the registered-file table to create (0: none)
 * @param options         driver-specific options from the runtime builder
 * @since 0.1
 */
public record DriverConfig(int loopIndex, int queueDepth, int maxInFlight, int registeredFiles,
                           Map<String, String> options) {
    public DriverConfig {
        options = Map.copyOf(options);
    }

    /** An option, or {@code def} when absent. */
    public String option(String key, String def) {
        return options.getOrDefault(key, def);
    }
}
