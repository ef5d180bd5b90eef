package io.veloq.bench;

import io.veloq.bench.echo.EchoServers;
import io.veloq.bench.files.FileEngines;
import io.veloq.bench.report.Json;
import io.veloq.bench.report.Markdown;
import io.veloq.bench.report.Row;
import io.veloq.bench.report.RunRecord;
import io.veloq.bench.report.Svg;
import io.veloq.bench.report.Table;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Writes results.md, results.json and the SVG charts. */
final class ReportWriter {

    static final Markdown.Style ECHO_STYLE = new Markdown.Style("server", "msgs/s", "msg",
            List.of(EchoServers.NETTY_URING, EchoServers.NIO), true, true, "server", BenchMain.DISTURBED_CORES);
    static final Markdown.Style FILE_STYLE = new Markdown.Style("engine", "IOPS", "op",
            List.of(FileEngines.FC_ONE_THREAD, FileEngines.FC_POOL), false, false, "worker JVM",
            BenchMain.DISTURBED_CORES);

    static final Markdown.Style HTTP_STYLE = new Markdown.Style("server", "req/s", "req",
            List.of(io.veloq.bench.http.HttpServers.NETTY_EPOLL), true, true, "server", BenchMain.DISTURBED_CORES);

    private final BenchMain b;
    private final BenchOptions o;
    private final List<Path> written = new ArrayList<>();

    ReportWriter(BenchMain b, BenchOptions o) {
        this.b = b;
        this.o = o;
    }

    List<Path> written() {
        return written;
    }

    String writeAll() throws IOException {
        String md = markdown();
        write("results.md", md);
        write("results.json", Json.write(json()));
        if (!b.echoTables.isEmpty()) {
            write("echo-msgs.svg", echoChart("msgs/s", "Echo throughput: messages per second (higher is better)",
                    "msgs/s", r -> new double[] {r.opsPerSecond()}, List.of("msgs/s")));
            write("echo-cpu.svg", echoChart("cpu", "Server CPU per echoed message (lower is better)", "µs",
                    r -> new double[] {r.cpuMicrosPerOp()}, List.of("CPU µs/msg")));
            write("echo-latency.svg", echoChart("latency", "Echo round-trip latency (lower is better)", "µs",
                    r -> new double[] {r.p50(), r.p99(), r.p999()}, List.of("p50", "p99", "p99.9")));
        }
        if (b.fileBench != null) {
            List<Svg.Panel> panels = new ArrayList<>();
            for (Table t : b.fileBench.tables.values()) {
                panels.add(new Svg.Panel(t.id + " — " + t.title, groups(t, r -> new double[] {r.opsPerSecond()})));
            }
            String sub = String.format(Locale.ROOT, "%s; %s; median of %d round(s), %s s windows; %d MiB file",
                    b.env.get("cpu"), b.fileBench.pinNote(), o.fileRounds, BenchMain.fmt(o.seconds), o.fileSizeMib);
            write("files-iops.svg", Svg.chart("File I/O: ops per second (higher is better)", sub, List.of("IOPS"),
                    "ops/s", panels));
        }
        return md;
    }

    private String subtitle() {
        return String.format(Locale.ROOT, "%s; %s; median of %d round(s), %s s windows", b.env.get("cpu"),
                b.env.get("pinning"), o.rounds, BenchMain.fmt(o.seconds));
    }

    private String echoChart(String kind, String title, String unit, java.util.function.Function<Row, double[]> f,
                             List<String> series) {
        List<Svg.Panel> panels = new ArrayList<>();
        for (Table t : b.echoTables.values()) {
            panels.add(new Svg.Panel(t.title, groups(t, f)));
        }
        return Svg.chart(title, subtitle(), series, unit, panels);
    }

