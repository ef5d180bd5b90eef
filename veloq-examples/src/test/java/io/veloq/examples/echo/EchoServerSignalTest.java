package io.veloq.examples.echo;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The real thing: {@code EchoServerMain} in its own JVM, stopped with SIGTERM or SIGINT, must cancel its
 * ops, close its sockets, print its summary and exit with 0.
 */
class EchoServerSignalTest {
    private static final Pattern LISTENING = Pattern.compile("listening on .*:(\\d+) ");

    @ParameterizedTest
    @ValueSource(strings = {"TERM", "INT"})
    void aSignalStopsTheServerCleanlyWithExitCode0(String signal) throws Exception {
        String driver = io.veloq.examples.net.TestDrivers.best(); // real sockets: io_uring where it runs, else nio
        List<String> cmd = new ArrayList<>();
        // A shell that starts jobs in the background (CI runners, `cmd &`) hands them SIGINT ignored, and a JVM
        // keeps an ignored SIGINT ignored: start the server with the default dispositions, as a terminal does.
        cmd.addAll(List.of("env", "--default-signal=INT,TERM"));
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-Djnr.ffi.x86asm.enabled=false");
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(EchoServerMain.class.getName());
        cmd.addAll(List.of("--port", "0", "--bind", "127.0.0.1", "--threads", "2", "--driver", driver));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
            StringBuilder all = new StringBuilder();
            CompletableFuture<Integer> port = new CompletableFuture<>();
            Thread reader = new Thread(() -> {
                try {
                    for (String line; (line = out.readLine()) != null; ) {
                        synchronized (all) {
                            all.append(line).append('\n');
                        }
                        Matcher m = LISTENING.matcher(line);
                        if (m.find()) {
                            port.complete(Integer.parseInt(m.group(1)));
                        }
                    }
                } catch (java.io.IOException ignored) {
                    // the process ended
                }
                port.complete(-1);
            });
            reader.start();
            int at = port.get(20, TimeUnit.SECONDS);
            assertTrue(at > 0, "the server did not start: " + all);

            Socket idle = new Socket();
            if (!driver.equals("fake")) {
                // An idle connection and an echo: the shutdown must cancel the idle one's pending receive.
                idle.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), at));
                // One byte echoed first, so the server has accepted it (each loop accepts on its own) before
                // the signal; then it sits idle with a receive pending.
                idle.getOutputStream().write(9);
                assertEquals(9, idle.getInputStream().read());
                try (Socket c = new Socket(InetAddress.getLoopbackAddress(), at)) {
                    c.getOutputStream().write(new byte[] {1, 2, 3});
                    assertArrayEquals(new byte[] {1, 2, 3}, c.getInputStream().readNBytes(3));
                }
            }
            new ProcessBuilder("kill", "-" + signal, String.valueOf(p.pid())).inheritIO().start().waitFor();
            assertTrue(p.waitFor(20, TimeUnit.SECONDS), "the server did not exit after SIG" + signal);
            reader.join(5000);
            String text;
            synchronized (all) {
                text = all.toString();
            }
            assertEquals(0, p.exitValue(), "exit code after SIG" + signal + "; output:\n" + text);
            assertTrue(text.contains("echo-server: stopped after") && text.contains("0 open")
                    && text.contains("0 buffers outstanding"), text);
            if (!driver.equals("fake")) {
                idle.setSoTimeout(5000);
                assertEquals(-1, idle.getInputStream().read(), "the idle connection was closed by the server");
                assertTrue(text.contains("2 connections"), text);
            }
            idle.close();
        } finally {
            p.destroyForcibly();
        }
    }
}
