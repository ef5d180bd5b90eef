package io.veloq.driver.nio;

import io.veloq.spi.DriverProvider;
import io.veloq.testkit.tck.SendFileTck;

/** The SendFile rules against the nio driver: {@code FileChannel.transferTo} into the non-blocking socket. */
class NioSendFileTest extends SendFileTck {
    @Override
    protected DriverProvider provider() {
        return new NioProvider();
    }
}
