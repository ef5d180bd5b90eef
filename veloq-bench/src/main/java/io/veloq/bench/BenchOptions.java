package io.veloq.bench;

import io.veloq.bench.echo.EchoServers;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;

/** Command-line flags of {@link BenchMain}. */
public final class BenchOptions {

    public boolean quick;
    public List<String> servers = new ArrayList<>(EchoServers.DEFAULT_ORDER);
    public List<Scenario> scenarios = new ArrayList<>(List.of(Scenario.values()));
    public int rounds;
    public double warmupSeconds;
    public double seconds;
    public Path out = Paths.get("target", "bench");
    public boolean echo = true;
    public boolean files = true;
    public boolean syscalls = true;
    /** The HTTP static-file part (wrk against Veloq's http-server, Netty and the JDK's server). */
    public boolean http = true;
    public List<String> httpServers = new ArrayList<>(io.veloq.bench.http.HttpServers.DEFAULT_ORDER);
    public int httpConnections = 64;
    public boolean pin = true;
    public int clientThreads = 1;
    public int redo;
    public double syscallSeconds;
    /** Load (64 x 16 x 64 B) right after each server start so the JIT has compiled the echo path. */
    public double serverWarmupSeconds;
    public int fileSizeMib;
    public int fileWriteMib;
    public int fileRounds;
    public List<String> fileEngines = new ArrayList<>(io.veloq.bench.files.FileEngines.DEFAULT_ORDER);
    public String serverHeap = "256m";
    /** auto (perf when it can count syscall tracepoints, else strace), perf or strace. */
    public String syscallTool = "auto";
    public List<String> extraServerJvmArgs = new ArrayList<>();
    public boolean help;

