package io.veloq.testkit.internal;

import io.veloq.api.IoFd;
import io.veloq.api.VeloqIoException;
import io.veloq.api.net.AddressFamily;
import io.veloq.api.net.SockAddrStorage;
import io.veloq.api.net.SocketType;
import io.veloq.api.net.VeloqSocketOptions;
import io.veloq.api.op.Accept;
import io.veloq.api.op.AcceptMultishot;
import io.veloq.api.op.Connect;
import io.veloq.api.op.Socket;
import io.veloq.spi.LinuxErrno;
import io.veloq.spi.LinuxSocketOptions;
import io.veloq.testkit.TraceEvent;

import java.net.SocketOption;
import java.net.StandardSocketOptions;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

import static io.veloq.spi.LinuxErrno.EADDRINUSE;
import static io.veloq.spi.LinuxErrno.EAFNOSUPPORT;
import static io.veloq.spi.LinuxErrno.EBADF;
import static io.veloq.spi.LinuxErrno.ECANCELED;
import static io.veloq.spi.LinuxErrno.ECONNREFUSED;
import static io.veloq.spi.LinuxErrno.ECONNRESET;
import static io.veloq.spi.LinuxErrno.EINVAL;
import static io.veloq.spi.LinuxErrno.EISCONN;
import static io.veloq.spi.LinuxErrno.EMFILE;
import static io.veloq.spi.LinuxErrno.ENOENT;
import static io.veloq.spi.LinuxErrno.ENOPROTOOPT;
import static io.veloq.spi.LinuxErrno.ENETUNREACH;
import static io.veloq.spi.LinuxErrno.EALREADY;
import static io.veloq.spi.LinuxErrno.ENOTCONN;
import static io.veloq.spi.LinuxErrno.ENOTSOCK;
import static io.veloq.spi.LinuxErrno.EOPNOTSUPP;

/**
 * The simulated network's sockets: the address space (bound sockets, ephemeral ports, {@code SO_REUSEPORT}
 * groups, dual-stack lookup), listen, connect and accept, socket options, and what closing a socket does to
 * its connection. Moving bytes is {@link SimDataPath}'s job.
 *
 * <p>Thread-safety: as all of the kernel, under the {@link FakeKernel}'s monitor (the control calls a driver
 * makes take it themselves).
 */
final class SimNetwork {
    static final int SOMAXCONN = 4096;
    private static final int FIRST_EPHEMERAL = 32768;
    private static final int LAST_EPHEMERAL = 60999;

    private final FakeKernel kernel;
    private final List<SimSocket> bound = new ArrayList<>();
    private long nextSocketId;
    private int nextEphemeral = FIRST_EPHEMERAL;
    private int reuseportTurn;

    SimNetwork(FakeKernel kernel) {
        this.kernel = kernel;
    }

    /** A new socket, not yet in any descriptor table. */
    SimSocket newSocket(AddressFamily family, SocketType type) {
        return new SimSocket(nextSocketId++, family, type);
    }

    /** A socket no longer owns its address (the scripted peer reset it). */
    void unbind(SimSocket s) {
        bound.remove(s);
    }

