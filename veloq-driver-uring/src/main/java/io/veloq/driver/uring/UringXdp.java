package io.veloq.driver.uring;

import io.veloq.api.VeloqIoException;
import io.veloq.api.xdp.XdpConfig;
import io.veloq.driver.uring.ffi.Syscalls;
import io.veloq.spi.LinuxErrno;
import io.veloq.spi.xdp.XdpDriver;
import io.veloq.spi.xdp.XdpEndpoint;

import java.util.ArrayList;
import java.util.List;

/**
 * The io_uring driver's AF_XDP facet: opens {@link XskEndpoint}s and waits for their readiness on the ring.
 * A wait is one {@code IORING_OP_POLL_ADD} on the socket, at most one per socket in the kernel at a time,
 * with internal user data {@code POLL_BASE - (generation << 12 | id)} so a late completion of an old wait
 * is never taken for a new one. Busy-polling sockets put no request in the kernel: while one is armed, the
 * driver does not sleep and checks its rings every turn.
 */
final class UringXdp implements XdpDriver {
    /** Internal user data at or below this belongs to an AF_XDP poll. */
    static final long POLL_BASE = -(1L << 40);
    private static final int MAX_SOCKETS = 4096;
    private static final int POLLIN = 0x1;
    private static final int POLLOUT = 0x4;
    private static final int POLLERR = 0x8;
    private static final int POLLHUP = 0x10;
    private static final int ECANCELED = LinuxErrno.ECANCELED.code();

    private final UringDriver driver;
    private final NativeMemory mem;
    private final Bpf bpf;
    private final XskEndpoint[] endpoints = new XskEndpoint[MAX_SOCKETS];
    /** Ids in use: by an open socket, one being made, or a closed one whose poll is still in the kernel. */
    private final boolean[] taken = new boolean[MAX_SOCKETS];
    private final List<XskEndpoint> open = new ArrayList<>();
    /** Endpoints whose wanted state the kernel does not reflect yet (no SQ room when asked). */
    private final List<XskEndpoint> pending = new ArrayList<>();
    private final List<XskEndpoint> busy = new ArrayList<>();
    private int busyArmed;
    private int pollsInKernel;
    private final Object lock = new Object();

    UringXdp(UringDriver driver, Syscalls sys) {
        this.driver = driver;
        this.mem = new NativeMemory(sys);
        this.bpf = new Bpf(mem);
    }

    /** Whether this kernel has AF_XDP: a socket of that family can be created, or is refused only for privilege. */
    static boolean kernelSupports(Syscalls sys) {
        long fd = sys.socket(XskFactory.AF_XDP, 3 | 0x80000, 0);
        if (fd >= 0) {
            sys.close((int) fd);
            return true;
        }
        return fd != -LinuxErrno.EAFNOSUPPORT.code();
    }

    NativeMemory memory() {
        return mem;
    }

    Syscalls syscalls() {
        return mem.syscalls();
    }

    Bpf bpf() {
        return bpf;
    }

    /** Live UMEM, ring and scratch mappings of this facet (tests prove close leaves none). */
    int liveNativeAllocations() {
        return mem.live();
    }

    /** The open sockets (tests). */
    List<XskEndpoint> openEndpoints() {
        synchronized (lock) {
            return List.copyOf(open);
        }
    }

    int openSockets() {
        synchronized (lock) {
            return open.size();
        }
    }

    @Override
    public XdpEndpoint open(XdpConfig config, XdpEndpoint sharedWith) throws VeloqIoException {
        XskEndpoint shared = null;
        if (sharedWith != null) {
            if (!(sharedWith instanceof XskEndpoint s) || !open.contains(s)) {
                throw new IllegalArgumentException("sharedUmem: " + sharedWith + " is not an open AF_XDP socket of this io_uring driver");
            }
            shared = s;
        }
        int id;
        synchronized (lock) {
            id = -1;
            for (int i = 0; i < MAX_SOCKETS; i++) {
                if (!taken[i]) {
                    id = i;
                    break;
                }
            }
            if (id < 0) {
                throw new IllegalStateException("more than " + MAX_SOCKETS + " AF_XDP sockets on one loop");
            }
            taken[id] = true;
        }
        try {
            XskEndpoint ep = XskFactory.open(this, id, config, shared);
            synchronized (lock) {
                endpoints[id] = ep;
                open.add(ep);
            }
            return ep;
        } catch (VeloqIoException | RuntimeException | Error e) {
            synchronized (lock) {
                taken[id] = false;
            }
            throw e;
        }
    }

    // ---- readiness (loop thread) ----

    void arm(XskEndpoint ep, int events, XdpEndpoint.Readiness ready) {
        if (ep.busyPoll()) {
            boolean was = ep.wantEvents != 0;
            ep.wantEvents = events;
            ep.ready = ready;
            if (events != 0 && !was) {
                busy.add(ep);
                busyArmed++;
            } else if (events == 0 && was) {
                busy.remove(ep);
                busyArmed--;
            }
            return;
        }
        ep.wantEvents = events;
        ep.ready = ready;
        sync(ep);
    }

