package io.veloq.driver.iocp.sim;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ProtocolFamily;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectableChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;

/**
 * A simulated Winsock socket backed by a real non-blocking loopback channel, with the Windows state rules
 * the driver must respect: bind before ConnectEx; AcceptEx only into an unbound, unconnected socket of the
 * listener's family; getpeername/getsockname/shutdown only after SO_UPDATE_ACCEPT_CONTEXT or
 * SO_UPDATE_CONNECT_CONTEXT; pending operations complete in the order they were started; closesocket aborts
 * them. Every method runs under the socket's monitor.
 */
final class SimSocket extends SimHandle {
    static final int STATUS_PENDING = 0x103;

    final int family;
    final int type;
    private SocketChannel stream;
    private ServerSocketChannel server;
    private DatagramChannel dgram;
    private boolean bound;
    private boolean listening;
    private boolean connecting;
    private boolean connected;
    private boolean shutIn;
    private boolean shutOut;
    private boolean closed;
    private long acceptedBy;
    private boolean needsAcceptContext;
    private boolean needsConnectContext;
    private boolean reservedForAccept;
    private final ArrayDeque<SimOp> reads = new ArrayDeque<>();
    private final ArrayDeque<SimOp> writes = new ArrayDeque<>();
    private final Map<Integer, Integer> options = new HashMap<>();
    private SelectionKey key;
    // Datagram sockets: ICMP errors reported as WSAECONNRESET / WSAENETRESET until the ioctls turn them off.
    private boolean reportPortUnreachable = true;
    private boolean reportTtlExpired = true;
    private boolean portUnreachablePending;

    SimSocket(SimWin32 os, long value, int family, int type) throws IOException {
        super(os, value);
        this.family = family;
        this.type = type;
        ProtocolFamily pf = family == SimAddresses.AF_INET6 ? StandardProtocolFamily.INET6 : StandardProtocolFamily.INET;
        if (type == 1) {
            stream = SocketChannel.open(pf);
            stream.configureBlocking(false);
        } else {
            dgram = DatagramChannel.open(pf);
            dgram.configureBlocking(false);
        }
        if (family == SimAddresses.AF_INET6) {
            options.put(opt(41, 27), 1); // IPV6_V6ONLY is on by default on Windows
        }
    }

    boolean isStream() {
        return type == 1;
    }

    // ---- state checks ----

    private void checkOpen() {
        if (closed) {
            throw new SimError(10038); // WSAENOTSOCK: closed under us
        }
    }

    private boolean usable() {
        return connected && !needsAcceptContext && !needsConnectContext;
    }

    // ---- control calls ----

    synchronized void bind(InetSocketAddress local) {
        checkOpen();
        if (bound || connected || listening) {
            throw new SimError(10022); // WSAEINVAL: already bound
        }
        try {
            if (isStream()) {
                stream.bind(local);
            } else {
                dgram.bind(local);
            }
            bound = true;
        } catch (java.net.BindException e) {
            Integer reuse = options.get(opt(0xFFFF, 4));
            if (isStream() && reuse != null && reuse != 0 && !String.valueOf(e.getMessage()).contains("assign")) {
                os.failure("bind of socket 0x" + Long.toHexString(value) + " to " + local + " with SO_REUSEADDR",
                        new IllegalStateException("the address is in use: on Windows this bind would succeed and "
                                + "steal the port from the socket bound to it"));
            }
            throw new SimError(String.valueOf(e.getMessage()).contains("assign") ? 10049 : 10048);
        } catch (IOException e) {
            String m = String.valueOf(e.getMessage());
            throw new SimError(m.contains("assign") ? 10049 : SimFailure.of(e).wsaError);
        }
    }

