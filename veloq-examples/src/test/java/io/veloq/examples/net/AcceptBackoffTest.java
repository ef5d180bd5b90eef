package io.veloq.examples.net;

import io.veloq.api.Completer;
import io.veloq.api.IoErrorKind;
import io.veloq.api.VeloqIoException;
import io.veloq.api.net.TcpListener;
import io.veloq.api.net.TcpStream;
import io.veloq.api.op.OpKind;
import io.veloq.spi.LinuxErrno;
import io.veloq.testkit.Peer;
import io.veloq.testkit.Simulation;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.nio.channels.AsynchronousCloseException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A listener whose accepts fail with EMFILE (out of descriptors: the connection stays queued) must not spin:
 * the completer still sees each error, but the accept it re-arms waits 5 ms, then 10, 20 ... up to 1 s, and
 * each episode logs one warning naming the limit and the fix. On the fake driver, in virtual time.
 * The same in a real JVM under a lowered RLIMIT_NOFILE: {@code EchoServerDescriptorLimitTest}.
 */
class AcceptBackoffTest {
    private static final InetSocketAddress ADDR = new InetSocketAddress("127.0.0.1", 7000);

    /** Accepts forever, re-arming at once from the completer, as the StreamListener Javadoc shows. */
    private static final class AcceptLoop implements Completer.OfValue<TcpStream> {
        final TcpListener listener;
        final List<Object> outcomes = new ArrayList<>();

        AcceptLoop(TcpListener listener) {
            this.listener = listener;
        }

        @Override
        public void onComplete(TcpStream s, Throwable error) {
            outcomes.add(error != null ? error : s);
            if (listener.isOpen()) {
                listener.accept(this);
            }
        }

        VeloqIoException error(int i) {
            return assertInstanceOf(VeloqIoException.class, outcomes.get(i), () -> "outcome " + i + ": " + outcomes);
        }
    }

    private static boolean acceptInFlight(Simulation sim) {
        return sim.inFlight().stream().anyMatch(op -> op.kind() == OpKind.ACCEPT);
    }

    @Test
    void acceptsBackOffExponentiallyOnEmfileAndLogOncePerEpisode() throws Exception {
        try (LogCapture log = new LogCapture("io.veloq.api.net");
             Simulation sim = Simulation.open()) {
            TcpListener l = TcpListener.bind(sim.runtime().loop(), ADDR);
            for (int i = 0; i < 3; i++) {
                sim.failNext(OpKind.ACCEPT, LinuxErrno.EMFILE);
            }
            AcceptLoop loop = new AcceptLoop(l);
            l.accept(loop);
            sim.runCurrent();
            assertEquals(1, loop.outcomes.size(), loop.outcomes::toString);
            assertEquals(IoErrorKind.TOO_MANY_OPEN_FILES, loop.error(0).kind());
            assertTrue(!acceptInFlight(sim), () -> "the re-armed accept waits, it is not in flight: " + sim.inFlight());

            // 5 ms, then 10, then 20: each failure doubles the wait; virtual time, nothing sleeps.
            long[] waits = {5, 10, 20};
            for (int i = 0; i < waits.length; i++) {
                sim.advanceBy(Duration.ofMillis(waits[i] - 1));
                assertEquals(i + 1, loop.outcomes.size(), "too early at wait " + waits[i] + " ms: " + loop.outcomes);
                sim.advanceBy(Duration.ofMillis(1));
                if (i < 2) {
                    assertEquals(i + 2, loop.outcomes.size(), "after " + waits[i] + " ms: " + loop.outcomes);
                    assertEquals(IoErrorKind.TOO_MANY_OPEN_FILES, loop.error(i + 1).kind());
                }
            }
            assertTrue(acceptInFlight(sim), "after the third failure and 20 ms the accept is in flight again");
            assertEquals(3, loop.outcomes.size());
            List<String> warned = log.warnings();
            assertEquals(1, warned.size(), () -> "one warning for the episode, not one per failure: " + warned);
            String w = warned.get(0);
            for (String s : List.of("EMFILE", "TcpListener", "ulimit -n", "listen backlog", "once per episode")) {
                assertTrue(w.contains(s), "the warning names " + s + ": " + w);
            }
            if (java.nio.file.Files.exists(java.nio.file.Path.of("/proc/self/limits"))) {
                assertTrue(w.contains("RLIMIT_NOFILE soft "), "the warning names the current limit: " + w);
            }

            // A connection resets the back-off, but a failure soon after belongs to the same episode: no new line
            // (a server hovering at its limit would otherwise log one per connection).
            sim.failNext(OpKind.ACCEPT, LinuxErrno.EMFILE);
            Peer first = sim.connect(ADDR);
            sim.runCurrent();
            assertInstanceOf(TcpStream.class, loop.outcomes.get(3), loop.outcomes::toString);
            assertEquals(IoErrorKind.TOO_MANY_OPEN_FILES, loop.error(4).kind(), "the re-armed accept went out at once");
            assertEquals(1, log.warnings().size(), () -> "the same episode: " + log.warnings());
            sim.advanceBy(Duration.ofMillis(5));
            assertTrue(acceptInFlight(sim), "the back-off starts again at 5 ms");

            // Accepts that go 2 s (checked every 2 s, so up to 4 s) without failing end the episode; the next
            // failure warns again.
            Peer second = sim.connect(ADDR);
            sim.runCurrent();
            assertInstanceOf(TcpStream.class, loop.outcomes.get(5), loop.outcomes::toString);
            sim.advanceBy(Duration.ofSeconds(4));
            sim.failNext(OpKind.ACCEPT, LinuxErrno.EMFILE);
            Peer third = sim.connect(ADDR);
            sim.runCurrent();
            assertInstanceOf(TcpStream.class, loop.outcomes.get(6), loop.outcomes::toString);
            assertEquals(IoErrorKind.TOO_MANY_OPEN_FILES, loop.error(7).kind());
            assertEquals(2, log.warnings().size(), () -> "a second episode, a second warning: " + log.warnings());
            for (int i : new int[] {3, 5, 6}) {
                ((TcpStream) loop.outcomes.get(i)).close();
            }
            third.close();
            first.close();
            second.close();
            l.close();
            sim.runCurrent();
        }
    }

