package io.veloq.bench.xdp;

import io.veloq.bench.sys.Env;
import io.veloq.bench.sys.ProcCpu;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * 64-byte UDP echo on a veth pair: Veloq's AF_XDP reflector (generic and native attach) against a JDK NIO
 * {@code DatagramChannel} echo server and Netty's epoll datagram channel, with the same load: a Veloq AF_XDP
 * generator on the peer end (in its own network namespace) keeping a window of datagrams in flight. Server on
 * CPU 0, generator on CPU 1; servers interleaved per round, each restarted. Reports packets/s, server CPU per
 * packet (CPU time of all the server's threads over the window), the time the server waited for its CPU, the
 * generator's CPU, other processes' CPU, bytes allocated per packet by the serving thread, and each server's
 * packets per server-CPU-second relative to NIO's in the same round.
 *
 * <p>On a machine shared with other work, each session is its own scheduling group (autogroup), so a bench
 * process got only its share of a CPU and the closed loop waited in run queues, not on the server: every
 * process stayed under 20% CPU. As root the server and the generator therefore run in sessions of their own
 * ({@code setsid}) whose autogroup gets nice -20 ({@code --priority normal} turns this off), and the run-queue
 * wait is reported so a disturbed round shows.
 *
 * <pre>{@code ./veloq-bench/run-xdp-bench.sh --rounds 3 --seconds 5}</pre> (root)
 */
public final class XdpBench {
    private static final String HOST_IP = "10.214.0.1";
    private static final String PEER_IP = "10.214.0.2";
    private static final int PORT = 9000;
    private static final int GEN_PORT = 7000;

    private XdpBench() {
    }

    /** A child JVM whose last {@code PREFIX a b} line is kept. */
    private static final class Child {
        final Process p;
        volatile long[] last = {0, 0, 0};
        volatile boolean ready;
        /** The JVM's pid: the process started may be {@code setsid}, {@code ip netns exec} or {@code taskset}, which exec it. */
        long pid;
        final StringBuilder log = new StringBuilder();

        Child(List<String> cmd, String prefix, String readyLine) throws IOException {
            p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            Thread t = new Thread(() -> {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                    for (String l; (l = r.readLine()) != null; ) {
                        if (l.equals(readyLine)) {
                            ready = true;
                        } else if (l.startsWith(prefix + " ")) {
                            String[] f = l.split(" ");
                            last = new long[] {Long.parseLong(f[1]), Long.parseLong(f[2]), f.length > 3 ? Long.parseLong(f[3]) : 0};
                        } else {
                            synchronized (log) {
                                log.append(l).append('\n');
                            }
                        }
                    }
                } catch (IOException ignored) {
                    // ended
                }
            });
            t.setDaemon(true);
            t.start();
        }

        void awaitReady(String what, boolean raise) throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (!ready) {
                if (!p.isAlive() || System.nanoTime() > deadline) {
                    throw new IllegalStateException(what + " did not start:\n" + log);
                }
                Thread.sleep(20);
            }
            pid = javaPid(p);
            if (raise) {
                raisePriority(pid, what);
            }
        }

        void stop() throws InterruptedException {
            p.destroy();
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroyForcibly().waitFor();
            }
        }
    }

    private record Sample(double pps, double serverNsPerPacket, double serverCpu, double serverWait, double genCpu,
                          double genNsPerPacket, double othersCpu, double allocPerPacket) {
    }

    private static boolean warnedPriority;

    /** The java process among {@code p} and its descendants. */
    private static long javaPid(Process p) {
        ProcessHandle h = p.toHandle();
        for (int i = 0; i < 50; i++) {
            if (h.info().command().map(c -> c.endsWith("/java")).orElse(false)) {
                return h.pid();
            }
            var child = h.children().findFirst();
            if (child.isEmpty()) {
                break;
            }
            h = child.get();
        }
        return p.pid();
    }

    /** Nice -20 for the autogroup of {@code pid}'s session (its own, started by setsid). */
    private static void raisePriority(long pid, String what) {
        try {
            Files.writeString(Path.of("/proc", String.valueOf(pid), "autogroup"), "-20");
        } catch (IOException | RuntimeException e) {
            if (!warnedPriority) {
                warnedPriority = true;
                System.err.println("could not raise the priority of " + what + " (" + e + "): other work on the machine "
                        + "will take CPU from the bench; see the run-queue wait column");
            }
        }
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> o = new LinkedHashMap<>();
        for (int i = 0; i + 1 < args.length; i += 2) {
            o.put(args[i].replaceFirst("^--", ""), args[i + 1]);
        }
        int rounds = Integer.parseInt(o.getOrDefault("rounds", "3"));
        int warmup = Integer.parseInt(o.getOrDefault("warmup", "3"));
        int seconds = Integer.parseInt(o.getOrDefault("seconds", "5"));
        int window = Integer.parseInt(o.getOrDefault("window", "256"));
        boolean raise = !"normal".equals(o.getOrDefault("priority", "high"));
        List<String> servers = Arrays.asList(o.getOrDefault("servers", "nio,netty-epoll,veloq-xdp,veloq-xdp-native").split(","));
        long pid = ProcessHandle.current().pid();
        String ns = "veloq-xdpbench-" + pid;
        String a = "xdpb" + pid % 10000 + "a";
        String b = "xdpb" + pid % 10000 + "b";
        List<String> jvm = new ArrayList<>(List.of("-Xms256m", "-Xmx256m", "-XX:+UseSerialGC", "-Djnr.ffi.x86asm.enabled=false"));
        jvm.addAll(Env.nativeAccessFlags());
        Map<String, List<Sample>> results = new LinkedHashMap<>();
        try {
            ip("netns", "add", ns);
            ip("link", "add", a, "type", "veth", "peer", "name", b);
            ip("link", "set", b, "netns", ns);
            Files.writeString(Path.of("/proc/sys/net/ipv6/conf", a, "disable_ipv6"), "1");
            ip("link", "set", a, "up");
            ip("addr", "add", HOST_IP + "/24", "dev", a);
            ip("netns", "exec", ns, "sh", "-c", "echo 1 > /proc/sys/net/ipv6/conf/" + b + "/disable_ipv6");
            ip("-n", ns, "link", "set", b, "up");
            ip("-n", ns, "addr", "add", PEER_IP + "/24", "dev", b);
            String macA = Files.readString(Path.of("/sys/class/net", a, "address")).trim();
            String macB = ip("-n", ns, "-o", "link", "show", b).replaceAll("(?s).*link/ether (\\S+).*", "$1").trim();
            ip("neigh", "replace", PEER_IP, "lladdr", macB, "dev", a, "nud", "permanent");
            ip("-n", ns, "neigh", "replace", HOST_IP, "lladdr", macA, "dev", b, "nud", "permanent");
            for (int round = 1; round <= rounds; round++) {
                for (String server : servers) {
                    Sample s = run(server, a, b, ns, macA, macB, jvm, window, warmup, seconds, raise);
                    results.computeIfAbsent(server, k -> new ArrayList<>()).add(s);
                    System.err.printf("round %d %-16s %,10.0f pkt/s  server %6.2f us/pkt (%3.0f%% CPU, waited %3.0f%%)  "
                                    + "generator %3.0f%% CPU (%5.2f us/pkt)  others %3.0f%% CPU  %5.1f B/pkt%s%n",
                            round, server, s.pps, s.serverNsPerPacket / 1000, s.serverCpu * 100, s.serverWait * 100,
                            s.genCpu * 100, s.genNsPerPacket / 1000, s.othersCpu * 100, s.allocPerPacket,
                            s.serverWait > 0.25 ? "  [disturbed: the server waited for its CPU]"
                                    : s.genCpu > 0.9 ? "  [the generator is near saturation]" : "");
                }
            }
        } finally {
            ipQuiet("link", "del", a);
            ipQuiet("netns", "del", ns);
        }
        report(results, rounds, seconds, window);
    }

    private static Sample run(String server, String a, String b, String ns, String macA, String macB, List<String> jvm,
                              int window, int warmup, int seconds, boolean raise) throws Exception {
        List<String> s = new ArrayList<>(raise ? List.of("setsid") : List.of());
        s.addAll(Env.childJvm(0, jvm, UdpEchoServer.class.getName(), List.of(server, a, HOST_IP, String.valueOf(PORT))));
        Child srv = new Child(s, "STAT", "READY");
        Child gen = null;
        try {
            srv.awaitReady(server, raise);
            List<String> g = new ArrayList<>(raise ? List.of("setsid") : List.of());
            g.addAll(List.of("ip", "netns", "exec", ns));
            List<String> genJvm = new ArrayList<>(jvm);
            genJvm.add("-Dxdp.gen.busyPoll=" + Boolean.getBoolean("xdp.gen.busyPoll"));
            g.addAll(Env.childJvm(1, genJvm, XdpGenerator.class.getName(), List.of(b, macA, macB, PEER_IP, HOST_IP,
                    String.valueOf(GEN_PORT), String.valueOf(PORT), String.valueOf(window), "64")));
            gen = new Child(g, "GEN", "GEN-READY");
            gen.awaitReady("generator", raise);
            Thread.sleep(warmup * 1000L);
            long[] g0 = gen.last;
            long[] s0 = srv.last;
            long sc0 = ProcCpu.processCpuNanos(srv.pid);
            long sw0 = ProcCpu.runQueueWaitNanos(srv.pid);
            long gc0 = ProcCpu.processCpuNanos(gen.pid);
            long m0 = ProcCpu.systemCpuNanos()[0];
            long self0 = ProcCpu.selfCpuNanos();
            long t0 = System.nanoTime();
            Thread.sleep(seconds * 1000L);
            long[] g1 = gen.last;
            long[] s1 = srv.last;
            long sc1 = ProcCpu.processCpuNanos(srv.pid);
            long sw1 = ProcCpu.runQueueWaitNanos(srv.pid);
            long gc1 = ProcCpu.processCpuNanos(gen.pid);
            long m1 = ProcCpu.systemCpuNanos()[0];
            long self1 = ProcCpu.selfCpuNanos();
            double dt = (System.nanoTime() - t0) / 1e9;
            long replies = g1[1] - g0[1];
            long served = Math.max(1, s1[0] - s0[0]);
            System.err.println("  " + server + ": generator sent " + (g1[0] - g0[0]) + ", got back " + replies
                    + ", window reopened after a loss " + (g1[2] - g0[2]) + " times");
            double alloc = s1[1] < 0 ? Double.NaN : (double) (s1[1] - s0[1]) / served;
            double others = Math.max(0, (m1 - m0) - (sc1 - sc0) - (gc1 - gc0) - (self1 - self0)) / 1e9 / dt;
            return new Sample(replies / dt, (double) (sc1 - sc0) / Math.max(1, replies), (sc1 - sc0) / 1e9 / dt,
                    (sw1 - sw0) / 1e9 / dt, (gc1 - gc0) / 1e9 / dt, (double) (gc1 - gc0) / Math.max(1, replies), others, alloc);
        } finally {
            if (gen != null) {
                gen.stop();
            }
            srv.stop();
        }
    }

    private static double median(List<Sample> s, java.util.function.ToDoubleFunction<Sample> f) {
        double[] v = s.stream().mapToDouble(f).sorted().toArray();
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }

    private static void report(Map<String, List<Sample>> r, int rounds, int seconds, int window) {
        System.out.println("### UDP echo, 64-byte datagrams, veth pair (" + Env.kernel() + ", " + Env.cpuModel() + ")");
        System.out.println();
        System.out.println("Server on CPU 0, Veloq AF_XDP generator on CPU 1 in the peer namespace, window " + window
                + ", median of " + rounds + " interleaved rounds of " + seconds + " s. \"waited\": time the server was"
                + " runnable but not running; \"others\": every other process's CPU (1.0 = one CPU).");
        System.out.println();
        System.out.println("| server | packets/s | server CPU per packet | server CPU | server waited | generator CPU "
                + "| generator CPU per packet | others | B allocated per packet | packets per server-CPU-second vs NIO |");
        System.out.println("|---|---|---|---|---|---|---|---|---|---|");
        List<Sample> nio = r.get("nio");
        for (Map.Entry<String, List<Sample>> e : r.entrySet()) {
            List<Sample> s = e.getValue();
            // Each round's efficiency against NIO's in the same round (interleaved), then the median.
            List<Sample> ratios = new ArrayList<>();
            for (int i = 0; nio != null && i < s.size() && i < nio.size(); i++) {
                double x = s.get(i).pps / Math.max(1e-9, s.get(i).serverCpu);
                double n = nio.get(i).pps / Math.max(1e-9, nio.get(i).serverCpu);
                ratios.add(new Sample(x / n, 0, 0, 0, 0, 0, 0, 0));
            }
            System.out.printf("| %s | %,.0f | %.2f µs | %.0f%% | %.0f%% | %.0f%% | %.2f µs | %.2f | %.1f | %s |%n", e.getKey(),
                    median(s, Sample::pps), median(s, Sample::serverNsPerPacket) / 1000, median(s, Sample::serverCpu) * 100,
                    median(s, Sample::serverWait) * 100, median(s, Sample::genCpu) * 100,
                    median(s, Sample::genNsPerPacket) / 1000, median(s, Sample::othersCpu),
                    median(s, Sample::allocPerPacket),
                    ratios.isEmpty() ? "-" : String.format("%.2fx", median(ratios, Sample::pps)));
        }
    }

    private static String ip(String... args) {
        List<String> cmd = new ArrayList<>(List.of("ip"));
        cmd.addAll(List.of(args));
        String[] r = Env.run(cmd, 30);
        if (!"0".equals(r[0])) {
            throw new IllegalStateException(String.join(" ", cmd) + " failed: " + r[1]);
        }
        return r[1];
    }

    private static void ipQuiet(String... args) {
        try {
            ip(args);
        } catch (RuntimeException ignored) {
            // already gone
        }
    }
}
