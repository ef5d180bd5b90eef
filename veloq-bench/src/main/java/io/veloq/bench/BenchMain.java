package io.veloq.bench;

import io.veloq.bench.echo.EchoServers;
import io.veloq.bench.load.LoadConfig;
import io.veloq.bench.load.LoadGenerator;
import io.veloq.bench.load.LoadResult;
import io.veloq.bench.report.Row;
import io.veloq.bench.report.RunRecord;
import io.veloq.bench.report.Table;
import io.veloq.bench.sys.Env;
import io.veloq.bench.sys.ProcCpu;
import io.veloq.bench.sys.SyscallCounter;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code ./veloq bench}: echo servers (each in its own pinned JVM, restarted every round, interleaved)
 * under one load generator, syscalls per message, and the file benchmark; writes markdown, JSON and SVG to
 * {@code --out} (default {@code target/bench}). See {@link BenchOptions#usage()}.
 */
public final class BenchMain {

    /** Other processes using more than this many CPUs during a window make it "disturbed". */
    static final double DISTURBED_CORES = 0.30;
    static final int SERVER_CPU = 0;
    static final int CLIENT_CPU = 1;

    private final BenchOptions o;
    private final Progress progress = new Progress();
    final Map<String, Object> env = new LinkedHashMap<>();
    final List<String> serverJvmArgs = new ArrayList<>();
    final Map<Scenario, Table> echoTables = new LinkedHashMap<>();
    final List<RunRecord> echoRuns = new ArrayList<>();
    final List<SyscallRow> syscallRows = new ArrayList<>();
    String syscallTool;
    FileBench fileBench;
    HttpBench httpBench;
    boolean pinned;
    int clientCpus;
    Path logs;

    BenchMain(BenchOptions o) {
        this.o = o;
    }

    public static void main(String[] args) {
        BenchOptions o;
        try {
            o = BenchOptions.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println("bench: " + e.getMessage());
            System.err.println(BenchOptions.usage());
            System.exit(2);
            return;
        }
        if (o.help) {
            System.out.println(BenchOptions.usage());
            return;
        }
        try {
            new BenchMain(o).run();
            System.exit(0);
        } catch (Exception e) {
            System.err.println();
            System.err.println("bench failed: " + e);
            e.printStackTrace();
            System.exit(1);
        }
    }

    void run() throws Exception {
        Files.createDirectories(o.out);
        logs = o.out.resolve("logs");
        Files.createDirectories(logs);
        setUp();
        if (o.echo) {
            echo();
            if (o.syscalls) {
                syscalls();
            }
        }
        if (o.files) {
            fileBench = new FileBench(o, progress, serverJvmArgs, pinned ? SERVER_CPU : null, logs);
            fileBench.run();
        }
        if (o.http) {
            httpBench = new HttpBench(o, progress, serverJvmArgs, pinned ? SERVER_CPU : null, pinned ? CLIENT_CPU : null,
                    logs);
            httpBench.run();
        }
        progress.done();
        ReportWriter w = new ReportWriter(this, o);
        String md = w.writeAll();
        System.out.println(md);
        progress.say(String.format(Locale.ROOT, "bench: done in %.0f s; wrote %s", progress.elapsedSeconds(),
                w.written()));
    }

    private void setUp() {
        int cpus = Env.machineCpus();
        String taskset = Env.which("taskset");
        String pinNote;
        if (!o.pin) {
            pinNote = "not pinned (--no-pin)";
        } else if (taskset == null) {
            pinNote = "not pinned: taskset not installed";
        } else if (cpus < 2) {
            pinNote = "not pinned: only " + cpus + " CPU";
        } else {
            String err = Env.pinSelf(CLIENT_CPU);
            pinned = err == null;
            pinNote = pinned ? "server JVMs on CPU " + SERVER_CPU + " (taskset -c " + SERVER_CPU
                    + "), load generator on CPU " + CLIENT_CPU : "not pinned: " + err;
        }
        clientCpus = pinned ? 1 : Math.min(o.clientThreads, cpus);
        serverJvmArgs.add("-Xms" + o.serverHeap);
        serverJvmArgs.add("-Xmx" + o.serverHeap);
        serverJvmArgs.add("-XX:+UseSerialGC");
        serverJvmArgs.add("-XX:+AlwaysPreTouch");
        serverJvmArgs.add("-Dio.netty.leakDetection.level=disabled");
        serverJvmArgs.addAll(Env.nativeAccessFlags());
        serverJvmArgs.addAll(o.extraServerJvmArgs);
        env.put("java", System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version"));
        env.put("javaCommand", Env.javaCommand());
        env.put("kernel", Env.kernel());
        env.put("cpu", Env.cpuModel());
        env.put("cpus", cpus);
        env.put("pinning", pinNote);
        env.put("serverJvmArgs", String.join(" ", serverJvmArgs));
        env.put("clientThreads", o.clientThreads);
        progress.say("bench: " + cpus + " CPUs, " + pinNote + "; server JVM flags: " + String.join(" ", serverJvmArgs));
        if (!ProcCpu.available()) {
            progress.say("bench: /proc not readable: CPU figures will be missing");
        }
    }

    private void echo() {
        List<String> runnable = new ArrayList<>();
        for (Scenario sc : o.scenarios) {
            echoTables.put(sc, new Table("echo", sc.id, sc.title));
        }
        for (String s : o.servers) {
            String why = EchoServers.unavailableReason(s);
            for (Table t : echoTables.values()) {
                t.rowOrAdd(s).status = why;
            }
            if (why != null) {
                progress.say(s + ": " + why);
            } else {
                runnable.add(s);
            }
        }
        for (int round = 1; round <= o.rounds; round++) {
            for (String server : runnable) {
                String where = String.format(Locale.ROOT, "echo round %d/%d %s", round, o.rounds, server);
                progress.update(where + ": starting server JVM");
                Path log = logs.resolve("server-" + server + "-r" + round + ".log");
                try (ServerProcess sp = ServerProcess.start(server, pinned ? SERVER_CPU : null, serverJvmArgs, log)) {
                    env.putIfAbsent("server." + server, sp.info());
                    if (o.serverWarmupSeconds > 0) {
                        progress.update(where + ": JIT warm-up " + fmt(o.serverWarmupSeconds) + " s (64x16x64 B)");
                        jitWarmup(sp);
                    }
                    for (Scenario sc : o.scenarios) {
                        Row row = echoTables.get(sc).row(server);
                        RunRecord rec;
                        try {
                            rec = measure(sp, server, sc, round, where + " " + sc.id);
                        } catch (Exception e) {
                            rec = new RunRecord();
                            rec.part = "echo";
                            rec.scenario = sc.id;
                            rec.row = server;
                            rec.round = round;
                            rec.error = e.toString();
                        }
                        echoRuns.add(rec);
                        if (rec.valid()) {
                            row.runs.add(rec);
                        } else {
                            row.failedRuns++;
                            if (row.firstFailure == null) {
                                row.firstFailure = rec.error != null ? rec.error : "no echoes";
                            }
                            progress.say(where + " " + sc.id + ": FAILED: " + row.firstFailure);
                        }
                        if (!sp.alive()) {
                            throw new IOException("server process died (log: " + log + ")");
                        }
                    }
                } catch (Exception e) {
                    // the server failed to start or died: every scenario not measured this round failed
                    progress.say(where + ": " + e.getMessage());
                    for (Table t : echoTables.values()) {
                        final int r = round;
                        boolean measured = echoRuns.stream().anyMatch(x -> x.row.equals(server)
                                && x.scenario.equals(t.id) && x.round == r);
                        if (!measured) {
                            Row row = t.row(server);
                            row.failedRuns++;
                            if (row.firstFailure == null) {
                                row.firstFailure = e.getMessage();
                            }
                        }
                    }
                }
            }
        }
    }

    private void jitWarmup(ServerProcess sp) throws Exception {
        Scenario w = Scenario.TP64X16;
        InetSocketAddress addr = new InetSocketAddress(InetAddress.getLoopbackAddress(), sp.port());
        try (LoadGenerator lg = new LoadGenerator(new LoadConfig(addr, w.connections, w.depth, w.messageSize, false,
                o.clientThreads))) {
            lg.start();
            sleep(o.serverWarmupSeconds);
            if (lg.errorsSoFar() > 0) {
                lg.beginMeasure();
                throw new IOException("warm-up failed: " + lg.endMeasure().firstError());
            }
        }
    }

    private static final class Sample {
        long serverCpu;
        long clientCpu;
        long systemBusy;
        ServerProcess.Stats stats;
    }

    private Sample sample(ServerProcess sp, boolean before) throws IOException {
        Sample s = new Sample();
        if (before) {
            s.stats = sp.stats();
        }
        s.systemBusy = ProcCpu.systemCpuNanos()[0];
        s.serverCpu = ProcCpu.processCpuNanos(sp.pid());
        s.clientCpu = ProcCpu.selfCpuNanos();
        if (!before) {
            s.stats = sp.stats();
        }
        return s;
    }

    private RunRecord measure(ServerProcess sp, String server, Scenario sc, int round, String where) throws Exception {
        InetSocketAddress addr = new InetSocketAddress(InetAddress.getLoopbackAddress(), sp.port());
        LoadConfig cfg = new LoadConfig(addr, sc.connections, sc.depth, sc.messageSize, sc.churn, o.clientThreads);
        RunRecord best = null;
        try (LoadGenerator lg = new LoadGenerator(cfg)) {
            progress.update(where + ": warm-up " + fmt(o.warmupSeconds) + " s");
            lg.start();
            sleep(o.warmupSeconds);
            for (int attempt = 0; attempt <= o.redo; attempt++) {
                progress.update(where + ": measuring " + fmt(o.seconds) + " s" + (attempt > 0 ? " (again: disturbed)" : ""));
                Sample a = sample(sp, true);
                lg.beginMeasure();
                sleep(o.seconds);
                LoadResult r = lg.endMeasure();
                Sample b = sample(sp, false);
                RunRecord rec = record(sc, server, round, attempt, r, a, b);
                if (best == null || !best.valid() || (rec.valid() && rec.otherCpuCores() < best.otherCpuCores())) {
                    best = rec;
                }
                if (!rec.valid() || !rec.disturbed(DISTURBED_CORES)) {
                    break;
                }
            }
        }
        return best;
    }

    private RunRecord record(Scenario sc, String server, int round, int attempt, LoadResult r, Sample a, Sample b) {
        RunRecord rec = new RunRecord();
        rec.part = "echo";
        rec.scenario = sc.id;
        rec.row = server;
        rec.round = round;
        rec.attempt = attempt;
        rec.seconds = r.seconds();
        rec.ops = r.messages();
        rec.bytes = r.bytes();
        rec.p50Us = r.percentileMicros(50);
        rec.p90Us = r.percentileMicros(90);
        rec.p99Us = r.percentileMicros(99);
        rec.p999Us = r.percentileMicros(99.9);
        rec.maxUs = r.latencyNanos().getTotalCount() > 0 ? r.latencyNanos().getMaxValue() / 1000.0 : Double.NaN;
        rec.errors = r.errors();
        rec.connectErrors = r.connectErrors();
        rec.error = r.firstError();
        rec.clientCpus = clientCpus;
        if (a.serverCpu >= 0 && b.serverCpu >= 0) {
            rec.cpuSeconds = (b.serverCpu - a.serverCpu) / 1e9;
        }
        if (a.clientCpu >= 0 && b.clientCpu >= 0) {
            rec.clientCpuSeconds = (b.clientCpu - a.clientCpu) / 1e9;
        }
        if (a.systemBusy >= 0 && b.systemBusy >= 0) {
            rec.otherCpuSeconds = Math.max(0, (b.systemBusy - a.systemBusy) / 1e9 - nz(rec.cpuSeconds)
                    - nz(rec.clientCpuSeconds));
        }
        if (a.stats != null && b.stats != null && a.stats.loopAllocated() >= 0) {
            rec.loopAllocBytes = b.stats.loopAllocated() - a.stats.loopAllocated();
            rec.totalAllocBytes = b.stats.totalAllocated() - a.stats.totalAllocated();
        }
        if (sc.churn && r.connectErrors() > 0) {
            rec.note = r.connectErrors() + " failed connects";
        }
        return rec;
    }

    private static double nz(double d) {
        return Double.isNaN(d) ? 0 : d;
    }

    private void syscalls() {
        SyscallCounter counter = SyscallCounter.detect(o.syscallTool);
        syscallTool = counter.tool() == SyscallCounter.Tool.NONE ? "none (" + counter.why() + ")"
                : counter.tool().label + (counter.why() != null ? " — " + counter.why() : "");
        if (counter.tool() == SyscallCounter.Tool.NONE) {
            boolean straceMissing = Env.which("strace") == null;
            progress.say("syscalls: " + (straceMissing ? "strace not installed" : counter.why()));
        }
        Scenario sc = Scenario.TP64X1;
        for (String server : o.servers) {
            SyscallRow row = new SyscallRow(server);
            syscallRows.add(row);
            String why = EchoServers.unavailableReason(server);
            if (why != null) {
                row.status = why;
                continue;
            }
            if (counter.tool() == SyscallCounter.Tool.NONE) {
                row.status = Env.which("strace") == null ? "strace not installed (and perf unusable)" : counter.why();
                continue;
            }
            String where = "syscalls " + server + " (" + sc.id + ", " + counter.tool().name().toLowerCase(Locale.ROOT) + ")";
            progress.update(where + ": starting server JVM");
            Path log = logs.resolve("server-" + server + "-syscalls.log");
            try (ServerProcess sp = ServerProcess.start(server, pinned ? SERVER_CPU : null, serverJvmArgs, log)) {
                InetSocketAddress addr = new InetSocketAddress(InetAddress.getLoopbackAddress(), sp.port());
                LoadConfig cfg = new LoadConfig(addr, sc.connections, sc.depth, sc.messageSize, false, o.clientThreads);
                progress.update(where + ": warm-up");
                try (LoadGenerator warm = new LoadGenerator(cfg)) {
                    warm.start();
                    sleep(Math.max(1.0, o.warmupSeconds));
                }
                // perf attaches in ~0.3 s here; the window is bracketed by margins of idle server (a JVM at
                // rest makes a few syscalls per second, negligible against the load's)
                double attach = counter.tool() == SyscallCounter.Tool.PERF ? 1.0 : 1.5;
                SyscallCounter.Session session = counter.start(sp.pid(), attach + o.syscallSeconds + 0.5, o.out);
                sleep(attach);
                progress.update(where + ": counting " + fmt(o.syscallSeconds) + " s");
                LoadResult r;
                try (LoadGenerator lg = new LoadGenerator(cfg)) {
                    lg.start();
                    lg.beginMeasure();
                    sleep(o.syscallSeconds);
                    r = lg.endMeasure();
                }
                progress.update(where + ": collecting counts");
                row.counts = session.finish();
                row.messages = r.messages();
                row.seconds = r.seconds();
                if (r.errors() > 0) {
                    row.status = "load failed: " + r.firstError();
                } else if (row.counts.error() != null) {
                    row.status = row.counts.error();
                }
            } catch (Exception e) {
                row.status = "failed: " + e.getMessage();
            }
        }
    }

    static void sleep(double seconds) throws InterruptedException {
        Thread.sleep((long) (seconds * 1000));
    }

    static String fmt(double d) {
        return d == Math.rint(d) ? Long.toString((long) d) : String.format(Locale.ROOT, "%.1f", d);
    }

    BenchOptions options() {
        return o;
    }
}
