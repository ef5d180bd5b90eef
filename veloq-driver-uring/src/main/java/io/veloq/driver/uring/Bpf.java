package io.veloq.driver.uring;

import io.veloq.api.VeloqIoException;
import io.veloq.driver.uring.ffi.Syscalls;
import io.veloq.spi.LinuxErrno;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * The {@code bpf(2)} commands AF_XDP needs, each with its {@code union bpf_attr} laid out by hand: create an
 * XSKMAP, put a socket into it, load the redirect program (with the verifier's log when it refuses), attach
 * it to an interface with a BPF link, and ask an object's id (tests look objects up by id to prove they are
 * gone). Every call returns the new descriptor or throws a {@link VeloqIoException} naming the fix.
 */
final class Bpf {
    static final int MAP_CREATE = 0;
    static final int MAP_UPDATE_ELEM = 2;
    static final int PROG_LOAD = 5;
    static final int PROG_GET_FD_BY_ID = 13;
    static final int MAP_GET_FD_BY_ID = 14;
    static final int OBJ_GET_INFO_BY_FD = 15;
    static final int LINK_CREATE = 28;
    static final int LINK_GET_FD_BY_ID = 30;

    static final int MAP_TYPE_XSKMAP = 17;
    static final int PROG_TYPE_XDP = 6;
    static final int ATTACH_XDP = 37;
    static final int XDP_FLAGS_SKB_MODE = 1 << 1;
    static final int XDP_FLAGS_DRV_MODE = 1 << 2;

    private static final int ATTR_SIZE = 128;
    private static final int LOG_SIZE = 1 << 20;
    static final String PRIVILEGE_FIX = "it needs CAP_BPF and CAP_NET_ADMIN (or CAP_SYS_ADMIN): run as root, or grant "
            + "them to the JVM (setcap cap_bpf,cap_net_admin,cap_net_raw+ep on the java binary)";

    private final Syscalls sys;
    private final NativeMemory mem;

    Bpf(NativeMemory mem) {
        this.mem = mem;
        this.sys = mem.syscalls();
    }

    Syscalls syscalls() {
        return sys;
    }

    private long call(int cmd, long attr) {
        return sys.bpf(cmd, attr, ATTR_SIZE);
    }

    private VeloqIoException failure(int errno, String what, String fix) {
        return XdpErrors.exception(errno, what, fix);
    }

    /** An XSKMAP of {@code entries} slots (key: queue id, value: socket descriptor). */
    int createXskMap(int entries, String iface) throws VeloqIoException {
        long attr = mem.allocate(ATTR_SIZE, "bpf_attr");
        try {
            ByteBuffer a = mem.view(attr, ATTR_SIZE);
            a.putInt(0, MAP_TYPE_XSKMAP);
            a.putInt(4, 4);
            a.putInt(8, 4);
            a.putInt(12, entries);
            putName(a, 28, "veloq_xsks");
            long fd = call(MAP_CREATE, attr);
            if (fd < 0) {
                int e = (int) -fd;
                throw failure(e, "bpf(BPF_MAP_CREATE) of the XSKMAP for " + iface,
                        e == LinuxErrno.EPERM.code() ? PRIVILEGE_FIX : null);
            }
            return (int) fd;
        } finally {
            mem.free(attr);
        }
    }

    /** {@code map[key] = value}. */
    void update(int mapFd, int key, int value, String what) throws VeloqIoException {
        long attr = mem.allocate(ATTR_SIZE + 8, "bpf_attr and key/value");
        try {
            ByteBuffer a = mem.view(attr, ATTR_SIZE + 8);
            a.putInt(ATTR_SIZE, key);
            a.putInt(ATTR_SIZE + 4, value);
            a.putInt(0, mapFd);
            a.putLong(8, attr + ATTR_SIZE);
            a.putLong(16, attr + ATTR_SIZE + 4);
            long rc = call(MAP_UPDATE_ELEM, attr);
            if (rc < 0) {
                throw failure((int) -rc, "bpf(BPF_MAP_UPDATE_ELEM) " + what, null);
            }
        } finally {
            mem.free(attr);
        }
    }

    /**
     * Loads an XDP program. On failure it loads again with the verifier log on and puts the log into the
     * exception's message.
     */
    int loadXdp(byte[] insns, String iface) throws VeloqIoException {
        long code = mem.allocate(insns.length, "bpf instructions");
        long license = mem.allocate(16, "bpf license");
        long attr = mem.allocate(ATTR_SIZE, "bpf_attr");
        try {
            mem.view(code, insns.length).put(0, insns);
            mem.view(license, 16).put(0, "Dual BSD/GPL".getBytes(StandardCharsets.US_ASCII));
            ByteBuffer a = mem.view(attr, ATTR_SIZE);
            fillProgLoad(a, code, insns.length / 8, license);
            long fd = call(PROG_LOAD, attr);
            if (fd >= 0) {
                return (int) fd;
            }
            int e = (int) -fd;
            if (e == LinuxErrno.EPERM.code()) {
                throw failure(e, "bpf(BPF_PROG_LOAD) of the XDP program for " + iface, PRIVILEGE_FIX);
            }
            throw failure(e, "bpf(BPF_PROG_LOAD) of the XDP program for " + iface,
                    "the verifier refused it: " + verifierLog(attr, a, code, insns.length / 8, license));
        } finally {
            mem.free(attr);
            mem.free(license);
            mem.free(code);
        }
    }