    private static List<Svg.Group> groups(Table t, java.util.function.Function<Row, double[]> f) {
        List<Svg.Group> g = new ArrayList<>();
        for (Row r : t.rows) {
            if (r.hasFigures()) {
                g.add(new Svg.Group(r.name, f.apply(r), null));
            } else {
                g.add(new Svg.Group(r.name, null, r.status != null ? r.status
                        : r.failedRuns > 0 ? "failed: " + r.firstFailure : "no figures"));
            }
        }
        return g;
    }

    private void write(String name, String content) throws IOException {
        Path p = o.out.resolve(name);
        Files.writeString(p, content, StandardCharsets.UTF_8);
        written.add(p);
    }

    String markdown() {
        StringBuilder sb = new StringBuilder();
        sb.append("# Veloq bench — ")
                .append(OffsetDateTime.now(ZoneOffset.UTC).format(DateTimeFormatter.ISO_OFFSET_DATE_TIME)).append("\n\n");
        sb.append(String.format(Locale.ROOT, "- mode: %s; %d round(s), servers restarted and interleaved each round "
                        + "(%s), each server JVM warmed up %s s (64x16x64 B) after start, then per scenario "
                        + "%s s warm-up + %s s measured; figures are medians over rounds\n",
                o.quick ? "--quick" : "full", o.rounds, String.join(" ", o.servers),
                BenchMain.fmt(o.serverWarmupSeconds), BenchMain.fmt(o.warmupSeconds), BenchMain.fmt(o.seconds)));
        for (Map.Entry<String, Object> e : b.env.entrySet()) {
            sb.append("- ").append(e.getKey()).append(": ").append(e.getValue()).append('\n');
        }
        sb.append("- primary figure: server CPU time per echoed message (utime+stime of the server JVM over the window,"
                + " from /proc/PID/task/*/schedstat), which stays comparable when the load generator saturates; "
                + "µs per message equals CPU seconds per million messages. Ratios \"÷ X\" divide this row's median by "
                + "X's (msgs/s: higher is better; CPU/msg: lower is better).\n");
        sb.append("- \"client saturated\": the load generator used > 90% of its CPU in that window (msgs/s then "
                + "measures the client more than the server). \"disturbed\": other processes used > "
                + BenchMain.DISTURBED_CORES + " CPU during the window. Latency is round trip from queueing a message "
                + "to its last echoed byte (churn: from connect start).\n\n");
        if (!b.echoTables.isEmpty()) {
            sb.append("## Echo\n\n");
            for (Table t : b.echoTables.values()) {
                sb.append("### ").append(t.id).append(" — ").append(t.title).append("\n\n");
                sb.append(Markdown.table(t, ECHO_STYLE)).append('\n');
            }
        }
        if (!b.syscallRows.isEmpty()) {
            sb.append("### Syscalls per echoed message (64 connections x depth 1 x 64 B, separate run, fresh server)\n\n");
            sb.append("Tool: ").append(b.syscallTool).append("\n\n");
            sb.append("| server | syscalls/msg | messages counted | top syscalls (per msg) |\n|---|---:|---:|---|\n");
            for (SyscallRow r : b.syscallRows) {
                if (r.status != null || r.counts == null) {
                    sb.append("| ").append(r.server).append(" | — | — | ").append(r.server).append(": ")
                            .append(r.status).append(" |\n");
                    continue;
                }
                sb.append("| ").append(r.server).append(" | ")
                        .append(String.format(Locale.ROOT, "%.3f", r.perMessage())).append(" | ")
                        .append(String.format(Locale.ROOT, "%,d", r.messages)).append(" | ")
                        .append(topPerMessage(r)).append(" |\n");
            }
            sb.append('\n');
        }
        if (b.fileBench != null) {
            sb.append("## Files\n\n");
            if (b.fileBench.setupNote != null) {
                sb.append("- ").append(b.fileBench.setupNote).append("\n");
            }
            sb.append("- CPU is the worker JVM's over the window; latency per op; fc-pool32 latency includes the "
                    + "hand-off to the pool.\n\n");
            for (Table t : b.fileBench.tables.values()) {
                sb.append("### ").append(t.id).append(" — ").append(t.title).append("\n\n");
                sb.append(Markdown.table(t, FILE_STYLE)).append('\n');
            }
        }
        if (b.httpBench != null && !b.httpBench.tables.isEmpty()) {
            sb.append(httpMarkdown(b.httpBench));
        }
        return sb.toString();
    }

