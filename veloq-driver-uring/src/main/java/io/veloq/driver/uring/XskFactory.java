package io.veloq.driver.uring;

import io.veloq.api.VeloqIoException;
import io.veloq.api.xdp.XdpAttach;
import io.veloq.api.xdp.XdpConfig;
import io.veloq.api.xdp.XdpMode;
import io.veloq.driver.uring.ffi.Syscalls;
import io.veloq.spi.LinuxErrno;
import io.veloq.spi.xdp.XdpRing;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Makes one AF_XDP socket, step by step as the kernel wants it: socket, UMEM registration (or sharing),
 * ring sizes, {@code XDP_MMAP_OFFSETS}, the ring mappings, bind, then the interface's program. Each step's
 * failure names the step and the fix; whatever was made before it is undone.
 */
final class XskFactory {
    static final int AF_XDP = 44;
    private static final int SOCK_RAW = 3;
    private static final int SOCK_CLOEXEC = 0x80000;
    private static final int XDP_MMAP_OFFSETS = 1;
    private static final int XDP_RX_RING = 2;
    private static final int XDP_TX_RING = 3;
    private static final int XDP_UMEM_REG = 4;
    private static final int XDP_UMEM_FILL_RING = 5;
    private static final int XDP_UMEM_COMPLETION_RING = 6;
    private static final int XDP_OPTIONS = 8;
    private static final int XDP_OPTIONS_ZEROCOPY = 1;
    private static final int XDP_SHARED_UMEM = 1;
    private static final int XDP_COPY = 1 << 1;
    private static final int XDP_ZEROCOPY = 1 << 2;
    private static final int XDP_USE_NEED_WAKEUP = 1 << 3;
    private static final long PGOFF_RX_RING = 0;
    private static final long PGOFF_TX_RING = 0x80000000L;
    private static final long PGOFF_FILL_RING = 0x100000000L;
    private static final long PGOFF_COMPLETION_RING = 0x180000000L;
    private static final int RLIMIT_MEMLOCK = 8;
    static final String RAW_FIX = "AF_XDP sockets need CAP_NET_RAW (and CAP_NET_ADMIN, CAP_BPF for the program): run as root, "
            + "or grant them to the JVM (setcap cap_net_raw,cap_net_admin,cap_bpf+ep on the java binary)";

    private final NativeMemory mem;
    private final Syscalls sys;
    private final Bpf bpf;
    private final XdpConfig config;
    private final String iface;
    private int fd = -1;
    private XskEndpoint.SharedUmem ownUmem;
    private XskEndpoint.Mapping fill;
    private XskEndpoint.Mapping completion;
    private XskEndpoint.Mapping rx;
    private XskEndpoint.Mapping tx;

    private XskFactory(NativeMemory mem, Bpf bpf, XdpConfig config) {
        this.mem = mem;
        this.sys = mem.syscalls();
        this.bpf = bpf;
        this.config = config;
        this.iface = config.iface();
    }

    /** Opens a socket for {@code config}; {@code shared} is the endpoint whose UMEM it shares, or null. */
    static XskEndpoint open(UringXdp owner, int id, XdpConfig config, XskEndpoint shared) throws VeloqIoException {
        XskFactory f = new XskFactory(owner.memory(), owner.bpf(), config);
        try {
            return f.build(owner, id, shared);
        } catch (VeloqIoException | RuntimeException | Error e) {
            f.undo();
            throw e;
        }
    }

