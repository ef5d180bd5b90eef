package io.veloq.testkit.internal;

import io.veloq.api.net.AddressFamily;
import io.veloq.api.net.AddressLayout;
import io.veloq.api.net.SockAddrStorage;
import io.veloq.api.net.SocketType;
import io.veloq.spi.LinuxErrno;

import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static io.veloq.spi.LinuxErrno.ECONNRESET;

/**
 * The test's side of the simulated network: scripted clients ({@link PeerEnd}) and listeners
 * ({@link PeerListenerEnd}), bytes delivered to a descriptor as if its peer had sent them, datagrams from
 * anywhere, and datagram sockets the test reads. Scripted sockets are in no descriptor table.
 *
 * <p>Thread-safety: the public methods take the {@link FakeKernel}'s monitor; the peer-side primitives are
 * called with it held (by {@link PeerEnd} and {@link PeerListenerEnd}).
 */
public final class ScriptedPeers {
    private final FakeKernel kernel;

    ScriptedPeers(FakeKernel kernel) {
        this.kernel = kernel;
    }

    private static SimAddress address(SocketAddress a) {
        SimAddress s = SimAddress.of(SockAddrStorage.of(a, AddressLayout.LINUX));
        if (s == null) {
            throw new IllegalArgumentException("unsupported address " + a);
        }
        return s;
    }

    /** A socket of the test's own (in no descriptor table) bound to {@code local}; throws with the errno. */
    private SimSocket bound(SocketAddress local, SocketType type, String what) {
        SimAddress a = address(local);
        SimSocket s = kernel.net.newSocket(a.family(), type);
        s.refs = 1;
        int rc = kernel.net.bindTo(s, a);
        if (rc < 0) {
            throw new IllegalStateException("scripted " + what + " cannot bind " + local + ": "
                    + LinuxErrno.TABLE.name(-rc));
        }
        return s;
    }

    /** A scripted client connected to the listener at {@code target}; throws with the errno if refused. */
    public PeerEnd connect(SocketAddress target) {
        synchronized (kernel) {
            SimAddress t = address(target).orLoopback();
            SimSocket c = kernel.net.newSocket(t.family(), SocketType.STREAM);
            c.refs = 1;
            int rc = kernel.net.establish(c, t);
            if (rc < 0) {
                throw new IllegalStateException("scripted peer cannot connect to " + target + ": "
                        + LinuxErrno.TABLE.name(-rc) + " (nothing listens there; listening: "
                        + kernel.net.listeners() + ")");
            }
            kernel.traceScript("peer " + c.local + " connects to " + t);
            kernel.notifyAll();
            return new PeerEnd(kernel, c);
        }
    }

    /** A scripted server listening at {@code local}. */
    public PeerListenerEnd listen(SocketAddress local) {
        synchronized (kernel) {
            SimSocket l = bound(local, SocketType.STREAM, "listener");
            l.state = SimSocket.State.LISTENING;
            l.backlog = Integer.MAX_VALUE;
            kernel.traceScript("peer listens on " + l.local);
            return new PeerListenerEnd(kernel, l);
        }
    }

    /** The far end of fd's connection, for scripting, when no descriptor owns it. */
    public PeerEnd peerOf(long fd) {
        synchronized (kernel) {
            SimSocket s = kernel.socketAt(fd);
            if (s.peer == null) {
                throw new IllegalArgumentException("fd " + fd + " (" + s.describe() + ") is not connected");
            }
            if (kernel.hasDescriptor(s.peer)) {
                throw new IllegalArgumentException("the peer of fd " + fd + " is an open descriptor of the code "
                        + "under test; script it with deliver(fd, bytes) or through the runtime instead");
            }
            return new PeerEnd(kernel, s.peer);
        }
    }

    /** "Deliver these bytes to fd N": they arrive as if its peer had sent them. */
    public void deliver(long fd, byte[] data) {
        synchronized (kernel) {
            SimSocket s = kernel.socketAt(fd);
            kernel.traceScript("deliver " + data.length + " bytes to fd " + fd);
            if (s.isStream()) {
                if (!s.wasConnected) {
                    throw new IllegalArgumentException("fd " + fd + " (" + s.describe() + ") is not connected; "
                            + "a stream socket receives bytes only on a connection");
                }
                s.in.append(data, 0, data.length);
            } else {
                SimAddress from = s.remote != null ? s.remote : SimAddress.wildcard(s.family, 9).orLoopback();
                s.datagrams.addLast(new SimSocket.Datagram(data.clone(), from));
                s.queuedDatagramBytes += data.length;
            }
            kernel.data.pumpRecv(s);
            kernel.notifyAll();
        }
    }

