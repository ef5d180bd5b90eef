package io.veloq.driver.iocp;

import io.veloq.api.Capability;
import io.veloq.api.Completion;
import io.veloq.api.IoErrorKind;
import io.veloq.api.IoFd;
import io.veloq.api.IoRuntime;
import io.veloq.api.op.SendFile;
import io.veloq.driver.iocp.sim.SimWin32;
import io.veloq.spi.DriverProvider;
import io.veloq.testkit.DriverRuntimes;
import io.veloq.testkit.tck.SendFileTck;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The SendFile rules against the IOCP driver (simulator here). The driver does not report
 * {@link Capability#SEND_FILE} ({@code TransmitFile} is not bound yet), so the kit's rules skip, naming the
 * capability, and the runtime must refuse the op clearly, which the test below checks through the simulator.
 */
public class IocpSendFileTest extends SendFileTck {
    private static final SimWin32[] SIM = new SimWin32[1];
    private static final IocpDriverProvider PROVIDER = Bindings.provider(SIM);

    @Override
    protected DriverProvider provider() {
        return PROVIDER;
    }

    @Test
    void sendFileIsRefusedNamingTheCapabilityAndReachesNoHandle() throws Exception {
        try (IoRuntime rt = DriverRuntimes.open(PROVIDER, IoRuntime.builder())) {
            assertFalse(rt.capabilities().contains(Capability.SEND_FILE));
            Completion<SendFile> c = rt.loop().call(new SendFile(IoFd.raw(12), IoFd.raw(16), 0, 1 << 20));
            assertFalse(c.isSuccess());
            assertEquals(IoErrorKind.NOT_SUPPORTED, c.error().kind(), c.error().toString());
            String msg = c.error().getMessage();
            assertTrue(msg.contains("SEND_FILE") && msg.contains("SendFile"), "the refusal names the op and what is "
                    + "missing: " + msg);
        }
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
