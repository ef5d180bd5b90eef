package io.veloq.testkit.tck;

import io.veloq.spi.DriverProvider;
import io.veloq.testkit.FakeDrivers;
import io.veloq.testkit.FaultPlan;

/** The vectored-op rules against the fake with short reads/writes and delayed completions. */
class FakeVectoredIoWithFaultsTest extends VectoredIoTck {
    @Override
    protected DriverProvider provider() {
        return FakeDrivers.provider(Long.getLong("veloq.seed", 42), FaultPlan.network());
    }
}