    private XskEndpoint build(UringXdp owner, int id, XskEndpoint shared) throws VeloqIoException {
        long ifindexOrErr = sys.ifNameToIndex(iface);
        if (ifindexOrErr < 0) {
            throw XdpErrors.exception((int) -ifindexOrErr, "AF_XDP socket on " + iface,
                    "there is no network interface named \"" + iface + "\" (`ip link` lists them"
                            + "; one in another network namespace is invisible here)");
        }
        int ifindex = (int) ifindexOrErr;
        int rxQueues = rxQueues(iface);
        if (rxQueues > 0 && config.queue() >= rxQueues) {
            throw XdpErrors.exception(LinuxErrno.EINVAL.code(), "AF_XDP socket on " + iface + " queue " + config.queue(),
                    iface + " has " + rxQueues + " RX queue" + (rxQueues == 1 ? " (queue 0)" : "s (0 to " + (rxQueues - 1) + ")")
                            + "; queue " + config.queue() + " does not exist (for veth: `ip link add ... numrxqueues N`)");
        }
        long s = sys.socket(AF_XDP, SOCK_RAW | SOCK_CLOEXEC, 0);
        if (s < 0) {
            int e = (int) -s;
            throw XdpErrors.exception(e, "socket(AF_XDP)", e == LinuxErrno.EPERM.code() || e == LinuxErrno.EACCES.code()
                    ? RAW_FIX : e == LinuxErrno.EAFNOSUPPORT.code() ? "this kernel was built without CONFIG_XDP_SOCKETS" : null);
        }
        fd = (int) s;
        String what = "AF_XDP socket fd " + fd + " on " + iface + " queue " + config.queue();

        XskEndpoint.SharedUmem umem;
        boolean sharesRings = false;
        if (shared == null) {
            umem = registerUmem(ifindex, what);
            setRing(XDP_UMEM_FILL_RING, config.fillRingSize(), "fill", what);
            setRing(XDP_UMEM_COMPLETION_RING, config.completionRingSize(), "completion", what);
        } else {
            umem = shared.umem;
            sharesRings = umem.ownerIfindex == ifindex && umem.ownerQueue == config.queue();
            if (!sharesRings) {
                // Another queue or interface: the kernel wants fill and completion rings of this socket's own.
                setRing(XDP_UMEM_FILL_RING, config.fillRingSize(), "fill", what);
                setRing(XDP_UMEM_COMPLETION_RING, config.completionRingSize(), "completion", what);
            }
        }
        setRing(XDP_RX_RING, config.rxRingSize(), "RX", what);
        setRing(XDP_TX_RING, config.txRingSize(), "TX", what);
        ByteBuffer off = offsets(what);
        rx = map(off, 0, PGOFF_RX_RING, config.rxRingSize(), XdpRing.DESC_BYTES, "RX", what);
        tx = map(off, 32, PGOFF_TX_RING, config.txRingSize(), XdpRing.DESC_BYTES, "TX", what);
        if (shared == null || !sharesRings) {
            fill = map(off, 64, PGOFF_FILL_RING, config.fillRingSize(), XdpRing.ADDRESS_BYTES, "fill", what);
            completion = map(off, 96, PGOFF_COMPLETION_RING, config.completionRingSize(), XdpRing.ADDRESS_BYTES, "completion", what);
        }
        if (shared == null) {
            umem.fill = fill;
            umem.completion = completion;
        }
        boolean zeroCopy = bind(ifindex, shared, what);
        boolean needWakeup = shared == null ? config.needWakeup() : shared.needWakeup();
        XdpAttachments.Attachment attachment = XdpAttachments.join(bpf, ifindex, iface, rxQueues, config.attach(),
                config.udpPort(), config.queue(), fd);
        if (shared != null) {
            umem.users++;
        }
        XskEndpoint.Mapping f = sharesRings ? umem.fill : fill;
        XskEndpoint.Mapping c = sharesRings ? umem.completion : completion;
        XskEndpoint ep = new XskEndpoint(owner, id, fd, config, ifindex, umem, f, c, rx, tx, sharesRings,
                zeroCopy ? XdpMode.ZERO_COPY : XdpMode.COPY, needWakeup, attachment);
        fd = -1;
        ownUmem = null;
        fill = completion = rx = tx = null;
        return ep;
    }

    /** RX queues of the interface, from sysfs; 0 when unknown. */
    static int rxQueues(String iface) {
        int n = 0;
        try (DirectoryStream<Path> d = Files.newDirectoryStream(Path.of("/sys/class/net", iface, "queues"), "rx-*")) {
            for (Path ignored : d) {
                n++;
            }
        } catch (IOException | RuntimeException e) {
            return 0;
        }
        return n;
    }

