package io.veloq.testkit;

import io.veloq.api.op.Nop;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.platform.launcher.Launcher;
import org.junit.platform.launcher.LauncherDiscoveryRequest;
import org.junit.platform.launcher.core.LauncherFactory;
import org.junit.platform.launcher.listeners.SummaryGeneratingListener;
import org.junit.platform.launcher.listeners.TestExecutionSummary;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectMethod;
import static org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder.request;

class SimulationExtensionTest {

    /** Run only through the launcher below: it fails on purpose. */
    @ExtendWith(SimulationExtension.class)
    static class DeliberatelyFailing {
        @Test
        void failsPlainly(Simulation sim) {
            sim.runtime().loop().call(new Nop());
            assertEquals(1, 2, "plain assertion");
        }
    }

    @Test
    void aPlainAssertionFailureGetsTheSeedAndRerunLine() {
        org.junit.jupiter.api.Assumptions.assumeTrue(System.getProperty("veloq.seed") == null,
                "-Dveloq.seed pins the seed; this test checks the default seed's message");
        LauncherDiscoveryRequest req = request().selectors(selectMethod(DeliberatelyFailing.class, "failsPlainly", Simulation.class.getName())).build();
        Launcher launcher = LauncherFactory.create();
        SummaryGeneratingListener listener = new SummaryGeneratingListener();
        launcher.execute(req, listener);
        TestExecutionSummary s = listener.getSummary();
        assertEquals(1, s.getTotalFailureCount());
        String msg = s.getFailures().get(0).getException().getMessage();
        assertTrue(msg.contains("plain assertion"), msg);
        assertTrue(msg.contains("(seed 42: rerun with mvn test -Dveloq.seed=42 -Dtest=DeliberatelyFailing#failsPlainly)"), msg);
        assertTrue(msg.contains("SUBMIT   op0 Nop"), msg);
    }
}
