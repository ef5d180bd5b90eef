package io.veloq.driver.iocp;

import io.veloq.driver.iocp.sim.SimWin32;
import io.veloq.spi.DriverProvider;
import io.veloq.testkit.tck.VectoredIoTck;
import org.junit.jupiter.api.AfterAll;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The vectored-op rules against the IOCP driver: WSARecv/WSASend with several WSABUFs (simulator here). */
public class IocpVectoredIoTest extends VectoredIoTck {
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
            assertEquals(List.of(), failures, "exceptions inside the IOCP simulator");
        }
    }
}
