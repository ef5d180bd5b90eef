package io.veloq.testkit;

import io.veloq.spi.DriverProvider;
import io.veloq.testkit.internal.FakeProvider;

import java.util.Objects;
import java.util.Set;

/**
 * Fake driver providers for code that opens runtimes through the SPI (the {@link io.veloq.testkit.tck.DriverTck},
 * host tests). Application tests usually want {@link Simulation} instead, or simply
 * {@code Runtime.builder().driver("fake").open()}.
 *
 * <pre>{@code
 * class FakeDriverTckTest extends DriverTck {
 *     protected DriverProvider provider() { return FakeDrivers.provider(); }
 * }
 * }</pre>
 *
 * @since 0.1
 */
public final class FakeDrivers {
    private FakeDrivers() {
    }

    /**
     * A fresh fake provider on the real clock, without faults; seed from {@code -Dveloq.seed} or 42. Each
     * provider instance is one simulated process and network, shared by the runtimes it opens.
     */
    public static DriverProvider provider() {
        return new FakeProvider();
    }

    /** A fresh fake provider on the real clock with a seeded fault plan. */
    public static DriverProvider provider(long seed, FaultPlan plan) {
        return new FakeProvider(false, seed, Objects.requireNonNull(plan, "plan"), Set.of(), 10_000);
    }
}
