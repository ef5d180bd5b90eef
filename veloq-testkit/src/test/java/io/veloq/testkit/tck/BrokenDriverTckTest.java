package io.veloq.testkit.tck;

import io.veloq.api.Capability;
import io.veloq.spi.DriverProvider;
import io.veloq.testkit.internal.Defect;
import io.veloq.testkit.internal.FakeProvider;
import org.junit.jupiter.api.Test;
import org.junit.platform.launcher.LauncherDiscoveryRequest;
import org.junit.platform.launcher.core.LauncherFactory;
import org.junit.platform.launcher.listeners.SummaryGeneratingListener;
import org.junit.platform.launcher.listeners.TestExecutionSummary;

import java.time.Duration;
import java.util.EnumSet;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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

    static class OverstatesSend extends DefectiveFake {
        @Override
        Defect defect() {
            return Defect.OVERSTATE_SEND;
        }
    }

    static class StallsSends extends DefectiveFake {
        @Override
        Defect defect() {
            return Defect.STALL_SENDS;
        }
    }

    static class CloseStrandsOps extends DefectiveFake {
        @Override
        Defect defect() {
            return Defect.CLOSE_STRANDS_OPS;
        }
    }

    static class HandlesPerLoop extends DefectiveFake {
        @Override
        Defect defect() {
            return Defect.HANDLES_PER_LOOP;
        }
    }

    static class LiesAboutMessageFlags extends DefectiveFake {
        @Override
        Defect defect() {
            return Defect.IGNORE_MESSAGE_FLAGS;
        }
    }

    static class IgnoresSocketOptions extends DefectiveFake {
        @Override
        Defect defect() {
            return Defect.IGNORE_SOCKET_OPTIONS;
        }
    }

    /** A correct fake that reports fewer capabilities than it has: the runtime must refuse what it does not report. */
    static class ReportsFewCapabilities extends DriverTck {
        @Override
        protected DriverProvider provider() {
            return new FakeProvider(false, null, null, Set.of(), 1_000).without(EnumSet.of(Capability.FILE_IO,
                    Capability.REGISTERED_BUFFERS, Capability.FIXED_FILES, Capability.DATAGRAM_SOCKETS,
                    Capability.UNIX_SOCKETS, Capability.MESSAGE_FLAGS));
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

    private static String failureOf(Class<?> kit, String rule) {
        String msg = onlyFailure(run(kit, rule));
        long seed = Long.getLong("veloq.seed", 42);
        assertTrue(msg.startsWith("TCK rule " + rule + " failed for driver 'fake' (seed " + seed + "; rerun with -Dveloq.seed="
                + seed + " -Dtest=" + kit.getSimpleName() + "#" + rule + ")"), msg);
        return msg;
    }

    @Test
    void aDriverThatOverstatesShortSendsFailsTheShortWriteRule() {
        String msg = failureOf(OverstatesSend.class, "required_shortWritesReportExactlyWhatWasSent");
        assertTrue(msg.contains("the bytes the peer received, against the bytes the Sends reported as sent ("), msg);
        assertTrue(msg.contains("first difference at byte"), msg);
    }

    @Test
    void aSendThatNeverCompletesIsReportedAsStillInFlightNotAsABufferOwnershipError() {
        String msg = failureOf(StallsSends.class, "required_tcpRoundTripOnLoopback");
        assertTrue(msg.contains("expected Send of 16384 bytes on fd") && msg.contains("to complete, but it is still in flight after 1 s"), msg);
        assertFalse(msg.contains("IllegalStateException") || msg.contains("owned by"), msg);
    }

    @Test
    void aCloseThatStrandsPendingOpsFailsTheCloseRule() {
        String msg = failureOf(CloseStrandsOps.class, "required_closeCompletesOpsPendingOnTheDescriptorAsCancelled");
        assertTrue(msg.contains("expected the Recv pending on fd") && msg.contains("when Close closed it (Close's contract: "
                + "it completes with CANCELLED) to complete, but it is still in flight after 1 s"), msg);
    }

    @Test
    void aHandleThatOnlyWorksOnItsOwnLoopFailsTheMultiLoopRules() {
        String msg = failureOf(HandlesPerLoop.class, "required_handlesWorkOnEveryLoopOfTheRuntime");
        assertTrue(msg.contains("a handle made on one loop must work on every loop of its runtime") && msg.contains("EBADF"), msg);
        msg = failureOf(HandlesPerLoop.class, "required_crossLoopSubmissionFromACompleter");
        assertTrue(msg.contains("a Send on loop 0 submitted by a Recv's completer on loop 1 failed") && msg.contains("EBADF"), msg);
    }

    @Test
    void aDriverThatReportsMessageFlagsButIgnoresThemFailsTheFlagsRule() {
        String msg = failureOf(LiesAboutMessageFlags.class, "optional_messageFlags");
        assertTrue(msg.contains("a plain Recv after a Recv(MSG_PEEK) of ") && msg.contains("(which must not consume them)"), msg);
    }

    @Test
    void aDriverThatForgetsSocketOptionsFailsTheOptionRule() {
        String msg = failureOf(IgnoresSocketOptions.class, "optional_socketLevelOptions");
        assertTrue(msg.contains("SO_KEEPALIVE set to true on fd") && msg.contains("reads back: expected true but was false"), msg);
    }

    @Test
    void opsOutsideTheReportedCapabilitiesAreRefusedByTheRuntimeAndTheirRulesSkip() {
        TestExecutionSummary s = run(ReportsFewCapabilities.class, "required_opsOutsideTheCapabilitiesAreRefusedNamingTheCapability");
        assertEquals(0, s.getTotalFailureCount(), () -> String.valueOf(s.getFailures().isEmpty() ? "" : s.getFailures().get(0).getException()));
        assertEquals(1, s.getTestsSucceededCount(), "the refusal rule ran and passed");
        for (String rule : new String[] {"optional_fileOpenWriteReadFsyncClose", "optional_udpSendToRecvFromOnLoopback",
                "optional_registeredBuffers", "optional_messageFlags"}) {
            TestExecutionSummary r = run(ReportsFewCapabilities.class, rule);
            assertEquals(1, r.getTestsAbortedCount(), rule + " must be skipped on a driver without its capability");
        }
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