    private static void fillProgLoad(ByteBuffer a, long code, int count, long license) {
        for (int i = 0; i < ATTR_SIZE; i += 8) {
            a.putLong(i, 0);
        }
        a.putInt(0, PROG_TYPE_XDP);
        a.putInt(4, count);
        a.putLong(8, code);
        a.putLong(16, license);
        putName(a, 48, "veloq_xsk");
        a.putInt(68, ATTACH_XDP); // expected_attach_type: what BPF_LINK_CREATE checks
    }

    /** A second load with {@code log_level 1}, only to read why the first one failed. */
    private String verifierLog(long attr, ByteBuffer a, long code, int count, long license) {
        long log = mem.allocate(LOG_SIZE, "verifier log");
        try {
            fillProgLoad(a, code, count, license);
            a.putInt(24, 1);
            a.putInt(28, LOG_SIZE);
            a.putLong(32, log);
            long fd = call(PROG_LOAD, attr);
            if (fd >= 0) {
                sys.close((int) fd);
                return "(it loaded with the log on)";
            }
            ByteBuffer l = mem.view(log, LOG_SIZE);
            int n = 0;
            while (n < LOG_SIZE && l.get(n) != 0) {
                n++;
            }
            byte[] text = new byte[n];
            l.get(0, text);
            return n == 0 ? "(empty verifier log)" : "\n" + new String(text, StandardCharsets.UTF_8).strip();
        } finally {
            mem.free(log);
        }
    }

    /** Attaches {@code progFd} to {@code ifindex} with a BPF link; returns the link descriptor. */
    int linkXdp(int progFd, int ifindex, int flags, String iface) throws VeloqIoException {
        long attr = mem.allocate(ATTR_SIZE, "bpf_attr");
        try {
            ByteBuffer a = mem.view(attr, ATTR_SIZE);
            a.putInt(0, progFd);
            a.putInt(4, ifindex);
            a.putInt(8, ATTACH_XDP);
            a.putInt(12, flags);
            long fd = call(LINK_CREATE, attr);
            if (fd < 0) {
                int e = (int) -fd;
                String mode = flags == XDP_FLAGS_DRV_MODE ? "native" : "generic";
                String fix = null;
                if (e == LinuxErrno.EBUSY.code() || e == LinuxErrno.EEXIST.code()) {
                    fix = iface + " already has another XDP program attached (`ip link show dev " + iface
                            + "` shows it): detach it with `ip -force link set dev " + iface + " xdp" + (flags == XDP_FLAGS_DRV_MODE ? "drv" : "generic")
                            + " off` (if no other program needs it), or open the socket with XdpAttach.NONE "
                            + "and redirect to it from that program";
                } else if (e == LinuxErrno.EPERM.code()) {
                    fix = "attaching XDP needs CAP_NET_ADMIN";
                } else if (e == LinuxErrno.EOPNOTSUPP.code() || e == LinuxErrno.EINVAL.code() && flags == XDP_FLAGS_DRV_MODE) {
                    fix = "the driver of " + iface + " cannot run XDP in " + mode + " mode; use XdpAttach.GENERIC";
                }
                throw failure(e, "bpf(BPF_LINK_CREATE) of the XDP program on " + iface + " (" + mode + " mode)", fix);
            }
            return (int) fd;
        } finally {
            mem.free(attr);
        }
    }

    /** The kernel id of a program, map or link ({@code struct bpf_*_info.id}, at offset 4 in all three). */
    int objectId(int fd) throws VeloqIoException {
        long attr = mem.allocate(ATTR_SIZE + 256, "bpf_attr and info");
        try {
            ByteBuffer a = mem.view(attr, ATTR_SIZE + 256);
            a.putInt(0, fd);
            a.putInt(4, 256);
            a.putLong(8, attr + ATTR_SIZE);
            long rc = call(OBJ_GET_INFO_BY_FD, attr);
            if (rc < 0) {
                throw failure((int) -rc, "bpf(BPF_OBJ_GET_INFO_BY_FD) on fd " + fd, null);
            }
            return a.getInt(ATTR_SIZE + 4);
        } finally {
            mem.free(attr);
        }
    }

    /**
     * Whether the kernel still has the object with {@code id} ({@code BPF_*_GET_FD_BY_ID}: a descriptor
     * that is closed at once, or {@code ENOENT}).
     */
    boolean exists(int getFdByIdCmd, int id) {
        long attr = mem.allocate(ATTR_SIZE, "bpf_attr");
        try {
            mem.view(attr, ATTR_SIZE).putInt(0, id);
            long fd = call(getFdByIdCmd, attr);
            if (fd >= 0) {
                sys.close((int) fd);
                return true;
            }
            return fd != -LinuxErrno.ENOENT.code();
        } finally {
            mem.free(attr);
        }
    }

    private static void putName(ByteBuffer a, int off, String name) {
        byte[] b = name.getBytes(StandardCharsets.US_ASCII);
        a.put(off, b, 0, Math.min(15, b.length));
    }
}
