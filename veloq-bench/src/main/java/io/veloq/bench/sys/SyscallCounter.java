package io.veloq.bench.sys;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Counts a process's system calls over a window with {@code perf stat -e 'syscalls:sys_enter_*'} (exact,
 * in-kernel counters) or, when perf cannot, with {@code strace -f -c} (which slows every syscall and
 * under-counts io_uring servers: labelled as such).
 */
public final class SyscallCounter {

    /** Which tool counts. */
    public enum Tool {
        PERF("perf stat -e raw_syscalls:sys_enter (+ syscalls:sys_enter_NAME for the breakdown)"),
        STRACE("strace -f -c (under-counts io_uring servers)"),
        NONE("none");

        public final String label;

        Tool(String label) {
            this.label = label;
        }
    }

    /** Result of one counting window. */
    public record Counts(Tool tool, long total, Map<String, Long> bySyscall, String error) {
        /** The {@code n} most frequent syscalls, "name count" joined with ", ". */
        public String top(int n) {
            List<Map.Entry<String, Long>> l = new ArrayList<>(bySyscall.entrySet());
            l.sort((a, b) -> Long.compare(b.getValue(), a.getValue()));
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < Math.min(n, l.size()); i++) {
                if (i > 0) {
                    sb.append(", ");
                }
                sb.append(l.get(i).getKey()).append(' ').append(l.get(i).getValue());
            }
            return sb.toString();
        }
    }

    private final Tool tool;
    private final String why;

    private SyscallCounter(Tool tool, String why) {
        this.tool = tool;
        this.why = why;
    }

    /** Finds the best working tool. */
    public static SyscallCounter detect() {
        return detect("auto");
    }

    /** {@code auto}: perf when it can count syscall tracepoints, else strace; or the tool named. */
    public static SyscallCounter detect(String preference) {
        String perf = "strace".equals(preference) ? null : Env.which("perf");
        String perfWhy;
        if ("strace".equals(preference)) {
            perfWhy = "strace requested (--syscall-tool strace)";
        } else if (perf != null) {
            String[] r = Env.run(List.of(perf, "stat", "-x", ",", "-e", "raw_syscalls:sys_enter", "true"), 20);
            if ("0".equals(r[0]) && firstCount(r[1], "raw_syscalls:sys_enter") > 0) {
                return new SyscallCounter(Tool.PERF, null);
            }
            perfWhy = "perf cannot count syscall tracepoints here: " + r[1].trim().replace('\n', ' ');
        } else {
            perfWhy = "perf not installed";
        }
        if (Env.which("strace") != null && !"perf".equals(preference)) {
            return new SyscallCounter(Tool.STRACE, perfWhy);
        }
        return new SyscallCounter(Tool.NONE, perfWhy + ("perf".equals(preference) ? ""
                : Env.which("strace") == null ? "; strace not installed" : ""));
    }

    public Tool tool() {
        return tool;
    }

    /** Why a better tool was not used (null when perf is used). */
    public String why() {
        return why;
    }

    /** A running count: call {@link #finish()} when the load is done. */
    public final class Session {
        private final Process process;
        private final Path output;
        private final Tool used;

        private Session(Process process, Path output, Tool used) {
            this.process = process;
            this.output = output;
            this.used = used;
        }

        /** Waits for the tool to end (perf) or stops it (strace) and parses its summary. */
        public Counts finish() {
            try {
                if (used == Tool.STRACE) {
                    process.destroy(); // SIGTERM: strace detaches and writes its summary
                }
                if (!process.waitFor(60, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                    return new Counts(used, -1, Map.of(), "tool did not finish");
                }
                String text = Files.exists(output) ? Files.readString(output, StandardCharsets.UTF_8) : "";
                Files.deleteIfExists(output);
                return used == Tool.PERF ? parsePerf(text) : parseStrace(text);
            } catch (IOException e) {
                return new Counts(used, -1, Map.of(), e.toString());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return new Counts(used, -1, Map.of(), "interrupted");
            }
        }
    }

    /**
     * Starts counting the syscalls of every thread of {@code pid}. With perf the window lasts
     * {@code seconds}; with strace until {@link Session#finish()}.
     */
    public Session start(long pid, double seconds, Path scratch) throws IOException {
        Path out = Files.createTempFile(scratch, "syscalls-", ".txt");
        List<String> cmd = new ArrayList<>();
        if (tool == Tool.PERF) {
            cmd.addAll(List.of(Env.which("perf"), "stat", "-x", ",", "-o", out.toString(),
                    "-e", perfEvents(), "-p", Long.toString(pid), "--", "sleep",
                    String.format(java.util.Locale.ROOT, "%.3f", seconds)));
        } else if (tool == Tool.STRACE) {
            cmd.addAll(List.of(Env.which("strace"), "-f", "-c", "-o", out.toString(), "-p", Long.toString(pid)));
        } else {
            throw new IllegalStateException("no syscall counting tool");
        }
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        return new Session(p, out, tool);
    }

    /**
     * Syscalls named in the breakdown. Counting every {@code syscalls:sys_enter_*} tracepoint opens one
     * event per syscall per thread (some 7,000 for a JVM) and takes perf seconds to set up and tear down,
     * so the total comes from {@code raw_syscalls:sys_enter} (every syscall, exact) and only these are
     * named; the rest is reported as "other".
     */
    static final List<String> NAMED = List.of("read", "write", "readv", "writev", "recvfrom", "sendto", "recvmsg",
            "sendmsg", "epoll_wait", "epoll_pwait", "epoll_pwait2", "epoll_ctl", "io_uring_enter", "futex", "accept",
            "accept4", "close", "shutdown", "gettid", "sched_yield", "nanosleep", "clock_nanosleep", "poll", "ppoll",
            "mprotect", "madvise", "ioctl", "getsockname", "setsockopt", "fcntl");

    /** The perf event list: the total plus the named syscalls this kernel has tracepoints for. */
    static String perfEvents() {
        StringBuilder sb = new StringBuilder(TOTAL_EVENT);
        java.nio.file.Path dir = null;
        for (String d : List.of("/sys/kernel/tracing/events/syscalls", "/sys/kernel/debug/tracing/events/syscalls")) {
            if (Files.isDirectory(java.nio.file.Paths.get(d))) {
                dir = java.nio.file.Paths.get(d);
                break;
            }
        }
        if (dir != null) {
            for (String n : NAMED) {
                if (Files.isDirectory(dir.resolve("sys_enter_" + n))) {
                    sb.append(",syscalls:sys_enter_").append(n);
                }
            }
        }
        return sb.toString();
    }

    static final String TOTAL_EVENT = "raw_syscalls:sys_enter";

    /** Parses {@code perf stat -x ,} output of {@link #perfEvents()}. */
    public static Counts parsePerf(String text) {
        Map<String, Long> by = new LinkedHashMap<>();
        long total = -1;
        long named = 0;
        for (String line : text.split("\n")) {
            String[] f = line.split(",");
            if (f.length < 3 || line.startsWith("#")) {
                continue;
            }
            String event = f[2];
            long n;
            try {
                n = Long.parseLong(f[0].trim());
            } catch (NumberFormatException e) {
                continue; // <not counted> / <not supported>
            }
            if (event.equals(TOTAL_EVENT)) {
                total = n;
                continue;
            }
            int k = event.indexOf("sys_enter_");
            if (k >= 0 && n > 0) {
                by.merge(event.substring(k + "sys_enter_".length()), n, Long::sum);
                named += n;
            }
        }
        if (total < 0 && !by.isEmpty()) {
            total = named;
        } else if (total > named) {
            by.put("other", total - named);
        }
        return new Counts(Tool.PERF, total, by,
                total < 0 ? "perf reported nothing: " + text.trim().replace('\n', ' ') : null);
    }

    /** Parses the {@code strace -c} summary table. */
    public static Counts parseStrace(String text) {
        Map<String, Long> by = new LinkedHashMap<>();
        long total = -1;
        for (String line : text.split("\n")) {
            String t = line.trim();
            if (t.isEmpty() || t.startsWith("%") || t.startsWith("-")) {
                continue;
            }
            String[] f = t.split("\\s+");
            // % time, seconds, usecs/call, calls, [errors], syscall
            if (f.length < 5) {
                continue;
            }
            try {
                long calls = Long.parseLong(f[3]);
                String name = f[f.length - 1];
                if (name.equals("total")) {
                    total = calls;
                } else {
                    by.put(name, calls);
                }
            } catch (NumberFormatException e) {
                // not a row
            }
        }
        return new Counts(Tool.STRACE, total, by, total < 0 ? "no strace summary" : null);
    }

    private static long firstCount(String perfOutput, String event) {
        for (String line : perfOutput.split("\n")) {
            if (line.contains(event)) {
                try {
                    return Long.parseLong(line.split(",")[0].trim());
                } catch (NumberFormatException e) {
                    return -1;
                }
            }
        }
        return -1;
    }
}
