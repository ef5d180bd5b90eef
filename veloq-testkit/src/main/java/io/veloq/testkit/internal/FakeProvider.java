package io.veloq.testkit.internal;

import io.veloq.api.Capability;
import io.veloq.spi.Availability;
import io.veloq.spi.Driver;
import io.veloq.spi.DriverConfig;
import io.veloq.spi.DriverProvider;
import io.veloq.testkit.FaultPlan;

import java.util.EnumSet;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The fake driver's provider ({@code fake}): found by {@link java.util.ServiceLoader}, used only when named
 * ({@code Runtime.builder().driver("fake")}). All driver instances it opens share one {@link FakeKernel}:
 * one simulated process and network, so the loops of one runtime can talk to each other.
 *
 * <p>The ServiceLoader instance runs on the real clock with no faults. Its seed comes from the driver
 * option {@code seed}, else the system property {@code veloq.seed}, else {@link #DEFAULT_SEED}; the option
 * {@code faults} ({@code none}, {@code network}, {@code everything}) turns on a preset fault plan.
 */
public final class FakeProvider implements DriverProvider {
    public static final String ID = "fake";
    public static final long DEFAULT_SEED = 42;

    private final boolean virtualTime;
    private final Long seed;
    private final FaultPlan plan;
    private final Set<Defect> defects;
    private final int traceLimit;
    private final Set<Capability> capabilities;
    private FakeKernel kernel;

    /** For {@link java.util.ServiceLoader}: real clock, faults and seed from the driver options. */
    public FakeProvider() {
        this(false, null, null, defectsFromProperty(), 10_000);
    }

    /**
     * @param virtualTime true: time moves only when the simulation (or an idle loop) moves it
     * @param seed        the seed, or null for the option/property/default
     * @param plan        the fault plan, or null for the {@code faults} option (default none)
     * @param defects     deliberate bugs (TCK self-tests only)
     * @param traceLimit  trace events kept (the oldest are dropped beyond it)
     */
    public FakeProvider(boolean virtualTime, Long seed, FaultPlan plan, Set<Defect> defects, int traceLimit) {
        this(virtualTime, seed, plan, defects, traceLimit, FakeDriver.CAPABILITIES);
    }

    private FakeProvider(boolean virtualTime, Long seed, FaultPlan plan, Set<Defect> defects, int traceLimit,
                         Set<Capability> capabilities) {
        this.capabilities = capabilities;
        this.virtualTime = virtualTime;
        this.seed = seed;
        this.plan = plan;
        this.defects = defects.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(defects));
        this.traceLimit = traceLimit;
    }

    /**
     * The same fake, reporting fewer capabilities (the simulated kernel is unchanged): how the tests check that
     * the runtime refuses what a driver does not report.
     */
    public FakeProvider without(Set<Capability> removed) {
        EnumSet<Capability> caps = EnumSet.copyOf(capabilities);
        caps.removeAll(removed);
        return new FakeProvider(virtualTime, seed, plan, defects, traceLimit, Set.copyOf(caps));
    }

    private static Set<Defect> defectsFromProperty() {
        String p = System.getProperty("veloq.fake.defect");
        if (p == null || p.isBlank()) {
            return Set.of();
        }
        return Set.of(Defect.valueOf(p.trim().toUpperCase(Locale.ROOT)));
    }

    @Override
    public String id() {
        return ID;
    }

    @Override
    public int priority() {
        return 1;
    }

    @Override
    public boolean explicitOnly() {
        return true;
    }

    @Override
    public Availability availability() {
        return Availability.available("in-memory simulation (testkit); used only when named");
    }

    @Override
    public Set<Capability> capabilities() {
        return capabilities;
    }

    @Override
    public Map<String, String> details() {
        return Map.of("clock", virtualTime ? "virtual" : "real", "seed", String.valueOf(seed == null ? "default" : seed));
    }

    @Override
    public synchronized Driver open(DriverConfig config) {
        if (kernel == null) {
            long s = seed != null ? seed : parseSeed(config.option("seed", System.getProperty("veloq.seed")));
            FaultPlan p = plan != null ? plan : preset(config.option("faults", "none"));
            kernel = new FakeKernel(virtualTime, s, p, defects, traceLimit);
            kernel.capabilities = capabilities;
        }
        return kernel.newDriver(config);
    }

    /** The kernel shared by this provider's drivers (null before the first open). */
    public synchronized FakeKernel kernel() {
        return kernel;
    }

    /** Creates the kernel now (the simulation inspects it before the runtime opens). */
    public synchronized FakeKernel kernel(long s, FaultPlan p) {
        if (kernel == null) {
            kernel = new FakeKernel(virtualTime, s, p, defects, traceLimit);
            kernel.capabilities = capabilities;
        }
        return kernel;
    }

    static long parseSeed(String s) {
        if (s == null || s.isBlank()) {
            return DEFAULT_SEED;
        }
        try {
            return Long.parseLong(s.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("veloq.seed must be a long, got '" + s + "'", e);
        }
    }

    static FaultPlan preset(String name) {
        return switch (name.trim().toLowerCase(Locale.ROOT)) {
            case "none", "" -> FaultPlan.none();
            case "network" -> FaultPlan.network();
            case "everything" -> FaultPlan.everything();
            default -> throw new IllegalArgumentException("unknown fault preset '" + name
                    + "' for the fake driver: use none, network or everything");
        };
    }

    @Override
    public String toString() {
        return "FakeProvider(" + (virtualTime ? "virtual" : "real") + " time" + (defects.isEmpty() ? "" : ", defects " + defects) + ")";
    }
}
