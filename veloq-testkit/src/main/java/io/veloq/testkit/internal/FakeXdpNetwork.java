package io.veloq.testkit.internal;

import io.veloq.api.VeloqIoException;
import io.veloq.api.xdp.XdpAttach;
import io.veloq.api.xdp.XdpConfig;
import io.veloq.api.xdp.XdpMode;
import io.veloq.spi.LinuxErrno;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The fake kernel's AF_XDP side, shared by every loop of one simulated process: the interfaces tests
 * declare, the XDP program attached to each (mode, UDP port, sockets by queue, or another owner's program),
 * the frames transmitted on each, and the privilege and locked-memory limits. Guarded by the kernel's lock.
 */
public final class FakeXdpNetwork {
    /** What happened to a frame handed to {@link #deliver}. */
    public enum Delivery { RECEIVED, PASSED_TO_STACK, DROPPED_FILL_RING_EMPTY, DROPPED_RX_RING_FULL, DROPPED_TOO_LONG }

    static final class Iface {
        final String name;
        final int index;
        final int queues;
        final boolean zeroCopy;
        final ArrayDeque<byte[]> transmitted = new ArrayDeque<>();
        boolean foreignProgram;
        XdpAttach attachMode;
        int udpPort;
        int users;
        final FakeXsk[] byQueue;

        Iface(String name, int index, int queues, boolean zeroCopy) {
            this.name = name;
            this.index = index;
            this.queues = queues;
            this.zeroCopy = zeroCopy;
            this.byQueue = new FakeXsk[queues];
        }
    }

    private final FakeKernel kernel;
    private final Map<String, Iface> ifaces = new LinkedHashMap<>();
    private boolean privileged = true;
    private long memlockLimit = -1;
    private int nextFd = 1000;

    FakeXdpNetwork(FakeKernel kernel) {
        this.kernel = kernel;
    }

    Object lock() {
        return kernel;
    }

    public void addInterface(String name, int queues, boolean zeroCopy) {
        synchronized (kernel) {
            if (ifaces.containsKey(name)) {
                throw new IllegalArgumentException("interface " + name + " already exists");
            }
            ifaces.put(name, new Iface(name, ifaces.size() + 2, queues, zeroCopy));
        }
    }

    public void foreignProgram(String iface, boolean attached) {
        synchronized (kernel) {
            iface(iface).foreignProgram = attached;
        }
    }

    public void privileged(boolean yes) {
        synchronized (kernel) {
            privileged = yes;
        }
    }

    /** The locked-memory limit in bytes (-1: unlimited, the default, like CAP_IPC_LOCK). */
    public void memlockLimit(long bytes) {
        synchronized (kernel) {
            memlockLimit = bytes;
        }
    }

    private Iface iface(String name) {
        Iface i = ifaces.get(name);
        if (i == null) {
            throw new IllegalArgumentException("no simulated interface " + name + "; add it with addInterface");
        }
        return i;
    }

    /** Whether a program (Veloq's or another's) is attached to {@code iface}. */
    public boolean programAttached(String iface) {
        synchronized (kernel) {
            Iface i = iface(iface);
            return i.foreignProgram || i.attachMode != null;
        }
    }

    /** Takes the frames transmitted on {@code iface} so far, oldest first. */
    public List<byte[]> takeTransmitted(String iface) {
        synchronized (kernel) {
            Iface i = iface(iface);
            List<byte[]> out = new ArrayList<>(i.transmitted);
            i.transmitted.clear();
            return out;
        }
    }

    /** A frame arriving on {@code iface} queue {@code queue}: the program redirects it to the socket, or passes it. */
    public Delivery deliver(String iface, int queue, byte[] frame) {
        FakeXsk target;
        Delivery d;
        synchronized (kernel) {
            Iface i = iface(iface);
            if (queue < 0 || queue >= i.queues) {
                throw new IllegalArgumentException(iface + " has " + i.queues + " queues, not queue " + queue);
            }
            target = i.attachMode == null ? null : i.byQueue[queue];
            if (target == null || (i.udpPort != 0 && udpPort(frame) != i.udpPort)) {
                return Delivery.PASSED_TO_STACK;
            }
            d = target.receive(frame);
        }
        target.owner().wake();
        return d;
    }

    /** The destination port of an Ethernet/IPv4-or-IPv6/UDP frame, or -1. */
    private static int udpPort(byte[] f) {
        if (f.length < 14 + 20 + 8) {
            return -1;
        }
        int type = (f[12] & 0xff) << 8 | (f[13] & 0xff);
        if (type == 0x0800 && f[14 + 9] == 17 && ((f[14 + 6] & 0x3f) | (f[14 + 7] & 0xff)) == 0) {
            int ihl = (f[14] & 0x0f) * 4;
            int u = 14 + ihl;
            return f.length >= u + 8 ? (f[u + 2] & 0xff) << 8 | (f[u + 3] & 0xff) : -1;
        }
        if (type == 0x86DD && f.length >= 14 + 40 + 8 && f[14 + 6] == 17) {
            return (f[56] & 0xff) << 8 | (f[57] & 0xff);
        }
        return -1;
    }

    // ---- used by FakeXdp (lock held) ----

    /** The same checks, in the same order, with the same errors as the io_uring driver's setup. */
    Iface check(XdpConfig c, FakeXsk shared) throws VeloqIoException {
        Iface i = ifaces.get(c.iface());
        if (i == null) {
            throw error(LinuxErrno.ENODEV, "AF_XDP socket on " + c.iface(), "there is no network interface named \""
                    + c.iface() + "\" (`ip link` lists them; one in another network namespace is invisible here)");
        }
        if (c.queue() >= i.queues) {
            throw error(LinuxErrno.EINVAL, "AF_XDP socket on " + c.iface() + " queue " + c.queue(), c.iface() + " has "
                    + i.queues + " RX queue" + (i.queues == 1 ? " (queue 0)" : "s (0 to " + (i.queues - 1) + ")")
                    + "; queue " + c.queue() + " does not exist");
        }
        if (!privileged) {
            throw error(LinuxErrno.EPERM, "socket(AF_XDP)", "AF_XDP sockets need CAP_NET_RAW (and CAP_NET_ADMIN, CAP_BPF "
                    + "for the program): run as root, or grant them to the JVM");
        }
        long umem = (long) c.frameSize() * c.frameCount();
        if (shared == null && memlockLimit >= 0 && umem > memlockLimit) {
            throw error(LinuxErrno.ENOBUFS, "setsockopt(XDP_UMEM_REG)", "the UMEM (" + umem + " bytes) must be locked "
                    + "in memory and RLIMIT_MEMLOCK is " + memlockLimit + " bytes: raise it or grant CAP_IPC_LOCK");
        }
        if (shared == null && c.mode() == XdpMode.ZERO_COPY && !i.zeroCopy) {
            throw error(LinuxErrno.EOPNOTSUPP, "bind(AF_XDP socket on " + c.iface() + ", ZERO_COPY)", "the driver of "
                    + c.iface() + " (simulated) does not support AF_XDP zero-copy: use XdpMode.COPY, or "
                    + "XdpMode.PREFER_ZERO_COPY to fall back to copy when zero-copy is missing");
        }
        if (i.byQueue[c.queue()] != null && (shared == null || i.byQueue[c.queue()] != shared && !sameUmem(i.byQueue[c.queue()], shared))) {
            throw error(LinuxErrno.EBUSY, "bind(AF_XDP socket on " + c.iface() + ")", "queue " + c.queue() + " of "
                    + c.iface() + " already has an AF_XDP socket bound");
        }
        if (c.attach() != XdpAttach.NONE) {
            if (i.foreignProgram) {
                throw error(LinuxErrno.EBUSY, "bpf(BPF_LINK_CREATE) of the XDP program on " + c.iface(), c.iface()
                        + " already has another XDP program attached: detach it, or open the socket with XdpAttach.NONE");
            }
            if (i.attachMode != null && (i.attachMode != c.attach() || i.udpPort != c.udpPort())) {
                throw error(LinuxErrno.EBUSY, "attaching the XDP program to " + c.iface(), "this process already attached "
                        + "Veloq's program there in " + i.attachMode + " mode; open every socket on one interface with "
                        + "the same attach mode and UDP port, or XdpAttach.NONE");
            }
        }
        return i;
    }

    private static boolean sameUmem(FakeXsk a, FakeXsk b) {
        return a.umemId() == b.umemId();
    }

    int nextFd() {
        return nextFd++;
    }

    /** Binds {@code s} into its interface's map, attaching the program if it is the first. */
    void join(Iface i, FakeXsk s, XdpConfig c) {
        if (c.attach() != XdpAttach.NONE && i.attachMode == null) {
            i.attachMode = c.attach();
            i.udpPort = c.udpPort();
        }
        if (i.attachMode != null || c.attach() != XdpAttach.NONE) {
            i.users++;
            s.joined = true;
        }
        i.byQueue[c.queue()] = s;
    }

    void leave(Iface i, FakeXsk s, int queue) {
        if (i.byQueue[queue] == s) {
            i.byQueue[queue] = null;
        }
        if (s.joined && --i.users == 0) {
            i.attachMode = null;
            i.udpPort = 0;
        }
    }

    void transmitted(Iface i, byte[] frame) {
        i.transmitted.addLast(frame);
    }

    private static VeloqIoException error(LinuxErrno e, String what, String fix) {
        return new VeloqIoException(e.kind(), e.code(), e.name(), what, e.description() + "; " + fix);
    }
}
