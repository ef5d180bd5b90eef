package io.veloq.examples.fake;

import io.veloq.api.op.OpKind;
import io.veloq.spi.LinuxErrno;
import io.veloq.testkit.FaultPlan;
import io.veloq.testkit.InFlightOp;
import io.veloq.testkit.Peer;
import io.veloq.testkit.Simulation;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Arrays;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Unit tests of {@link EchoHandler} on the fake driver: copy these to test your own network code.
 * See TESTING.md at the repository root.
 */
class EchoHandlerTest {
    private static final InetSocketAddress ADDRESS = new InetSocketAddress("127.0.0.1", 7000);

    /** Manual mode: the test plays the client, step by step, and checks each step. */
    @Test
    void echoesWhatAClientSendsAndClosesAtEndOfStream() throws Exception {
        try (Simulation sim = Simulation.open()) {
            EchoHandler echo = EchoHandler.start(sim.runtime().loop(), ADDRESS);

            Peer client = sim.connect(ADDRESS);
            client.send("hello, ");
            sim.runUntilIdle();
            assertEquals("hello, ", client.receiveText());

            client.send("world");
            sim.runUntilIdle();
            assertEquals("world", client.receiveText());
            assertEquals(1, echo.openConnections());

            client.shutdownOutput();               // FIN: the handler's Recv returns 0
            sim.runUntilIdle();
            assertEquals(0, echo.openConnections(), "the handler closes the connection at end of stream");
            assertTrue(client.sawEndOfStream(), "the client sees the handler's close");
        }
    }

    /** Manual mode, failures the test injects: an accept that fails with EMFILE, then a reset connection. */
    @Test
    void retriesAFailedAcceptAndClosesAResetConnection() throws Exception {
        try (Simulation sim = Simulation.open()) {
            sim.failNext(OpKind.ACCEPT, LinuxErrno.EMFILE);   // the first Accept: out of descriptors
            EchoHandler echo = EchoHandler.start(sim.runtime().loop(), ADDRESS);
            Peer client = sim.connect(ADDRESS);
            client.send("queued");
            sim.runCurrent();
            assertEquals(0, echo.openConnections(), "the failed Accept took nothing");
            assertTrue(sim.inFlight().isEmpty(), () -> "nothing in flight while the retry waits: " + sim.inFlight());

            sim.advanceBy(EchoHandler.ACCEPT_RETRY);           // virtual time: the retry fires, no sleeping
            assertEquals(1, echo.openConnections());
            assertEquals("queued", client.receiveText());
            InFlightOp recv = sim.inFlight(OpKind.RECV);
            assertTrue(recv.state().startsWith("waiting on TCP socket"), recv.state());

            client.reset();                                    // RST: the pending Recv fails with ECONNRESET
            sim.runUntilIdle();
            assertEquals(0, echo.openConnections(), "a reset connection is closed");
        }
    }

    /**
     * Seeded mode: a thousand schedules of short reads and writes, delayed completions, late cancels and a
     * full submission queue. Not a byte may be lost or reordered. A failure prints its seed; rerun it
     * alone with {@code mvn test -Dveloq.seed=N -Dtest=EchoHandlerTest#neverLosesOrReordersBytesUnderFaults}.
     */
    @Test
    void neverLosesOrReordersBytesUnderFaults() {
        Simulation.forEachSeed(1000, FaultPlan.network(), sim -> {
            byte[] payload = new byte[1 + new SplittableRandom(sim.seed()).nextInt(48 * 1024)];
            new SplittableRandom(~sim.seed()).nextBytes(payload);
            EchoHandler echo = EchoHandler.start(sim.runtime().loop(), ADDRESS);

            Peer client = sim.connect(ADDRESS);
            client.send(payload);
            ByteArrayOutputStream echoed = new ByteArrayOutputStream();
            sim.scheduler().runUntil(() -> {
                echoed.writeBytes(client.receive());
                return echoed.size() >= payload.length;
            }, Duration.ofMinutes(1));

            sim.check(echoed.size() == payload.length,
                    () -> "echoed " + echoed.size() + " of " + payload.length + " bytes");
            sim.check(Arrays.equals(payload, echoed.toByteArray()), () -> "the echo reordered or corrupted bytes");
            client.shutdownOutput();
            sim.runUntilIdle();
            sim.check(echo.openConnections() == 0, () -> "the connection stayed open after end of stream");
        });
    }
}
