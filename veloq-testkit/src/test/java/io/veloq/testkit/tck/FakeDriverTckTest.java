package io.veloq.testkit.tck;

import io.veloq.spi.DriverProvider;
import io.veloq.testkit.FakeDrivers;

/** The TCK against the fake driver (real clock, no faults), as every shipped driver runs it. */
class FakeDriverTckTest extends DriverTck {
    @Override
    protected DriverProvider provider() {
        return FakeDrivers.provider();
    }
}