    synchronized void listen(int backlog) {
        checkOpen();
        if (!isStream()) {
            throw new SimError(10045); // WSAEOPNOTSUPP
        }
        if (!bound || connected || reservedForAccept) {
            throw new SimError(10022);
        }
        if (listening) {
            return;
        }
        try {
            InetSocketAddress local = (InetSocketAddress) stream.getLocalAddress();
            // A bound, never-connected socket leaves no TIME_WAIT: its port can be taken over at once.
            stream.close();
            stream = null;
            ProtocolFamily pf = family == SimAddresses.AF_INET6 ? StandardProtocolFamily.INET6 : StandardProtocolFamily.INET;
            server = ServerSocketChannel.open(pf);
            server.configureBlocking(false);
            Integer reuse = options.get(opt(0xFFFF, 4));
            if (reuse != null && reuse != 0) {
                server.setOption(StandardSocketOptions.SO_REUSEADDR, true);
            }
            server.bind(local, Math.max(1, backlog));
            listening = true;
        } catch (IOException e) {
            throw new SimError(SimFailure.of(e).wsaError);
        }
    }

    /** connect(2) on a datagram socket: sets the peer (binding an unbound socket); completes at once. */
    /**
     * True for an IPv6 listener with IPV6_V6ONLY on, bound to {@code ::} on {@code port}: on Windows an IPv4
     * connect to that port is refused. (The real channel underneath is dual-stack; Java cannot turn that off.)
     */
    synchronized boolean ipv6OnlyListenerOn(int port) {
        if (closed || !listening || family != SimAddresses.AF_INET6 || options.getOrDefault(opt(41, 27), 0) == 0) {
            return false;
        }
        try {
            InetSocketAddress a = (InetSocketAddress) server.getLocalAddress();
            return a.getPort() == port && a.getAddress().isAnyLocalAddress();
        } catch (IOException e) {
            return false;
        }
    }

    synchronized void connectDatagram(InetSocketAddress to) {
        checkOpen();
        try {
            dgram.connect(to);
            bound = true;
            connected = true;
        } catch (IOException e) {
            throw new SimError(SimFailure.of(e).wsaError);
        }
    }

    synchronized InetSocketAddress localAddress() {
        checkOpen();
        if (needsAcceptContext || needsConnectContext) {
            throw new SimError(10057); // WSAENOTCONN until SO_UPDATE_*_CONTEXT
        }
        try {
            InetSocketAddress a = (InetSocketAddress) (listening ? server.getLocalAddress()
                    : isStream() ? stream.getLocalAddress() : dgram.getLocalAddress());
            if (a == null) {
                throw new SimError(10022); // WSAEINVAL: not bound
            }
            return a;
        } catch (IOException e) {
            throw new SimError(SimFailure.of(e).wsaError);
        }
    }

    synchronized InetSocketAddress remoteAddress() {
        checkOpen();
        if (!usable() || !isStream()) {
            throw new SimError(10057);
        }
        try {
            return (InetSocketAddress) stream.getRemoteAddress();
        } catch (IOException e) {
            throw new SimError(SimFailure.of(e).wsaError);
        }
    }

    synchronized void shutdown(int how) {
        checkOpen();
        if (!isStream() || !usable()) {
            throw new SimError(10057);
        }
        try {
            if (how == 0 || how == 2) {
                stream.shutdownInput();
                shutIn = true;
            }
            if (how == 1 || how == 2) {
                stream.shutdownOutput();
                shutOut = true;
            }
        } catch (IOException e) {
            throw new SimError(SimFailure.of(e).wsaError);
        }
        os.reactor.watch(this);
    }

    /** {SIO_UDP_CONNRESET, SIO_UDP_NETRESET} still on. */
    synchronized boolean[] resetReporting() {
        return new boolean[]{reportPortUnreachable, reportTtlExpired};
    }

    synchronized void setResetReporting(boolean portUnreachable, boolean on) {
        checkOpen();
        if (isStream()) {
            throw new SimError(10022); // WSAEINVAL: a UDP-only ioctl
        }
        if (portUnreachable) {
            reportPortUnreachable = on;
        } else {
            reportTtlExpired = on;
        }
    }

