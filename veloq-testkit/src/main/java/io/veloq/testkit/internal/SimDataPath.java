package io.veloq.testkit.internal;

import io.veloq.api.IoFd;
import io.veloq.api.buffer.FixedBuf;
import io.veloq.api.net.AddressFamily;
import io.veloq.api.net.SockAddrStorage;
import io.veloq.api.op.RecvMultishot;
import io.veloq.spi.CompletionSink;
import io.veloq.api.op.OpPayload;
import io.veloq.api.op.Read;
import io.veloq.api.op.ReadFixed;
import io.veloq.api.op.Recv;
import io.veloq.api.op.RecvMsg;
import io.veloq.api.op.RecvFrom;
import io.veloq.api.op.SendFile;
import io.veloq.api.op.Shutdown;
import io.veloq.spi.IoBuffers;
import io.veloq.testkit.TraceEvent;

import java.util.ArrayDeque;

import static io.veloq.spi.LinuxErrno.EAFNOSUPPORT;
import static io.veloq.spi.LinuxErrno.EAGAIN;
import static io.veloq.spi.LinuxErrno.ENOBUFS;
import static io.veloq.spi.LinuxErrno.ECONNRESET;
import static io.veloq.spi.LinuxErrno.EDESTADDRREQ;
import static io.veloq.spi.LinuxErrno.EINVAL;
import static io.veloq.spi.LinuxErrno.EMSGSIZE;
import static io.veloq.spi.LinuxErrno.ENETUNREACH;
import static io.veloq.spi.LinuxErrno.ENOTCONN;
import static io.veloq.spi.LinuxErrno.EPIPE;

/**
 * The data path of the simulated network: receives (single, multishot, {@code MSG_PEEK}/{@code MSG_WAITALL}/
 * {@code MSG_DONTWAIT}), sends (with back-pressure from the peer's receive buffer), datagrams and shutdown.
 * Ops that cannot go on park on their socket and are pumped again when the other side moves. The fault
 * plan's short reads and writes and resets are injected here.
 *
 * <p>Thread-safety: under the {@link FakeKernel}'s monitor.
 */
final class SimDataPath {
    static final int MSG_PEEK = 0x2;
    static final int MSG_DONTWAIT = 0x40;
    static final int MSG_WAITALL = 0x100;
    static final int MAX_DATAGRAM = 65507;

    private final FakeKernel kernel;

    SimDataPath(FakeKernel kernel) {
        this.kernel = kernel;
    }

    void shutdown(KernelOp op, Shutdown p) {
        SimSocket s = kernel.net.socketFor(op, p.fd());
        if (s == null) {
            return;
        }
        boolean connected = s.isStream() ? s.state == SimSocket.State.CONNECTED : s.remote != null;
        if (!connected) {
            kernel.finish(op, -ENOTCONN.code());
            return;
        }
        boolean rd = p.how() != io.veloq.api.net.ShutdownHow.WRITE;
        boolean wr = p.how() != io.veloq.api.net.ShutdownHow.READ;
        if (rd) {
            s.readShut = true;
            pumpRecv(s);
        }
        if (wr && !s.writeShut) {
            s.writeShut = true;
            SimSocket peer = s.peer;
            if (peer != null && !peer.released) {
                peer.inEof = true;
                pumpRecv(peer);
            }
            pumpSend(s);
        }
        kernel.finish(op, 0);
    }

    /** The socket a receive names, or null when the op ended: EBADF, ENOTSOCK, or ENOTCONN for a stream. */
    private SimSocket receivingSocket(KernelOp op, IoFd fd) {
        SimSocket s = kernel.net.socketFor(op, fd);
        if (s != null && s.isStream() && !s.wasConnected) {
            kernel.finish(op, -ENOTCONN.code()); // never connected, or listening
            return null;
        }
        return s;
    }

    void recv(KernelOp op, IoFd fd, int flags, SockAddrStorage from) {
        SimSocket s = receivingSocket(op, fd);
        if (s == null) {
            return;
        }
        if (!s.recvWaiters.isEmpty() || !tryRecv(s, op, Segments.of(op.payload, true), flags, from)) {
            kernel.net.park(op, s, s.recvWaiters);
        }
    }

    void recvMultishot(KernelOp op, RecvMultishot p) {
        if (!op.driver.hasGroup(p.ring().group())) {
            kernel.finish(op, -EINVAL.code()); // no such buffer group on this ring
            return;
        }
        SimSocket s = receivingSocket(op, p.fd());
        if (s == null) {
            return;
        }
        if (!s.recvWaiters.isEmpty() || !tryRecvMultishot(s, op, p)) {
            kernel.net.park(op, s, s.recvWaiters);
        }
    }

