package io.veloq.examples.exit;

import io.veloq.api.DriverDescription;
import io.veloq.api.IoRuntime;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link io.veloq.api.CleanExit} in a child JVM stopped by a real signal: the clean-up runs, in reverse order
 * of registration, and the process exits with 0 (or the code the main thread chose) instead of the JVM's
 * 143 for SIGTERM / 130 for SIGINT, which the {@code plain} rows show for contrast.
 */
class CleanExitTest {
    static String driver() {
        for (DriverDescription d : IoRuntime.drivers()) {
            if (d.id().equals("uring") && d.available()) {
                return "uring";
            }
        }
        return "fake";
    }

    @ParameterizedTest(name = "{0} on SIG{1}")
    @CsvSource({
        "resources, TERM, 0",
        "resources, INT, 0",
        "code, TERM, 3",
        "failing, TERM, 1",
        "plain, TERM, 143",
        "plain, INT, 130",
    })
    void aSignalRunsTheCleanUpAndExitsWithTheChosenStatus(String mode, String signal, int expected) throws Exception {
        // A shell that starts jobs in the background (CI runners, `cmd &`) hands them SIGINT ignored, and a JVM
        // keeps an ignored SIGINT ignored: start the child with the default dispositions, as a terminal does.
        Process p = new ProcessBuilder("env", "--default-signal=INT,TERM",
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Djnr.ffi.x86asm.enabled=false", "-cp", System.getProperty("java.class.path"),
                CleanExitChild.class.getName(), driver(), mode).redirectErrorStream(true).start();
        try {
            BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
            StringBuilder out = new StringBuilder();
            CompletableFuture<Void> ready = new CompletableFuture<>();
            Thread reader = new Thread(() -> {
                try {
                    for (String line; (line = r.readLine()) != null; ) {
                        synchronized (out) {
                            out.append(line).append('\n');
                        }
                        if (line.equals("READY")) {
                            ready.complete(null);
                        }
                    }
                } catch (IOException ignored) {
                    // the child ended
                }
                ready.complete(null);
            });
            reader.start();
            ready.get(30, TimeUnit.SECONDS);
            new ProcessBuilder("kill", "-" + signal, String.valueOf(p.pid())).inheritIO().start().waitFor();
            assertTrue(p.waitFor(30, TimeUnit.SECONDS), "the child did not exit after SIG" + signal);
            reader.join(5000);
            String text;
            synchronized (out) {
                text = out.toString();
            }
            assertTrue(text.contains("READY"), text);
            assertEquals(expected, p.exitValue(), "exit status after SIG" + signal + "; output:\n" + text);
            if (mode.equals("plain")) {
                return;
            }
            List<String> lines = text.lines().toList();
            int saw = lines.indexOf("main saw the stop");
            int listener = indexStartingWith(lines, "closing listener");
            int closed = lines.indexOf("listener open: false");
            int runtime = lines.indexOf("closing runtime");
            assertTrue(saw > 0 && saw < listener && listener < closed && closed < runtime,
                    "the main thread saw the stop, then the closes ran last-registered first:\n" + text);
            if (mode.equals("failing")) {
                assertTrue(text.contains("this close fails on purpose"), text);
            }
        } finally {
            p.destroyForcibly();
        }
    }

    private static int indexStartingWith(List<String> lines, String prefix) {
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).startsWith(prefix)) {
                return i;
            }
        }
        return -1;
    }
}