    private XskEndpoint.SharedUmem registerUmem(int ifindex, String what) throws VeloqIoException {
        long length = (long) config.frameSize() * config.frameCount();
        long addr = mem.mapAnonymous(length);
        if (addr < 0) {
            throw XdpErrors.exception((int) -addr, "mmap of the " + length + "-byte UMEM for " + what, "not enough memory");
        }
        ownUmem = new XskEndpoint.SharedUmem(addr, length, mem.view(addr, length), ifindex, config.queue());
        long reg = mem.allocate(32, "xdp_umem_reg");
        try {
            ByteBuffer r = mem.view(reg, 32);
            r.putLong(0, addr);
            r.putLong(8, length);
            r.putInt(16, config.frameSize());
            r.putInt(20, config.headroom());
            long rc = sys.setsockopt(fd, XskEndpoint.SOL_XDP, XDP_UMEM_REG, reg, 32);
            if (rc < 0) {
                int e = (int) -rc;
                String fix = null;
                if (e == LinuxErrno.ENOBUFS.code() || e == LinuxErrno.ENOMEM.code() || e == LinuxErrno.EPERM.code()) {
                    fix = "the UMEM (" + length + " bytes) must be locked in memory and RLIMIT_MEMLOCK is " + memlock()
                            + ": raise it (`ulimit -l unlimited`, systemd LimitMEMLOCK=infinity, docker --ulimit memlock=-1) "
                            + "or grant CAP_IPC_LOCK, or use fewer/smaller frames";
                } else if (e == LinuxErrno.EINVAL.code()) {
                    fix = "the kernel refused " + config.frameCount() + " frames of " + config.frameSize()
                            + " bytes with headroom " + config.headroom();
                }
                throw XdpErrors.exception(e, "setsockopt(XDP_UMEM_REG) on " + what, fix);
            }
        } finally {
            mem.free(reg);
        }
        return ownUmem;
    }

    /** The soft RLIMIT_MEMLOCK, in words. */
    private String memlock() {
        long buf = mem.allocate(16, "rlimit");
        try {
            if (sys.getrlimit(RLIMIT_MEMLOCK, buf) < 0) {
                return "unknown";
            }
            long soft = mem.view(buf, 16).getLong(0);
            return soft == -1 ? "unlimited" : soft + " bytes";
        } finally {
            mem.free(buf);
        }
    }

    private void setRing(int opt, int entries, String name, String what) throws VeloqIoException {
        long v = mem.allocate(4, "ring size");
        try {
            mem.view(v, 4).putInt(0, entries);
            long rc = sys.setsockopt(fd, XskEndpoint.SOL_XDP, opt, v, 4);
            if (rc < 0) {
                throw XdpErrors.exception((int) -rc, "setsockopt(" + name + " ring, " + entries + " entries) on " + what, null);
            }
        } finally {
            mem.free(v);
        }
    }

    private ByteBuffer offsets(String what) throws VeloqIoException {
        long buf = mem.allocate(128 + 8, "xdp_mmap_offsets");
        try {
            ByteBuffer b = mem.view(buf, 136);
            b.putInt(128, 128);
            long rc = sys.getsockopt(fd, XskEndpoint.SOL_XDP, XDP_MMAP_OFFSETS, buf, buf + 128);
            if (rc < 0) {
                throw XdpErrors.exception((int) -rc, "getsockopt(XDP_MMAP_OFFSETS) on " + what, null);
            }
            if (b.getInt(128) < 128) {
                throw XdpErrors.exception(LinuxErrno.EINVAL.code(), "getsockopt(XDP_MMAP_OFFSETS) on " + what,
                        "the kernel reports no ring flags (needs Linux 5.4 or later)");
            }
            ByteBuffer copy = ByteBuffer.allocate(128).order(b.order());
            copy.put(0, b, 0, 128);
            return copy;
        } finally {
            mem.free(buf);
        }
    }

    /** Maps one ring; {@code at} is its {@code struct xdp_ring_offset} in the offsets (producer, consumer, desc, flags). */
    private XskEndpoint.Mapping map(ByteBuffer off, int at, long pgoff, int entries, int entryBytes, String name, String what)
            throws VeloqIoException {
        long producer = off.getLong(at);
        long consumer = off.getLong(at + 8);
        long desc = off.getLong(at + 16);
        long flags = off.getLong(at + 24);
        long length = desc + (long) entries * entryBytes;
        long addr = mem.map(length, fd, pgoff);
        if (addr < 0) {
            throw XdpErrors.exception((int) -addr, "mmap of the " + name + " ring of " + what, null);
        }
        XdpRing ring = new XdpRing(mem.view(addr, length), (int) producer, (int) consumer, (int) flags, (int) desc, entries);
        return new XskEndpoint.Mapping(ring, addr, length);
    }

