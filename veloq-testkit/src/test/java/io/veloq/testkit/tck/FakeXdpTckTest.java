package io.veloq.testkit.tck;

import io.veloq.api.IoRuntime;
import io.veloq.spi.DriverProvider;
import io.veloq.testkit.FakeDrivers;

/** The AF_XDP rules against the fake driver's simulated interface. */
class FakeXdpTckTest extends XdpTck {
    @Override
    protected DriverProvider provider() {
        return FakeDrivers.provider();
    }

    @Override
    protected XdpPeer openPeer(IoRuntime rt) {
        return XdpPeer.simulated(rt.loop());
    }
}
