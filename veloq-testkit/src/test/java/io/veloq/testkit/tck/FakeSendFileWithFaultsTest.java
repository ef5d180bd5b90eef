package io.veloq.testkit.tck;

import io.veloq.spi.DriverProvider;
import io.veloq.testkit.FakeDrivers;
import io.veloq.testkit.FaultPlan;

/** The SendFile rules against the fake with short writes, short file reads, delays and cancel races. */
class FakeSendFileWithFaultsTest extends SendFileTck {
    @Override
    protected DriverProvider provider() {
        return FakeDrivers.provider(Long.getLong("veloq.seed", 42), FaultPlan.network().withFileShortReads(0.3));
    }
}