    /** Closes a socket whose last reference is gone: its waiters, its connection, its address. */
    void release(SimSocket s) {
        SimSocket.State prev = s.state;
        s.state = SimSocket.State.CLOSED;
        bound.remove(s);
        if (!kernel.defects.contains(Defect.CLOSE_STRANDS_OPS)) {
            // As the io_uring driver (cancel by fd, then close) and IOCP (closesocket aborts) do: see the Close op.
            failAll(s.recvWaiters, ECANCELED);
            failAll(s.sendWaiters, ECANCELED);
            failAll(s.acceptWaiters, ECANCELED);
        }
        if (s.connectingTo != null) {
            for (SimSocket.PendingConnect pc : s.connectingTo.pendingConnects) {
                if (pc.client() == s) {
                    s.connectingTo.pendingConnects.remove(pc);
                    kernel.finish(pc.op(), -ECANCELED.code());
                    break;
                }
            }
            s.connectingTo = null;
        }
        if (prev == SimSocket.State.LISTENING) {
            // Connects still retrying their SYN now meet a closed port: RST.
            SimSocket.PendingConnect pc;
            while ((pc = s.pendingConnects.pollFirst()) != null) {
                pc.client().connectingTo = null;
                kernel.finish(pc.op(), -ECONNREFUSED.code());
            }
            for (SimSocket srv : s.acceptQueue) {
                srv.released = true;
                if (srv.peer != null) {
                    resetSide(srv.peer, ECONNRESET);
                }
            }
            s.acceptQueue.clear();
        }
        SimSocket p = s.peer;
        if (p != null && !p.released) {
            boolean lingerZero = Integer.valueOf(0).equals(s.options.get(StandardSocketOptions.SO_LINGER));
            if ((s.in.size() > 0 || lingerZero) && s.family != AddressFamily.UNIX) {
                // Unread data, or SO_LINGER 0 (an abortive close): Linux answers close() with RST, not FIN.
                resetSide(p, ECONNRESET);
            } else {
                p.inEof = true;
                kernel.data.pumpRecv(p);
                kernel.data.pumpSend(p);
            }
        }
        s.in.clear();
        s.datagrams.clear();
    }

    private void failAll(ArrayDeque<KernelOp> waiters, LinuxErrno e) {
        while (!waiters.isEmpty()) {
            kernel.finish(waiters.pollFirst(), -e.code());
        }
    }

    void resetSide(SimSocket x, LinuxErrno err) {
        x.pendingError = err.code();
        x.inEof = true;
        x.writeShut = true;
        kernel.data.pumpRecv(x);
        kernel.data.pumpSend(x);
    }

    /** Resets a connection from outside (the scripted peer or a fault): both ends see ECONNRESET. */
    void resetConnection(SimSocket s) {
        SimSocket p = s.peer;
        resetSide(s, ECONNRESET);
        if (p != null && !p.released) {
            resetSide(p, ECONNRESET);
        }
    }

    private SimSocket socketOrThrow(FakeDriver d, IoFd fd, String what) throws VeloqIoException {
        SimFile f = kernel.resolve(d, fd);
        if (f == null) {
            throw LinuxErrno.TABLE.exception(EBADF.code(), what);
        }
        if (!(f instanceof SimSocket s)) {
            throw LinuxErrno.TABLE.exception(ENOTSOCK.code(), what);
        }
        return s;
    }

    void bind(FakeDriver d, IoFd fd, SockAddrStorage local) throws VeloqIoException {
        synchronized (kernel) {
            String what = "bind of " + fd + " to " + local;
            SimSocket s = socketOrThrow(d, fd, what);
            SimAddress a = SimAddress.of(local);
            if (a == null || a.family() != s.family) {
                throw LinuxErrno.TABLE.exception(EAFNOSUPPORT.code(), what + " (a " + s.family + " socket)");
            }
            if (s.local != null) {
                throw LinuxErrno.TABLE.exception(EINVAL.code(), what + " (already bound to " + s.local + ")");
            }
            int rc = bindTo(s, a);
            if (rc < 0) {
                throw LinuxErrno.TABLE.exception(-rc, what);
            }
        }
    }

    int bindTo(SimSocket s, SimAddress a) {
        if (a.family() == AddressFamily.UNIX) {
            if (a.unixName() != null && !a.unixName().isEmpty()) {
                for (SimSocket b : bound) {
                    if (b.family == AddressFamily.UNIX && a.unixName().equals(b.local.unixName())) {
                        return -EADDRINUSE.code();
                    }
                }
            }
            s.local = a;
            bound.add(s);
            return 0;
        }
        if (a.port() == 0) {
            int port = ephemeralPort(s, a);
            if (port < 0) {
                return -EADDRINUSE.code();
            }
            a = a.withPort(port);
        } else if (conflicts(s, a)) {
            return -EADDRINUSE.code();
        }
        s.local = a;
        bound.add(s);
        return 0;
    }

