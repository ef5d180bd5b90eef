package io.veloq.driver.iocp;

import io.veloq.driver.iocp.win32.Win32;

import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongPredicate;

import static io.veloq.driver.iocp.win32.Win32Constants.ERROR_INVALID_HANDLE;
import static io.veloq.driver.iocp.win32.Win32Constants.ERROR_INVALID_PARAMETER;
import static io.veloq.driver.iocp.win32.Win32Constants.FILE_SKIP_COMPLETION_PORT_ON_SUCCESS;
import static io.veloq.driver.iocp.win32.Win32Constants.FILE_SKIP_SET_EVENT_ON_HANDLE;
import static io.veloq.driver.iocp.win32.Win32Constants.WSAENOTSOCK;

/**
 * Which completion port gets a handle's packets, and how they reach the loop that started the op when that
 * is another loop than the port's.
 *
 * <h2>The Windows rule</h2>
 * A handle is associated with one completion port, for as long as it is open (CreateIoCompletionPort cannot
 * move it), and every completion packet of an overlapped request on it is queued to that port, whichever
 * thread started the request. Issuing the request is not tied to the port: any thread of the process may
 * call WSARecv on the handle, and CancelIoEx cancels a request whichever thread started it.
 *
 * <h2>What the driver does</h2>
 * The first loop that starts an overlapped op on a handle associates it with its port ({@link #associate})
 * and becomes the handle's <em>owner</em>; it sets the handle's notification mode then too (skip the port on
 * success for TCP sockets with IFS handles and files, never for UDP: see {@link IocpDriver}). Another loop
 * (the <em>issuer</em>) starts its own ops on the handle itself, with its own slot's OVERLAPPED, so the op
 * never leaves the issuer: its buffer, slot, cancellation and result stay
 * there. Only the packet takes a detour: it arrives at the owner's port, the owner sees an OVERLAPPED that
 * lies in another live driver's slot memory ({@link Directory#owning}) and posts the same key and OVERLAPPED to
 * that driver's port with PostQueuedCompletionStatus. The issuer then takes the packet as it takes its own:
 * the identity checks of {@link OverlappedSlots} hold unchanged (the kernel wrote the status into the
 * OVERLAPPED before it queued the packet, so {@code Internal} is no longer STATUS_PENDING). Cost: a second
 * packet and a wake-up of the owner's thread per such op; nothing per op on a loop's own handles.
 *
 * <h2>Nothing is lost when a loop closes</h2>
 * <ul>
 *   <li>An issuer counts each op it routes through an owner in the owner's {@link #routedHere} (before the
 *       Win32 call) and takes it back when the op ends on the issuer (its packet came, or it never queued
 *       one), or when the issuer leaves; only the issuer changes the count for its ops, so none is counted
 *       twice. The owner polls its port while the count is not 0, even when it has nothing of its own.</li>
 *   <li>An owner that closes first refuses new routes ({@link #CLOSING}), wakes every other loop, which then
 *       cancels its ops routed through it (CancelIoEx on the issuer's thread, where the issuer knows which
 *       OVERLAPPED is current), and keeps its port open and forwarding until the count is 0 (at most the
 *       driver's close deadline). A later op of another loop on that handle fails with ERROR_INVALID_PARAMETER:
 *       its packets would go to a port nobody reads.</li>
 *   <li>An issuer that closes cancels its ops as usual; their packets come through the owner, which is still
 *       open (it waits for the count). Forwarded packets are admitted under the issuer's gate until its port
 *       closes ({@link #leave}); after that the issuer is gone from the directory and a late packet is stale.
 *       The issuer frees its slot memory only once every op came back, so no forwarded packet can name memory
 *       that was freed and reused.</li>
 * </ul>
 *
 * <h2>Why the handle is not moved instead</h2>
 * NtSetInformationFile with FileReplaceCompletionInformation (ntdll, Windows 8.1+) can give a handle another
 * port. It moves the handle, not a request: the port is looked up when a request completes, so requests still
 * pending for the old loop (a Recv on one loop while another loop sends) would complete on the new port, and
 * two loops using one socket at once would move it back and forth and still need forwarding. Others do not
 * share handles between ports at all: Go binds every handle to one process-wide port, .NET to its thread
 * pool's (ThreadPool.BindHandle), libuv and the JDK's channel groups tie a handle to one loop or group. It could later let a loop adopt a handle whose
 * owner closed (nothing is pending on it then); not done: such an op fails with ERROR_INVALID_PARAMETER.
 *
 * <p>Threading: {@link #associate}, {@link #settled}, {@link #leave} and the scans run on the driver's loop
 * thread; {@link #admit} and {@link #routedHere} on any thread.
 */