    /** Parses flags; values not given take the defaults of full or {@code --quick} mode. */
    public static BenchOptions parse(String... args) {
        BenchOptions o = new BenchOptions();
        Integer rounds = null;
        Double warmup = null;
        Double seconds = null;
        Integer fileMib = null;
        Integer writeMib = null;
        Integer fileRounds = null;
        Integer redo = null;
        Double sysSec = null;
        Double serverWarm = null;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            String v = null;
            int eq = a.indexOf('=');
            if (a.startsWith("--") && eq > 0) {
                v = a.substring(eq + 1);
                a = a.substring(0, eq);
            }
            switch (a) {
                case "--quick": o.quick = true; break;
                case "--help": case "-h": o.help = true; break;
                case "--no-files": o.files = false; break;
                case "--no-echo": o.echo = false; break;
                case "--no-syscalls": o.syscalls = false; break;
                case "--no-http": o.http = false; break;
                case "--http-only": o.echo = false; o.files = false; o.http = true; break;
                case "--http-servers": o.httpServers = list(v != null ? v : value(args, ++i, a)); break;
                case "--http-connections":
                    o.httpConnections = positiveInt(v != null ? v : value(args, ++i, a), a);
                    break;
                case "--no-pin": o.pin = false; break;
                case "--servers": o.servers = list(v != null ? v : value(args, ++i, a)); break;
                case "--scenarios": o.scenarios = scenarios(v != null ? v : value(args, ++i, a)); break;
                case "--file-engines": o.fileEngines = list(v != null ? v : value(args, ++i, a)); break;
                case "--rounds": rounds = positiveInt(v != null ? v : value(args, ++i, a), a); break;
                case "--warmup": warmup = seconds(v != null ? v : value(args, ++i, a), a, true); break;
                case "--seconds": seconds = seconds(v != null ? v : value(args, ++i, a), a, false); break;
                case "--server-warmup": serverWarm = seconds(v != null ? v : value(args, ++i, a), a, true); break;
                case "--syscall-seconds": sysSec = seconds(v != null ? v : value(args, ++i, a), a, false); break;
                case "--out": o.out = Paths.get(v != null ? v : value(args, ++i, a)); break;
                case "--client-threads":
                    o.clientThreads = positiveInt(v != null ? v : value(args, ++i, a), a);
                    break;
                case "--redo": redo = nonNegativeInt(v != null ? v : value(args, ++i, a), a); break;
                case "--file-size-mib": fileMib = positiveInt(v != null ? v : value(args, ++i, a), a); break;
                case "--file-write-mib": writeMib = positiveInt(v != null ? v : value(args, ++i, a), a); break;
                case "--file-rounds": fileRounds = positiveInt(v != null ? v : value(args, ++i, a), a); break;
                case "--syscall-tool":
                    o.syscallTool = v != null ? v : value(args, ++i, a);
                    if (!List.of("auto", "perf", "strace").contains(o.syscallTool)) {
                        throw new IllegalArgumentException("--syscall-tool: auto, perf or strace");
                    }
                    break;
                case "--server-heap": o.serverHeap = v != null ? v : value(args, ++i, a); break;
                case "--server-jvm-arg": o.extraServerJvmArgs.add(v != null ? v : value(args, ++i, a)); break;
                default:
                    throw new IllegalArgumentException("unknown flag '" + args[i] + "' (try --help)");
            }
        }
        o.rounds = rounds != null ? rounds : o.quick ? 2 : 3;
        o.warmupSeconds = warmup != null ? warmup : o.quick ? 0.3 : 2;
        o.seconds = seconds != null ? seconds : o.quick ? 0.8 : 3;
        o.serverWarmupSeconds = serverWarm != null ? serverWarm : o.quick ? 1 : 2;
        o.syscallSeconds = sysSec != null ? sysSec : o.quick ? 0.8 : 2;
        o.redo = redo != null ? redo : o.quick ? 0 : 1;
        o.fileSizeMib = fileMib != null ? fileMib : o.quick ? 256 : 1024;
        o.fileWriteMib = writeMib != null ? writeMib : o.quick ? 64 : 256;
        o.fileRounds = fileRounds != null ? fileRounds : o.quick ? 1 : 3;
        for (String s : o.servers) {
            if (!EchoServers.names().contains(s)) {
                throw new IllegalArgumentException("unknown server '" + s + "', known: " + EchoServers.names());
            }
        }
        for (String h : o.httpServers) {
            if (!io.veloq.bench.http.HttpServers.NAMES.contains(h)) {
                throw new IllegalArgumentException("unknown http server '" + h + "', known: "
                        + io.veloq.bench.http.HttpServers.NAMES);
            }
        }
        for (String e : o.fileEngines) {
            if (!io.veloq.bench.files.FileEngines.names().contains(e)) {
                throw new IllegalArgumentException("unknown file engine '" + e + "', known: "
                        + io.veloq.bench.files.FileEngines.names());
            }
        }
        return o;
    }

    public static String usage() {
        return String.join("\n",
                "usage: BenchMain [flags]",
                "  --quick                  whole matrix in about a minute (2 rounds, 1 s JIT warm-up per server start,",
                "                           0.3 s warm-up and 0.8 s windows per scenario, 1 file round,",
                "                           256 MiB file)",
                "  --servers a,b,...        echo servers, interleaved in this order each round; known: "
                        + EchoServers.names(),
                "  --scenarios a,b,...      " + Scenario.ids(),
                "  --rounds N               rounds (server restarted each round; median reported); default 3",
                "  --warmup S               warm-up seconds before each measured window; default 2",
                "  --seconds S              measured window, seconds; default 3",
                "  --server-warmup S        64x16 load right after each server start, for the JIT; default 2",
                "  --out DIR                output directory; default target/bench",
                "  --client-threads N       load generator threads; default 1 (one pinned CPU)",
                "  --redo N                 re-measure a window disturbed by other processes up to N times",
                "  --syscall-seconds S      window of the syscall-count run; --no-syscalls skips it",
                "  --syscall-tool T         auto (perf if it works, else strace), perf or strace",
                "  --no-echo / --no-files   skip the echo part / the file part",
                "  --no-http / --http-only  skip the HTTP static-file part (wrk) / run only it",
                "  --http-servers a,b,...   known: " + io.veloq.bench.http.HttpServers.NAMES + "; default "
                        + io.veloq.bench.http.HttpServers.DEFAULT_ORDER,
                "  --http-connections N     wrk connections (default 64)",
                "  --file-engines a,b,...   known: " + io.veloq.bench.files.FileEngines.names(),
                "  --file-size-mib N        random-read file size (default 1024; --quick 256)",
                "  --file-write-mib N       bytes written by the sequential-write test (default 256; --quick 64)",
                "  --file-rounds N          rounds of the file part (default 3; --quick 1)",
                "  --server-heap SIZE       -Xms=-Xmx of every server JVM (default 256m)",
                "  --server-jvm-arg ARG     extra flag for every server JVM (repeatable)",
                "  --no-pin                 do not pin server to CPU 0 and client to CPU 1");
    }

    private static String value(String[] args, int i, String flag) {
        if (i >= args.length) {
            throw new IllegalArgumentException(flag + " needs a value");
        }
        return args[i];
    }

    private static List<String> list(String v) {
        List<String> l = new ArrayList<>();
        for (String s : v.split(",")) {
            s = s.trim();
            if (!s.isEmpty() && !l.contains(s)) {
                l.add(s);
            }
        }
        if (l.isEmpty()) {
            throw new IllegalArgumentException("empty list");
        }
        return l;
    }

    private static List<Scenario> scenarios(String v) {
        List<Scenario> l = new ArrayList<>();
        for (String s : list(v)) {
            l.add(Scenario.byId(s));
        }
        return l;
    }

    private static int positiveInt(String v, String flag) {
        int n = nonNegativeInt(v, flag);
        if (n < 1) {
            throw new IllegalArgumentException(flag + " must be >= 1");
        }
        return n;
    }

    private static int nonNegativeInt(String v, String flag) {
        try {
            int n = Integer.parseInt(v.trim());
            if (n < 0) {
                throw new IllegalArgumentException(flag + " must be >= 0");
            }
            return n;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(flag + ": not a number: " + v);
        }
    }

    private static double seconds(String v, String flag, boolean zeroOk) {
        double d;
        try {
            d = Double.parseDouble(v.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(flag + ": not a number: " + v);
        }
        if (d < 0 || (!zeroOk && d == 0) || d > 3600) {
            throw new IllegalArgumentException(flag + ": out of range: " + v);
        }
        return d;
    }
}
