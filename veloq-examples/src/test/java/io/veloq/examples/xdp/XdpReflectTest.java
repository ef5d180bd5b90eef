package io.veloq.examples.xdp;

import io.veloq.api.IoRuntime;
import io.veloq.api.xdp.XdpAttach;
import io.veloq.api.xdp.XdpConfig;
import io.veloq.api.xdp.XdpSocket;
import io.veloq.testkit.VethPair;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The reflector on a real veth pair: datagrams sent from a network namespace by a plain DatagramSocket
 * come back byte for byte, the loop thread allocates nothing per packet, and {@code xdp-reflect} as a
 * process prints packets/s and detaches its program on Ctrl-C.
 */
class XdpReflectTest {
    private static <T> T onLoop(IoRuntime rt, java.util.concurrent.Callable<T> c) throws Exception {
        CompletableFuture<T> f = new CompletableFuture<>();
        rt.loop().execute(() -> {
            try {
                f.complete(c.call());
            } catch (Throwable t) {
                f.completeExceptionally(t);
            }
        });
        return f.get(30, TimeUnit.SECONDS);
    }

    @Test
    void reflectsEveryDatagramByteForByteWithoutAllocatingPerPacket() throws Exception {
        assumeTrue(VethPair.missingPrivileges() == null, VethPair.missingPrivileges());
        for (XdpAttach attach : List.of(XdpAttach.GENERIC, XdpAttach.NATIVE)) {
            try (VethPair veth = VethPair.create();
                 IoRuntime rt = IoRuntime.builder().driver("uring").open();
                 XdpSocket xsk = XdpSocket.open(rt.loop(), XdpConfig.builder(veth.hostIface()).udpPort(9000)
                         .attach(attach).frames(4096, 1024).build())) {
                XdpReflector r = new XdpReflector(xsk, 64);
                long loopThread = onLoop(rt, () -> {
                    r.start();
                    return Thread.currentThread().getId();
                });
                // Warm up (class loading, JIT), then count the loop thread's allocations over 2000 packets.
                // At most 100 unanswered at a time: veth's native-XDP receive ring holds 256 frames and drops
                // beyond that, before any socket sees them, if a busy machine runs the reflector late.
                VethPair.Exchange warm = veth.udpExchange(5000, 9000, 500, 64, 1, Duration.ofSeconds(10), 100);
                assertEquals(500, warm.received(), () -> attach + ": " + String.join("\n", warm.lines()));
                com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
                long before = mx.getThreadAllocatedBytes(loopThread);
                long reflectedBefore = r.reflected();
                VethPair.Exchange ex = veth.udpExchange(5000, 9000, 2000, 64, 2, Duration.ofSeconds(20), 100);
                long allocated = mx.getThreadAllocatedBytes(loopThread) - before;
                assertEquals(2000, ex.received(), () -> attach + ": " + stats(xsk) + "\n" + String.join("\n", ex.lines()));
                assertEquals(0, ex.bad());
                assertEquals(2000, r.reflected() - reflectedBefore);
                // The loop's own turn costs nothing per packet; allow a little for the runtime's bookkeeping.
                assertTrue(allocated < 2000 * 8, attach + ": loop thread allocated " + allocated + " bytes for 2000 packets");
                onLoop(rt, () -> {
                    r.stop();
                    return null;
                });
            }
        }
    }

    private static String stats(XdpSocket xsk) {
        try {
            return xsk.statistics().toString();
        } catch (java.io.IOException e) {
            return e.toString();
        }
    }

