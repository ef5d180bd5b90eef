package io.veloq.driver.uring;

import io.veloq.api.Capability;
import io.veloq.driver.uring.ffi.Syscalls;
import io.veloq.spi.Availability;
import io.veloq.spi.LinuxErrno;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static io.veloq.driver.uring.IoUringAbi.*;

/**
 * What this machine's io_uring offers, learnt once per JVM by opening (and closing) a small ring: whether
 * it works at all and, if not, why in words a user can act on; the setup flags and features accepted; the
 * ops supported. Used by the provider's availability, capabilities and details.
 *
 * <pre>{@code
 * KernelProbe p = KernelProbe.get();
 * p.availability();            // available: "io_uring on Linux 6.18 (SINGLE_ISSUER|...)"
 * p.details().get("setup-flags");
 * }</pre>
 */
final class KernelProbe {
    /** Ops without which the driver refuses to run: Linux 5.6's set. */
    private static final int[] CORE_OPS = {OP_NOP, OP_READ, OP_WRITE, OP_SEND, OP_RECV, OP_ACCEPT, OP_CONNECT,
        OP_TIMEOUT, OP_ASYNC_CANCEL, OP_LINK_TIMEOUT, OP_OPENAT, OP_CLOSE, OP_FSYNC, OP_SENDMSG, OP_RECVMSG,
        OP_READ_FIXED, OP_WRITE_FIXED};

    private static volatile KernelProbe instance;

    private final Availability availability;
    private final Syscalls sys;
    private final Set<Capability> capabilities;
    private final Map<String, String> details;

    private KernelProbe(Availability availability, Syscalls sys, Set<Capability> capabilities, Map<String, String> details) {
        this.availability = availability;
        this.sys = sys;
        this.capabilities = capabilities;
        this.details = Collections.unmodifiableMap(details);
    }

    /** The probe of this JVM, run on first use. Never throws. */
    static KernelProbe get() {
        KernelProbe p = instance;
        if (p == null) {
            synchronized (KernelProbe.class) {
                p = instance;
                if (p == null) {
                    p = run();
                    instance = p;
                }
            }
        }
        return p;
    }

    Availability availability() {
        return availability;
    }

    /** The loaded system calls; only when available. */
    Syscalls syscalls() {
        return sys;
    }

    Set<Capability> capabilities() {
        return capabilities;
    }

    Map<String, String> details() {
        return details;
    }

    private static KernelProbe run() {
        Map<String, String> details = new LinkedHashMap<>();
        String kernel = kernelRelease();
        details.put("kernel", kernel);
        Syscalls sys;
        try {
            sys = Syscalls.load();
        } catch (RuntimeException | LinkageError e) {
            return new KernelProbe(Availability.unavailable("cannot load native code through jnr-ffi: " + e),
                    null, Set.of(), details);
        }
        details.put("jnr-ffi-six-argument-calls", sys.sixArgumentCallsIntact() ? "intact (x86 asm stubs off)"
                : "routed through the seven-argument form (jnr-ffi x86 asm stubs were already active)");
        NativeMemory mem = new NativeMemory(sys);
        Ring ring;
        try {
            ring = Ring.open(mem, 4, 8, SetupFlags.preferredChain());
        } catch (Ring.SetupException e) {
            return new KernelProbe(Availability.unavailable(explain(e.errno, e.getMessage())), null, Set.of(), details);
        }
        try {
            details.put("setup-flags", SetupFlags.names(ring.flags & ~(SETUP_CQSIZE | SETUP_CLAMP)));
            details.put("features", "0x" + Integer.toHexString(ring.features) + features(ring.features));
            boolean[] ops = supportedOps(mem, ring.fd);
            if (ops == null) {
                return new KernelProbe(Availability.unavailable("io_uring on Linux " + kernel
                        + " does not answer IORING_REGISTER_PROBE: the kernel is too old (the driver needs 5.6+)"),
                        null, Set.of(), details);
            }
            int count = 0;
            for (boolean b : ops) {
                count += b ? 1 : 0;
            }
            List<String> missing = new ArrayList<>();
            for (int op : CORE_OPS) {
                if (!ops[op]) {
                    missing.add(OP_NAMES[op]);
                }
            }
            List<String> optionalMissing = new ArrayList<>();
            for (int op : new int[] {OP_SOCKET, OP_SHUTDOWN}) {
                if (!ops[op]) {
                    optionalMissing.add(OP_NAMES[op]);
                }
            }
            details.put("ops", count + " supported" + (optionalMissing.isEmpty() ? ", all the driver uses"
                    : "; missing " + optionalMissing + " (those ops are refused with EOPNOTSUPP)"));
            details.put("timed-wait", (ring.features & FEAT_EXT_ARG) != 0 ? "IORING_ENTER_EXT_ARG" : "TIMEOUT SQE");
            details.put("registered-buffers", BufferTable.probe(mem, ring.fd));
            if (!missing.isEmpty()) {
                return new KernelProbe(Availability.unavailable("io_uring on Linux " + kernel + " lacks " + missing
                        + ": the driver needs Linux 5.6 or later"), null, Set.of(), details);
            }
            EnumSet<Capability> caps = UringDriver.baseCapabilities();
            caps.addAll(EnumSet.of(Capability.REGISTERED_BUFFERS, Capability.LINKED_TIMEOUTS, Capability.FIXED_FILES));
            return new KernelProbe(Availability.available("io_uring on Linux " + kernel + " ("
                    + details.get("setup-flags") + ")"), sys, Set.copyOf(caps), details);
        } finally {
            ring.close();
        }
    }