    private boolean conflicts(SimSocket s, SimAddress a) {
        for (SimSocket b : bound) {
            if (b.type != s.type || b.family == AddressFamily.UNIX || b.local.port() != a.port()) {
                continue;
            }
            if (b.family != s.family) {
                // A dual-stack IPv6 socket on :: owns the port for IPv4 as well (and the reverse).
                SimSocket v6 = b.family == AddressFamily.INET6 ? b : s;
                SimAddress v6addr = v6 == b ? b.local : a;
                if (v6.v6only() || !v6addr.isWildcard()) {
                    continue;
                }
            }
            if (b.family != s.family || b.local.sameIp(a) || b.local.isWildcard() || a.isWildcard()) {
                if (Boolean.TRUE.equals(b.options.get(StandardSocketOptions.SO_REUSEPORT))
                        && Boolean.TRUE.equals(s.options.get(StandardSocketOptions.SO_REUSEPORT))) {
                    continue;
                }
                return true;
            }
        }
        return false;
    }

    private int ephemeralPort(SimSocket s, SimAddress a) {
        int span = LAST_EPHEMERAL - FIRST_EPHEMERAL + 1;
        for (int i = 0; i < span; i++) {
            int port = nextEphemeral;
            nextEphemeral = nextEphemeral == LAST_EPHEMERAL ? FIRST_EPHEMERAL : nextEphemeral + 1;
            if (!conflicts(s, a.withPort(port))) {
                return port;
            }
        }
        return -1;
    }

    void autobind(SimSocket s, SimAddress towards) {
        if (s.local != null) {
            return;
        }
        if (s.family == AddressFamily.UNIX) {
            s.local = SimAddress.unix("");
            return;
        }
        SimAddress a = towards != null ? towards.withPort(0) : SimAddress.wildcard(s.family, 0);
        bindTo(s, a);
    }

    void listen(FakeDriver d, IoFd fd, int backlog) throws VeloqIoException {
        synchronized (kernel) {
            String what = "listen on " + fd;
            SimSocket s = socketOrThrow(d, fd, what);
            if (!s.isStream()) {
                throw LinuxErrno.TABLE.exception(EOPNOTSUPP.code(), what + " (a datagram socket)");
            }
            if (s.state == SimSocket.State.CONNECTED || s.wasConnected) {
                throw LinuxErrno.TABLE.exception(EINVAL.code(), what + " (connected)");
            }
            autobind(s, null);
            s.state = SimSocket.State.LISTENING;
            // Linux caps the backlog at net.core.somaxconn (4096), and a negative one means somaxconn too.
            s.backlog = backlog < 0 || backlog > SOMAXCONN ? SOMAXCONN : backlog;
            pumpAccept(s); // listen again with a larger backlog lets waiting connects in
        }
    }

    void localAddress(FakeDriver d, IoFd fd, SockAddrStorage out) throws VeloqIoException {
        synchronized (kernel) {
            SimSocket s = socketOrThrow(d, fd, "getsockname of " + fd);
            SimAddress a = s.local != null ? s.local
                    : s.family == AddressFamily.UNIX ? SimAddress.unix("") : SimAddress.wildcard(s.family, 0);
            a.writeTo(out);
        }
    }

    void remoteAddress(FakeDriver d, IoFd fd, SockAddrStorage out) throws VeloqIoException {
        synchronized (kernel) {
            String what = "getpeername of " + fd;
            SimSocket s = socketOrThrow(d, fd, what);
            if (s.remote == null || s.state != SimSocket.State.CONNECTED && s.isStream()) {
                throw LinuxErrno.TABLE.exception(ENOTCONN.code(), what);
            }
            s.remote.writeTo(out);
        }
    }