    /** Brings the kernel in line with what the endpoint wants: a poll for its events, or none. */
    private void sync(XskEndpoint ep) {
        if (ep.kernelUd == 0) {
            if (ep.wantEvents == 0) {
                return;
            }
            ep.generation = (ep.generation + 1) & 0xFFFFF;
            long ud = POLL_BASE - (((long) ep.generation << 12) | ep.id);
            int mask = ((ep.wantEvents & XdpEndpoint.RX) != 0 ? POLLIN : 0) | ((ep.wantEvents & XdpEndpoint.TX) != 0 ? POLLOUT : 0);
            if (driver.pollAdd(ep.fd, mask, ud)) {
                ep.kernelUd = ud;
                ep.kernelEvents = ep.wantEvents;
                pollsInKernel++;
            } else {
                markPending(ep);
            }
        } else if (ep.kernelEvents != ep.wantEvents && !ep.cancelSent) {
            // Its completion (ECANCELED, or a real one that won) comes back and sync runs again.
            if (driver.cancelInternal(ep.kernelUd)) {
                ep.cancelSent = true;
            } else {
                markPending(ep);
            }
        }
    }

    private void markPending(XskEndpoint ep) {
        if (!ep.pending) {
            ep.pending = true;
            pending.add(ep);
        }
    }

    /** Retries what found the SQ full. Called at the start of every submitAndWait. */
    void flushPending() {
        for (int i = pending.size() - 1; i >= 0; i--) {
            XskEndpoint ep = pending.remove(i);
            ep.pending = false;
            sync(ep);
        }
    }

    boolean hasPending() {
        return !pending.isEmpty();
    }

    /** True while a busy-polling socket waits: the driver must not sleep. */
    boolean busyPolling() {
        return busyArmed > 0;
    }

    /** Fires busy-polling sockets whose events hold; returns how many fired. */
    int runBusy() {
        int fired = 0;
        for (int i = busy.size() - 1; i >= 0; i--) {
            XskEndpoint ep = busy.get(i);
            int ev = ep.readyEvents() & ep.wantEvents;
            if (ev != 0) {
                busy.remove(i);
                busyArmed--;
                fire(ep, ev);
                fired++;
            }
        }
        return fired;
    }

    private static void fire(XskEndpoint ep, int events) {
        XdpEndpoint.Readiness r = ep.ready;
        ep.wantEvents = 0;
        ep.ready = null;
        if (r != null && !ep.isClosed()) {
            r.ready(events);
        }
    }

    /** An internal completion at or below {@link #POLL_BASE}; returns true if it ran a callback. */
    boolean completed(long ud, int res) {
        long v = POLL_BASE - ud;
        int id = (int) (v & 0xFFF);
        pollsInKernel--;
        XskEndpoint ep;
        synchronized (lock) {
            ep = endpoints[id];
        }
        if (ep == null || ep.kernelUd != ud) {
            return false;
        }
        ep.kernelUd = 0;
        ep.cancelSent = false;
        if (ep.isClosed()) {
            release(ep);
            return false;
        }
        if (res >= 0 && ep.wantEvents != 0 && ep.kernelEvents == ep.wantEvents) {
            int ev = ((res & POLLIN) != 0 ? XdpEndpoint.RX : 0) | ((res & POLLOUT) != 0 ? XdpEndpoint.TX : 0);
            if ((res & (POLLERR | POLLHUP)) != 0) {
                ev |= ep.wantEvents;
            }
            fire(ep, ev & ep.wantEvents);
            return true;
        }
        if (res < 0 && res != -ECANCELED && ep.wantEvents != 0) {
            fire(ep, 0); // the poll itself failed: let the socket look at its rings
            return true;
        }
        sync(ep);
        return false;
    }

    /** Internal requests of this facet still in the kernel. */
    int pollsInKernel() {
        return pollsInKernel;
    }

    /** For close: cancels every poll still in the kernel (resent each round until they are all back). */
    void cancelAll() {
        XskEndpoint[] all;
        synchronized (lock) {
            all = endpoints.clone();
        }
        for (XskEndpoint ep : all) {
            if (ep != null && ep.kernelUd != 0) {
                ep.wantEvents = 0;
                driver.cancelInternal(ep.kernelUd);
            }
        }
    }

    // ---- close ----

    /** A socket closed by its user: drop its wait, free what it made. */
    void closed(XskEndpoint ep) {
        if (ep.busyPoll() && ep.wantEvents != 0) {
            busy.remove(ep);
            busyArmed--;
        }
        ep.wantEvents = 0;
        ep.ready = null;
        if (ep.kernelUd != 0 && !driver.isClosing()) {
            sync(ep); // cancel: the kernel holds the socket until its poll ends
        }
        synchronized (lock) {
            open.remove(ep);
        }
        if (ep.kernelUd == 0) {
            release(ep);
        }
        ep.free(mem, bpf);
    }

    private void release(XskEndpoint ep) {
        synchronized (lock) {
            if (endpoints[ep.id] == ep) {
                endpoints[ep.id] = null;
                taken[ep.id] = false;
            }
        }
    }

    /** The driver is closing: sockets the user left open are closed now. */
    void closeAll() {
        List<XskEndpoint> left;
        synchronized (lock) {
            left = new ArrayList<>(open);
        }
        for (XskEndpoint ep : left) {
            ep.close();
        }
        synchronized (lock) {
            java.util.Arrays.fill(endpoints, null);
            java.util.Arrays.fill(taken, false);
        }
    }
}
