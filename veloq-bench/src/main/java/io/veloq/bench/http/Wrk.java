package io.veloq.bench.http;

import io.veloq.bench.sys.Env;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Runs {@code wrk} (pinned with {@code taskset} when asked) and reads its report. */
public final class Wrk {
    /** What one wrk run reported. */
    public record Result(long requests, double seconds, long bytes, long socketErrors, long non2xx, double p50Us,
                         double p90Us, double p99Us, String output) {
        public String firstError() {
            if (socketErrors > 0 || non2xx > 0) {
                return "wrk: " + socketErrors + " socket errors, " + non2xx + " non-2xx responses";
            }
            return requests == 0 ? "wrk: no requests completed" : null;
        }
    }

    private static final Pattern TOTAL = Pattern.compile("(\\d+) requests in ([0-9.]+)(us|ms|s|m), ([0-9.]+)([KMGT]?B) read");
    private static final Pattern SOCKET = Pattern.compile(
            "Socket errors: connect (\\d+), read (\\d+), write (\\d+), timeout (\\d+)");
    private static final Pattern NON2XX = Pattern.compile("Non-2xx or 3xx responses: (\\d+)");
    private static final Pattern PCT = Pattern.compile("^\\s+(50|90|99)%\\s+([0-9.]+)(us|ms|s)\\s*$", Pattern.MULTILINE);

    private Wrk() {
    }

    /** Why wrk cannot run here, or null. */
    public static String unavailableReason() {
        return Env.which("wrk") == null ? "wrk not installed (apt-get install wrk)" : null;
    }

    /** {@code wrk -t1 -cN -dS --latency url} (S rounded to whole seconds, at least 1), on {@code cpu} when not null. */
    public static Result run(String url, int connections, double seconds, Integer cpu) throws IOException,
            InterruptedException {
        List<String> cmd = new ArrayList<>();
        if (cpu != null && Env.which("taskset") != null) {
            cmd.addAll(List.of("taskset", "-c", String.valueOf(cpu)));
        }
        long secs = Math.max(1, Math.round(seconds)); // wrk takes whole seconds (s, m, h)
        cmd.addAll(List.of("wrk", "-t1", "-c" + connections, "-d" + secs + "s", "--timeout", "10s", "--latency", url));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor((long) seconds + 60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException("wrk did not finish: " + String.join(" ", cmd));
        }
        String s = new String(out, StandardCharsets.UTF_8);
        if (p.exitValue() != 0) {
            throw new IOException("wrk exited " + p.exitValue() + ": " + s.trim());
        }
        return parse(s);
    }

    static Result parse(String s) throws IOException {
        Matcher t = TOTAL.matcher(s);
        if (!t.find()) {
            throw new IOException("cannot read wrk's report: " + s.trim());
        }
        long requests = Long.parseLong(t.group(1));
        double secs = Double.parseDouble(t.group(2)) * switch (t.group(3)) {
            case "us" -> 1e-6;
            case "ms" -> 1e-3;
            case "m" -> 60;
            default -> 1;
        };
        double size = Double.parseDouble(t.group(4)) * switch (t.group(5)) {
            case "KB" -> 1024.0;
            case "MB" -> 1024.0 * 1024;
            case "GB" -> 1024.0 * 1024 * 1024;
            case "TB" -> 1024.0 * 1024 * 1024 * 1024;
            default -> 1;
        };
        long socketErrors = 0;
        Matcher se = SOCKET.matcher(s);
        if (se.find()) {
            for (int i = 1; i <= 4; i++) {
                socketErrors += Long.parseLong(se.group(i));
            }
        }
        Matcher nx = NON2XX.matcher(s);
        long non2xx = nx.find() ? Long.parseLong(nx.group(1)) : 0;
        double p50 = Double.NaN, p90 = Double.NaN, p99 = Double.NaN;
        Matcher pc = PCT.matcher(s);
        while (pc.find()) {
            double us = Double.parseDouble(pc.group(2)) * switch (pc.group(3)) {
                case "ms" -> 1e3;
                case "s" -> 1e6;
                default -> 1;
            };
            switch (pc.group(1)) {
                case "50" -> p50 = us;
                case "90" -> p90 = us;
                default -> p99 = us;
            }
        }
        return new Result(requests, secs, (long) size, socketErrors, non2xx, p50, p90, p99, s);
    }

    static String fmt(double d) {
        return String.format(Locale.ROOT, "%.1f", d);
    }
}