    /**
     * setsockopt as Linux answers it: keys Linux lacks (or lacks for this socket's family) are refused by
     * {@link LinuxSocketOptions#lookup}, exactly as the io_uring driver refuses them; TCP keys on a datagram
     * socket are ENOPROTOOPT; IPV6_V6ONLY on a bound socket is EINVAL; the value kept is the kernel's
     * ({@link KernelOptionValues}).
     */
    <T> void setOption(FakeDriver d, IoFd fd, SocketOption<T> option, T value) throws VeloqIoException {
        synchronized (kernel) {
            SimSocket s = socketOrThrow(d, fd, "setsockopt(" + fd + ", " + option.name() + " = " + value + ")");
            LinuxSocketOptions.Mapping m = LinuxSocketOptions.lookup(option, s.family);
            String what = "setsockopt(" + fd + ", " + m.nativeName() + " = " + value + ")";
            checkLevel(s, m, what);
            if (option == VeloqSocketOptions.IPV6_V6ONLY && s.local != null) {
                throw LinuxErrno.TABLE.exception(EINVAL.code(),
                        what + " (the socket is already bound to " + s.local + ")");
            }
            if (kernel.defects.contains(Defect.IGNORE_SOCKET_OPTIONS)) {
                return;
            }
            Object kept = KernelOptionValues.stored(s, option, value);
            s.options.put(option, kept);
            if (option == StandardSocketOptions.SO_RCVBUF) {
                s.rcvCapacity = (Integer) kept;
            }
        }
    }

    @SuppressWarnings("unchecked")
    <T> T getOption(FakeDriver d, IoFd fd, SocketOption<T> option) throws VeloqIoException {
        synchronized (kernel) {
            SimSocket s = socketOrThrow(d, fd, "getsockopt(" + fd + ", " + option.name() + ")");
            LinuxSocketOptions.Mapping m = LinuxSocketOptions.lookup(option, s.family);
            checkLevel(s, m, "getsockopt(" + fd + ", " + m.nativeName() + ")");
            return (T) KernelOptionValues.current(s, option);
        }
    }

    /** A TCP-level option on a UDP socket: udp_setsockopt passes it to the IP level, which has no such option. */
    private static void checkLevel(SimSocket s, LinuxSocketOptions.Mapping m, String what) throws VeloqIoException {
        if (m.level() == LinuxSocketOptions.IPPROTO_TCP && !s.isStream()) {
            throw LinuxErrno.TABLE.exception(ENOPROTOOPT.code(), what + " (a " + s.protocol() + ")");
        }
    }

    void socket(KernelOp op, Socket p) {
        SimSocket s = newSocket(p.family(), p.type());
        s.createdByLoop = op.driver.loopIndex();
        int fd = kernel.allocFd(s);
        if (fd < 0) {
            s.released = true;
        }
        kernel.finish(op, fd);
    }

    /** The socket an op names, or completes the op with EBADF/ENOTSOCK and returns null. */
    SimSocket socketFor(KernelOp op, IoFd fd) {
        SimFile f = kernel.resolve(op.driver, fd);
        if (f == null) {
            kernel.finish(op, -EBADF.code());
            return null;
        }
        if (!(f instanceof SimSocket s)) {
            kernel.finish(op, -ENOTSOCK.code());
            return null;
        }
        return s;
    }

    void park(KernelOp op, SimSocket s, ArrayDeque<KernelOp> queue) {
        op.parkedOn = s;
        queue.addLast(op);
    }

    /** An Accept, or an AcceptMultishot (the parked op is served again after each connection). */
    void accept(KernelOp op, IoFd listener) {
        SimSocket s = socketFor(op, listener);
        if (s == null) {
            return;
        }
        if (s.state != SimSocket.State.LISTENING) {
            kernel.finish(op, -(s.isStream() ? EINVAL : EOPNOTSUPP).code());
            return;
        }
        park(op, s, s.acceptWaiters);
        pumpAccept(s);
    }

