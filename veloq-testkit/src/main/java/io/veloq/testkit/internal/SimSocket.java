package io.veloq.testkit.internal;

import io.veloq.api.net.AddressFamily;
import io.veloq.api.net.SocketType;
import io.veloq.api.net.VeloqSocketOptions;

import java.net.SocketOption;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;

/** A socket of the simulated network, with its queues and the ops parked on it. Guarded by the kernel's lock. */
final class SimSocket extends SimFile {
    enum State { OPEN, LISTENING, CONNECTED, CLOSED }

    record Datagram(byte[] data, SimAddress from) {
    }

    /** A connect waiting for room in a full listener's backlog (Linux drops the SYN; the client retries). */
    record PendingConnect(KernelOp op, SimSocket client, SimAddress target) {
    }

    final long id;
    final AddressFamily family;
    final SocketType type;
    State state = State.OPEN;
    SimAddress local;
    SimAddress remote;
    int backlog;

    // Stream connection.
    SimSocket peer;
    final ByteQueue in = new ByteQueue();
    int rcvCapacity = 256 * 1024;
    boolean inEof;          // the peer shut down its write side (FIN): EOF once `in` is drained
    boolean readShut;       // shutdown(SHUT_RD) here
    boolean writeShut;      // shutdown(SHUT_WR) here, or reset: sends fail with EPIPE
    boolean wasConnected;   // recv on a once-connected socket gives 0, never ENOTCONN
    int pendingError;       // an asynchronous error (ECONNRESET, EPIPE) reported by the next op

    // Listening.
    final ArrayDeque<SimSocket> acceptQueue = new ArrayDeque<>();
    final ArrayDeque<PendingConnect> pendingConnects = new ArrayDeque<>();

    // Connecting: the listener whose full backlog this socket's connect waits on.
    SimSocket connectingTo;

    // Datagram.
    final ArrayDeque<Datagram> datagrams = new ArrayDeque<>();
    int queuedDatagramBytes;

    // Parked ops.
    final ArrayDeque<KernelOp> recvWaiters = new ArrayDeque<>();
    final ArrayDeque<KernelOp> sendWaiters = new ArrayDeque<>();
    final ArrayDeque<KernelOp> acceptWaiters = new ArrayDeque<>();

    final Map<SocketOption<?>, Object> options = new HashMap<>();

    SimSocket(long id, AddressFamily family, SocketType type) {
        this.id = id;
        this.family = family;
        this.type = type;
    }

    boolean isStream() {
        return type == SocketType.STREAM;
    }

    boolean removeWaiter(KernelOp op) {
        if (recvWaiters.remove(op) || sendWaiters.remove(op) || acceptWaiters.remove(op)) {
            return true;
        }
        for (PendingConnect p : pendingConnects) {
            if (p.op() == op) {
                pendingConnects.remove(p);
                p.client().connectingTo = null;
                return true;
            }
        }
        return false;
    }

    /** An IPv6 socket with {@code IPV6_V6ONLY} set: no IPv4-mapped traffic (Linux's default is off). */
    boolean v6only() {
        return family == AddressFamily.INET6 && Boolean.TRUE.equals(options.get(VeloqSocketOptions.IPV6_V6ONLY));
    }

    /** True when a connect must wait: Linux accepts up to backlog + 1 connections nobody has accepted yet. */
    boolean backlogFull() {
        return acceptQueue.size() > backlog;
    }

    String protocol() {
        if (family == AddressFamily.UNIX) {
            return isStream() ? "Unix stream socket" : "Unix datagram socket";
        }
        return isStream() ? "TCP socket" : "UDP socket";
    }

    @Override
    String describe() {
        StringBuilder sb = new StringBuilder(protocol());
        if (local != null) {
            sb.append(' ').append(local);
        }
        if (state == State.LISTENING) {
            sb.append(" (listening)");
        }
        if (remote != null) {
            sb.append(" -> ").append(remote);
        }
        return sb.toString();
    }
}
