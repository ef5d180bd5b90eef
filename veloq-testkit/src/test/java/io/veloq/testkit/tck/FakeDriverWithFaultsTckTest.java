package io.veloq.testkit.tck;

import io.veloq.spi.DriverProvider;
import io.veloq.testkit.FakeDrivers;
import io.veloq.testkit.FaultPlan;

/**
 * The TCK against the fake with the network fault plan (short reads and writes, delayed completions,
 * late cancels, a full submission queue): the rules hold under every fault a kernel may produce.
 */
class FakeDriverWithFaultsTckTest extends DriverTck {
    @Override
    protected DriverProvider provider() {
        return FakeDrivers.provider(seed(), FaultPlan.network());
    }
}
