package io.veloq.examples;

import io.veloq.examples.seccomp.SeccompLauncher;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.IOException;
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
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A real blocked kernel: each child JVM starts through {@link SeccompLauncher}, which makes
 * {@code io_uring_setup} fail with EPERM for the whole process with a seccomp filter (as Docker's default
 * profile does), then runs the app. Without any flag the app must say why io_uring is gone (the seccomp
 * filter, read from {@code /proc/self/status}) and fall back to the pure-Java nio driver, and the echo server
 * must serve a plain {@link Socket}.
 */
class SeccompFallbackIT {
    private static final Pattern LISTENING = Pattern.compile("listening on .*:(\\d+) \\(driver (\\S+),");

    @BeforeAll
    static void linuxOnAKnownArchitecture() {
        assumeTrue(System.getProperty("os.name").startsWith("Linux"), "seccomp is Linux's");
        String arch = System.getProperty("os.arch");
        assertTrue(arch.equals("amd64") || arch.equals("aarch64"), "the launcher knows x86_64 and arm64, this is " + arch);
    }

    private static List<String> command(String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-Djnr.ffi.x86asm.enabled=false");
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(SeccompLauncher.class.getName());
        cmd.addAll(List.of(args));
        return cmd;
    }

    private static String run(String... args) throws Exception {
        Process p = new ProcessBuilder(command(args)).redirectErrorStream(true).start();
        CompletableFuture<String> out = CompletableFuture.supplyAsync(() -> {
            try {
                return new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                return e.toString();
            }
        });
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "still running after 60 s: " + String.join(" ", args));
        String text = out.get(5, TimeUnit.SECONDS);
        assertEquals(0, p.exitValue(), text);
        assertTrue(text.contains("seccomp-launcher: io_uring_setup is blocked"), text);
        return text;
    }

    @Test
    void doctorNamesTheSeccompFilterAndTheChainEndsOnNio() throws Exception {
        String out = run("doctor");
        assertTrue(out.contains("seccomp:           2 ("), "the io_uring checks see the filter:\n" + out);
        assertTrue(out.contains("uring: unavailable (io_uring_setup: EPERM, blocked by a seccomp filter (Seccomp: 2"), out);
        assertTrue(out.contains("nio: selected"), out);
        assertTrue(out.contains("IoRuntime.open() would use: nio"), out);
    }

    @Test
    void theDemoFallsBackToNioWithoutAnyFlag() throws Exception {
        String out = run("demo");
        assertTrue(out.contains("driver: nio (best available)"), out);
        assertTrue(out.contains("(uring unavailable: io_uring_setup: EPERM, blocked by a seccomp filter"), out);
        assertTrue(out.contains("round trip OK on driver nio"), out);
    }

    @Test
    void theEchoServerServesAPlainSocketOnNio() throws Exception {
        Process p = new ProcessBuilder(command("echo-server", "--port", "0", "--bind", "127.0.0.1", "--threads", "2"))
                .redirectErrorStream(true).start();
        StringBuilder all = new StringBuilder();
        CompletableFuture<Matcher> listening = new CompletableFuture<>();
        Thread reader = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null; ) {
                    synchronized (all) {
                        all.append(line).append('\n');
                    }
                    Matcher m = LISTENING.matcher(line);
                    if (m.find()) {
                        listening.complete(m);
                    }
                }
            } catch (IOException ignored) {
                // the process ended
            }
            listening.complete(null);
        });
        reader.start();
        try {
            Matcher m = listening.get(30, TimeUnit.SECONDS);
            assertTrue(m != null, "the echo server did not start:\n" + all);
            assertEquals("nio", m.group(2), all.toString());
            int port = Integer.parseInt(m.group(1));
            byte[] msg = "echo through a seccomp-blocked io_uring".getBytes(StandardCharsets.US_ASCII);
            for (int i = 0; i < 3; i++) {
                try (Socket c = new Socket()) {
                    c.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 5000);
                    c.setSoTimeout(5000);
                    c.getOutputStream().write(msg);
                    assertArrayEquals(msg, c.getInputStream().readNBytes(msg.length), "echo " + i);
                }
            }
        } finally {
            // SIGTERM, by kill: Process.destroy() would also close our end of its output before the summary.
            new ProcessBuilder("kill", "-TERM", String.valueOf(p.pid())).inheritIO().start().waitFor();
            boolean exited = p.waitFor(20, TimeUnit.SECONDS);
            if (!exited) {
                p.destroyForcibly();
            }
            reader.join(5000);
            assertTrue(exited, "the echo server did not stop on SIGTERM:\n" + all);
        }
        String text;
        synchronized (all) {
            text = all.toString();
        }
        assertEquals(0, p.exitValue(), text);
        assertTrue(text.contains("echo-server: stopped after"), text);
    }
}
