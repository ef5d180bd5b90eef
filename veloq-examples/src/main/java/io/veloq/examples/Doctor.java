package io.veloq.examples;

import io.veloq.api.DriverDescription;
import io.veloq.api.IoRuntime;

import java.io.IOException;
import java.io.PrintStream;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * {@code ./veloq doctor}: what a user needs to know when the runtime does not pick the driver they
 * expected. Prints the JDK, OS and kernel, how the modules were resolved, every driver provider found
 * (available or not, why, capabilities and details such as io_uring setup flags), and on Linux whether
 * {@code kernel.io_uring_disabled} or a seccomp filter stands in the way of io_uring.
 *
 * <pre>{@code ./veloq doctor}</pre>
 */
final class Doctor {
    private final PrintStream out;

    Doctor(PrintStream out) {
        this.out = out;
    }

    int run(String[] args) {
        out.println("Veloq doctor");
        printJava();
        printSystem();
        printModules();
        if (isLinux()) {
            printIoUringChecks();
        }
        return printDrivers();
    }

    private void printJava() {
        out.println();
        out.println("Java");
        line("version", System.getProperty("java.runtime.version", System.getProperty("java.version"))
                + " (" + System.getProperty("java.vendor") + ", " + System.getProperty("java.vm.name") + ")");
        line("home", System.getProperty("java.home"));
        line("native access", nativeAccess());
    }

    /** Whether jffi (the module that loads the native stub library) has native access; JDK 22+ reports it. */
    private String nativeAccess() {
        Optional<Module> jffi = ModuleLayer.boot().findModule("org.jnrproject.jffi");
        if (jffi.isEmpty()) {
            return "org.jnrproject.jffi is not in the boot layer (no jnr-based driver resolved)";
        }
        try {
            Method m = Module.class.getMethod("isNativeAccessEnabled");
            boolean on = (Boolean) m.invoke(jffi.get());
            return on ? "enabled for org.jnrproject.jffi"
                    : "NOT enabled for org.jnrproject.jffi: JDK 22+ prints a warning (and denies it with "
                    + "--illegal-native-access=deny); pass --enable-native-access=org.jnrproject.jffi";
        } catch (NoSuchMethodException e) {
            return "not checked before JDK 22 (the launcher passes --enable-native-access=org.jnrproject.jffi anyway)";
        } catch (ReflectiveOperationException | RuntimeException e) {
            return "unknown (" + e + ")";
        }
    }

    private void printSystem() {
        out.println();
        out.println("System");
        line("os", System.getProperty("os.name") + " " + System.getProperty("os.version") + " "
                + System.getProperty("os.arch"));
        if (isLinux()) {
            line("kernel", read("/proc/sys/kernel/osrelease").orElse(System.getProperty("os.version")));
        }
        line("cpus", String.valueOf(Runtime.getRuntime().availableProcessors()));
    }

    private void printModules() {
        out.println();
        out.println("Modules");
        Module self = Doctor.class.getModule();
        if (!self.isNamed()) {
            line("mode", "class path (unnamed module); pass --enable-native-access=ALL-UNNAMED on JDK 22+");
            return;
        }
        line("mode", "module path; " + self.getName() + " requires veloq.api only, the rest came by service binding");
        List<String> names = new ArrayList<>();
        for (Module m : ModuleLayer.boot().modules()) {
            String n = m.getName();
            if (n.startsWith("veloq.") || n.startsWith("org.jnrproject.")) {
                names.add(n + m.getDescriptor().rawVersion().map(v -> "@" + v).orElse(""));
            }
        }
        names.sort(Comparator.naturalOrder());
        line("resolved", String.join(", ", names));
    }

