package io.veloq.examples.echo;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/**
 * A process's resident memory, open descriptors and threads, read from {@code /proc/<pid>} (Linux). What a
 * soak watches: each should stay flat while the load is steady.
 *
 * @param pid       the process
 * @param rssBytes  resident set size ({@code VmRSS})
 * @param fds       open descriptors (entries of {@code /proc/<pid>/fd}; for this process, the one listing
 *                  them counts too)
 * @param threads   threads ({@code Threads})
 */
record ProcessSample(long pid, long rssBytes, long fds, long threads) {

    /** The sample, or null where {@code /proc} cannot tell (not Linux, or the process is gone). */
    static ProcessSample of(long pid) {
        Path proc = Path.of("/proc", Long.toString(pid));
        try {
            long rss = -1;
            long threads = -1;
            for (String line : Files.readAllLines(proc.resolve("status"))) {
                if (line.startsWith("VmRSS:")) {
                    rss = Long.parseLong(line.substring(6).trim().split("\\s+")[0]) * 1024; // kB
                } else if (line.startsWith("Threads:")) {
                    threads = Long.parseLong(line.substring(8).trim());
                }
            }
            long fds;
            try (Stream<Path> s = Files.list(proc.resolve("fd"))) {
                fds = s.count();
            }
            return rss < 0 || threads < 0 ? null : new ProcessSample(pid, rss, fds, threads);
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /** "rss 81.2 MiB, 52 fds, 14 threads". */
    String format() {
        return "rss " + EchoStats.bytes(rssBytes) + ", " + fds + " fds, " + threads + " threads";
    }
}
