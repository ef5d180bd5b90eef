package io.veloq.driver.uring;

import io.veloq.spi.DriverProvider;
import io.veloq.testkit.tck.DriverTck;

/** The testkit's driver conformance kit against io_uring on this kernel: every required rule must pass. */
class UringTckTest extends DriverTck {
    @Override
    protected DriverProvider provider() {
        return new UringProvider();
    }
}