    /**
     * Hands queued connections to waiting accepts, then lets connects waiting on a full backlog in, oldest
     * first, as room frees up (on Linux the client's SYN retransmission gets in once the queue has room; the
     * fake admits it at once instead of after the retransmission delay).
     */
    private void pumpAccept(SimSocket l) {
        while (true) {
            while (!l.acceptWaiters.isEmpty() && !l.acceptQueue.isEmpty()) {
                KernelOp w = l.acceptWaiters.peekFirst();
                boolean multishot = w.payload instanceof AcceptMultishot;
                SimSocket srv = l.acceptQueue.peekFirst();
                srv.createdByLoop = w.driver.loopIndex();
                int fd = kernel.allocFd(srv);
                if (fd < 0) {
                    l.acceptWaiters.pollFirst();
                    kernel.finish(w, fd); // EMFILE ends a multishot accept too, as in the kernel
                    continue;
                }
                l.acceptQueue.pollFirst();
                if (multishot) {
                    kernel.trace(w.driver.loopIndex(), TraceEvent.Type.COMPLETE, w.id, w.payload.describe(), fd, "item");
                    w.driver.post(w, fd, 0, 0); // stays first in line: one op takes every connection
                    continue;
                }
                l.acceptWaiters.pollFirst();
                srv.remote.writeTo(((Accept) w.payload).peer());
                kernel.finish(w, fd);
            }
            if (l.pendingConnects.isEmpty() || l.backlogFull() || l.state != SimSocket.State.LISTENING) {
                return;
            }
            SimSocket.PendingConnect pc = l.pendingConnects.pollFirst();
            pc.client().connectingTo = null;
            pc.op().parkedOn = null;
            join(pc.client(), pc.target(), l);
            kernel.finish(pc.op(), 0);
        }
    }

    void connect(KernelOp op, Connect p) {
        SimSocket s = socketFor(op, p.fd());
        if (s == null) {
            return;
        }
        SimAddress target = SimAddress.of(p.address());
        if (target == null || target.family() != s.family) {
            kernel.finish(op, -EAFNOSUPPORT.code());
            return;
        }
        target = target.orLoopback();
        if (target.isV4Mapped() && s.v6only()) {
            kernel.finish(op, -ENETUNREACH.code()); // an IPV6_V6ONLY socket cannot reach IPv4
            return;
        }
        if (!s.isStream()) {
            autobind(s, target);
            s.remote = target;
            kernel.finish(op, 0);
            return;
        }
        if (s.connectingTo != null) {
            kernel.finish(op, -EALREADY.code());
            return;
        }
        if (s.state != SimSocket.State.OPEN || s.wasConnected) {
            kernel.finish(op, -EISCONN.code());
            return;
        }
        SimSocket l = spread(findListener(target.onWire()));
        if (l != null && l.backlogFull()) {
            // Linux drops the SYN of a full backlog and the client retries: the connect waits, until an accept
            // makes room, the listener closes (ECONNREFUSED), or the op is cancelled (its deadline).
            kernel.traceFault(op, "backlog of " + l.local + " full (" + l.acceptQueue.size()
                    + " not accepted): connect waits");
            autobind(s, target);
            s.connectingTo = l;
            op.parkedOn = l;
            l.pendingConnects.addLast(new SimSocket.PendingConnect(op, s, target));
            return;
        }
        int rc = establish(s, target, l);
        kernel.finish(op, rc);
    }

    /**
     * Connects stream socket {@code s} to the listener at {@code target}: 0, or minus the errno. Ignores the
     * backlog (scripted peers are always queued; {@link #connect} checks it for the code under test).
     */
    int establish(SimSocket s, SimAddress target) {
        return establish(s, target, spread(findListener(target.onWire())));
    }

    int establish(SimSocket s, SimAddress target, SimSocket l) {
        if (l == null) {
            boolean unixNameExists = false;
            if (target.family() == AddressFamily.UNIX) {
                for (SimSocket b : bound) {
                    if (b.family == AddressFamily.UNIX && target.unixName().equals(b.local.unixName())) {
                        unixNameExists = true;
                    }
                }
            }
            return -(target.family() == AddressFamily.UNIX && !unixNameExists ? ENOENT : ECONNREFUSED).code();
        }
        join(s, target, l);
        pumpAccept(l);
        return 0;
    }