    /** Ops the kernel supports, by opcode, through IORING_REGISTER_PROBE; null if it cannot tell. */
    static boolean[] supportedOps(NativeMemory mem, int ringFd) {
        long size = PROBE_HEADER + (long) PROBE_OP_SIZE * PROBE_OPS;
        long probe = mem.allocate(size, "io_uring_probe"); // zeroed: the kernel refuses a dirty one (EINVAL)
        try {
            long rc = mem.syscalls().ioUringRegister(ringFd, REGISTER_PROBE, probe, PROBE_OPS);
            if (rc < 0) {
                return null;
            }
            ByteBuffer v = mem.view(probe, size);
            int opsLen = Byte.toUnsignedInt(v.get(1));
            boolean[] out = new boolean[PROBE_OPS];
            for (int i = 0; i < opsLen; i++) {
                int b = PROBE_HEADER + i * PROBE_OP_SIZE;
                int op = Byte.toUnsignedInt(v.get(b));
                if ((Short.toUnsignedInt(v.getShort(b + 2)) & PROBE_OP_SUPPORTED) != 0) {
                    out[op] = true;
                }
            }
            return out;
        } finally {
            mem.free(probe);
        }
    }

    /** Why io_uring_setup failed, and what to do about it. */
    static String explain(int errno, String attempt) {
        String name = LinuxErrno.TABLE.name(errno);
        if (errno == LinuxErrno.ENOSYS.code() && "2".equals(procStatus().get("Seccomp"))) {
            return "io_uring_setup: ENOSYS under a seccomp filter (Seccomp: 2 in /proc/self/status): most likely "
                    + "blocked by that filter (some container profiles answer ENOSYS); allow io_uring_setup, "
                    + "io_uring_enter and io_uring_register in the seccomp profile, or Linux " + kernelRelease()
                    + " lacks io_uring (CONFIG_IO_URING)";
        }
        if (errno == LinuxErrno.ENOSYS.code()) {
            return "io_uring is not available: io_uring_setup returned ENOSYS, so Linux " + kernelRelease()
                    + " was built without io_uring (CONFIG_IO_URING) or predates it; use a kernel with io_uring "
                    + "(5.6 or later) or another driver";
        }
        if (errno == LinuxErrno.EPERM.code()) {
            Map<String, String> status = procStatus();
            return explainDenied(readProc("/proc/sys/kernel/io_uring_disabled"), readProc("/proc/sys/kernel/io_uring_group"),
                    status.get("Seccomp"), status.get("Seccomp_filters"));
        }
        if (errno == LinuxErrno.ENOMEM.code()) {
            return "io_uring_setup failed with ENOMEM: the locked-memory limit (RLIMIT_MEMLOCK, "
                    + memlockLimit() + ") is too small for the rings on this kernel; raise it ('ulimit -l "
                    + "unlimited', LimitMEMLOCK=infinity in systemd, docker --ulimit memlock=-1) or lower the "
                    + "runtime's queueDepth";
        }
        if (errno == LinuxErrno.EINVAL.code()) {
            return "io_uring_setup refused every flag set with EINVAL (" + attempt + "): the kernel is too old "
                    + "for this driver (it needs Linux 5.6 or later)";
        }
        return "io_uring_setup failed with " + name + " (" + LinuxErrno.TABLE.describe(errno) + "): " + attempt;
    }