    /** SO_LINGER on with a non-zero timeout, on a connected stream socket: closesocket blocks. */
    synchronized boolean lingersOnClose() {
        Integer v = options.get(opt(0xFFFF, 0x80));
        return isStream() && connected && v != null && (v & 0xFFFF) != 0 && ((v >>> 16) & 0xFFFF) != 0;
    }

    /**
     * After a datagram went to {@code to}: on Windows an ICMP port unreachable comes back when nothing is bound
     * there, and (unless SIO_UDP_CONNRESET is off) fails the pending or next receive with WSAECONNRESET. On
     * loopback the simulator finds out by trying to bind the address itself.
     */
    private void noteDatagramSentTo(InetSocketAddress to) {
        if (!reportPortUnreachable || to == null || !to.getAddress().isLoopbackAddress()) {
            return;
        }
        ProtocolFamily pf = to.getAddress() instanceof java.net.Inet6Address ? StandardProtocolFamily.INET6
                : StandardProtocolFamily.INET;
        try (DatagramChannel probe = DatagramChannel.open(pf)) {
            probe.bind(to);
        } catch (IOException e) {
            return; // someone is bound there: the datagram was delivered
        }
        SimOp waiting = reads.peek();
        if (waiting != null) {
            reads.poll();
            waiting.fail(0xC000023F, 10054); // STATUS_PORT_UNREACHABLE
            complete(waiting, false);
        } else {
            portUnreachablePending = true;
        }
    }

    static int opt(int level, int name) {
        return (level << 16) | (name & 0xFFFF);
    }

    synchronized void setOption(int level, int name, long value, int length) {
        checkOpen();
        if (level == 0xFFFF && name == 0x700B) { // SO_UPDATE_ACCEPT_CONTEXT
            if (length != 8 || value == 0) {
                throw new SimError(10014);
            }
            long listener = SimMemory.getLong(value);
            if (acceptedBy == 0 || listener != acceptedBy) {
                throw new SimError(10022);
            }
            needsAcceptContext = false;
            return;
        }
        if (level == 0xFFFF && name == 0x7010) { // SO_UPDATE_CONNECT_CONTEXT
            if (!connected) {
                throw new SimError(10057);
            }
            needsConnectContext = false;
            return;
        }
        if (!knownOption(level, name)) {
            throw new SimError(10042); // WSAENOPROTOOPT
        }
        if (value == 0 || length < 4) {
            throw new SimError(10014);
        }
        int v = SimMemory.getInt(value);
        if (level == 0xFFFF && (name == 4 || name == ~4) && v != 0) {
            Integer other = options.get(opt(0xFFFF, name == 4 ? ~4 : 4));
            if (other != null && other != 0) {
                throw new SimError(10022); // SO_REUSEADDR and SO_EXCLUSIVEADDRUSE exclude each other
            }
        }
        options.put(opt(level, name), v);
        apply(level, name, v);
    }

    private boolean knownOption(int level, int name) {
        switch (level) {
            case 0xFFFF:
                return name == 4 || name == ~4 || name == 8 || name == 0x20 || name == 0x80 || name == 0x1001
                        || name == 0x1002;
            case 6:
                return name == 1 || name == 3 || name == 15 || name == 16 || name == 17;
            case 0:
                return name == 3 || name == 10 || name == 11;
            case 41:
                return name == 27 || name == 10 || name == 11;
            default:
                return false;
        }
    }

