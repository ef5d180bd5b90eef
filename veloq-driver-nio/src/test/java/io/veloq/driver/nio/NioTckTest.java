package io.veloq.driver.nio;

import io.veloq.spi.DriverProvider;
import io.veloq.testkit.tck.DriverTck;

/**
 * The testkit's driver conformance kit against the nio driver: every required rule must pass; the optional
 * ones skip only for what it does not claim (registered files and buffers).
 */
class NioTckTest extends DriverTck {
    @Override
    protected DriverProvider provider() {
        return new NioProvider();
    }
}