    /**
     * Creates the server side of {@code s}'s connection and queues it at {@code l}. The server socket has the
     * listener's family: an IPv4 client of a dual-stack listener appears there as {@code ::ffff:a.b.c.d}.
     */
    private void join(SimSocket s, SimAddress target, SimSocket l) {
        autobind(s, target);
        SimSocket srv = newSocket(l.family, SocketType.STREAM);
        srv.local = target.family() == AddressFamily.UNIX ? l.local : l.local.withIp(target.onWire().as(l.family).ip());
        srv.remote = s.local.family() == AddressFamily.UNIX ? s.local : s.local.onWire().as(l.family);
        srv.state = SimSocket.State.CONNECTED;
        srv.wasConnected = true;
        srv.peer = s;
        srv.options.putAll(l.options);
        srv.rcvCapacity = l.rcvCapacity;
        s.remote = target.family() == AddressFamily.UNIX ? l.local : target;
        s.peer = srv;
        s.state = SimSocket.State.CONNECTED;
        s.wasConnected = true;
        l.acceptQueue.addLast(srv);
    }

    /**
     * Among listeners that share an address with {@code SO_REUSEPORT} (a reuseport group), the one that gets
     * the next connection. Linux hashes the connection's addresses; the fake takes the group's members in
     * turn, which spreads connections as evenly and stays deterministic.
     */
    private SimSocket spread(SimSocket l) {
        if (l == null || !Boolean.TRUE.equals(l.options.get(StandardSocketOptions.SO_REUSEPORT))) {
            return l;
        }
        List<SimSocket> group = new ArrayList<>();
        for (SimSocket b : bound) {
            if (b.state == SimSocket.State.LISTENING && b.family == l.family && b.local.port() == l.local.port()
                    && b.local.sameIp(l.local) && Boolean.TRUE.equals(b.options.get(StandardSocketOptions.SO_REUSEPORT))) {
                group.add(b);
            }
        }
        return group.isEmpty() ? l : group.get(Math.floorMod(reuseportTurn++, group.size()));
    }

    private SimSocket findListener(SimAddress wire) {
        return findBound(wire, b -> b.state == SimSocket.State.LISTENING);
    }

    SimSocket findDatagramSocket(SimAddress wire) {
        return findBound(wire, b -> !b.isStream() && !b.released);
    }

    /**
     * The socket that receives traffic for {@code wire} (an address as it travels: IPv4-mapped already turned
     * into IPv4), in Linux's order: a socket bound to exactly that address, then a wildcard of the same family,
     * then (IPv4 only) an IPv6 socket on {@code ::} without IPV6_V6ONLY: the dual stack.
     */
    private SimSocket findBound(SimAddress wire, java.util.function.Predicate<SimSocket> kind) {
        SimSocket wildcard = null;
        SimSocket dualStack = null;
        for (SimSocket b : bound) {
            if (!kind.test(b)) {
                continue;
            }
            if (wire.family() == AddressFamily.UNIX) {
                if (b.family == AddressFamily.UNIX && wire.unixName().equals(b.local.unixName())) {
                    return b;
                }
                continue;
            }
            if (b.family == AddressFamily.UNIX || b.local.port() != wire.port()) {
                continue;
            }
            if (b.family == wire.family()) {
                if (b.local.sameIp(wire)) {
                    return b;
                }
                if (b.local.isWildcard() && wildcard == null) {
                    wildcard = b;
                }
            } else if (wire.family() == AddressFamily.INET && !b.v6only()) {
                if (b.local.sameIp(wire.as(AddressFamily.INET6))) {
                    return b;
                }
                if (b.local.isWildcard() && dualStack == null) {
                    dualStack = b;
                }
            }
        }
        return wildcard != null ? wildcard : dualStack;
    }

    List<String> listeners() {
        List<String> out = new ArrayList<>();
        for (SimSocket b : bound) {
            if (b.state == SimSocket.State.LISTENING) {
                out.add(String.valueOf(b.local));
            }
        }
        return out;
    }
}
