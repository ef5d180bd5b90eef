package io.veloq.driver.uring;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * The descriptors io_uring drivers open, told apart from everything else in the process: a ring is
 * {@code anon_inode:[io_uring]} and the wake-up descriptor {@code anon_inode:[eventfd]} in {@code /proc/self/fd}.
 * Tests compare the exact descriptors a driver created (number and target), never the process's count, which
 * any other thread of the JVM may change at any time.
 *
 * <pre>{@code
 * Map<Integer, String> before = DriverDescriptors.snapshot();
 * open the driver ...
 * Map<Integer, String> created = DriverDescriptors.createdSince(before);
 * close it ...
 * assertEquals(Map.of(), DriverDescriptors.stillOpen(created));
 * }</pre>
 */
final class DriverDescriptors {
    private DriverDescriptors() {
    }

    /** Every descriptor of the process with its link target. */
    static Map<Integer, String> snapshot() throws IOException {
        Map<Integer, String> out = new TreeMap<>();
        try (Stream<Path> s = Files.list(Path.of("/proc/self/fd"))) {
            for (Path p : (Iterable<Path>) s::iterator) {
                try {
                    out.put(Integer.parseInt(p.getFileName().toString()), Files.readSymbolicLink(p).toString());
                } catch (IOException gone) {
                    // closed meanwhile (the listing's own descriptor, or another thread's)
                }
            }
        }
        return out;
    }

    /** The rings and eventfds open now that were not open (with that target) in {@code before}. */
    static Map<Integer, String> createdSince(Map<Integer, String> before) throws IOException {
        Map<Integer, String> out = new TreeMap<>();
        for (Map.Entry<Integer, String> e : snapshot().entrySet()) {
            if (isDriverKind(e.getValue()) && !e.getValue().equals(before.get(e.getKey()))) {
                out.put(e.getKey(), e.getValue());
            }
        }
        return out;
    }

    /** Those of {@code created} that are still open with the same target. */
    static Map<Integer, String> stillOpen(Map<Integer, String> created) throws IOException {
        Map<Integer, String> now = snapshot();
        Map<Integer, String> out = new TreeMap<>();
        created.forEach((fd, target) -> {
            if (target.equals(now.get(fd))) {
                out.put(fd, target);
            }
        });
        return out;
    }

    static long count(Map<Integer, String> fds, String kind) {
        return fds.values().stream().filter(t -> t.equals("anon_inode:[" + kind + "]")).count();
    }

    private static boolean isDriverKind(String target) {
        return target.equals("anon_inode:[io_uring]") || target.equals("anon_inode:[eventfd]");
    }
}