    /** A datagram from {@code from} (no socket needed) to whatever is bound at {@code to}. */
    public boolean datagram(SocketAddress from, SocketAddress to, byte[] data) {
        synchronized (kernel) {
            SimAddress f = address(from);
            SimAddress t = address(to).orLoopback();
            kernel.traceScript("datagram of " + data.length + " bytes " + f + " -> " + t);
            SimSocket dst = kernel.net.findDatagramSocket(t.onWire());
            if (dst == null) {
                return false;
            }
            SimAddress seen = f.family() == AddressFamily.UNIX ? f : f.onWire().as(dst.family);
            dst.datagrams.addLast(new SimSocket.Datagram(data.clone(), seen));
            dst.queuedDatagramBytes += data.length;
            kernel.data.pumpRecv(dst);
            kernel.notifyAll();
            return true;
        }
    }

    /** Datagrams queued at the socket bound to {@code at} are taken by the test: (from, bytes). */
    public List<Map.Entry<SocketAddress, byte[]>> takeDatagrams(SocketAddress at) {
        synchronized (kernel) {
            SimSocket s = kernel.net.findDatagramSocket(address(at).onWire());
            List<Map.Entry<SocketAddress, byte[]>> out = new ArrayList<>();
            if (s == null) {
                return out;
            }
            SimSocket.Datagram d;
            while ((d = s.datagrams.pollFirst()) != null) {
                SockAddrStorage st = SockAddrStorage.allocate(AddressLayout.LINUX);
                d.from().writeTo(st);
                boolean unnamed = d.from().family() == AddressFamily.UNIX
                        && (d.from().unixName() == null || d.from().unixName().isEmpty());
                out.add(Map.entry(unnamed ? UnixDomainSocketAddress.of("") : st.toSocketAddress(), d.data()));
            }
            s.queuedDatagramBytes = 0;
            return out;
        }
    }

    /** A datagram socket of the test's own at {@code local}, so {@link #takeDatagrams} can collect. */
    public void bindDatagram(SocketAddress local) {
        synchronized (kernel) {
            bound(local, SocketType.DATAGRAM, "datagram socket");
        }
    }

    void write(SimSocket p, byte[] data) {
        SimSocket code = p.peer;
        if (p.writeShut || p.released) {
            throw new IllegalStateException("the scripted peer " + p.describe() + " already shut down its output");
        }
        if (code == null || code.released) {
            p.pendingError = ECONNRESET.code(); // the code's socket is gone: RST
            return;
        }
        code.in.append(data, 0, data.length);
        kernel.data.pumpRecv(code);
    }

    byte[] read(SimSocket p) {
        byte[] out = p.in.takeAll();
        if (p.peer != null) {
            kernel.data.pumpSend(p.peer);
        }
        return out;
    }

    void shutdownOutput(SimSocket p) {
        if (!p.writeShut) {
            p.writeShut = true;
            if (p.peer != null && !p.peer.released) {
                p.peer.inEof = true;
                kernel.data.pumpRecv(p.peer);
            }
        }
    }

    void close(SimSocket p) {
        if (!p.released) {
            p.refs = 0;
            kernel.release(p);
        }
    }

    void reset(SimSocket p) {
        if (!p.released) {
            SimSocket code = p.peer;
            p.released = true;
            p.state = SimSocket.State.CLOSED;
            kernel.net.unbind(p);
            if (code != null && !code.released) {
                kernel.net.resetSide(code, ECONNRESET);
            }
        }
    }

    SimSocket accept(SimSocket listener) {
        SimSocket s = listener.acceptQueue.pollFirst();
        if (s != null) {
            s.refs = 1;
        }
        return s;
    }

    void closeListener(SimSocket l) {
        if (!l.released) {
            l.refs = 0;
            kernel.release(l);
        }
    }
}
