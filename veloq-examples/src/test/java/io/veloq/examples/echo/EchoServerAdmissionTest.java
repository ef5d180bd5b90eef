package io.veloq.examples.echo;

import io.veloq.examples.net.LogCapture;
import io.veloq.testkit.Peer;
import io.veloq.testkit.Simulation;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static io.veloq.examples.echo.EchoServerTest.assumeKernel;
import static io.veloq.examples.echo.EchoServerTest.waitFor;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Who gets a slot on the echo server: {@code --max-conns} counts over all loops, a refusal is logged, and
 * {@code --idle-timeout} frees the slots of silent clients (issue 10, defects 9 and 13).
 */
class EchoServerAdmissionTest {

    private static InetSocketAddress loopback(EchoServer s) {
        return new InetSocketAddress(InetAddress.getLoopbackAddress(), s.port());
    }

    /** One byte echoed, or false if the server closed the connection (refused it). */
    private static boolean echoes(Socket c) throws IOException {
        c.setSoTimeout(10_000);
        try {
            c.getOutputStream().write(7);
            return c.getInputStream().read() == 7;
        } catch (java.net.SocketException reset) {
            return false;
        }
    }

    @Test
    void silentClientsAreClosedAfterTheIdleTimeoutAndANewClientGetsIn() throws Exception {
        assumeKernel();
        try (LogCapture log = new LogCapture("io.veloq.examples.echo");
             EchoServer server = EchoServer.start(new EchoServerOptions(1, 0, "::", "uring", 16 * 1024, 4,
                     Duration.ofMillis(500)))) {
            List<Socket> silent = new ArrayList<>();
            long t0 = System.nanoTime();
            for (int i = 0; i < 4; i++) {
                Socket c = new Socket();
                c.connect(loopback(server), 5000);
                silent.add(c);
            }
            waitFor(() -> server.stats().open() == 4, "four silent clients hold every slot: " + server.stats());
            try (Socket fifth = new Socket()) {
                fifth.connect(loopback(server), 5000);
                assertTrue(!echoes(fifth), "the fifth client is refused while the four hold their slots");
            }
            assertEquals(1, server.stats().refused(), server.stats().summary());
            List<String> warned = log.warnings();
            assertEquals(1, warned.size(), warned::toString);
            assertTrue(warned.get(0).contains("refused the connection from") && warned.get(0).contains("--max-conns 4 reached"),
                    warned.get(0));

            waitFor(() -> server.stats().idleClosed() == 4, "the silent clients are closed: " + server.stats());
            long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            assertTrue(ms >= 450, "closed after " + ms + " ms, before the 500 ms idle timeout");
            for (Socket c : silent) {
                c.setSoTimeout(5000);
                assertEquals(-1, c.getInputStream().read(), "the server closed the idle connection");
                c.close();
            }
            try (Socket late = new Socket()) {
                late.connect(loopback(server), 5000);
                assertTrue(echoes(late), "a new client gets a freed slot");
            }
            EchoStats s = server.stop();
            assertEquals(0, s.connectionErrors(), s.summary());
            assertTrue(s.summary().contains("4 closed idle") && s.summary().contains("1 refused"), s.summary());
            assertEquals(0, s.buffersOutstanding(), s.summary());
        }
    }

    @Test
    void idleTimeoutInVirtualTimeOnTheSimulation() throws Exception {
        InetSocketAddress at = new InetSocketAddress("127.0.0.1", 7000);
        try (Simulation sim = Simulation.open()) {
            EchoServer server = EchoServer.start(sim.runtime(),
                    new EchoServerOptions(1, 7000, "127.0.0.1", "fake", 16 * 1024, 2, Duration.ofSeconds(60)));
            Peer a = sim.connect(at);
            Peer b = sim.connect(at);
            sim.runCurrent();
            Peer c = sim.connect(at);
            sim.runCurrent();
            assertTrue(c.sawEndOfStream(), "the third is refused: --max-conns 2");
            sim.advanceBy(Duration.ofSeconds(30));
            a.send("still here");
            sim.runCurrent();
            assertEquals("still here", a.receiveText());
            sim.advanceBy(Duration.ofSeconds(30));
            assertTrue(b.sawEndOfStream(), "b was silent for 60 s");
            assertTrue(!a.sawEndOfStream(), "a spoke 30 s ago");
            sim.advanceBy(Duration.ofSeconds(30));
            assertTrue(a.sawEndOfStream(), "a has been silent for 60 s now");
            EchoStats s = server.stats();
            assertEquals(2, s.idleClosed(), s.summary());
            assertEquals(1, s.refused(), s.summary());

            Peer d = sim.connect(at);
            d.send("in");
            sim.runCurrent();
            assertEquals("in", d.receiveText(), "a freed slot serves a new client");
        }
    }