    @Test
    void theWaitIsCappedAtOneSecond() throws Exception {
        try (Simulation sim = Simulation.open()) {
            TcpListener l = TcpListener.bind(sim.runtime().loop(), ADDR);
            for (int i = 0; i < 12; i++) {
                sim.failNext(OpKind.ACCEPT, LinuxErrno.ENFILE);
            }
            AcceptLoop loop = new AcceptLoop(l);
            l.accept(loop);
            sim.runCurrent();
            // 5+10+...+640 ms (8 waits) = 1275 ms for 9 failures, then 1 s each.
            sim.advanceBy(Duration.ofMillis(1275));
            assertEquals(9, loop.outcomes.size(), loop.outcomes::toString);
            sim.advanceBy(Duration.ofMillis(999));
            assertEquals(9, loop.outcomes.size(), "the 10th waits 1 s, not 1.28 s");
            sim.advanceBy(Duration.ofMillis(1));
            assertEquals(10, loop.outcomes.size());
            sim.advanceBy(Duration.ofSeconds(1));
            assertEquals(11, loop.outcomes.size(), "capped at 1 s");
            l.close();
            sim.advanceBy(Duration.ofSeconds(2));
        }
    }

    @Test
    void aFailedBlockingAcceptStartsTheBackOffToo() throws Exception {
        try (Simulation sim = Simulation.open()) {
            TcpListener l = TcpListener.bind(sim.runtime().loop(), ADDR);
            sim.failNext(OpKind.ACCEPT, LinuxErrno.EMFILE);
            VeloqIoException e = assertThrows(VeloqIoException.class, l::accept);
            assertEquals(IoErrorKind.TOO_MANY_OPEN_FILES, e.kind());
            AcceptLoop loop = new AcceptLoop(l);
            l.accept(loop);
            sim.runCurrent();
            assertTrue(!acceptInFlight(sim), "the next accept waits 5 ms after the failed blocking one");
            sim.advanceBy(Duration.ofMillis(5));
            assertTrue(acceptInFlight(sim));
            l.close();
            sim.runCurrent();
        }
    }

    @Test
    void closingTheListenerDuringTheWaitEndsTheAcceptWithAsynchronousClose() throws Exception {
        try (Simulation sim = Simulation.open()) {
            TcpListener l = TcpListener.bind(sim.runtime().loop(), ADDR);
            sim.failNext(OpKind.ACCEPT, LinuxErrno.ENOBUFS);
            List<Throwable> errors = new ArrayList<>();
            Completer.OfValue<TcpStream> once = (s, e) -> errors.add(e);
            l.accept((s, e) -> {
                errors.add(e);
                l.accept(once); // held back 5 ms
            });
            sim.runCurrent();
            assertEquals(IoErrorKind.NO_BUFFER_SPACE, ((VeloqIoException) errors.get(0)).kind());
            l.close();
            sim.advanceBy(Duration.ofMillis(5));
            assertEquals(2, errors.size(), errors::toString);
            assertInstanceOf(AsynchronousCloseException.class, errors.get(1));
            assertTrue(!acceptInFlight(sim), () -> "nothing reached the closed listener: " + sim.inFlight());
        }
    }
}