    /** Best effort on the channel underneath; Windows semantics (the value read back) come from the map. */
    private void apply(int level, int name, int v) {
        try {
            if (stream != null) {
                if (level == 0xFFFF && name == 0x80) { // struct linger {u_short l_onoff; u_short l_linger;}
                    int onoff = v & 0xFFFF;
                    int seconds = (v >>> 16) & 0xFFFF;
                    stream.setOption(StandardSocketOptions.SO_LINGER, onoff == 0 ? -1 : seconds);
                } else if (level == 0xFFFF && (name == 0x1001 || name == 0x1002)) {
                    stream.setOption(name == 0x1001 ? StandardSocketOptions.SO_SNDBUF : StandardSocketOptions.SO_RCVBUF, v);
                } else if (level == 6 && name == 1) {
                    stream.setOption(StandardSocketOptions.TCP_NODELAY, v != 0);
                } else if (level == 0xFFFF && name == 8) {
                    stream.setOption(StandardSocketOptions.SO_KEEPALIVE, v != 0);
                } else if (level == 0xFFFF && name == 4) {
                    stream.setOption(StandardSocketOptions.SO_REUSEADDR, v != 0);
                }
            }
        } catch (IOException | UnsupportedOperationException e) {
            // the simulator keeps the Windows view in its map either way
        }
    }

    synchronized int getOption(int level, int name, long value, long lengthAddress) {
        checkOpen();
        int capacity = SimMemory.getInt(lengthAddress);
        if (level == 0xFFFF && name == 0x2005) { // SO_PROTOCOL_INFOW
            if (capacity < 628) {
                throw new SimError(10014);
            }
            ByteBuffer info = SimMemory.view(value, 628);
            for (int i = 0; i < 628; i++) {
                info.put(i, (byte) 0);
            }
            int flags = isStream() ? 0x2 | 0x4 | 0x8 | 0x20 : 0x200 | 0x8000 | 0x1000;
            if (os.options.ifsHandles()) {
                flags |= 0x00020000; // XP1_IFS_HANDLES
            }
            info.putInt(0, flags);
            info.putInt(76, family);                // iAddressFamily
            info.putInt(88, type);                  // iSocketType
            info.putInt(92, isStream() ? 6 : 17);   // iProtocol
            SimMemory.putInt(lengthAddress, 628);
            return 0;
        }
        if (capacity < 4) {
            throw new SimError(10014);
        }
        int v;
        if (level == 0xFFFF && name == 0x1008) { // SO_TYPE
            v = type;
        } else if (level == 0xFFFF && name == 0x1007) { // SO_ERROR
            v = 0;
        } else if (knownOption(level, name)) {
            Integer stored = options.get(opt(level, name));
            v = stored != null ? stored : defaultOption(level, name);
        } else {
            throw new SimError(10042);
        }
        SimMemory.putInt(value, v);
        SimMemory.putInt(lengthAddress, 4);
        return 0;
    }

    private static int defaultOption(int level, int name) {
        if (level == 0xFFFF && (name == 0x1001 || name == 0x1002)) {
            return 65536;
        }
        if ((level == 0 || level == 41) && name == 10) {
            return 1; // IP_MULTICAST_TTL, IPV6_MULTICAST_HOPS
        }
        if ((level == 0 || level == 41) && name == 11) {
            return 1; // multicast loop
        }
        return 0;
    }

    // ---- overlapped operations ----

    /**
     * Starts {@code op}: true if it succeeded at once (its OVERLAPPED is filled and, unless the socket skips
     * the port on success, a packet is queued); false if it is pending (a packet will come); throws
     * {@link SimError} with the Winsock code if it failed at once (no packet).
     */
    synchronized boolean start(SimOp op) {
        checkOpen();
        boolean readSide = op.kind == SimOp.Kind.RECV || op.kind == SimOp.Kind.RECV_FROM || op.kind == SimOp.Kind.ACCEPT;
        ArrayDeque<SimOp> q = readSide ? reads : writes;
        if (q.isEmpty() && attempt(op)) {
            if (op.status == 0) {
                os.stats.succeededAtOnce.incrementAndGet();
                complete(op, true);
                return true;
            }
            if ((op.status & 0xC0000000) == 0x80000000) {
                // A warning (STATUS_BUFFER_OVERFLOW) is not NT_ERROR: the I/O manager treats the request as
                // completed, so a packet is queued unless the handle skips the port for such completions.
                complete(op, true);
            }
            throw new SimError(op.wsaError);
        }
        SimMemory.putLong(op.overlapped, STATUS_PENDING);
        q.add(op);
        os.stats.pended.incrementAndGet();
        os.reactor.watch(this);
        return false;
    }

