package io.veloq.testkit.tck;

import io.veloq.spi.DriverProvider;
import io.veloq.testkit.FakeDrivers;
import io.veloq.testkit.FaultPlan;

/** The SendFile rules against the fake: the file's bytes as the send's source, at most 64 KiB per op. */
class FakeSendFileTest extends SendFileTck {
    @Override
    protected DriverProvider provider() {
        return FakeDrivers.provider(Long.getLong("veloq.seed", 42), FaultPlan.none());
    }
}