    /**
     * Delivers what the socket holds as items, one ring buffer each, as a multishot receive does. Returns true
     * when the op ended (end of stream, error, or ENOBUFS: data came and the ring was dry), false while it
     * keeps waiting for more.
     */
    private boolean tryRecvMultishot(SimSocket s, KernelOp op, RecvMultishot p) {
        int group = p.ring().group();
        while (s.in.size() > 0) {
            int bid = op.driver.takeBuffer(group);
            if (bid < 0) {
                kernel.finish(op, -ENOBUFS.code());
                return true;
            }
            FixedBuf buf = op.driver.buffer(group, bid);
            int want = Math.min(buf.capacity(), s.in.size());
            int shortened = kernel.faults.shortRead(want);
            if (shortened > 0) {
                kernel.traceFault(op, "short read " + shortened + " of " + want);
                want = shortened;
            }
            int n = s.in.take(IoBuffers.memory(buf), 0, want, false);
            kernel.trace(op.driver.loopIndex(), TraceEvent.Type.COMPLETE, op.id, op.payload.describe(), n,
                    "item in buffer " + bid);
            op.driver.post(op, n, CompletionSink.BUFFER, bid);
            if (s.peer != null) {
                pumpSend(s.peer);
            }
        }
        return endOfInput(s, op);
    }

    /**
     * A stream socket with nothing (more) to read: ends the op with the socket's pending error, or with 0 at end
     * of input; false while bytes may still come.
     */
    private boolean endOfInput(SimSocket s, KernelOp op) {
        if (s.pendingError != 0) {
            int e = s.pendingError;
            s.pendingError = 0;
            kernel.finish(op, -e);
            return true;
        }
        if (s.inEof || s.readShut || s.state == SimSocket.State.CLOSED) {
            kernel.finish(op, 0);
            return true;
        }
        return false;
    }

    private boolean tryRecv(SimSocket s, KernelOp op) {
        OpPayload p = op.payload;
        if (p instanceof RecvMultishot r) {
            return tryRecvMultishot(s, op, r);
        }
        if (p instanceof Recv r) {
            return tryRecv(s, op, Segments.of(p, true), r.flags(), null);
        }
        if (p instanceof RecvMsg r) {
            return tryRecv(s, op, Segments.of(p, true), r.flags(), null);
        }
        if (p instanceof RecvFrom r) {
            return tryRecv(s, op, Segments.of(p, true), 0, r.from());
        }
        if (p instanceof Read || p instanceof ReadFixed) {
            return tryRecv(s, op, Segments.of(p, true), 0, null);
        }
        kernel.finish(op, -EINVAL.code());
        return true;
    }

    private boolean tryRecv(SimSocket s, KernelOp op, Segments into, int flags, SockAddrStorage from) {
        if (kernel.defects.contains(Defect.IGNORE_MESSAGE_FLAGS)) {
            flags = 0;
        }
        int len = into.total;
        boolean peek = (flags & MSG_PEEK) != 0;
        if (!s.isStream()) {
            if (!s.datagrams.isEmpty()) {
                SimSocket.Datagram d = peek ? s.datagrams.peekFirst() : s.datagrams.pollFirst();
                int n = Math.min(len, d.data().length);
                into.scatter(d.data(), n);
                if (!peek) {
                    s.queuedDatagramBytes -= d.data().length;
                }
                if (from != null) {
                    d.from().writeTo(from);
                }
                kernel.finish(op, n);
                return true;
            }
            if (s.readShut || s.state == SimSocket.State.CLOSED) {
                kernel.finish(op, 0);
                return true;
            }
            if ((flags & MSG_DONTWAIT) != 0) {
                kernel.finish(op, -EAGAIN.code());
                return true;
            }
            return false;
        }
        if (s.in.size() > 0) {
            int want = Math.min(len, s.in.size());
            boolean waitAll = (flags & MSG_WAITALL) != 0;
            if (waitAll && want < len && !s.inEof && !s.readShut && s.pendingError == 0) {
                return false;
            }
            int shortened = waitAll ? -1 : kernel.faults.shortRead(want);
            if (shortened > 0) {
                kernel.traceFault(op, "short read " + shortened + " of " + want);
                want = shortened;
            }
            int n = into.takeFrom(s.in, want, peek);
            if (from != null && s.remote != null) {
                s.remote.writeTo(from);
            }
            kernel.finish(op, kernel.defects.contains(Defect.OVERSTATE_RECV) ? n + 1 : n);
            if (!peek && s.peer != null) {
                pumpSend(s.peer);
            }
            return true;
        }
        if (endOfInput(s, op)) {
            return true;
        }
        if ((flags & MSG_DONTWAIT) != 0) {
            kernel.finish(op, -EAGAIN.code());
            return true;
        }
        return false;
    }

    /** Serves the receives parked on {@code s}, oldest first, until one must wait again. */
    void pumpRecv(SimSocket s) {
        pump(s, s.recvWaiters, true);
    }

    /** Serves the sends parked on {@code s}, oldest first, until one must wait again. */
    void pumpSend(SimSocket s) {
        pump(s, s.sendWaiters, false);
    }

    private void pump(SimSocket s, ArrayDeque<KernelOp> waiters, boolean receiving) {
        while (!waiters.isEmpty()) {
            KernelOp w = waiters.peekFirst();
            if (!(receiving ? tryRecv(s, w) : trySend(s, w))) {
                return;
            }
            waiters.remove(w);
        }
    }

