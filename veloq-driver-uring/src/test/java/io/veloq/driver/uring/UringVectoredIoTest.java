package io.veloq.driver.uring;

import io.veloq.spi.DriverProvider;
import io.veloq.testkit.tck.VectoredIoTck;

/** The vectored-op rules against io_uring: IORING_OP_SENDMSG/RECVMSG with the vector's iovec table. */
class UringVectoredIoTest extends VectoredIoTck {
    @Override
    protected DriverProvider provider() {
        return new UringProvider();
    }
}
