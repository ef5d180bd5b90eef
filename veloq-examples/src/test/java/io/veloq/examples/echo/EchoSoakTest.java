package io.veloq.examples.echo;

import io.veloq.api.IoRuntime;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static io.veloq.examples.echo.EchoServerTest.assumeKernel;
import static io.veloq.examples.echo.EchoServerTest.waitFor;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The echo client's soak mode ({@code --rate}) at a small scale: the same code as a 10,000-connection soak. */
class EchoSoakTest {

    private static long verified(String text) {
        Matcher m = Pattern.compile("(\\d+) messages verified byte for byte").matcher(text);
        assertTrue(m.find(), text);
        return Long.parseLong(m.group(1));
    }

    @Test
    void opensConnectionsAtTheRateHoldsThemVerifiesEveryByteAndReportsBothProcesses() throws Exception {
        assumeKernel();
        try (EchoServer server = EchoServer.start(new EchoServerOptions(2, 0, "::", "uring", 16 * 1024, 256,
                EchoServerOptions.DEFAULT_IDLE_TIMEOUT))) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            long pid = ProcessHandle.current().pid(); // the server runs in this JVM
            int code = EchoClientMain.run(new String[] {"--port", String.valueOf(server.port()), "--conns", "40",
                    "--rate", "100", "--seconds", "2", "--interval", "0.05", "--report", "0.5",
                    "--server-pid", String.valueOf(pid), "--driver", "uring"}, new PrintStream(out, true), System.err);
            String text = out.toString(StandardCharsets.UTF_8);
            System.out.print(text);
            assertEquals(0, code, text);
            assertTrue(text.contains("40/40 connections opened at 100.0/s, 40 held to the end"), text);
            assertTrue(text.contains(", 0 errors"), text);
            assertTrue(verified(text) > 300, "40 connections, a message every 50 ms for about 1.6 s each:\n" + text);
            assertTrue(text.lines().filter(l -> l.startsWith("echo-client soak ") && l.contains(" s: ")).count() >= 3,
                    "a progress line every 0.5 s:\n" + text);
            assertTrue(text.contains("echo-client soak: client rss ") && text.contains(" fds ") && text.contains(" threads"),
                    text);
            assertTrue(text.contains("echo-client soak: server (pid " + pid + ") rss "), text);
            // The rate: 40 connections at 100/s take 0.4 s; the first progress line (0.5 s) sees them all or nearly.
            assertEquals(40, server.stats().accepted(), server.stats().summary());
            waitFor(() -> server.stats().open() == 0, "the client closed every connection: " + server.stats());
            assertEquals(0, server.stats().connectionErrors(), server.stats().summary());
        }
    }

    @Test
    void aServerThatDropsItsConnectionsFailsTheSoak() throws Exception {
        assumeKernel();
        EchoServer server = EchoServer.start(new EchoServerOptions(1, 0, "::", "uring", 16 * 1024, 256,
                EchoServerOptions.DEFAULT_IDLE_TIMEOUT));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        CompletableFuture<Integer> client = CompletableFuture.supplyAsync(() -> EchoClientMain.run(new String[] {
                "--port", String.valueOf(server.port()), "--conns", "10", "--rate", "100", "--seconds", "3",
                "--interval", "0.05", "--report", "1", "--driver", "uring"}, new PrintStream(out, true), System.err));
        waitFor(() -> server.stats().open() == 10, "the soak's connections are open: " + server.stats());
        server.stop(); // closes every connection mid-soak
        int code = client.get(60, java.util.concurrent.TimeUnit.SECONDS);
        String text = out.toString(StandardCharsets.UTF_8);
        assertEquals(1, code, text);
        assertTrue(text.contains("error: ") && text.contains("server closed the connection"), text);
    }

    @Test
    void onTheFakeDriverInOneRuntime() throws Exception {
        try (IoRuntime rt = IoRuntime.builder().driver("fake").buffers(16 * 1024, 64).open()) {
            EchoServer server = EchoServer.start(rt, EchoServerOptions.loopback("fake", 1));
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            EchoClientOptions o = new EchoClientOptions("::1", server.port(), 8, 100, 1, Duration.ofMillis(800), 1,
                    "fake", new EchoClientOptions.Soak(50, Duration.ofMillis(20), Duration.ofMillis(300), -1));
            boolean passed = EchoSoak.run(rt, o, new InetSocketAddress("::1", server.port()), new PrintStream(out, true));
            String text = out.toString(StandardCharsets.UTF_8);
            assertTrue(passed, text);
            assertTrue(text.contains("8/8 connections opened at 50.0/s, 8 held to the end"), text);
            assertTrue(verified(text) > 50, text);
            EchoStats s = server.stop();
            assertEquals(0, s.open(), s.summary());
            assertEquals(0, rt.loop().bufPool().outstanding(), "server and client buffers all back");
        }
    }

    @Test
    void soakFlagsNeedRate() {
        Flags.UsageException e = assertThrows(Flags.UsageException.class,
                () -> EchoClientOptions.parse(new String[] {"--interval", "2"}));
        assertTrue(e.getMessage().contains("--interval belongs to the soak mode: add --rate N"), e.getMessage());
        assertThrows(Flags.UsageException.class, () -> EchoClientOptions.parse(new String[] {"--rate", "0"}));
    }
}
