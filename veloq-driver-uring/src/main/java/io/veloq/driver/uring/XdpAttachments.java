package io.veloq.driver.uring;

import io.veloq.api.VeloqIoException;
import io.veloq.api.xdp.XdpAttach;
import io.veloq.spi.LinuxErrno;

import java.util.HashMap;
import java.util.Map;

/**
 * The process's XDP programs, one per interface: the XSKMAP, the program and the BPF link that attaches it,
 * shared by every socket of the process on that interface (each on its own queue) and released by the
 * last one. The link is a descriptor of this process, so if the JVM dies the kernel detaches the program.
 * Thread-safe: sockets on different loops may share an interface.
 */
final class XdpAttachments {
    /** One interface's program. */
    static final class Attachment {
        final int ifindex;
        final String iface;
        final XdpAttach mode;
        final int udpPort;
        final int mapFd;
        final int progFd;
        final int linkFd;
        final int mapEntries;
        int users;

        Attachment(int ifindex, String iface, XdpAttach mode, int udpPort, int mapFd, int progFd, int linkFd, int mapEntries) {
            this.ifindex = ifindex;
            this.iface = iface;
            this.mode = mode;
            this.udpPort = udpPort;
            this.mapFd = mapFd;
            this.progFd = progFd;
            this.linkFd = linkFd;
            this.mapEntries = mapEntries;
        }
    }

    private static final Map<Integer, Attachment> BY_IFINDEX = new HashMap<>();

    private XdpAttachments() {
    }

    /**
     * The interface's attachment, created (map, program, link) if this is its first socket, with
     * {@code queue -> xskFd} put into its map. {@code attach == NONE} only joins an existing attachment
     * (and returns null when there is none).
     */
    static Attachment join(Bpf bpf, int ifindex, String iface, int rxQueues, XdpAttach attach, int udpPort, int queue,
                           int xskFd) throws VeloqIoException {
        synchronized (BY_IFINDEX) {
            Attachment a = BY_IFINDEX.get(ifindex);
            if (a == null) {
                if (attach == XdpAttach.NONE) {
                    return null;
                }
                a = create(bpf, ifindex, iface, rxQueues, attach, udpPort);
                BY_IFINDEX.put(ifindex, a);
            } else if (attach != XdpAttach.NONE && (a.mode != attach || a.udpPort != udpPort)) {
                throw XdpErrors.exception(LinuxErrno.EBUSY.code(), "attaching the XDP program to " + iface,
                        "this process already attached Veloq's program there in " + a.mode + " mode"
                                + (a.udpPort == 0 ? " for all packets" : " for UDP port " + a.udpPort)
                                + "; open every socket on one interface with the same attach mode and UDP port, or XdpAttach.NONE");
            }
            if (queue >= a.mapEntries) {
                throw XdpErrors.exception(LinuxErrno.EINVAL.code(), "adding queue " + queue + " of " + iface + " to the XSKMAP",
                        "the map has " + a.mapEntries + " entries (one per RX queue)");
            }
            bpf.update(a.mapFd, queue, xskFd, "of queue " + queue + " of " + iface + " to socket fd " + xskFd);
            a.users++;
            return a;
        }
    }

    private static Attachment create(Bpf bpf, int ifindex, String iface, int rxQueues, XdpAttach attach, int udpPort)
            throws VeloqIoException {
        var sys = bpf.syscalls();
        int entries = Math.max(1, rxQueues);
        int map = bpf.createXskMap(entries, iface);
        int prog = -1;
        try {
            prog = bpf.loadXdp(XdpProgram.redirect(map, udpPort), iface);
            int flags = attach == XdpAttach.NATIVE ? Bpf.XDP_FLAGS_DRV_MODE : Bpf.XDP_FLAGS_SKB_MODE;
            int link = bpf.linkXdp(prog, ifindex, flags, iface);
            return new Attachment(ifindex, iface, attach, udpPort, map, prog, link, entries);
        } catch (VeloqIoException | RuntimeException e) {
            if (prog >= 0) {
                sys.close(prog);
            }
            sys.close(map);
            throw e;
        }
    }

    /** Drops one socket's hold; the last one closes the link (detaching the program), the program and the map. */
    static void leave(Bpf bpf, Attachment a) {
        synchronized (BY_IFINDEX) {
            if (--a.users > 0) {
                return;
            }
            BY_IFINDEX.remove(a.ifindex, a);
            var sys = bpf.syscalls();
            sys.close(a.linkFd);
            sys.close(a.progFd);
            sys.close(a.mapFd);
        }
    }
}
