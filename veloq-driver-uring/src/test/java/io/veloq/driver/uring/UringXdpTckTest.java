package io.veloq.driver.uring;

import io.veloq.api.IoRuntime;
import io.veloq.spi.DriverProvider;
import io.veloq.testkit.VethPair;
import io.veloq.testkit.tck.XdpPeer;
import io.veloq.testkit.tck.XdpTck;
import org.junit.jupiter.api.Assumptions;

/** The AF_XDP rules of the kit against io_uring on this kernel, over a veth pair (root). */
class UringXdpTckTest extends XdpTck {
    @Override
    protected DriverProvider provider() {
        return new UringProvider();
    }

    @Override
    protected XdpPeer openPeer(IoRuntime rt) {
        Assumptions.assumeTrue(VethPair.missingPrivileges() == null, VethPair.missingPrivileges());
        return XdpPeer.veth();
    }
}
