package io.veloq.examples.echo;

import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.InetAddress;
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
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue #10, defect 10: {@code VELOQ_JAVA_OPTS=-Xmx32m ./veloq echo-server} failed with "cannot open the
 * uring driver for loop 1: Cannot reserve 16781312 bytes of direct buffer memory", because each loop
 * pre-allocated its whole pool (one 16 KiB buffer per connection up to {@code --max-conns 1024}). Pools now
 * start small and grow on demand, so the server starts in a small JVM and serves.
 */
class EchoServerMemoryTest {
    private static final Pattern LISTENING = Pattern.compile("listening on .*:(\\d+) ");

    @Test
    void aTwoLoopServerStartsAndEchoesInA32MiBHeap() throws Exception {
        String driver = io.veloq.examples.net.TestDrivers.kernelAvailable() ? "uring" : "fake";
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        // -Xmx32m: the JDK's direct-memory limit defaults to the heap size, as in the report
        cmd.addAll(List.of("-Xmx32m", "-Djnr.ffi.x86asm.enabled=false", "-cp", System.getProperty("java.class.path")));
        cmd.add(EchoServerMain.class.getName());
        cmd.addAll(List.of("--port", "0", "--bind", "127.0.0.1", "--threads", "2", "--driver", driver));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        StringBuilder all = new StringBuilder();
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
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
            int at = port.get(30, TimeUnit.SECONDS);
            assertTrue(at > 0, () -> "the server did not start in a 32 MiB heap:\n" + text(all));
            if (driver.equals("uring")) {
                // More connections than the first chunk of either loop's pool: the pools grow.
                List<Socket> clients = new ArrayList<>();
                try {
                    for (int i = 0; i < 80; i++) {
                        Socket c = new Socket(InetAddress.getLoopbackAddress(), at);
                        c.setSoTimeout(10_000);
                        clients.add(c);
                    }
                    for (int i = 0; i < clients.size(); i++) {
                        byte[] msg = ("hello " + i).getBytes(StandardCharsets.US_ASCII);
                        clients.get(i).getOutputStream().write(msg);
                        assertArrayEquals(msg, clients.get(i).getInputStream().readNBytes(msg.length), "client " + i);
                    }
                } finally {
                    for (Socket c : clients) {
                        c.close();
                    }
                }
            }
            new ProcessBuilder("kill", "-TERM", String.valueOf(p.pid())).inheritIO().start().waitFor();
            assertTrue(p.waitFor(30, TimeUnit.SECONDS), "the server did not exit after SIGTERM");
            reader.join(5000);
            assertEquals(0, p.exitValue(), () -> "exit code; output:\n" + text(all));
            assertTrue(text(all).contains("0 buffers outstanding"), () -> text(all));
            assertTrue(text(all).contains(" 0 refused"), () -> text(all));
        } finally {
            p.destroyForcibly();
        }
    }

    @Test
    void aGrowthFailureFailsThatLeaseWithTheCauseAndTheFixesAndTheLoopLivesOn() throws Exception {
        String driver = io.veloq.examples.net.TestDrivers.kernelAvailable() ? "uring" : "fake";
        List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx32m", "-XX:MaxDirectMemorySize=3m", "-Djnr.ffi.x86asm.enabled=false",
                "-cp", System.getProperty("java.class.path"), DirectMemoryChild.class.getName(), driver);
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out;
        try {
            CompletableFuture<String> read = CompletableFuture.supplyAsync(() -> {
                try {
                    return new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                } catch (java.io.IOException e) {
                    return "(reading failed: " + e + ")";
                }
            });
            assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the child did not finish");
            out = read.get(10, TimeUnit.SECONDS);
        } finally {
            p.destroyForcibly();
        }
        String o = out;
        System.out.println(o);
        assertEquals(0, p.exitValue(), () -> o);
        // opening two loops with 3 MiB of direct memory works: only each pool's first chunk is allocated
        assertTrue(o.contains("OPENED loop 0's buffer pool (32 of up to 2048") && o.contains("loop 1's buffer pool (32 of"), o);
        String failed = o.lines().filter(l -> l.startsWith("LEASE FAILED")).findFirst().orElse("");
        for (String part : List.of("loop 1's buffer pool cannot grow", "Cannot reserve", "direct buffer memory",
                "-XX:MaxDirectMemorySize", "fewer event loops", "--buffer-size", "--max-conns")) {
            assertTrue(failed.contains(part), "missing '" + part + "' in: " + o);
        }
        assertFalse(failed.contains("driver"), "the driver is not to blame: " + failed);
        assertTrue(o.contains("TRYLEASE null"), o);
        assertTrue(o.contains("NOP 0") && o.contains("DONE outstanding=0"), "the loop lives on: " + o);
    }

    private static String text(StringBuilder all) {
        synchronized (all) {
            return all.toString();
        }
    }
}