final class PortRelay {
    /** Set in {@link #routedHere} once the owner closes: no new op is routed through it. */
    private static final int CLOSING = 1 << 30;

    /**
     * The live drivers of one handle table (one process, or one simulated machine): which port, which slot
     * memory. Copy-on-write; lookups scan a handful of loops and allocate nothing.
     */
    static final class Directory {
        private volatile PortRelay[] members = new PortRelay[0];
        /** Bumped whenever an owner starts closing: issuers then look for ops to cancel. */
        private final AtomicInteger closings = new AtomicInteger();
        private final AtomicLong ids = new AtomicLong();

        synchronized void join(PortRelay r) {
            PortRelay[] m = Arrays.copyOf(members, members.length + 1);
            m[m.length - 1] = r;
            members = m;
        }

        synchronized void leave(PortRelay r) {
            PortRelay[] m = members;
            for (int i = 0; i < m.length; i++) {
                if (m[i] == r) {
                    PortRelay[] n = new PortRelay[m.length - 1];
                    System.arraycopy(m, 0, n, 0, i);
                    System.arraycopy(m, i + 1, n, i, m.length - i - 1);
                    members = n;
                    return;
                }
            }
        }

        /** The open driver with owner id {@code id}; null if none (it closed). */
        PortRelay withId(long id) {
            for (PortRelay r : members) {
                if (r.id == id) {
                    return r;
                }
            }
            return null;
        }

        /** The live driver whose slot memory holds {@code overlapped}; null if none. */
        PortRelay owning(long overlapped) {
            for (PortRelay r : members) {
                if (overlapped - r.base >= 0 && overlapped - r.base < r.length) {
                    return r;
                }
            }
            return null;
        }
    }

    private final Directory directory;
    /** Names this driver in the handle table; never reused (a port's handle value is, at once). */
    private final long id;
    private final HandleTable handles;
    private final HandleTable.Association association = this::attach;
    /** Whether a socket has IFS handles (skip mode is safe on it); null: never skip the port. */
    private final LongPredicate skipOnSuccess;
    private final Win32 w;
    private final long port;
    private final long base;
    private final long length;
    private final Runnable wakeup;
    /** Ops of other loops whose packets will come to this port; {@link #CLOSING} once it closes. */
    private final AtomicInteger routedHere = new AtomicInteger();
    private final Object gate = new Object();
    private boolean portOpen = true;

    // Loop thread of this driver.
    /** Per slot: the owner the op in the slot is routed through; null when its packets come here. */
    private final PortRelay[] via;
    private int routedAway;
    private int closingsSeen;
    private long forwarded;

    PortRelay(Directory directory, HandleTable handles, Win32 w, long port, OverlappedSlots slots, Runnable wakeup,
              LongPredicate skipOnSuccess) {
        this.directory = directory;
        this.id = directory.ids.incrementAndGet();
        this.handles = handles;
        this.skipOnSuccess = skipOnSuccess;
        this.w = w;
        this.port = port;
        this.base = slots.base;
        this.length = slots.size();
        this.wakeup = wakeup;
        this.via = new PortRelay[slots.capacity()];
        this.closingsSeen = directory.closings.get();
        directory.join(this);
    }

    // ---- the issuer's side ----

    /**
     * Before an overlapped op on {@code handle}: associates the handle with this port if no loop has done I/O
     * on it yet, or routes the op in {@code slot} through the loop whose port has it. Returns the handle's
     * flags, or minus the error the op fails with: WSAENOTSOCK / ERROR_INVALID_HANDLE for a handle no driver of
     * this provider created or adopted (never touch it), ERROR_INVALID_PARAMETER if the loop whose port has it
     * closed (its packets would go to a port nobody reads any more), or CreateIoCompletionPort's error.
     */
    int associate(int slot, long handle, boolean socketOp) {
        int flags = handles.associateOnce(handle, id, association);
        if (flags == 0) {
            return -(socketOp ? WSAENOTSOCK : ERROR_INVALID_HANDLE);
        }
        if (flags > 0 && (flags & HandleTable.FOREIGN) != 0 && !route(slot, handles.ownerOf(handle))) {
            return -ERROR_INVALID_PARAMETER;
        }
        return flags;
    }

