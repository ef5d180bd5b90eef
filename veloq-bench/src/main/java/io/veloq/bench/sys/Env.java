package io.veloq.bench.sys;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Facts about the machine and helpers to launch child JVMs and tools. */
public final class Env {

    private Env() {
    }

    /** Path of an executable on PATH, or {@code null}. */
    public static String which(String tool) {
        String path = System.getenv("PATH");
        if (path == null) {
            path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
        }
        for (String dir : path.split(":")) {
            Path p = Paths.get(dir.isEmpty() ? "." : dir, tool);
            if (Files.isRegularFile(p) && Files.isExecutable(p)) {
                return p.toString();
            }
        }
        return null;
    }

    /** Online CPUs of the machine (not of this process's affinity mask). */
    public static int machineCpus() {
        try {
            String s = Files.readString(Paths.get("/sys/devices/system/cpu/online"), StandardCharsets.US_ASCII)
                    .trim();
            int n = 0;
            for (String part : s.split(",")) {
                int dash = part.indexOf('-');
                if (dash < 0) {
                    n++;
                } else {
                    n += Integer.parseInt(part.substring(dash + 1)) - Integer.parseInt(part.substring(0, dash)) + 1;
                }
            }
            return n;
        } catch (IOException | RuntimeException e) {
            return Runtime.getRuntime().availableProcessors();
        }
    }

    public static String cpuModel() {
        try {
            for (String l : Files.readAllLines(Paths.get("/proc/cpuinfo"), StandardCharsets.US_ASCII)) {
                if (l.startsWith("model name")) {
                    return l.substring(l.indexOf(':') + 1).trim();
                }
            }
        } catch (IOException | RuntimeException e) {
            // unknown
        }
        return "unknown";
    }

    public static String kernel() {
        return System.getProperty("os.name") + " " + System.getProperty("os.version");
    }

    /** The java launcher running this JVM. */
    public static String javaCommand() {
        return ProcessHandle.current().info().command()
                .orElse(Paths.get(System.getProperty("java.home"), "bin", "java").toString());
    }

    /** Feature release of this JVM (17, 21, 25...). */
    public static int javaFeature() {
        return Runtime.version().feature();
    }

    /**
     * Runs a command, waits up to {@code timeoutSeconds}, returns {exit code as string, combined output};
     * exit code "-1" when it could not run or timed out.
     */
    public static String[] run(List<String> cmd, double timeoutSeconds) {
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            p.getOutputStream().close();
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor((long) (timeoutSeconds * 1000), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                return new String[] {"-1", "timeout"};
            }
            return new String[] {Integer.toString(p.exitValue()), new String(out, StandardCharsets.UTF_8)};
        } catch (IOException e) {
            return new String[] {"-1", e.toString()};
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new String[] {"-1", e.toString()};
        }
    }

    /**
     * Pins every thread of this process to {@code cpu} with {@code taskset -a -p}; threads created later
     * inherit the mask. Returns {@code null} on success, else why not.
     */
    public static String pinSelf(int cpu) {
        String taskset = which("taskset");
        if (taskset == null) {
            return "taskset not installed";
        }
        String[] r = run(List.of(taskset, "-a", "-p", "-c", Integer.toString(cpu),
                Long.toString(ProcessHandle.current().pid())), 10);
        return "0".equals(r[0]) ? null : "taskset failed: " + r[1].trim();
    }

    /**
     * Command line of a child JVM with this process's class path: optional {@code taskset -c cpu}, the java
     * launcher, {@code jvmArgs}, {@code -cp}, the main class and its arguments.
     */
    public static List<String> childJvm(Integer cpu, List<String> jvmArgs, String mainClass, List<String> args) {
        List<String> cmd = new ArrayList<>();
        String taskset = which("taskset");
        if (cpu != null && taskset != null) {
            cmd.add(taskset);
            cmd.add("-c");
            cmd.add(Integer.toString(cpu));
        }
        cmd.add(javaCommand());
        cmd.addAll(jvmArgs);
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(mainClass);
        cmd.addAll(args);
        return cmd;
    }

    /** Flags needed on this JDK for native code loaded from the class path (JDK 22+ warns without them). */
    public static List<String> nativeAccessFlags() {
        return javaFeature() >= 22 ? List.of("--enable-native-access=ALL-UNNAMED") : List.of();
    }
}
