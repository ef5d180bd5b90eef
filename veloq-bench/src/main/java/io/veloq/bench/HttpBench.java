package io.veloq.bench;

import io.veloq.bench.http.HttpServers;
import io.veloq.bench.http.Wrk;
import io.veloq.bench.report.Row;
import io.veloq.bench.report.RunRecord;
import io.veloq.bench.report.Stats;
import io.veloq.bench.report.Table;
import io.veloq.bench.sys.ProcCpu;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

/**
 * The {@code http} part: {@code wrk} against static-file servers (Veloq's {@code ./veloq http-server}, Netty
 * 4.2, the JDK's {@code com.sun.net.httpserver}) serving the same 1 KiB and 1 MiB files. Each server runs in
 * its own JVM pinned to the server CPU, restarted every round, servers interleaved within a round; wrk runs
 * pinned to the client CPU. Per window: requests/s, server CPU per request (the server JVM's CPU time over
 * the window / requests), wrk's CPU, other processes' CPU, and the loop thread's allocation per request.
 * After the 1 KiB windows an allocation probe sends requests on keep-alive connections opened before it,
 * which gives the loop thread's bytes per request with no connection set-up in the window.
 */
final class HttpBench {
    record FileCase(String id, String file, int size, String title) {
    }

    static final List<FileCase> FILES = List.of(
            new FileCase("http-1k", "1k.bin", 1024, "1 KiB file"),
            new FileCase("http-1m", "1m.bin", 1 << 20, "1 MiB file"));
    private static final int PROBE_CONNECTIONS = 8;
    private static final int PROBE_REQUESTS = 2_000;

    private final BenchOptions o;
    private final Progress progress;
    private final List<String> jvmArgs;
    private final Integer serverCpu;
    private final Integer clientCpu;
    private final Path logs;
    final Map<String, Table> tables = new LinkedHashMap<>();
    final List<RunRecord> runs = new ArrayList<>();
    /** Loop-thread bytes per request on connections opened before the probe, by server, one per round. */
    final Map<String, List<Double>> probes = new LinkedHashMap<>();
    String setupNote;

    HttpBench(BenchOptions o, Progress progress, List<String> serverJvmArgs, Integer serverCpu, Integer clientCpu,
              Path logs) {
        this.o = o;
        this.progress = progress;
        this.jvmArgs = new ArrayList<>(serverJvmArgs);
        this.serverCpu = serverCpu;
        this.clientCpu = clientCpu;
        this.logs = logs;
    }

    void run() throws IOException {
        String title = " — " + o.httpConnections + " connections, wrk -t1 (keep-alive)";
        for (FileCase f : FILES) {
            tables.put(f.id, new Table("http", f.id, f.title + title));
        }
        String why = Wrk.unavailableReason();
        List<String> runnable = new ArrayList<>();
        for (String s : o.httpServers) {
            String reason = why != null ? why : HttpServers.unavailableReason(s);
            for (Table t : tables.values()) {
                t.rowOrAdd(s).status = reason;
            }
            if (reason == null) {
                runnable.add(s);
            } else {
                progress.say("http " + s + ": " + reason);
            }
        }
        if (runnable.isEmpty()) {
            return;
        }
        Path site = o.out.toAbsolutePath().getParent().resolve("bench-http-site");
        Files.createDirectories(site);
        Random random = new Random(42);
        for (FileCase f : FILES) {
            byte[] b = new byte[f.size];
            random.nextBytes(b);
            Files.write(site.resolve(f.file), b);
        }
        jvmArgs.add("-D" + HttpServers.DIR_PROPERTY + "=" + site);
        setupNote = "files in " + site + " (page cache warm after the first round); servers pinned to CPU "
                + (serverCpu == null ? "-" : serverCpu) + ", wrk to CPU " + (clientCpu == null ? "-" : clientCpu);
        try {
            for (int round = 1; round <= o.rounds; round++) {
                for (String server : runnable) {
                    round(server, round);
                }
            }
        } finally {
            for (FileCase f : FILES) {
                Files.deleteIfExists(site.resolve(f.file));
            }
            Files.deleteIfExists(site);
        }
    }