    /** io_uring can be switched off by sysctl, and container seccomp profiles often block its syscalls. */
    private void printIoUringChecks() {
        out.println();
        out.println("io_uring checks");
        Optional<String> disabled = read("/proc/sys/kernel/io_uring_disabled");
        if (disabled.isEmpty()) {
            line("io_uring_disabled", "no /proc/sys/kernel/io_uring_disabled (kernel before 6.6: no such switch)");
        } else {
            String v = disabled.get();
            String meaning = switch (v) {
                case "0" -> "io_uring allowed for every process";
                case "1" -> "io_uring allowed only for CAP_SYS_ADMIN and group kernel.io_uring_group="
                        + read("/proc/sys/kernel/io_uring_group").orElse("?") + " (others get EPERM)";
                case "2" -> "io_uring DISABLED for every process: io_uring_setup fails with EPERM; "
                        + "fix: sysctl -w kernel.io_uring_disabled=0";
                default -> "unknown value";
            };
            line("io_uring_disabled", v + " (" + meaning + ")");
        }
        Map<String, String> status = procStatus();
        String seccomp = status.getOrDefault("Seccomp", "?");
        String filters = status.getOrDefault("Seccomp_filters", "?");
        String meaning = switch (seccomp) {
            case "0" -> "no seccomp: nothing blocks io_uring syscalls";
            case "1" -> "strict mode: io_uring syscalls are blocked";
            case "2" -> filters + " seccomp filter(s) active: a container profile may block io_uring_setup "
                    + "(Docker's default does); the uring driver's probe below says whether it did";
            default -> "not reported by this kernel";
        };
        line("seccomp", seccomp + " (" + meaning + ")");
        if (status.containsKey("NoNewPrivs")) {
            line("no_new_privs", status.get("NoNewPrivs"));
        }
    }

    private int printDrivers() {
        out.println();
        List<DriverDescription> drivers;
        try {
            drivers = IoRuntime.drivers();
        } catch (RuntimeException e) {
            out.println("Drivers: none, the runtime itself is missing: " + e.getMessage());
            return 1;
        }
        out.println("Drivers found: " + drivers.size());
        DriverDescription best = null;
        for (DriverDescription d : drivers) {
            out.println("  " + d.id() + ": " + (d.available() ? "available" : "UNAVAILABLE")
                    + (d.explicitOnly() ? " (used only when named)" : "")
                    + ", priority " + d.priority());
            out.println("      " + (d.available() ? "note: " : "why: ") + d.reason());
            out.println("      capabilities: " + new TreeSet<>(d.capabilities()));
            for (Map.Entry<String, String> e : new TreeMap<>(d.details()).entrySet()) {
                out.println("      " + e.getKey() + ": " + e.getValue());
            }
            if (d.available() && !d.explicitOnly() && (best == null || d.priority() > best.priority())) {
                best = d;
            }
        }
        printChain(drivers, best);
        return 0;
    }

    /**
     * The order the runtime tries drivers in, best first, each with why it was passed over, then the one
     * {@code IoRuntime.open()} picks:
     * <pre>
     * Driver chain (IoRuntime.open() takes the first available):
     *   uring: unavailable (io_uring_setup: EPERM, blocked by a seccomp filter ...)
     *   nio: selected
     *   fake: available, used only when named (--driver fake)
     * </pre>
     */
    private void printChain(List<DriverDescription> drivers, DriverDescription best) {
        List<DriverDescription> chain = new ArrayList<>(drivers);
        chain.sort(Comparator.comparingInt(DriverDescription::priority).reversed().thenComparing(DriverDescription::id));
        out.println();
        out.println("Driver chain (IoRuntime.open() takes the first available):");
        for (DriverDescription d : chain) {
            String state;
            if (d == best) {
                state = "selected";
            } else if (!d.available()) {
                state = "unavailable (" + d.reason() + ")";
            } else if (d.explicitOnly()) {
                state = "available, used only when named (--driver " + d.id() + ")";
            } else {
                state = "available, not chosen (" + best.id() + " ranks higher)";
            }
            out.println("  " + d.id() + ": " + state);
        }
        out.println();
        if (best != null) {
            out.println("IoRuntime.open() would use: " + best.id());
            if (best.priority() < 100 && chain.stream().anyMatch(d -> d.priority() >= 100 && !d.available())) {
                out.println("  (" + best.id() + " is the pure-Java fallback: fix the cause above to get the kernel "
                        + "driver's speed and features back)");
            }
        } else {
            out.println("IoRuntime.open() would fail: no available driver that may be picked without naming it"
                    + (drivers.stream().anyMatch(d -> d.available() && d.explicitOnly())
                    ? "; the fake driver works when named (./veloq demo --driver fake)" : ""));
        }
    }

    private void line(String key, String value) {
        out.printf("  %-18s %s%n", key + ":", value);
    }

    private static boolean isLinux() {
        return System.getProperty("os.name", "").startsWith("Linux");
    }

    private static Optional<String> read(String file) {
        try {
            return Optional.of(Files.readString(Path.of(file)).trim());
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    private static Map<String, String> procStatus() {
        Map<String, String> out = new TreeMap<>();
        for (String l : read("/proc/self/status").orElse("").split("\n")) {
            int colon = l.indexOf(':');
            if (colon > 0) {
                out.put(l.substring(0, colon).trim(), l.substring(colon + 1).trim());
            }
        }
        return out;
    }
}
