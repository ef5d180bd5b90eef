package io.veloq.driver.nio;

import io.veloq.spi.DriverProvider;
import io.veloq.testkit.tck.VectoredIoTck;

/**
 * The vectored-op rules against the nio driver: RecvMsg/SendMsg on a stream socket are one scattering read or
 * gathering write of java.nio over a view per buffer (#13).
 */
class NioVectoredIoTest extends VectoredIoTck {
    @Override
    protected DriverProvider provider() {
        return new NioProvider();
    }
}
