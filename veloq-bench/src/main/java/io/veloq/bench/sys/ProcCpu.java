package io.veloq.bench.sys;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

/**
 * CPU time from Linux {@code /proc}: a process's (sum of its threads' {@code schedstat}, nanosecond
 * resolution; falls back to {@code stat} utime+stime in clock ticks) and the whole machine's busy time.
 */
public final class ProcCpu {

    /** Clock ticks per second of {@code /proc/stat}; 100 on every Linux this runs on. */
    public static final long CLK_TCK = 100;

    private ProcCpu() {
    }

    public static boolean available() {
        return Files.isReadable(Paths.get("/proc/self/stat"));
    }

    /** CPU time (user + system) consumed so far by every live thread of {@code pid}, in ns; -1 if unknown. */
    public static long processCpuNanos(long pid) {
        long viaSchedstat = schedstatNanos(pid);
        if (viaSchedstat >= 0) {
            return viaSchedstat;
        }
        return statNanos(pid);
    }

    /** utime+stime of {@code pid} from {@code /proc/PID/stat} (includes exited threads), in ns; -1 if unknown. */
    public static long statNanos(long pid) {
        try {
            String s = Files.readString(Paths.get("/proc/" + pid + "/stat"), StandardCharsets.US_ASCII);
            // the command name may contain spaces and parentheses: fields start after the last ')'
            int close = s.lastIndexOf(')');
            String[] f = s.substring(close + 2).trim().split(" ");
            // f[0] is field 3 (state); utime is field 14, stime field 15
            long utime = Long.parseLong(f[11]);
            long stime = Long.parseLong(f[12]);
            return (utime + stime) * (1_000_000_000L / CLK_TCK);
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /**
     * Time the live threads of {@code pid} have spent runnable but waiting for a CPU (the second field of
     * {@code schedstat}), in ns; -1 if unknown. A server that waits a lot was held back by other work on its
     * CPU, not by its own load.
     */
    public static long runQueueWaitNanos(long pid) {
        return schedstatField(pid, 1);
    }

    private static long schedstatNanos(long pid) {
        return schedstatField(pid, 0);
    }

    private static long schedstatField(long pid, int field) {
        Path tasks = Paths.get("/proc/" + pid + "/task");
        long sum = 0;
        int n = 0;
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(tasks)) {
            for (Path t : ds) {
                try {
                    String[] f = Files.readString(t.resolve("schedstat"), StandardCharsets.US_ASCII).trim().split(" ");
                    sum += Long.parseLong(f[field]);
                    n++;
                } catch (IOException | RuntimeException e) {
                    // thread exited between listing and reading
                }
            }
        } catch (IOException e) {
            return -1;
        }
        return n == 0 ? -1 : sum;
    }

    /**
     * The machine's CPU counters from the first line of {@code /proc/stat}: {busy ns, total ns}, busy
     * counting user, nice, system, irq, softirq and steal; {-1, -1} if unknown.
     */
    public static long[] systemCpuNanos() {
        try {
            for (String line : Files.readAllLines(Paths.get("/proc/stat"), StandardCharsets.US_ASCII)) {
                if (line.startsWith("cpu ")) {
                    String[] f = line.substring(4).trim().split("\\s+");
                    long user = Long.parseLong(f[0]);
                    long nice = Long.parseLong(f[1]);
                    long system = Long.parseLong(f[2]);
                    long idle = Long.parseLong(f[3]);
                    long iowait = f.length > 4 ? Long.parseLong(f[4]) : 0;
                    long irq = f.length > 5 ? Long.parseLong(f[5]) : 0;
                    long softirq = f.length > 6 ? Long.parseLong(f[6]) : 0;
                    long steal = f.length > 7 ? Long.parseLong(f[7]) : 0;
                    long busy = user + nice + system + irq + softirq + steal;
                    long total = busy + idle + iowait;
                    long k = 1_000_000_000L / CLK_TCK;
                    return new long[] {busy * k, total * k};
                }
            }
        } catch (IOException | RuntimeException e) {
            // fall through
        }
        return new long[] {-1, -1};
    }

    /** CPU time of the calling process, in ns. */
    public static long selfCpuNanos() {
        return processCpuNanos(ProcessHandle.current().pid());
    }
}
