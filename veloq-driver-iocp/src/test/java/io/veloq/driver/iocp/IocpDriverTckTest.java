package io.veloq.driver.iocp;

import io.veloq.driver.iocp.sim.SimWin32;
import io.veloq.spi.DriverProvider;
import io.veloq.testkit.tck.DriverTck;
import org.junit.jupiter.api.AfterAll;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The driver conformance kit against the IOCP driver, through real runtimes (the host), with the binding
 * {@link Bindings} chooses: the IOCP simulator here, the real Windows bindings with
 * {@code -Dveloq.iocp.binding=real} (the Windows CI job). One provider, and so one simulated machine, serves
 * every runtime the kit opens.
 */
public class IocpDriverTckTest extends DriverTck {
    private static final SimWin32[] SIM = new SimWin32[1];
    private static final IocpDriverProvider PROVIDER = Bindings.provider(SIM);

    @Override
    protected DriverProvider provider() {
        return PROVIDER;
    }

    @AfterAll
    static void theSimulatorSawNothingUnexpected() {
        if (SIM[0] != null) {
            List<String> failures = SIM[0].failures();
            SIM[0].close();
            assertEquals(List.of(), failures, "exceptions inside the IOCP simulator during the TCK");
            assertEquals(0L, SIM[0].stats().lostPackets(), "completion packets queued to a closed port (an op whose "
                    + "outcome nobody learned) during the TCK, two-loop rules included: " + SIM[0].stats());
        }
    }
}
