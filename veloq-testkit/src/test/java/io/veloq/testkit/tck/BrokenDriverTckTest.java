package io.veloq.testkit.tck;

import io.veloq.spi.DriverProvider;
import io.veloq.testkit.internal.Defect;
import io.veloq.testkit.internal.FakeProvider;
import org.junit.jupiter.api.Test;
import org.junit.platform.launcher.LauncherDiscoveryRequest;
import org.junit.platform.launcher.core.LauncherFactory;
import org.junit.platform.launcher.listeners.SummaryGeneratingListener;
import org.junit.platform.launcher.listeners.TestExecutionSummary;

import java.time.Duration;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectMethod;
import static org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder.request;

/**
 * The TCK catches broken drivers: a fake with a deliberate defect fails the rule that covers it, and the
 * failure names the rule and the seed. (The nested kits are run only through the JUnit launcher here.)
 */
class BrokenDriverTckTest {

    abstract static class DefectiveFake extends DriverTck {
        abstract Defect defect();

        @Override
        protected DriverProvider provider() {
            return new FakeProvider(false, null, null, Set.of(defect()), 1_000);
        }

        @Override
        protected Duration timeout() {
            return Duration.ofSeconds(1);
        }
    }

    static class LosesCancelledOps extends DefectiveFake {
        @Override
        Defect defect() {
            return Defect.LOSE_CANCELLED_OPS;
        }
    }

    static class OverstatesRecv extends DefectiveFake {
        @Override
        Defect defect() {
            return Defect.OVERSTATE_RECV;
        }
    }

    static class DuplicatesCompletions extends DefectiveFake {
        @Override
        Defect defect() {
            return Defect.DUPLICATE_COMPLETIONS;
        }
    }

    private static TestExecutionSummary run(Class<?> kit, String rule) {
        LauncherDiscoveryRequest req = request().selectors(selectMethod(kit, rule)).build();
        SummaryGeneratingListener listener = new SummaryGeneratingListener();
        LauncherFactory.create().execute(req, listener);
        return listener.getSummary();
    }

    private static String onlyFailure(TestExecutionSummary s) {
        assertEquals(1, s.getTestsStartedCount(), "rules started");
        assertEquals(1, s.getTotalFailureCount(), "the defect went unnoticed");
        return s.getFailures().get(0).getException().getMessage();
    }

    @Test
    void aDriverThatNeverCompletesCancelledOpsFailsTheCancelRule() {
        String msg = onlyFailure(run(LosesCancelledOps.class, "required_cancelPendingRecvLosesNoData"));
        long seed = Long.getLong("veloq.seed", 42);
        assertTrue(msg.startsWith("TCK rule required_cancelPendingRecvLosesNoData failed for driver 'fake' (seed " + seed
                + "; rerun with -Dveloq.seed=" + seed + " -Dtest=LosesCancelledOps#required_cancelPendingRecvLosesNoData)"), msg);
        assertTrue(msg.contains("expected the cancelled Recv to complete, but it is still in flight after 1 s"), msg);
    }

    @Test
    void aDriverThatLosesCancelledOpsAlsoFailsCloseWithOpsInFlight() {
        String msg = onlyFailure(run(LosesCancelledOps.class, "required_closeWithOpsInFlightCancelsThemAndReturnsBuffers"));
        assertTrue(msg.startsWith("TCK rule required_closeWithOpsInFlightCancelsThemAndReturnsBuffers failed"), msg);
        assertTrue(msg.contains("closing the runtime did not finish within 1 s"), msg);
    }

    @Test
    void aDriverThatOverstatesReceivedBytesFailsTheRoundTrip() {
        String msg = onlyFailure(run(OverstatesRecv.class, "required_tcpRoundTripOnLoopback"));
        assertTrue(msg.startsWith("TCK rule required_tcpRoundTripOnLoopback failed for driver 'fake'"), msg);
    }

    @Test
    void duplicateCompletionsAreStaleAndTheHostIgnoresThem() {
        for (String rule : new String[] {"required_staleCompletionNeverCompletesANewerOp", "required_inFlightBudgetNeverDropsWork"}) {
            TestExecutionSummary s = run(DuplicatesCompletions.class, rule);
            assertEquals(0, s.getTotalFailureCount(), () -> rule + ": " + s.getFailures().get(0).getException());
            assertEquals(1, s.getTestsSucceededCount(), rule);
        }
    }
}
