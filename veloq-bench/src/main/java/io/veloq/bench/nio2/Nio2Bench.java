package io.veloq.bench.nio2;

import io.veloq.bench.sys.Env;
import io.veloq.bench.sys.ProcCpu;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * NIO.2 servers on the JDK's provider and on Veloq's, same run, interleaved rounds, each server in its own
 * JVM pinned to CPU 0 (restarted per round), the client pinned to CPU 1:
 * <ul>
 *   <li>{@code wrk} against Tomcat serving one small servlet with the NIO2 connector on the JDK's provider,
 *       on Veloq's, and with Tomcat's NIO connector: requests/s and server CPU per request;</li>
 *   <li>{@code scp -O} of a random file (256 MiB by default) to MINA SSHD on each provider: MiB/s and
 *       server CPU per MiB.</li>
 * </ul>
 * Medians of the rounds; writes {@code nio2.md} to {@code --out}.
 *
 * <pre>{@code java -cp <bench classpath> io.veloq.bench.nio2.Nio2Bench --rounds 3 --seconds 10 --scp-mib 256}</pre>
 */
public final class Nio2Bench {
    private static final String PROPERTY = "-Djava.nio.channels.spi.AsynchronousChannelProvider=io.veloq.nio2.VeloqChannelProvider";

    private record Server(String name, String kind, boolean veloq) {
    }

    private static final List<Server> HTTP = List.of(
            new Server("Tomcat NIO2, JDK provider", "tomcat-nio2", false),
            new Server("Tomcat NIO2, Veloq provider", "tomcat-nio2", true),
            new Server("Tomcat NIO connector", "tomcat-nio", false));
    private static final List<Server> SSH = List.of(
            new Server("SSHD, JDK provider", "sshd", false),
            new Server("SSHD, Veloq provider", "sshd", true));

    /** Where each server's stderr and, when a round fails, its thread dump go ({@code --out}). */
    private static Path logs = Path.of("target/bench");
    private static int started;

    private Nio2Bench() {
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> o = new LinkedHashMap<>(Map.of("--rounds", "3", "--seconds", "10", "--warmup", "5",
                "--connections", "64", "--scp-mib", "256", "--out", "target/bench"));
        for (int i = 0; i + 1 < args.length; i += 2) {
            o.put(args[i], args[i + 1]);
        }
        int rounds = Integer.parseInt(o.get("--rounds"));
        int seconds = Integer.parseInt(o.get("--seconds"));
        int warmup = Integer.parseInt(o.get("--warmup"));
        int conns = Integer.parseInt(o.get("--connections"));
        int mib = Integer.parseInt(o.get("--scp-mib"));
        Path out = Path.of(o.get("--out"));
        Files.createDirectories(out);

        logs = out;
        Map<Server, List<double[]>> http = new LinkedHashMap<>();
        for (int r = 0; r < rounds; r++) {
            for (Server s : HTTP) {
                double[] m = wrkRound(s, warmup, seconds, conns);
                http.computeIfAbsent(s, k -> new ArrayList<>()).add(m);
                System.out.printf(Locale.ROOT, "round %d %-30s %10.0f req/s %8.2f us CPU/req  client CPU %.0f%%  others %.2f cores%n",
                        r + 1, s.name(), m[0], m[1], m[2], m[3]);
            }
        }
        Path keys = Files.createTempDirectory("veloq-nio2-bench-keys");
        run(List.of("ssh-keygen", "-q", "-t", "rsa", "-b", "3072", "-N", "", "-f", keys.resolve("id_rsa").toString()));
        Files.copy(keys.resolve("id_rsa.pub"), keys.resolve("authorized_keys"));
        Path file = keys.resolve("payload.bin");
        byte[] chunk = new byte[1 << 20];
        SplittableRandom rnd = new SplittableRandom(256);
        try (var f = Files.newOutputStream(file)) {
            for (int i = 0; i < mib; i++) {
                rnd.nextBytes(chunk);
                f.write(chunk);
            }
        }
        Map<Server, List<double[]>> ssh = new LinkedHashMap<>();
        for (int r = 0; r < rounds; r++) {
            for (Server s : SSH) {
                double[] m = scpRound(s, keys, file, mib);
                ssh.computeIfAbsent(s, k -> new ArrayList<>()).add(m);
                System.out.printf(Locale.ROOT, "round %d %-30s %8.1f MiB/s %8.2f ms CPU/MiB%n", r + 1, s.name(), m[0], m[1]);
            }
        }
        StringBuilder md = new StringBuilder();
        md.append("## NIO.2: Tomcat (wrk, ").append(conns).append(" connections, ").append(seconds)
                .append(" s windows) and SSHD (scp -O of ").append(mib).append(" MiB), median of ").append(rounds)
                .append(" interleaved rounds\n\n");
        md.append("| server | requests/s | server CPU per request | client CPU | other processes | vs JDK provider: req/s | CPU/req |\n|---|---|---|---|---|---|---|\n");
        double[] jdk = median(http.get(HTTP.get(0)));
        for (Server s : HTTP) {
            double[] m = median(http.get(s));
            md.append(String.format(Locale.ROOT, "| %s | %.0f | %.2f µs | %.0f%% | %.2f cores | %.2fx | %.2fx |%n", s.name(), m[0], m[1],
                    m[2], m[3], m[0] / jdk[0], m[1] / jdk[1]));
        }
        md.append("\n| server | scp upload | server CPU per MiB | vs JDK provider: MiB/s | CPU/MiB |\n|---|---|---|---|---|\n");
        double[] sj = median(ssh.get(SSH.get(0)));
        for (Server s : SSH) {
            double[] m = median(ssh.get(s));
            md.append(String.format(Locale.ROOT, "| %s | %.1f MiB/s | %.2f ms | %.2fx | %.2fx |%n", s.name(), m[0], m[1],
                    m[0] / sj[0], m[1] / sj[1]));
        }
        Files.writeString(out.resolve("nio2.md"), md);
        System.out.println();
        System.out.println(md);
        System.exit(0);
    }