    synchronized void checkCanRecv(boolean datagram) {
        checkOpen();
        if (!isStream() && portUnreachablePending) {
            portUnreachablePending = false;
            throw new SimError(10054); // WSAECONNRESET: the ICMP port unreachable of an earlier send
        }
        if (datagram) {
            if (isStream()) {
                throw new SimError(10045);
            }
            if (!bound) {
                throw new SimError(10022); // WSARecvFrom on an unbound datagram socket
            }
            return;
        }
        if (!isStream()) {
            if (!connected) {
                throw new SimError(10057);
            }
            return; // a connected datagram socket
        }
        if (!connected) {
            throw new SimError(10057);
        }
        if (shutIn) {
            throw new SimError(10058); // WSAESHUTDOWN
        }
    }

    synchronized void checkCanSend(boolean datagram) {
        checkOpen();
        if (datagram) {
            if (isStream()) {
                throw new SimError(10045);
            }
            return;
        }
        if (!isStream()) {
            if (!connected) {
                throw new SimError(10057);
            }
            return; // a connected datagram socket
        }
        if (!connected) {
            throw new SimError(10057);
        }
        if (shutOut) {
            throw new SimError(10058);
        }
    }

    /** AcceptEx's checks on the listener (this) and the socket to accept into. */
    synchronized void checkCanAcceptInto(SimSocket into, int localLength, int remoteLength) {
        checkOpen();
        if (!listening) {
            throw new SimError(10022);
        }
        int need = SimAddresses.length(family) + 16;
        if (localLength < need || remoteLength < need) {
            throw new SimError(10014); // WSAEFAULT: address space too small
        }
        into.reserveForAccept(family);
    }

    private synchronized void reserveForAccept(int listenerFamily) {
        checkOpen();
        if (!isStream() || family != listenerFamily || bound || connected || listening || connecting
                || reservedForAccept) {
            throw new SimError(10022); // WSAEINVAL: must be unbound, unconnected, of the listener's family
        }
        reservedForAccept = true;
    }

    private synchronized boolean adoptAccepted(SocketChannel c, long listener) throws IOException {
        if (closed) {
            return false;
        }
        stream.close();
        stream = c;
        bound = true;
        connected = true;
        acceptedBy = listener;
        needsAcceptContext = true;
        reservedForAccept = false;
        return true;
    }

    synchronized void checkCanConnect() {
        checkOpen();
        if (!isStream() || listening) {
            throw new SimError(10022);
        }
        if (connected) {
            throw new SimError(10056); // WSAEISCONN
        }
        if (connecting) {
            throw new SimError(10037); // WSAEALREADY
        }
        if (!bound) {
            throw new SimError(10022); // ConnectEx needs a bound socket
        }
    }