    private String httpMarkdown(HttpBench h) {
        StringBuilder sb = new StringBuilder("## HTTP static files\n\n");
        if (h.setupNote != null) {
            sb.append("- ").append(h.setupNote).append('\n');
        }
        sb.append("- wrk -t1 against each server (its own JVM, restarted and interleaved every round: ")
                .append(String.join(" ", o.httpServers)).append("); CPU per request is the server JVM's CPU time "
                        + "over the window / requests; alloc B/req is the loop (or dispatcher) thread's bytes over the "
                        + "window / requests, wrk's connection set-up included. \"client CPU\" is wrk's.\n");
        sb.append("- Targets (issue 13): Veloq req/s >= Netty's, CPU per request <= 0.95 x Netty's, 0 B per request "
                + "on the loop thread for the 1 KiB file.\n");
        sb.append("- Allocation probe (1 KiB file, 8 keep-alive connections opened before it, 16,000 requests): "
                + "loop-thread bytes per request, median over rounds:");
        for (String s : o.httpServers) {
            double p = h.probeMedian(s);
            sb.append(' ').append(s).append(' ').append(Double.isNaN(p) ? "—" : String.format(Locale.ROOT, "%.3f", p))
                    .append(';');
        }
        sb.setLength(sb.length() - 1);
        sb.append("\n\n");
        for (Table t : h.tables.values()) {
            sb.append("### ").append(t.id).append(" — ").append(t.title).append("\n\n");
            sb.append(Markdown.table(t, HTTP_STYLE)).append('\n');
        }
        return sb.toString();
    }