    /** [req/s, server CPU µs per request, client CPU %] of one measured window after a warm-up. */
    private static double[] wrkRound(Server s, int warmup, int seconds, int conns) throws Exception {
        try (Child c = Child.start(s, List.of())) {
            wrk(c.port, warmup, conns);
            long cpu0 = ProcCpu.processCpuNanos(c.pid());
            long[] sys0 = ProcCpu.systemCpuNanos();
            WrkResult w = wrk(c.port, seconds, conns);
            long[] sys1 = ProcCpu.systemCpuNanos();
            long cpu1 = ProcCpu.processCpuNanos(c.pid());
            if (w.errors) {
                throw new IOException(s.name() + ": wrk reported errors:\n" + w.text + "\n" + c.diagnose());
            }
            double window = seconds * 1e9;
            double others = (sys1[0] - sys0[0] - (cpu1 - cpu0) - w.clientCpuNanos) / window;
            return new double[] {w.requests / (double) seconds, (cpu1 - cpu0) / 1000.0 / w.requests,
                    100.0 * w.clientCpuNanos / window, others};
        }
    }

    /** [MiB/s, server CPU ms per MiB] of one scp upload. */
    private static double[] scpRound(Server s, Path keys, Path file, int mib) throws Exception {
        try (Child c = Child.start(s, List.of(keys.toString()))) {
            Path dest = keys.resolve("uploaded-" + s.veloq() + ".bin");
            long cpu0 = ProcCpu.processCpuNanos(c.pid());
            long t0 = System.nanoTime();
            run(List.of("taskset", "-c", "1", "scp", "-O", "-q", "-P", String.valueOf(c.port), "-i", keys.resolve("id_rsa").toString(),
                    "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
                    "-o", "LogLevel=ERROR", file.toString(), "bench@127.0.0.1:" + dest));
            long t1 = System.nanoTime();
            long cpu1 = ProcCpu.processCpuNanos(c.pid());
            if (Files.size(dest) != Files.size(file)) {
                throw new IOException(s.name() + ": scp copied " + Files.size(dest) + " of " + Files.size(file) + " bytes");
            }
            Files.delete(dest);
            return new double[] {mib / ((t1 - t0) / 1e9), (cpu1 - cpu0) / 1e6 / mib};
        }
    }

    private record WrkResult(long requests, boolean errors, long clientCpuNanos, String text) {
    }