    /** Tries to finish {@code op} without blocking; true when it finished (op.status says how). */
    private boolean attempt(SimOp op) {
        try {
            switch (op.kind) {
                case RECV: {
                    if (!isStream()) {
                        return receiveConnectedDatagram(op);
                    }
                    long want = remaining(op.buffers);
                    if (want == 0) {
                        op.succeed(0);
                        return true;
                    }
                    long n = stream.read(op.buffers);
                    if (n == 0) {
                        return false;
                    }
                    op.succeed(Math.max(0, n)); // -1: the peer closed; Windows completes with 0 bytes
                    return true;
                }
                case SEND: {
                    if (!isStream()) {
                        long n = dgram.write(op.buffers); // one datagram, all of it or nothing
                        if (n == 0 && op.total > 0) {
                            return false;
                        }
                        op.succeed(n);
                        noteDatagramSentTo((InetSocketAddress) dgram.getRemoteAddress());
                        return true;
                    }
                    op.done += stream.write(op.buffers);
                    if (op.done < op.total) {
                        return false; // an overlapped send completes only when all of it is buffered
                    }
                    op.succeed(op.done);
                    return true;
                }
                case RECV_FROM: {
                    ByteBuffer b = op.buffers[0];
                    ByteBuffer datagram = ByteBuffer.allocate(65536);
                    InetSocketAddress from = (InetSocketAddress) dgram.receive(datagram);
                    if (from == null) {
                        return false;
                    }
                    datagram.flip();
                    boolean truncated = datagram.remaining() > b.remaining();
                    datagram.limit(datagram.position() + Math.min(datagram.remaining(), b.remaining()));
                    b.put(datagram);
                    byte[] enc = SimAddresses.encode(from, family);
                    if (SimMemory.getInt(op.fromLengthAddress) < enc.length) {
                        op.fail(0xC000000D, 10014);
                        return true;
                    }
                    SimMemory.put(op.fromAddress, enc);
                    SimMemory.putInt(op.fromLengthAddress, enc.length);
                    if (truncated) {
                        op.fail(0x80000005, 10040); // STATUS_BUFFER_OVERFLOW / WSAEMSGSIZE: what fit was copied
                        op.bytes = b.position();
                    } else {
                        op.succeed(b.position());
                    }
                    return true;
                }
                case SEND_TO: {
                    ByteBuffer b = op.buffers[0];
                    int n = dgram.send(b, op.to);
                    bound = true; // an unbound datagram socket is bound implicitly by its first send
                    if (n == 0 && b.hasRemaining()) {
                        return false;
                    }
                    op.succeed(n);
                    noteDatagramSentTo(op.to);
                    return true;
                }
                case ACCEPT: {
                    SocketChannel c = server.accept();
                    if (c == null) {
                        return false;
                    }
                    c.configureBlocking(false);
                    if (!op.acceptSocket.adoptAccepted(c, value)) {
                        c.close();
                        op.fail(SimFailure.CANCELLED);
                        return true;
                    }
                    writeAcceptBlock(op.acceptBuffer, (InetSocketAddress) c.getLocalAddress());
                    writeAcceptBlock(op.acceptBuffer + op.localLength, (InetSocketAddress) c.getRemoteAddress());
                    op.succeed(0);
                    return true;
                }
                case CONNECT: {
                    if (!connecting) {
                        connecting = true;
                        if (!stream.connect(op.to)) {
                            return false;
                        }
                    } else if (!stream.finishConnect()) {
                        return false;
                    }
                    connecting = false;
                    connected = true;
                    needsConnectContext = true;
                    op.succeed(0);
                    return true;
                }
                default:
                    throw new IllegalStateException("not a socket operation: " + op.kind);
            }
        } catch (IOException e) {
            if (op.kind == SimOp.Kind.CONNECT) {
                connecting = false;
            }
            op.fail(SimFailure.of(e));
            return true;
        }
    }

    /** WSARecv on a connected datagram socket: one datagram; a longer one fails with WSAEMSGSIZE after filling the buffers. */
    private boolean receiveConnectedDatagram(SimOp op) throws IOException {
        ByteBuffer datagram = ByteBuffer.allocate(65536);
        if (dgram.receive(datagram) == null) {
            return false;
        }
        datagram.flip();
        long copied = 0;
        for (ByteBuffer b : op.buffers) {
            int n = Math.min(b.remaining(), datagram.remaining());
            ByteBuffer part = datagram.duplicate();
            part.limit(part.position() + n);
            b.put(part);
            datagram.position(datagram.position() + n);
            copied += n;
        }
        if (datagram.hasRemaining()) {
            op.fail(0x80000005, 10040); // STATUS_BUFFER_OVERFLOW / WSAEMSGSIZE: what fit was copied
            op.bytes = copied;
        } else {
            op.succeed(copied);
        }
        return true;
    }