    private void round(String server, int round) {
        String where = String.format(Locale.ROOT, "http round %d/%d %s", round, o.rounds, server);
        progress.update(where + ": starting server JVM");
        Path log = logs.resolve("http-" + server + "-r" + round + ".log");
        try (ServerProcess sp = ServerProcess.start(HttpServers.PREFIX + server, serverCpu, jvmArgs, log)) {
            String base = "http://127.0.0.1:" + sp.port() + "/";
            if (o.serverWarmupSeconds > 0) {
                progress.update(where + ": JIT warm-up " + BenchMain.fmt(o.serverWarmupSeconds) + " s");
                // A cold JVM may time out a few requests here (Netty before its JIT): only the measured windows count.
                Wrk.run(base + FILES.get(0).file, o.httpConnections, o.serverWarmupSeconds, clientCpu);
            }
            for (FileCase f : FILES) {
                Row row = tables.get(f.id).row(server);
                RunRecord rec;
                try {
                    rec = measure(sp, server, f, round, base + f.file, where + " " + f.id);
                } catch (Exception e) {
                    rec = new RunRecord();
                    rec.part = "http";
                    rec.scenario = f.id;
                    rec.row = server;
                    rec.round = round;
                    rec.error = e.getMessage();
                }
                runs.add(rec);
                if (rec.valid() && rec.error == null) {
                    row.runs.add(rec);
                } else {
                    row.failedRuns++;
                    if (row.firstFailure == null) {
                        row.firstFailure = rec.error != null ? rec.error : "no requests";
                    }
                    progress.say(where + " " + f.id + ": FAILED: " + row.firstFailure);
                }
                if (f == FILES.get(0)) {
                    progress.update(where + ": allocation probe");
                    probes.computeIfAbsent(server, k -> new ArrayList<>()).add(probe(sp, f));
                }
            }
            if (!sp.alive()) {
                throw new IOException("server process died (log: " + log + ")");
            }
        } catch (Exception e) {
            progress.say(where + ": " + e.getMessage());
            for (Table t : tables.values()) {
                Row row = t.row(server);
                boolean measured = runs.stream().anyMatch(x -> x.row.equals(server) && x.scenario.equals(t.id)
                        && x.round == round);
                if (!measured) {
                    row.failedRuns++;
                    if (row.firstFailure == null) {
                        row.firstFailure = e.getMessage();
                    }
                }
            }
        }
    }

    private RunRecord measure(ServerProcess sp, String server, FileCase f, int round, String url, String where)
            throws Exception {
        RunRecord best = null;
        progress.update(where + ": warm-up " + BenchMain.fmt(o.warmupSeconds) + " s");
        if (o.warmupSeconds > 0) {
            Wrk.run(url, o.httpConnections, o.warmupSeconds, clientCpu);
        }
        for (int attempt = 0; attempt <= o.redo; attempt++) {
            progress.update(where + ": measuring " + BenchMain.fmt(o.seconds) + " s" + (attempt > 0 ? " (again: disturbed)" : ""));
            ServerProcess.Stats s0 = sp.stats();
            long busy0 = ProcCpu.systemCpuNanos()[0];
            long server0 = ProcCpu.processCpuNanos(sp.pid());
            long client0 = childrenCpuNanos();
            Wrk.Result r = Wrk.run(url, o.httpConnections, o.seconds, clientCpu);
            long client1 = childrenCpuNanos();
            long server1 = ProcCpu.processCpuNanos(sp.pid());
            long busy1 = ProcCpu.systemCpuNanos()[0];
            ServerProcess.Stats s1 = sp.stats();
            RunRecord rec = new RunRecord();
            rec.part = "http";
            rec.scenario = f.id;
            rec.row = server;
            rec.round = round;
            rec.attempt = attempt;
            rec.seconds = r.seconds();
            rec.ops = r.requests();
            rec.bytes = r.bytes();
            rec.p50Us = r.p50Us();
            rec.p90Us = r.p90Us();
            rec.p99Us = r.p99Us();
            rec.errors = r.socketErrors() + r.non2xx();
            rec.error = r.firstError();
            rec.clientCpus = 1;
            if (server0 >= 0 && server1 >= 0) {
                rec.cpuSeconds = (server1 - server0) / 1e9;
            }
            if (client0 >= 0 && client1 >= 0) {
                rec.clientCpuSeconds = (client1 - client0) / 1e9;
            }
            if (busy0 >= 0 && busy1 >= 0) {
                rec.otherCpuSeconds = Math.max(0, (busy1 - busy0) / 1e9 - nz(rec.cpuSeconds) - nz(rec.clientCpuSeconds));
            }
            if (s0.loopAllocated() >= 0) {
                rec.loopAllocBytes = s1.loopAllocated() - s0.loopAllocated();
                rec.totalAllocBytes = s1.totalAllocated() - s0.totalAllocated();
            }
            rec.note = "wrk opens its " + o.httpConnections + " connections inside the window";
            if (best == null || !best.valid() || (rec.valid() && rec.otherCpuCores() < best.otherCpuCores())) {
                best = rec;
            }
            if (!rec.valid() || !rec.disturbed(BenchMain.DISTURBED_CORES)) {
                break;
            }
        }
        return best;
    }