    @Test
    void theCommandPrintsPacketsPerSecondAndDetachesOnCtrlC() throws Exception {
        assumeTrue(VethPair.missingPrivileges() == null, VethPair.missingPrivileges());
        try (VethPair veth = VethPair.create()) {
            List<String> cmd = new ArrayList<>();
            // A shell that starts jobs in the background (CI runners, `cmd &`) hands them SIGINT ignored, and a JVM
            // keeps an ignored SIGINT ignored: start the server with the default dispositions, as a terminal does.
            cmd.addAll(List.of("env", "--default-signal=INT,TERM"));
            cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
            cmd.add("-Djnr.ffi.x86asm.enabled=false");
            cmd.add("-cp");
            cmd.add(System.getProperty("java.class.path"));
            cmd.add("io.veloq.examples.Main");
            cmd.addAll(List.of("xdp-reflect", "--iface", veth.hostIface(), "--queue", "0", "--udp-port", "9000"));
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            StringBuilder all = new StringBuilder();
            CompletableFuture<Void> started = new CompletableFuture<>();
            CompletableFuture<Void> counted = new CompletableFuture<>();
            Thread reader = new Thread(() -> {
                try (BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                    for (String line; (line = out.readLine()) != null; ) {
                        synchronized (all) {
                            all.append(line).append('\n');
                        }
                        if (line.contains("Ctrl-C stops")) {
                            started.complete(null);
                        }
                        if (line.matches("xdp-reflect: [1-9][0-9]* packets/s.*")) {
                            counted.complete(null);
                        }
                    }
                } catch (java.io.IOException ignored) {
                    // ended
                }
                started.complete(null);
                counted.complete(null);
            });
            reader.start();
            try {
                started.get(30, TimeUnit.SECONDS);
                assertTrue(veth.hostLinkDetails().contains("prog/xdp"), () -> "not attached: " + all);
                VethPair.Exchange ex = veth.udpExchange(5000, 9000, 300, 64, 3, Duration.ofSeconds(10), 100);
                assertEquals(300, ex.received(), () -> String.join("\n", ex.lines()) + "\n" + all);
                counted.get(10, TimeUnit.SECONDS);
                new ProcessBuilder("kill", "-INT", String.valueOf(p.pid())).inheritIO().start().waitFor();
                assertTrue(p.waitFor(20, TimeUnit.SECONDS), "xdp-reflect did not exit after SIGINT");
                reader.join(5000);
                String text;
                synchronized (all) {
                    text = all.toString();
                }
                assertEquals(0, p.exitValue(), text);
                assertTrue(text.contains("stopped after 300 packets; XDP program detached, UMEM freed"), text);
                assertTrue(text.matches("(?s).*xdp-reflect: [1-9][0-9]* packets/s.*"), text);
                assertFalse(veth.hostLinkDetails().contains("prog/xdp"), "program still attached after exit");
            } finally {
                p.destroyForcibly();
            }
        }
    }

    @Test
    void zeroCopyOnVethExitsWith2AndNamesTheFlagsThatWork() {
        assumeTrue(VethPair.missingPrivileges() == null, VethPair.missingPrivileges());
        try (VethPair veth = VethPair.create()) {
            java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
            int code = XdpReflectMain.run(new String[] {"--iface", veth.hostIface(), "--mode", "zero-copy", "--seconds", "1"},
                    System.out, new java.io.PrintStream(err, true, StandardCharsets.UTF_8), new CompletableFuture<>());
            String text = err.toString(StandardCharsets.UTF_8);
            assertEquals(XdpReflectMain.EXIT_OPEN, code, text);
            assertTrue(text.contains("EOPNOTSUPP") && text.contains("--mode copy"), text);
            assertFalse(veth.hostLinkDetails().contains("prog/xdp"), "nothing left attached");
        }
    }

    @Test
    void aMissingInterfaceExitsWith2AndSaysWhy() throws Exception {
        java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
        java.io.PrintStream e = new java.io.PrintStream(err, true, StandardCharsets.UTF_8);
        int code = XdpReflectMain.run(new String[] {"--iface", "xdpmissing9"}, System.out, e, new CompletableFuture<>());
        String text = err.toString(StandardCharsets.UTF_8);
        assertEquals(XdpReflectMain.EXIT_OPEN, code, text);
        assertTrue(text.contains("no network interface named \"xdpmissing9\""), text);
        assertEquals(64, XdpReflectMain.run(new String[] {"--queue", "1"}, System.out, e, new CompletableFuture<>()));
    }
}
