package io.veloq.spi;

import io.veloq.api.Capability;

import java.util.Map;
import java.util.Set;

/**
 * The service a driver module provides: {@code provides io.veloq.spi.DriverProvider with ...}.
 *
 * <h2>Discovery, step by step</h2>
 * <ol>
 *   <li>The host lists providers with {@link java.util.ServiceLoader#stream()}: a provider class that
 *       cannot even be loaded is reported as unavailable with the loading error, never thrown.</li>
 *   <li>If the runtime builder names a driver, or else the system property {@code veloq.driver} does,
 *       that provider is used if it is {@link #availability() available}; otherwise opening fails with its
 *       reason. An unknown id fails with the list of ids found.</li>
 *   <li>Otherwise the available provider with the highest {@link #priority()} that is not
 *       {@link #explicitOnly()} wins. If none is available the error lists every provider and why each
 *       was refused.</li>
 * </ol>
 *
 * <h2>Rules for implementations</h2>
 * <ul>
 *   <li>The instances a provider opens for one runtime (one per loop, see {@link #open}) share one handle
 *       namespace: a handle one of them returns is valid on all of them (the handle contract of
 *       {@link Driver}). A provider for a platform without a process-wide namespace (a simulator, the fake)
 *       shares its state between the instances it opens.</li>
 *   <li>The driver conformance kit ({@code io.veloq.testkit.tck.DriverTck}) checks all of this: extend it with
 *       your provider and run it.</li>
 *   <li>The constructor does nothing expensive and loads no native library: a provider for another
 *       platform is instantiated only to ask {@link #availability()}.</li>
 *   <li>{@link #availability()} is cheap, never throws, and says why in words a user can act on.</li>
 * </ul>
 *
 * <pre>{@code
 * public final class MyProvider implements DriverProvider {
 *     public String id() { return "my"; }
 *     public int priority() { return 10; }
 *     public Availability availability() { return Availability.available("ok"); }
 *     public Set<Capability> capabilities() { return Set.of(); }
 *     public Driver open(DriverConfig c) throws IOException { return new MyDriver(c); }
 * }
 * }</pre>
 *
 * @since 0.1
 */
public interface DriverProvider {
    /** A short stable id: {@code uring}, {@code iocp}, {@code fake}. */
    String id();

    /**
     * Higher wins when no driver is named. Kernel drivers ({@code uring}, {@code iocp}) use 100, the pure-Java
     * {@code nio} fallback 50, the testkit's {@code fake} 1 (and only when named).
     */
    int priority();

    /** Whether the driver can run here and, if not, why. Cheap, never throws. */
    Availability availability();

    /**
     * What the driver supports (on this machine, when that is known without opening it). Every capability
     * reported must be true, as {@link Driver#capabilities()}: what an instance reports is what the runtime lets
     * through to it.
     */
    Set<Capability> capabilities();

    /** Facts for diagnostics ({@code ./veloq doctor}): kernel, setup flags, limits. */
    default Map<String, String> details() {
        return Map.of();
    }

    /** True if the driver is used only when named (the testkit's fake). */
    default boolean explicitOnly() {
        return false;
    }

    /**
     * Opens one driver instance. Called on the loop thread that will own it (io_uring's SINGLE_ISSUER ties
     * the ring to its creating thread).
     *
     * @throws java.io.IOException with the reason when the instance cannot be created
     */
    Driver open(DriverConfig config) throws java.io.IOException;
}
