package io.veloq.testkit.tck;

import io.veloq.spi.DriverProvider;
import io.veloq.testkit.FakeDrivers;

/** The vectored-op rules against the fake driver. */
class FakeVectoredIoTest extends VectoredIoTck {
    @Override
    protected DriverProvider provider() {
        return FakeDrivers.provider();
    }
}
