/**
 * Veloq's testkit: the fake driver ({@code fake}), a deterministic simulation of a kernel and network for
 * unit tests ({@link io.veloq.testkit.Simulation}), and the driver conformance kit
 * ({@link io.veloq.testkit.tck.DriverTck}) for driver authors.
 */
module veloq.testkit {
    requires transitive veloq.spi;
    requires transitive org.junit.jupiter.api; // DriverTck and SimulationExtension expose JUnit types
    requires transitive com.tngtech.archunit; // VeloqArchRules hands out ArchUnit types

    exports io.veloq.testkit;
    exports io.veloq.testkit.tck;

    exports io.veloq.testkit.arch;
    provides io.veloq.spi.DriverProvider with io.veloq.testkit.internal.FakeProvider;
}