    private static String topPerMessage(SyscallRow r) {
        List<Map.Entry<String, Long>> l = new ArrayList<>(r.counts.bySyscall().entrySet());
        l.sort((x, y) -> Long.compare(y.getValue(), x.getValue()));
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < Math.min(5, l.size()); i++) {
            if (i > 0) {
                sb.append(", ");
            }
            sb.append(l.get(i).getKey()).append(' ')
                    .append(String.format(Locale.ROOT, "%.3f", (double) l.get(i).getValue() / r.messages));
        }
        return sb.toString();
    }

    private Map<String, Object> json() {
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("generated", OffsetDateTime.now(ZoneOffset.UTC).toString());
        Map<String, Object> opts = new LinkedHashMap<>();
        opts.put("quick", o.quick);
        opts.put("servers", o.servers);
        List<String> sc = new ArrayList<>();
        for (Scenario s : o.scenarios) {
            sc.add(s.id);
        }
        opts.put("scenarios", sc);
        opts.put("rounds", o.rounds);
        opts.put("warmupSeconds", o.warmupSeconds);
        opts.put("serverWarmupSeconds", o.serverWarmupSeconds);
        opts.put("syscallSeconds", o.syscallSeconds);
        opts.put("seconds", o.seconds);
        opts.put("redo", o.redo);
        opts.put("fileSizeMib", o.fileSizeMib);
        opts.put("fileWriteMib", o.fileWriteMib);
        opts.put("fileRounds", o.fileRounds);
        root.put("options", opts);
        root.put("env", b.env);
        List<Object> echo = new ArrayList<>();
        for (Table t : b.echoTables.values()) {
            echo.add(tableJson(t));
        }
        root.put("echo", echo);
        List<Object> sys = new ArrayList<>();
        for (SyscallRow r : b.syscallRows) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("server", r.server);
            m.put("status", r.status);
            m.put("tool", r.counts == null ? null : r.counts.tool().name());
            m.put("syscalls", r.counts == null ? null : r.counts.total());
            m.put("messages", r.messages);
            m.put("seconds", r.seconds);
            m.put("perMessage", r.perMessage());
            m.put("bySyscall", r.counts == null ? Map.of() : r.counts.bySyscall());
            sys.add(m);
        }
        root.put("syscalls", sys);
        List<Object> files = new ArrayList<>();
        if (b.fileBench != null) {
            root.put("fileSetup", b.fileBench.setupNote);
            for (Table t : b.fileBench.tables.values()) {
                files.add(tableJson(t));
            }
        }
        root.put("files", files);
        List<Object> http = new ArrayList<>();
        if (b.httpBench != null) {
            for (Table t : b.httpBench.tables.values()) {
                http.add(tableJson(t));
            }
            root.put("httpAllocationProbe", b.httpBench.probes);
        }
        root.put("http", http);
        List<Object> raw = new ArrayList<>();
        for (RunRecord r : b.echoRuns) {
            raw.add(runJson(r));
        }
        if (b.httpBench != null) {
            for (RunRecord r : b.httpBench.runs) {
                raw.add(runJson(r));
            }
        }
        if (b.fileBench != null) {
            for (RunRecord r : b.fileBench.runs) {
                raw.add(runJson(r));
            }
        }
        root.put("runs", raw);
        return root;
    }

    private static Map<String, Object> tableJson(Table t) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", t.id);
        m.put("title", t.title);
        List<Object> rows = new ArrayList<>();
        for (Row r : t.rows) {
            Map<String, Object> x = new LinkedHashMap<>();
            x.put("name", r.name);
            x.put("status", r.status);
            x.put("runs", r.runs.size());
            x.put("failedRuns", r.failedRuns);
            x.put("firstFailure", r.firstFailure);
            if (r.hasFigures()) {
                x.put("opsPerSecond", r.opsPerSecond());
                x.put("megabytesPerSecond", r.megabytesPerSecond());
                x.put("p50Us", r.p50());
                x.put("p99Us", r.p99());
                x.put("p999Us", r.p999());
                x.put("cpuMicrosPerOp", r.cpuMicrosPerOp());
                x.put("cpuSecondsPerMillionOps", r.cpuMicrosPerOp());
                x.put("cpuSpread", r.cpuSpread());
                x.put("opsSpread", r.opsSpread());
                x.put("loopAllocBytesPerOp", r.loopAllocPerOp());
                x.put("clientCpuFraction", r.clientCpuFraction());
                x.put("clientSaturatedRuns", r.saturatedRuns());
                x.put("disturbedRuns", r.disturbedRuns(BenchMain.DISTURBED_CORES));
            }
            rows.add(x);
        }
        m.put("rows", rows);
        return m;
    }

    private static Map<String, Object> runJson(RunRecord r) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("part", r.part);
        m.put("scenario", r.scenario);
        m.put("row", r.row);
        m.put("round", r.round);
        m.put("attempt", r.attempt);
        m.put("seconds", r.seconds);
        m.put("ops", r.ops);
        m.put("bytes", r.bytes);
        m.put("opsPerSecond", r.opsPerSecond());
        m.put("p50Us", r.p50Us);
        m.put("p90Us", r.p90Us);
        m.put("p99Us", r.p99Us);
        m.put("p999Us", r.p999Us);
        m.put("maxUs", r.maxUs);
        m.put("cpuSeconds", r.cpuSeconds);
        m.put("cpuMicrosPerOp", r.cpuMicrosPerOp());
        m.put("clientCpuSeconds", r.clientCpuSeconds);
        m.put("clientCpuFraction", r.clientCpuFraction());
        m.put("otherCpuSeconds", r.otherCpuSeconds);
        m.put("loopAllocBytes", r.loopAllocBytes);
        m.put("totalAllocBytes", r.totalAllocBytes);
        m.put("errors", r.errors);
        m.put("connectErrors", r.connectErrors);
        m.put("error", r.error);
        m.put("note", r.note);
        return m;
    }
}