    @Test
    void maxConnsCountsOverAllLoops() throws Exception {
        assumeKernel();
        try (EchoServer server = EchoServer.start(new EchoServerOptions(2, 0, "::", "uring", 16 * 1024, 3,
                Duration.ofSeconds(60)))) {
            List<Socket> clients = new ArrayList<>();
            try {
                for (int i = 0; i < 6; i++) {
                    Socket c = new Socket();
                    c.connect(loopback(server), 5000);
                    clients.add(c);
                }
                waitFor(() -> server.stats().accepted() == 6, "six accepted: " + server.stats());
                int served = 0;
                for (Socket c : clients) {
                    served += echoes(c) ? 1 : 0;
                }
                assertEquals(3, served, "--max-conns 3 over 2 loops admits 3, not 3 per loop: " + server.stats());
                assertEquals(3, server.stats().refused(), server.stats().summary());
            } finally {
                for (Socket c : clients) {
                    c.close();
                }
            }
        }
    }

    @Test
    void helpSaysMaxConnsIsATotalAndNamesTheIdleTimeout() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        assertEquals(0, EchoServerMain.serve(new String[] {"--help"}, new PrintStream(out, true), System.err,
                new CompletableFuture<>()));
        String help = out.toString(StandardCharsets.UTF_8);
        assertTrue(help.contains("--max-conns    connections open at once, in total over all loops"), help);
        assertTrue(help.contains("--idle-timeout") && help.contains("(default 60;"), help);

        assertEquals(Duration.ofSeconds(60), EchoServerOptions.parse(new String[0]).idleTimeout());
        assertEquals(Duration.ZERO, EchoServerOptions.parse(new String[] {"--idle-timeout", "0"}).idleTimeout());
        assertEquals(Duration.ofMillis(2500), EchoServerOptions.parse(new String[] {"--idle-timeout", "2.5"}).idleTimeout());
        Flags.UsageException e = assertThrows(Flags.UsageException.class,
                () -> EchoServerOptions.parse(new String[] {"--idle-timeout", "-1"}));
        assertTrue(e.getMessage().contains("--idle-timeout must be >= 0"), e.getMessage());
    }

    @Test
    void theFakeDriverSaysItsNetworkIsSimulated() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        CompletableFuture<Void> stop = new CompletableFuture<>();
        CompletableFuture<Integer> exit = CompletableFuture.supplyAsync(() -> EchoServerMain.serve(
                new String[] {"--port", "0", "--threads", "1", "--driver", "fake"}, new PrintStream(out, true),
                System.err, stop));
        waitFor(() -> out.toString(StandardCharsets.UTF_8).contains("listening on"), "the server starts: " + out);
        stop.complete(null);
        assertEquals(0, exit.get(10, TimeUnit.SECONDS));
        String text = out.toString(StandardCharsets.UTF_8);
        assertTrue(text.contains("of a SIMULATED network (driver fake") && text.contains("no real client can connect"),
                text);

        ByteArrayOutputStream err = new ByteArrayOutputStream();
        assertEquals(64, EchoClientMain.run(new String[] {"--driver", "fake"}, System.out, new PrintStream(err, true)));
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("--driver fake simulates a network inside this JVM"),
                err.toString(StandardCharsets.UTF_8));
    }
}