    /**
     * Why io_uring_setup said EPERM, from what this process can see: the sysctl switch
     * ({@code kernel.io_uring_disabled}, Linux 6.6+) or, per {@code /proc/self/status}, a seccomp filter (what
     * Docker's and most container runtimes' default profiles install). Starts with
     * {@code "io_uring_setup: EPERM, "} and the cause, so a chain of drivers reads
     * {@code uring: unavailable (io_uring_setup: EPERM, blocked by a seccomp filter ...)}.
     *
     * @param disabled       {@code /proc/sys/kernel/io_uring_disabled}, or null when absent
     * @param group          {@code /proc/sys/kernel/io_uring_group}, or null
     * @param seccomp        the {@code Seccomp:} field of {@code /proc/self/status} (0 none, 1 strict, 2 filter), or null
     * @param seccompFilters its {@code Seccomp_filters:} field, or null
     */
    static String explainDenied(String disabled, String group, String seccomp, String seccompFilters) {
        if ("2".equals(disabled)) {
            return "io_uring_setup: EPERM, disabled on this machine by kernel.io_uring_disabled=2; enable it with "
                    + "'sysctl -w kernel.io_uring_disabled=0' (as root)";
        }
        if ("1".equals(disabled)) {
            return "io_uring_setup: EPERM, restricted by kernel.io_uring_disabled=1 to CAP_SYS_ADMIN and to members of "
                    + "group " + (group == null ? "?" : group) + " (kernel.io_uring_group); add this user to that group, "
                    + "or set 'sysctl -w kernel.io_uring_disabled=0'";
        }
        if ("2".equals(seccomp) || "1".equals(seccomp)) {
            String how = "2".equals(seccomp)
                    ? "Seccomp: 2 in /proc/self/status" + (seccompFilters == null ? "" : ", " + seccompFilters + " filter(s)")
                    : "seccomp strict mode (Seccomp: 1)";
            return "io_uring_setup: EPERM, blocked by a seccomp filter (" + how + "; Docker's and many container "
                    + "runtimes' default profiles block io_uring); allow io_uring_setup, io_uring_enter and "
                    + "io_uring_register in the seccomp profile (e.g. docker run --security-opt seccomp=<profile>)";
        }
        return "io_uring_setup: EPERM, although kernel.io_uring_disabled=" + (disabled == null ? "(absent)" : disabled)
                + " and no seccomp filter is active (Seccomp: " + (seccomp == null ? "?" : seccomp) + "): a security "
                + "module (SELinux, AppArmor) or a sandbox denies it";
    }

    /** {@code /proc/self/status} as key/value pairs (empty when unreadable). */
    static Map<String, String> procStatus() {
        Map<String, String> out = new LinkedHashMap<>();
        String s = readProc("/proc/self/status");
        if (s != null) {
            for (String line : s.split("\n")) {
                int colon = line.indexOf(':');
                if (colon > 0) {
                    out.put(line.substring(0, colon).trim(), line.substring(colon + 1).trim());
                }
            }
        }
        return out;
    }

    private static String features(int f) {
        List<String> out = new ArrayList<>();
        if ((f & FEAT_NODROP) != 0) {
            out.add("NODROP");
        }
        if ((f & FEAT_EXT_ARG) != 0) {
            out.add("EXT_ARG");
        }
        if ((f & FEAT_RW_CUR_POS) != 0) {
            out.add("RW_CUR_POS");
        }
        if ((f & FEAT_SINGLE_MMAP) != 0) {
            out.add("SINGLE_MMAP");
        }
        return out.isEmpty() ? "" : " (" + String.join("|", out) + ", ...)";
    }

    static String kernelRelease() {
        String r = readProc("/proc/sys/kernel/osrelease");
        return r == null ? System.getProperty("os.version", "?") : r;
    }

    private static String memlockLimit() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/limits"))) {
                if (line.startsWith("Max locked memory")) {
                    String[] f = line.substring("Max locked memory".length()).trim().split("\\s+");
                    return "soft " + f[0] + (f.length > 2 ? " " + f[2] : "");
                }
            }
        } catch (IOException | RuntimeException e) {
            // fall through
        }
        return "unknown";
    }

    private static String readProc(String path) {
        try {
            return Files.readString(Path.of(path)).trim();
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }
}
