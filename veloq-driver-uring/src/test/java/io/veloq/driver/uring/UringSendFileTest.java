package io.veloq.driver.uring;

import io.veloq.spi.DriverProvider;
import io.veloq.testkit.tck.SendFileTck;

/** The SendFile rules against io_uring: two hard-linked SPLICEs, file -> pipe -> socket. */
class UringSendFileTest extends SendFileTck {
    @Override
    protected DriverProvider provider() {
        return new UringProvider();
    }
}