    /**
     * Loop-thread bytes per request for requests on {@value #PROBE_CONNECTIONS} keep-alive connections opened
     * (and warmed) before the measured part: the steady state, without connection set-up.
     */
    private double probe(ServerProcess sp, FileCase f) throws IOException {
        byte[] request = ("GET /" + f.file + " HTTP/1.1\r\nHost: bench\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
        List<Socket> socks = new ArrayList<>();
        try {
            for (int i = 0; i < PROBE_CONNECTIONS; i++) {
                Socket s = new Socket(InetAddress.getLoopbackAddress(), sp.port());
                s.setTcpNoDelay(true);
                s.setSoTimeout(10_000);
                socks.add(s);
            }
            exchange(socks, request, f.size, PROBE_REQUESTS / 4);
            ServerProcess.Stats a = sp.stats();
            exchange(socks, request, f.size, PROBE_REQUESTS);
            ServerProcess.Stats b = sp.stats();
            return a.loopAllocated() < 0 ? Double.NaN
                    : (double) (b.loopAllocated() - a.loopAllocated()) / ((long) PROBE_REQUESTS * PROBE_CONNECTIONS);
        } finally {
            for (Socket s : socks) {
                s.close();
            }
        }
    }

    private static void exchange(List<Socket> socks, byte[] request, int size, int rounds) throws IOException {
        byte[] buf = new byte[size + 1024];
        for (int r = 0; r < rounds; r++) {
            for (Socket s : socks) {
                s.getOutputStream().write(request);
            }
            for (Socket s : socks) {
                readResponse(s.getInputStream(), buf, size);
            }
        }
    }

    /** Reads one response whose body is {@code size} bytes; checks the status and the length. */
    private static void readResponse(InputStream in, byte[] buf, int size) throws IOException {
        int n = 0;
        int headEnd = -1;
        while (headEnd < 0) {
            int r = in.read(buf, n, buf.length - n);
            if (r < 0) {
                throw new IOException("connection closed mid-response");
            }
            n += r;
            for (int i = 3; i < n; i++) {
                if (buf[i - 3] == '\r' && buf[i - 2] == '\n' && buf[i - 1] == '\r' && buf[i] == '\n') {
                    headEnd = i + 1;
                    break;
                }
            }
        }
        if (buf[9] != '2') {
            throw new IOException("probe got " + new String(buf, 0, Math.min(n, 40), StandardCharsets.US_ASCII));
        }
        int remaining = headEnd + size - n;
        while (remaining > 0) {
            int r = in.read(buf, 0, Math.min(buf.length, remaining));
            if (r < 0) {
                throw new IOException("connection closed mid-body");
            }
            remaining -= r;
        }
        if (remaining < 0) {
            throw new IOException("more bytes than one response: pipelining is not expected here");
        }
    }

    /** CPU of this JVM's children that have been waited for (wrk), from /proc/self/stat cutime+cstime. */
    static long childrenCpuNanos() {
        try {
            String s = Files.readString(Paths.get("/proc/self/stat"), StandardCharsets.US_ASCII);
            String[] f = s.substring(s.lastIndexOf(')') + 2).trim().split(" ");
            return (Long.parseLong(f[13]) + Long.parseLong(f[14])) * (1_000_000_000L / ProcCpu.CLK_TCK);
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    private static double nz(double d) {
        return Double.isNaN(d) ? 0 : d;
    }

    /** Median loop-thread bytes per request of the probes of {@code server}. */
    double probeMedian(String server) {
        List<Double> l = probes.get(server);
        if (l == null || l.isEmpty()) {
            return Double.NaN;
        }
        List<Double> sorted = new ArrayList<>(l);
        sorted.sort(Double::compare);
        return sorted.get(sorted.size() / 2);
    }

    static double ratio(double a, double b) {
        return Stats.ratio(a, b);
    }
}