    private static WrkResult wrk(int port, int seconds, int conns) throws Exception {
        List<String> cmd = List.of("taskset", "-c", "1", "wrk", "-t2", "-c" + conns, "-d" + seconds + "s",
                "http://127.0.0.1:" + port + "/");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        java.util.concurrent.CompletableFuture<String> output = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
            try {
                return new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                return "";
            }
        });
        // wrk's own CPU, sampled while it runs (its /proc entry goes with it); taskset execs wrk in place.
        long clientCpu = 0;
        while (p.isAlive()) {
            long n = ProcCpu.processCpuNanos(p.pid());
            clientCpu = Math.max(clientCpu, n);
            Thread.sleep(50);
        }
        String text = output.get(60, TimeUnit.SECONDS);
        Matcher m = Pattern.compile("(\\d+) requests in").matcher(text);
        if (!m.find()) {
            throw new IOException("wrk output without a request count:\n" + text);
        }
        return new WrkResult(Long.parseLong(m.group(1)), text.contains("Socket errors") || text.contains("Non-2xx"), clientCpu, text);
    }

    private static void run(List<String> cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(600, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException(String.join(" ", cmd) + " failed:\n" + text);
        }
    }

    private static double[] median(List<double[]> rows) {
        int n = rows.get(0).length;
        double[] out = new double[n];
        for (int i = 0; i < n; i++) {
            final int k = i;
            double[] col = rows.stream().mapToDouble(r -> r[k]).sorted().toArray();
            out[i] = col[col.length / 2];
        }
        return out;
    }

    /** A server JVM pinned to CPU 0. */
    private static final class Child implements AutoCloseable {
        final Process process;
        final Writer stdin;
        final int port;
        final Path log;

        private Child(Process p, int port, Path log) {
            this.process = p;
            this.stdin = new OutputStreamWriter(p.getOutputStream(), StandardCharsets.UTF_8);
            this.port = port;
            this.log = log;
        }

        static Child start(Server s, List<String> extra) throws IOException {
            List<String> jvm = new ArrayList<>(List.of("-Xms512m", "-Xmx512m", "-Djnr.ffi.x86asm.enabled=false"));
            jvm.addAll(Env.nativeAccessFlags());
            if (s.veloq()) {
                jvm.add(PROPERTY);
            }
            List<String> args = new ArrayList<>(List.of(s.kind()));
            args.addAll(extra);
            // The server's own log (Tomcat's, SSHD's, Veloq's exception handler) is kept: a failed round is
            // diagnosed from it and from the thread dump diagnose() takes.
            Path log = logs.resolve(String.format(Locale.ROOT, "server-%02d-%s%s.log", ++started, s.kind(),
                    s.veloq() ? "-veloq" : ""));
            Process p = new ProcessBuilder(Env.childJvm(0, jvm, Nio2Server.class.getName(), args))
                    .redirectError(ProcessBuilder.Redirect.appendTo(log.toFile())).start(); // appended to, like diagnose()
            BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
            String line = r.readLine();
            if (line == null || !line.startsWith("READY port=")) {
                p.destroyForcibly();
                throw new IOException(s.name() + " did not start: " + line);
            }
            boolean isVeloq = line.contains("io.veloq.nio2.VeloqChannelProvider");
            if (isVeloq != s.veloq() && s.kind().startsWith("tomcat-nio2") || s.kind().equals("sshd") && isVeloq != s.veloq()) {
                p.destroyForcibly();
                throw new IOException(s.name() + " runs on the wrong provider: " + line);
            }
            return new Child(p, Integer.parseInt(line.substring("READY port=".length()).split(" ")[0]), log);
        }

        /**
         * For a failed round: the server's thread dump (jstack next to the running java, when there is
         * one) and its io_uring rings' state from /proc appended to its log; returns where to look.
         */
        String diagnose() {
            StringBuilder d = new StringBuilder();
            Path jstack = Path.of(Env.javaCommand()).resolveSibling("jstack");
            if (Files.isExecutable(jstack)) {
                try {
                    Process j = new ProcessBuilder(jstack.toString(), String.valueOf(pid())).redirectErrorStream(true).start();
                    d.append(new String(j.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
                    j.waitFor(30, TimeUnit.SECONDS);
                } catch (IOException | InterruptedException e) {
                    d.append("jstack failed: ").append(e).append('\n');
                }
            }
            try (var fds = Files.list(Path.of("/proc", String.valueOf(pid()), "fd"))) {
                for (Path fd : (Iterable<Path>) fds::iterator) {
                    if (Files.readSymbolicLink(fd).toString().contains("io_uring")) {
                        d.append("== fdinfo of ring fd ").append(fd.getFileName()).append('\n')
                                .append(Files.readString(Path.of("/proc", String.valueOf(pid()), "fdinfo", fd.getFileName().toString())));
                    }
                }
            } catch (IOException e) {
                d.append("no /proc view of the rings: ").append(e).append('\n');
            }
            try {
                Files.writeString(log, "\n==== diagnosis after the failed round ====\n" + d,
                        java.nio.file.StandardOpenOption.APPEND);
            } catch (IOException e) {
                return "(could not append the diagnosis to " + log + ": " + e + ")";
            }
            return "server log, thread dump and ring state: " + log;
        }

        long pid() {
            return process.pid();
        }

        @Override
        public void close() throws Exception {
            try {
                stdin.write("stop\n");
                stdin.flush();
                stdin.close();
            } catch (IOException ignored) {
                // gone already
            }
            if (!process.waitFor(20, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        }
    }
}