    /** CreateIoCompletionPort for a handle no loop has done I/O on; SKIP_ON_SUCCESS or 0, or minus the error. */
    private int attach(long handle, int flags) {
        if (w.createIoCompletionPort(handle, port, IocpDriver.IO_KEY, 0) == 0) {
            return -w.lastError();
        }
        boolean socket = (flags & HandleTable.SOCKET) != 0;
        boolean skip = skipOnSuccess != null
                && (!socket || ((flags & HandleTable.DATAGRAM) == 0 && skipOnSuccess.test(handle)))
                && w.setFileCompletionNotificationModes(handle,
                FILE_SKIP_COMPLETION_PORT_ON_SUCCESS | FILE_SKIP_SET_EVENT_ON_HANDLE);
        return skip ? HandleTable.SKIP_ON_SUCCESS : 0;
    }

    /**
     * Routes the op in {@code slot} through the driver {@code ownerId}, whose port has the handle, before its
     * Win32 call; false if that driver closed or is closing.
     */
    private boolean route(int slot, long ownerId) {
        PortRelay owner = directory.withId(ownerId);
        if (owner == null || owner == this || !owner.take()) {
            return false;
        }
        via[slot] = owner;
        routedAway++;
        return true;
    }

    /** The op in {@code slot} ended here (or never queued a packet): its owner stops counting it. */
    void settled(int slot) {
        PortRelay owner = via[slot];
        if (owner != null) {
            via[slot] = null;
            routedAway--;
            owner.routedHere.decrementAndGet();
        }
    }

    /** Whether some owner started closing since the last call while ops of this loop are routed elsewhere. */
    boolean ownerClosing() {
        if (routedAway == 0) {
            return false;
        }
        int c = directory.closings.get();
        if (c == closingsSeen) {
            return false;
        }
        closingsSeen = c;
        return true;
    }

    /** Whether the op in {@code slot} is routed through an owner that is closing. */
    boolean viaClosingOwner(int slot) {
        PortRelay owner = via[slot];
        return owner != null && (owner.routedHere.get() & CLOSING) != 0;
    }

    private boolean take() {
        for (;;) {
            int v = routedHere.get();
            if ((v & CLOSING) != 0) {
                return false;
            }
            if (routedHere.compareAndSet(v, v + 1)) {
                return true;
            }
        }
    }

    // ---- the owner's side ----

    /**
     * A packet with {@code key} naming {@code overlapped}, which is not in this driver's slot memory: posts it
     * to the port of the live driver whose memory it is. False if none (a stray packet).
     */
    boolean forward(long key, long overlapped, int bytes) {
        PortRelay issuer = directory.owning(overlapped);
        if (issuer == null || issuer == this || !issuer.admit(key, overlapped, bytes)) {
            return false;
        }
        forwarded++;
        return true;
    }

    /** Queues a forwarded packet to this driver's port, unless the port is closing. Any thread. */
    private boolean admit(long key, long overlapped, int bytes) {
        synchronized (gate) {
            return portOpen && w.postQueuedCompletionStatus(port, bytes, key, overlapped);
        }
    }

    /** Ops of other loops in the kernel whose packets will come to this port. Any thread. */
    int routedHere() {
        return routedHere.get() & ~CLOSING;
    }

    /** The id that names this driver as the owner of handles in the handle table. */
    long id() {
        return id;
    }

    /** Packets this driver forwarded to other loops. */
    long forwarded() {
        return forwarded;
    }

    /**
     * The owner starts closing: no new op is routed through it, and every other loop is woken to cancel the
     * ops it routed here (their packets still come here and are forwarded until {@link #routedHere} is 0).
     */
    void closing() {
        routedHere.getAndUpdate(v -> v | CLOSING);
        directory.closings.incrementAndGet();
        for (PortRelay r : directory.members) {
            if (r != this) {
                r.wakeup.run();
            }
        }
    }

    /**
     * Leaves the directory just before the port closes (after the close deadline, saying so if ops of other
     * loops are still due here): forwarded packets are refused from now on, and the ops this driver still
     * routes through others (they did not come back in time; their memory is leaked) stop counting there, so
     * no owner waits for them. The handles of its port stay associated with it: other loops' ops on them fail.
     */
    void leave(String driver) {
        synchronized (gate) {
            portOpen = false;
        }
        int stranded = routedHere();
        if (stranded > 0) {
            // Their loops did not cancel them in time (a completer that never returns?): they will never complete.
            System.err.println("veloq: iocp driver " + driver + " closed its completion port while " + stranded
                    + " operations other loops started on handles associated with it were still in the kernel; "
                    + "their completions are lost");
        }
        directory.leave(this);
        for (int slot = 0; slot < via.length && routedAway > 0; slot++) {
            settled(slot);
        }
    }
}
