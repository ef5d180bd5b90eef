package io.veloq.driver.uring;

import io.veloq.api.Capability;
import io.veloq.spi.Availability;
import io.veloq.spi.Driver;
import io.veloq.spi.DriverConfig;
import io.veloq.spi.DriverProvider;

import java.io.IOException;
import java.util.Map;
import java.util.Set;

/**
 * The io_uring driver's provider: id {@code uring}, priority 100. Nothing native is loaded until
 * {@link #availability()} is asked on Linux; on any other OS the answer comes from {@code os.name} alone.
 *
 * <pre>{@code
 * try (IoRuntime rt = IoRuntime.builder().driver("uring").open()) { ... }
 * }</pre>
 */
public final class UringProvider implements DriverProvider {
    /** The driver id. */
    public static final String ID = "uring";

    /** For {@link java.util.ServiceLoader}. */
    public UringProvider() {
    }

    @Override
    public String id() {
        return ID;
    }

    @Override
    public int priority() {
        return 100;
    }

    private static boolean linux() {
        return System.getProperty("os.name", "").startsWith("Linux");
    }

    @Override
    public Availability availability() {
        if (!linux()) {
            return Availability.unavailable("io_uring requires Linux (this is " + System.getProperty("os.name") + ")");
        }
        try {
            return KernelProbe.get().availability();
        } catch (RuntimeException | LinkageError e) {
            return Availability.unavailable("io_uring probe failed: " + e);
        }
    }

    @Override
    public Set<Capability> capabilities() {
        return linux() && availability().available() ? KernelProbe.get().capabilities() : Set.of();
    }

    @Override
    public Map<String, String> details() {
        return linux() ? KernelProbe.get().details() : Map.of("os", System.getProperty("os.name", "?"));
    }

    @Override
    public Driver open(DriverConfig config) throws IOException {
        Availability a = availability();
        if (!a.available()) {
            throw new IOException("the io_uring driver is unavailable: " + a.reason());
        }
        return UringDriver.open(config, KernelProbe.get().syscalls());
    }
}