    /** Binds; returns whether zero-copy was bound. */
    private boolean bind(int ifindex, XskEndpoint shared, String what) throws VeloqIoException {
        int flags;
        if (shared != null) {
            flags = XDP_SHARED_UMEM; // mode and need-wakeup come from the UMEM's owner
        } else {
            flags = switch (config.mode()) {
                case COPY -> XDP_COPY;
                case ZERO_COPY -> XDP_ZEROCOPY;
                case PREFER_ZERO_COPY -> 0; // the kernel tries zero-copy and falls back to copy
            };
            if (config.needWakeup()) {
                flags |= XDP_USE_NEED_WAKEUP;
            }
        }
        long sa = mem.allocate(16, "sockaddr_xdp");
        try {
            ByteBuffer a = mem.view(sa, 16);
            a.putShort(0, (short) AF_XDP);
            a.putShort(2, (short) flags);
            a.putInt(4, ifindex);
            a.putInt(8, config.queue());
            a.putInt(12, shared == null ? 0 : shared.fd);
            long rc = sys.bind(fd, sa, 16);
            if (rc < 0) {
                int e = (int) -rc;
                throw XdpErrors.exception(e, "bind(" + what + ", " + (shared != null ? "XDP_SHARED_UMEM with fd " + shared.fd
                        : config.mode()) + ")", bindFix(e, shared));
            }
        } finally {
            mem.free(sa);
        }
        long opt = mem.allocate(8, "xdp_options");
        try {
            ByteBuffer o = mem.view(opt, 8);
            o.putInt(4, 4);
            if (sys.getsockopt(fd, XskEndpoint.SOL_XDP, XDP_OPTIONS, opt, opt + 4) < 0) {
                return config.mode() == XdpMode.ZERO_COPY;
            }
            return (o.getInt(0) & XDP_OPTIONS_ZEROCOPY) != 0;
        } finally {
            mem.free(opt);
        }
    }

    private String bindFix(int e, XskEndpoint shared) {
        if (e == LinuxErrno.EOPNOTSUPP.code() && config.mode() == XdpMode.ZERO_COPY) {
            return "the driver of " + iface + " (" + driverName(iface) + ") does not support AF_XDP zero-copy: "
                    + "use XdpMode.COPY, or XdpMode.PREFER_ZERO_COPY to fall back to copy when zero-copy is missing";
        }
        if (e == LinuxErrno.EBUSY.code()) {
            return "queue " + config.queue() + " of " + iface + " already has an AF_XDP socket bound (in this or another "
                    + "process); use another queue, or share that socket's UMEM";
        }
        if (e == LinuxErrno.ENETDOWN.code()) {
            return iface + " is down: `ip link set dev " + iface + " up`";
        }
        if (e == LinuxErrno.EINVAL.code() && shared != null) {
            return "the kernel refused to share the UMEM of " + shared + " (same queue needs the same interface; "
                    + "another queue needs Linux 5.10 or later)";
        }
        if (e == LinuxErrno.EPERM.code()) {
            return RAW_FIX;
        }
        return null;
    }

    /** The network driver behind an interface, from sysfs; "virtual" for veth and friends. */
    static String driverName(String iface) {
        try {
            Path p = Path.of("/sys/class/net", iface, "device", "driver");
            if (Files.exists(p)) {
                return Files.readSymbolicLink(p).getFileName().toString();
            }
            Path uevent = Path.of("/sys/class/net", iface, "uevent");
            for (String line : Files.readAllLines(uevent)) {
                if (line.startsWith("DEVTYPE=")) {
                    return line.substring(8);
                }
            }
        } catch (IOException | RuntimeException e) {
            // fall through
        }
        return "virtual";
    }

    private void undo() {
        if (fd >= 0) {
            sys.close(fd);
        }
        for (XskEndpoint.Mapping m : new XskEndpoint.Mapping[] {rx, tx, fill, completion}) {
            if (m != null) {
                mem.unmap(m.addr(), m.length());
            }
        }
        if (ownUmem != null) {
            mem.unmap(ownUmem.addr, ownUmem.length);
        }
    }
}
