package io.veloq.nio2;

import io.veloq.driver.iocp.Bindings;
import io.veloq.driver.iocp.sim.SimWin32;
import io.veloq.spi.DriverProvider;
import io.veloq.testkit.DriverRuntimes;
import io.veloq.testkit.FakeDrivers;

import java.nio.channels.spi.AsynchronousChannelProvider;
import java.util.function.Supplier;

/** The providers the suite compares: the JDK's default, and Veloq's on each driver. */
enum Providers {
    JDK(AsynchronousChannelProvider::provider),
    URING(() -> VeloqChannelProvider.withRuntimes(b -> b.driver("uring").open())),
    FAKE(() -> {
        DriverProvider fake = FakeDrivers.provider(); // one simulated network for every loop of the provider
        return VeloqChannelProvider.withRuntimes(b -> DriverRuntimes.open(fake, b));
    }),
    IOCP(() -> {
        SimWin32 sim = new SimWin32();
        DriverProvider iocp = Bindings.provider(sim);
        return VeloqChannelProvider.withRuntimes(b -> DriverRuntimes.open(iocp, b));
    });

    private final Supplier<AsynchronousChannelProvider> factory;
    private AsynchronousChannelProvider instance;

    Providers(Supplier<AsynchronousChannelProvider> factory) {
        this.factory = factory;
    }

    /** One instance per JVM, like the JDK's own provider. */
    synchronized AsynchronousChannelProvider get() {
        if (instance == null) {
            instance = factory.get();
        }
        return instance;
    }
}