    void send(KernelOp op, IoFd fd, SockAddrStorage to) {
        SimSocket s = kernel.net.socketFor(op, fd);
        if (s == null) {
            return;
        }
        Segments from = sendSource(op);
        if (from == null) {
            return;
        }
        if (!s.isStream()) {
            SimAddress target = to == null ? null : SimAddress.of(to);
            sendDatagram(op, s, from, to == null ? null : target, to != null);
            return;
        }
        if (!s.wasConnected) {
            // Linux: send on a never-connected TCP socket is EPIPE; on a Unix stream socket ENOTCONN.
            kernel.finish(op, -(s.family == AddressFamily.UNIX ? ENOTCONN : EPIPE).code());
            return;
        }
        if (!s.sendWaiters.isEmpty() || !trySend(s, op, from)) {
            kernel.net.park(op, s, s.sendWaiters);
        }
    }

    /** The bytes a send takes from: its buffers, or a SendFile's file (null when that failed the op). */
    private Segments sendSource(KernelOp op) {
        return op.payload instanceof SendFile ? kernel.files.sendFileSource(op) : Segments.of(op.payload, false);
    }

    private boolean trySend(SimSocket s, KernelOp op) {
        OpPayload p = op.payload;
        if (p instanceof SendFile) {
            Segments from = kernel.files.sendFileSource(op);
            return from == null || trySend(s, op, from);
        }
        if (p.buffer() == null && p.buffers() == null) {
            kernel.finish(op, -EINVAL.code());
            return true;
        }
        return trySend(s, op, Segments.of(p, false));
    }

    private boolean trySend(SimSocket s, KernelOp op, Segments from) {
        if (kernel.defects.contains(Defect.STALL_SENDS)) {
            return false;
        }
        if (s.pendingError != 0) {
            int e = s.pendingError;
            s.pendingError = 0;
            kernel.finish(op, -e);
            return true;
        }
        if (s.writeShut || s.state == SimSocket.State.CLOSED) {
            kernel.finish(op, -EPIPE.code());
            return true;
        }
        int len = from.total;
        SimSocket p = s.peer;
        if (p == null || p.released) {
            if (s.family == AddressFamily.UNIX) {
                kernel.finish(op, -EPIPE.code());
                return true;
            }
            // TCP: the bytes leave, the closed peer answers with RST; the next op sees the error.
            s.pendingError = (s.inEof ? EPIPE : ECONNRESET).code();
            s.writeShut = true;
            kernel.finish(op, len);
            return true;
        }
        if (len == 0) {
            kernel.finish(op, 0);
            return true;
        }
        if (kernel.faults.reset()) {
            kernel.traceFault(op, "connection reset");
            kernel.net.resetConnection(s);
            s.pendingError = 0;
            kernel.finish(op, -ECONNRESET.code());
            return true;
        }
        int space = p.rcvCapacity - p.in.size();
        if (space <= 0) {
            return false;
        }
        int n = Math.min(len, space);
        int shortened = kernel.faults.shortWrite(n);
        if (shortened > 0) {
            kernel.traceFault(op, "short write " + shortened + " of " + n);
            n = shortened;
        }
        from.appendTo(p.in, n);
        kernel.finish(op, kernel.defects.contains(Defect.OVERSTATE_SEND) && n < len ? n + 1 : n);
        pumpRecv(p);
        return true;
    }

    private void sendDatagram(KernelOp op, SimSocket s, Segments payload, SimAddress to, boolean explicit) {
        if (explicit && (to == null || to.family() != s.family)) {
            kernel.finish(op, -EAFNOSUPPORT.code());
            return;
        }
        if (to == null) {
            if (s.remote == null) {
                kernel.finish(op, -EDESTADDRREQ.code());
                return;
            }
            to = s.remote;
        }
        if (s.writeShut) {
            kernel.finish(op, -EPIPE.code());
            return;
        }
        int len = payload.total;
        if (len > MAX_DATAGRAM) {
            kernel.finish(op, -EMSGSIZE.code());
            return;
        }
        to = to.orLoopback();
        if (to.isV4Mapped() && s.v6only()) {
            kernel.finish(op, -ENETUNREACH.code());
            return;
        }
        kernel.net.autobind(s, to);
        SimAddress from = s.local;
        if (from.ip() != null && from.isWildcard()) {
            from = from.withIp(to.ip());
        }
        byte[] data = payload.gather(len);
        SimAddress wire = to.onWire();
        SimSocket dst = kernel.net.findDatagramSocket(wire);
        // The receiver sees the sender in its own family: IPv4 on an IPv6 socket as ::ffff:a.b.c.d.
        from = dst == null || from.family() == AddressFamily.UNIX ? from : from.onWire().as(dst.family);
        if (dst != null && dst.queuedDatagramBytes + len <= dst.rcvCapacity
                && (dst.remote == null || dst.remote.equals(from))) {
            dst.datagrams.addLast(new SimSocket.Datagram(data, from));
            dst.queuedDatagramBytes += len;
            pumpRecv(dst);
        }
        kernel.finish(op, len); // UDP: a datagram nobody receives is dropped silently
    }
}