    /**
     * The simulator's own layout of an AcceptEx address block (the real one is undocumented; only
     * GetAcceptExSockaddrs may read it): 8 filler bytes, the address length as a u16, then the sockaddr.
     */
    private void writeAcceptBlock(long at, InetSocketAddress a) {
        byte[] enc = SimAddresses.encode(a, family);
        ByteBuffer b = SimMemory.view(at, 10 + enc.length);
        for (int i = 0; i < 8; i++) {
            b.put(i, (byte) 0xAB);
        }
        b.putShort(8, (short) enc.length);
        b.put(10, enc);
    }

    private static long remaining(ByteBuffer[] bufs) {
        long n = 0;
        for (ByteBuffer b : bufs) {
            n += b.remaining();
        }
        return n;
    }

    /** Reactor thread: finishes what can be finished, in order, and updates the interest set. */
    synchronized void pump(Selector selector) {
        if (closed) {
            return;
        }
        drain(reads);
        drain(writes);
        SelectableChannel ch = listening ? server : isStream() ? stream : dgram;
        int ops = 0;
        if (!reads.isEmpty()) {
            ops |= listening ? SelectionKey.OP_ACCEPT : SelectionKey.OP_READ;
        }
        if (!writes.isEmpty()) {
            ops |= connecting ? SelectionKey.OP_CONNECT : SelectionKey.OP_WRITE;
        }
        if (key != null && key.channel() != ch) {
            key.cancel();
            key = null;
        }
        try {
            if (key == null || !key.isValid()) {
                if (ops != 0 && ch != null && ch.isOpen()) {
                    key = ch.register(selector, ops, this);
                }
            } else {
                key.interestOps(ops);
            }
        } catch (ClosedChannelException e) {
            key = null;
        }
    }

    private void drain(ArrayDeque<SimOp> q) {
        while (!q.isEmpty()) {
            SimOp op = q.peek();
            if (!attempt(op)) {
                return;
            }
            q.poll();
            int injected = takeInjectedStatus();
            if (injected != 0) {
                op.fail(injected, 0);
            }
            complete(op, false);
        }
    }

    /** CancelIoEx: completes the matching pending operations (all when {@code overlapped} is 0) as aborted. */
    synchronized boolean cancel(long overlapped) {
        boolean any = cancelIn(reads, overlapped) | cancelIn(writes, overlapped);
        if (any) {
            os.reactor.watch(this);
        }
        return any;
    }

    private boolean cancelIn(ArrayDeque<SimOp> q, long overlapped) {
        boolean any = false;
        for (Iterator<SimOp> it = q.iterator(); it.hasNext(); ) {
            SimOp op = it.next();
            if (overlapped == 0 || op.overlapped == overlapped) {
                it.remove();
                if (op.kind == SimOp.Kind.CONNECT) {
                    connecting = false;
                }
                if (op.kind == SimOp.Kind.ACCEPT) {
                    op.acceptSocket.releaseAcceptReservation();
                }
                op.fail(SimFailure.CANCELLED);
                os.stats.cancelled.incrementAndGet();
                complete(op, false);
                any = true;
            }
        }
        return any;
    }

    private synchronized void releaseAcceptReservation() {
        reservedForAccept = false;
    }

    /** closesocket: the channel closes; pending operations complete with STATUS_CANCELLED. */
    synchronized void close() {
        if (closed) {
            return;
        }
        cancel(0);
        closed = true;
        if (key != null) {
            key.cancel();
        }
        for (java.io.Closeable c : new java.io.Closeable[]{stream, server, dgram}) {
            if (c != null) {
                try {
                    c.close();
                } catch (IOException e) {
                    os.failure("closing the channel of socket " + value, e);
                }
            }
        }
    }

    @Override
    public String toString() {
        return "simulated socket 0x" + Long.toHexString(value) + (listening ? " (listening)" : connected ? " (connected)" : "");
    }
}
