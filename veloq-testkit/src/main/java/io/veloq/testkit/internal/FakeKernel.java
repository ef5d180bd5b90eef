package io.veloq.testkit.internal;

import io.veloq.api.IoFd;
import io.veloq.api.VeloqIoException;
import io.veloq.api.buffer.FixedBuf;
import io.veloq.api.net.AddressFamily;
import io.veloq.api.net.SockAddrStorage;
import io.veloq.api.net.SocketType;
import io.veloq.api.net.VeloqSocketOptions;
import io.veloq.api.op.Accept;
import io.veloq.api.op.AcceptMultishot;
import io.veloq.api.op.RecvMultishot;
import io.veloq.api.Capability;
import io.veloq.spi.CompletionSink;
import io.veloq.api.op.Close;
import io.veloq.api.op.Connect;
import io.veloq.api.op.Fsync;
import io.veloq.api.op.OpKind;
import io.veloq.api.op.OpPayload;
import io.veloq.api.op.Open;
import io.veloq.api.op.Read;
import io.veloq.api.op.ReadFixed;
import io.veloq.api.op.Recv;
import io.veloq.api.op.RecvMsg;
import io.veloq.api.op.RecvFrom;
import io.veloq.api.op.Send;
import io.veloq.api.op.SendFile;
import io.veloq.api.op.SendTo;
import io.veloq.api.op.Shutdown;
import io.veloq.api.op.Socket;
import io.veloq.api.op.Timeout;
import io.veloq.api.op.Write;
import io.veloq.api.op.WriteFixed;
import io.veloq.spi.DriverConfig;
import io.veloq.spi.IoBuffers;
import io.veloq.spi.LinuxErrno;
import io.veloq.spi.LinuxSocketOptions;
import io.veloq.testkit.FaultPlan;
import io.veloq.testkit.Trace;
import io.veloq.testkit.TraceEvent;

import java.net.SocketOption;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import static io.veloq.spi.LinuxErrno.EADDRINUSE;
import static io.veloq.spi.LinuxErrno.EAFNOSUPPORT;
import static io.veloq.spi.LinuxErrno.EAGAIN;
import static io.veloq.spi.LinuxErrno.ENOBUFS;
import static io.veloq.spi.LinuxErrno.EBADF;
import static io.veloq.spi.LinuxErrno.ESPIPE;
import static io.veloq.spi.LinuxErrno.ECANCELED;
import static io.veloq.spi.LinuxErrno.ECONNREFUSED;
import static io.veloq.spi.LinuxErrno.ECONNRESET;
import static io.veloq.spi.LinuxErrno.EDESTADDRREQ;
import static io.veloq.spi.LinuxErrno.EEXIST;
import static io.veloq.spi.LinuxErrno.EFAULT;
import static io.veloq.spi.LinuxErrno.EINVAL;
import static io.veloq.spi.LinuxErrno.EIO;
import static io.veloq.spi.LinuxErrno.EISCONN;
import static io.veloq.spi.LinuxErrno.EISDIR;
import static io.veloq.spi.LinuxErrno.EMFILE;
import static io.veloq.spi.LinuxErrno.EMSGSIZE;
import static io.veloq.spi.LinuxErrno.ENOENT;
import static io.veloq.spi.LinuxErrno.ENOPROTOOPT;
import static io.veloq.spi.LinuxErrno.ENETUNREACH;
import static io.veloq.spi.LinuxErrno.EALREADY;
import static io.veloq.spi.LinuxErrno.ENOTCONN;
import static io.veloq.spi.LinuxErrno.ENOTSOCK;
import static io.veloq.spi.LinuxErrno.EOPNOTSUPP;
import static io.veloq.spi.LinuxErrno.EPIPE;

/**
 * The simulated kernel behind every fake driver instance of one provider: a process (descriptor table,
 * lowest free fd first, from 3), a network where every address is this host's, a file store, a clock and
 * an agenda of future events. It reports errors exactly as Linux does (errno values of
 * {@link LinuxErrno}), so code tested here sees what it will see on io_uring.
 *
 * <p>Thread-safety: every method runs under this object's monitor; drivers on several loop threads share
 * it and wait on it. Completions are handed to the owning driver's ready list; the driver delivers them to
 * the host outside the lock.
 */
public final class FakeKernel {
    static final int MSG_PEEK = 0x2;
    static final int MSG_DONTWAIT = 0x40;
    static final int MSG_WAITALL = 0x100;
    static final int FD_LIMIT = 1024;
    static final int MAX_DATAGRAM = 65507;
    static final int SOMAXCONN = 4096;
    private static final int FIRST_EPHEMERAL = 32768;
    private static final int LAST_EPHEMERAL = 60999;

    /** A failure the test scripted for the next matching op. */
    record ScriptedFailure(OpKind kind, long fd, int errno) {
    }

    final SimClock clock;
    final Agenda agenda = new Agenda();
    final Faults faults;
    final long seed;
    final Set<Defect> defects;
    /** What its drivers report (all it models, unless a test removed some). */
    volatile Set<io.veloq.api.Capability> capabilities = FakeDriver.CAPABILITIES;
    final FileStore files = new FileStore();
    /** The AF_XDP side: interfaces, programs, transmitted frames. */
    public final FakeXdpNetwork xdp = new FakeXdpNetwork(this);
    private final TreeMap<Integer, SimFile> fds = new TreeMap<>();
    private final List<SimSocket> bound = new ArrayList<>();
    private final List<FakeDriver> drivers = new ArrayList<>();
    private final ArrayDeque<ScriptedFailure> scripted = new ArrayDeque<>();
    private final ArrayDeque<TraceEvent> trace = new ArrayDeque<>();
    private final int traceLimit;
    private final List<String> violations = new ArrayList<>();
    private long traceDropped;
    private long nextTraceSeq;
    private long nextOpId;
    private long nextSocketId;
    private int nextEphemeral = FIRST_EPHEMERAL;
    private int reuseportTurn;
    private boolean holdAll;
    /** True while a simulation method drives the loop: an idle loop then returns instead of failing. */
    boolean driven;

    public FakeKernel(boolean virtualTime, long seed, FaultPlan plan, Set<Defect> defects, int traceLimit) {
        this.clock = new SimClock(virtualTime);
        this.seed = seed;
        this.faults = new Faults(seed, plan);
        this.defects = defects.isEmpty() ? Set.of() : Set.copyOf(defects);
        this.traceLimit = traceLimit;
    }

    // ---------------------------------------------------------------- drivers and inspection

    synchronized FakeDriver newDriver(DriverConfig config) {
        FakeDriver d = new FakeDriver(this, config);
        drivers.add(d);
        return d;
    }

    synchronized void driverClosed(FakeDriver d) {
        drivers.remove(d);
    }

    public synchronized List<FakeDriver> drivers() {
        return List.copyOf(drivers);
    }

    public long seed() {
        return seed;
    }

    public FaultPlan plan() {
        return faults.plan;
    }

    public boolean isVirtualTime() {
        return clock.isVirtual();
    }

    public long now() {
        return clock.now();
    }

    public synchronized Trace trace() {
        return new Trace(new ArrayList<>(trace), traceDropped);
    }

    /** Contract violations the fake noticed in the host (printed, and reported by the simulation). */
    public synchronized List<String> violations() {
        return List.copyOf(violations);
    }

    synchronized void violation(String what) {
        violations.add(what);
        System.err.println("veloq fake driver: contract violation: " + what + " (seed " + seed + ")");
    }

    /** Ops prepared in any driver and not yet delivered. */
    public synchronized int liveOps() {
        int n = 0;
        for (FakeDriver d : drivers) {
            n += d.liveCount();
        }
        return n;
    }

    /** Every op inside any driver of this kernel, oldest first. */
    public synchronized List<KernelOpView> inFlight() {
        List<KernelOpView> out = new ArrayList<>();
        for (FakeDriver d : drivers) {
            for (KernelOp op : d.liveOps()) {
                out.add(view(op));
            }
        }
        out.sort((a, b) -> Long.compare(a.opId(), b.opId()));
        return out;
    }

    KernelOpView view(KernelOp op) {
        String state = switch (op.state) {
            case KernelOp.QUEUED -> "queued in the submission queue";
            case KernelOp.WAITING -> op.held ? "held by the test" : op.timer != null
                    ? "waiting for its timer" : op.parkedOn != null ? "waiting on " + op.parkedOn.describe() : "waiting";
            case KernelOp.COMPLETING -> "completed with " + resultText(op.result) + ", delivery delayed";
            default -> "delivered";
        };
        return new KernelOpView(op.id, op.driver.loopIndex(), op.userData, op.payload, state,
                op.state == KernelOp.WAITING, op.held);
    }

    /** A snapshot of one in-flight op for inspection. */
    public record KernelOpView(long opId, int loop, long userData, OpPayload payload, String state, boolean waiting,
                               boolean held) {
        @Override
        public String toString() {
            return "op" + opId + " " + payload.describe() + " (loop " + loop + ", " + state + ")";
        }
    }

    static String resultText(long r) {
        if (r >= 0) {
            return Long.toString(r);
        }
        return LinuxErrno.TABLE.name((int) -r) + " (" + r + ")";
    }

    String describeState() {
        StringBuilder sb = new StringBuilder();
        List<KernelOpView> ops = inFlight();
        sb.append("in flight (").append(ops.size()).append("):");
        if (ops.isEmpty()) {
            sb.append(" none");
        }
        for (KernelOpView v : ops) {
            sb.append("\n  ").append(v);
        }
        return sb.toString();
    }

    void trace(int loop, TraceEvent.Type type, long opId, String what, long result, String detail) {
        if (traceLimit <= 0) {
            return;
        }
        if (trace.size() >= traceLimit) {
            trace.pollFirst();
            traceDropped++;
        }
        trace.addLast(new TraceEvent(nextTraceSeq++, clock.now(), loop, type, opId, what, result, detail));
    }

    /** Records something the test did (peer actions, manual completions). */
    public synchronized void traceScript(String what) {
        trace(-1, TraceEvent.Type.SCRIPT, -1, what, 0, null);
    }

    // ---------------------------------------------------------------- time

    void runDue() {
        agenda.runDue(clock.now());
    }

    public synchronized long nextEventTime() {
        return agenda.nextTime();
    }

    public synchronized void setDriven(boolean value) {
        driven = value;
    }

    public synchronized void timeLimit(long limit) {
        clock.limit(limit);
    }

    /** Advances virtual time to {@code t} and runs what is due. */
    public synchronized void advanceTo(long t) {
        clock.advanceTo(t);
        runDue();
        notifyAll();
    }

    /** Runs events due now (used by the simulation between loop turns). */
    public synchronized void runDueNow() {
        runDue();
    }

    // ---------------------------------------------------------------- op lifecycle

    KernelOp newOp(FakeDriver d, long userData, OpPayload payload) {
        return new KernelOp(d, userData, payload, nextOpId++, clock.now());
    }

    /** Starts an op taken from a driver's submission queue. */
    void start(KernelOp op) {
        op.state = KernelOp.WAITING;
        trace(op.driver.loopIndex(), TraceEvent.Type.SUBMIT, op.id, op.payload.describe(), 0, null);
        ScriptedFailure f = takeScripted(op);
        if (f != null) {
            trace(op.driver.loopIndex(), TraceEvent.Type.FAULT, op.id, op.payload.describe(), 0,
                    "scripted " + LinuxErrno.TABLE.name(f.errno()));
            finish(op, -f.errno());
            return;
        }
        if (holdAll) {
            op.held = true;
            return;
        }
        execute(op);
    }

    private void execute(KernelOp op) {
        OpPayload p = op.payload;
        switch (p.kind()) {
            case NOP -> finish(op, 0);
            case TIMEOUT -> {
                long nanos = ((Timeout) p).nanos();
                op.timer = agenda.at(clock.now() + nanos, () -> {
                    op.timer = null;
                    finish(op, 0);
                });
            }
            case CANCEL -> finish(op, -EINVAL.code()); // the host handles Cancel; it never reaches a driver
            case SOCKET -> socket(op, (Socket) p);
            case ACCEPT -> accept(op, p.fd());
            case CONNECT -> connect(op, (Connect) p);
            case SHUTDOWN -> shutdown(op, (Shutdown) p);
            case RECV -> recv(op, p.fd(), ((Recv) p).flags(), null);
            case RECV_FROM -> recv(op, p.fd(), 0, ((RecvFrom) p).from());
            case RECV_MSG -> recv(op, p.fd(), ((RecvMsg) p).flags(), null);
            case SEND -> send(op, p.fd(), null);
            case SEND_TO -> send(op, p.fd(), ((SendTo) p).to());
            case SEND_MSG -> send(op, p.fd(), null);
            case READ -> read(op, p.fd(), ((Read) p).buf(), ((Read) p).offset(), false);
            case READ_FIXED -> read(op, p.fd(), ((ReadFixed) p).buf(), ((ReadFixed) p).offset(), true);
            case WRITE -> write(op, p.fd(), ((Write) p).buf(), ((Write) p).offset(), false);
            case WRITE_FIXED -> write(op, p.fd(), ((WriteFixed) p).buf(), ((WriteFixed) p).offset(), true);
            case OPEN -> open(op, (Open) p);
            case CLOSE -> close(op, (Close) p);
            case FSYNC -> fsync(op, (Fsync) p);
            case ACCEPT_MULTISHOT -> accept(op, p.fd());
            case RECV_MULTISHOT -> recvMultishot(op, (RecvMultishot) p);
            case SEND_FILE -> send(op, p.fd(), null);
            default -> finish(op, -EINVAL.code());
        }
    }

    /** Decides an op's result; delivery may be delayed by the fault plan. Never completes an op twice. */
    void finish(KernelOp op, long result) {
        if (op.state >= KernelOp.COMPLETING) {
            return;
        }
        if (op.timer != null) {
            op.timer.cancelled = true;
            op.timer = null;
        }
        op.parkedOn = null;
        op.state = KernelOp.COMPLETING;
        if (result >= 0 && op.payload instanceof Send s && s.zeroCopy() && capabilities.contains(Capability.ZERO_COPY_SEND)) {
            // As SEND_ZC: the result now, the notification (the final completion) when the "card" is done with
            // the buffer, which the fault plan's delays make later.
            op.driver.post(op, result, 0, 0);
            op.notif = true;
            result = 0;
        }
        op.result = result;
        long delay = faults.delay();
        if (delay > 0) {
            trace(op.driver.loopIndex(), TraceEvent.Type.FAULT, op.id, op.payload.describe(), 0,
                    "completion delayed " + delay + " ns");
            agenda.at(clock.now() + delay, () -> deliver(op));
        } else {
            deliver(op);
        }
    }

    private void deliver(KernelOp op) {
        op.state = KernelOp.DONE;
        trace(op.driver.loopIndex(), TraceEvent.Type.COMPLETE, op.id, op.payload.describe(), op.result, null);
        op.driver.ready(op);
        notifyAll();
    }

    /** A cancellation from a driver's submission queue. */
    void cancel(FakeDriver d, long userData) {
        KernelOp op = d.live(userData);
        if (op == null || op.state != KernelOp.WAITING) {
            return; // already completed (or completing): the result wins, as in the kernel
        }
        trace(d.loopIndex(), TraceEvent.Type.CANCEL, op.id, op.payload.describe(), 0, null);
        long late = faults.cancelLateness();
        if (late > 0) {
            trace(d.loopIndex(), TraceEvent.Type.FAULT, op.id, op.payload.describe(), 0,
                    "cancel arrives " + late + " ns late");
            agenda.at(clock.now() + late, () -> cancelNow(op));
        } else {
            cancelNow(op);
        }
    }

    private void cancelNow(KernelOp op) {
        if (op.state != KernelOp.WAITING) {
            return;
        }
        unpark(op);
        if (defects.contains(Defect.LOSE_CANCELLED_OPS)) {
            op.state = KernelOp.COMPLETING; // never delivered: the deliberate bug
            return;
        }
        finish(op, -ECANCELED.code());
    }

    private void unpark(KernelOp op) {
        if (op.timer != null) {
            op.timer.cancelled = true;
            op.timer = null;
        }
        if (op.parkedOn instanceof SimSocket s) {
            s.removeWaiter(op);
        }
        op.parkedOn = null;
    }

    // ---------------------------------------------------------------- test scripting

    public synchronized void failNext(OpKind kind, long fd, LinuxErrno errno) {
        scripted.add(new ScriptedFailure(kind, fd, errno.code()));
        trace(-1, TraceEvent.Type.SCRIPT, -1, "fail next " + kind + (fd >= 0 ? " on fd " + fd : "")
                + " with " + errno.name(), 0, null);
    }

    private ScriptedFailure takeScripted(KernelOp op) {
        if (scripted.isEmpty()) {
            return null;
        }
        for (Iterator<ScriptedFailure> it = scripted.iterator(); it.hasNext(); ) {
            ScriptedFailure f = it.next();
            if (f.kind() != op.payload.kind()) {
                continue;
            }
            if (f.fd() >= 0) {
                IoFd fd = op.payload.fd();
                if (!(fd instanceof IoFd.Raw r) || r.handle() != f.fd()) {
                    continue;
                }
            }
            it.remove();
            return f;
        }
        return null;
    }

    public synchronized void holdAll(boolean value) {
        holdAll = value;
    }

    /** Completes an op the test is holding (or any waiting op) with {@code result}. */
    public synchronized boolean completeByTest(long opId, long result) {
        KernelOp op = find(opId);
        if (op == null || op.state != KernelOp.WAITING) {
            return false;
        }
        unpark(op);
        op.held = false;
        trace(op.driver.loopIndex(), TraceEvent.Type.SCRIPT, op.id, op.payload.describe(), 0,
                "completed by the test with " + resultText(result));
        finish(op, result);
        return true;
    }

    /**
     * Completes a waiting receive/read op as if {@code data} had arrived: the bytes (as many as fit) are
     * written into its buffer and the op completes with their count.
     */
    public synchronized int completeByTestWithData(long opId, byte[] data) {
        KernelOp op = find(opId);
        if (op == null || op.state != KernelOp.WAITING) {
            return -1;
        }
        if (!Segments.fills(op.payload.kind())) {
            throw new IllegalArgumentException(op.payload.describe() + " does not receive data; use complete(result)");
        }
        Segments into = Segments.of(op.payload, true);
        int n = Math.min(data.length, into.total);
        into.scatter(data, n);
        unpark(op);
        op.held = false;
        trace(op.driver.loopIndex(), TraceEvent.Type.SCRIPT, op.id, op.payload.describe(), 0,
                "completed by the test with " + n + " bytes of data");
        finish(op, n);
        return n;
    }

    /** Lets a held op run as the kernel would. */
    public synchronized boolean releaseHeld(long opId) {
        KernelOp op = find(opId);
        if (op == null || !op.held || op.state != KernelOp.WAITING) {
            return false;
        }
        op.held = false;
        execute(op);
        return true;
    }

    private KernelOp find(long opId) {
        for (FakeDriver d : drivers) {
            for (KernelOp op : d.liveOps()) {
                if (op.id == opId) {
                    return op;
                }
            }
        }
        return null;
    }

    // ---------------------------------------------------------------- descriptors

    private int allocFd(SimFile f) {
        if (fds.size() >= FD_LIMIT - 3) {
            return -EMFILE.code();
        }
        int fd = 3;
        for (Integer used : fds.keySet()) {
            if (used != fd) {
                break;
            }
            fd++;
        }
        fds.put(fd, f);
        f.refs++;
        return fd;
    }

    SimFile resolve(FakeDriver d, IoFd fd) {
        if (fd instanceof IoFd.Raw r) {
            SimFile f = r.handle() > Integer.MAX_VALUE ? null : fds.get((int) r.handle());
            if (f != null && defects.contains(Defect.HANDLES_PER_LOOP) && f.createdByLoop >= 0
                    && f.createdByLoop != d.loopIndex()) {
                return null;
            }
            return f;
        }
        return d.fixedFile(((IoFd.Fixed) fd).index());
    }

    synchronized SimFile resolveRaw(long handle) {
        return handle > Integer.MAX_VALUE || handle < 0 ? null : fds.get((int) handle);
    }

    void addRef(SimFile f) {
        f.refs++;
    }

    void dropRef(SimFile f) {
        if (--f.refs == 0) {
            release(f);
        }
    }

    private void release(SimFile f) {
        f.released = true;
        if (f instanceof SimSocket s) {
            releaseSocket(s);
        }
    }

    private void releaseSocket(SimSocket s) {
        SimSocket.State prev = s.state;
        s.state = SimSocket.State.CLOSED;
        bound.remove(s);
        if (!defects.contains(Defect.CLOSE_STRANDS_OPS)) {
            // As the io_uring driver (cancel by fd, then close) and IOCP (closesocket aborts) do: see Close.
            failAll(s.recvWaiters, ECANCELED);
            failAll(s.sendWaiters, ECANCELED);
            failAll(s.acceptWaiters, ECANCELED);
        }
        if (s.connectingTo != null) {
            for (SimSocket.PendingConnect pc : s.connectingTo.pendingConnects) {
                if (pc.client() == s) {
                    s.connectingTo.pendingConnects.remove(pc);
                    finish(pc.op(), -ECANCELED.code());
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
                finish(pc.op(), -ECONNREFUSED.code());
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
                pumpRecv(p);
                pumpSend(p);
            }
        }
        s.in.clear();
        s.datagrams.clear();
    }

    private void failAll(ArrayDeque<KernelOp> waiters, LinuxErrno e) {
        while (!waiters.isEmpty()) {
            finish(waiters.pollFirst(), -e.code());
        }
    }

    private void resetSide(SimSocket x, LinuxErrno err) {
        x.pendingError = err.code();
        x.inEof = true;
        x.writeShut = true;
        pumpRecv(x);
        pumpSend(x);
    }

    /** Resets a connection from outside (the scripted peer or a fault): both ends see ECONNRESET. */
    void resetConnection(SimSocket s) {
        SimSocket p = s.peer;
        resetSide(s, ECONNRESET);
        if (p != null && !p.released) {
            resetSide(p, ECONNRESET);
        }
    }

    // ---------------------------------------------------------------- sockets: control (any thread)

    private SimSocket socketOrThrow(FakeDriver d, IoFd fd, String what) throws VeloqIoException {
        SimFile f = resolve(d, fd);
        if (f == null) {
            throw LinuxErrno.TABLE.exception(EBADF.code(), what);
        }
        if (!(f instanceof SimSocket s)) {
            throw LinuxErrno.TABLE.exception(ENOTSOCK.code(), what);
        }
        return s;
    }

    synchronized void bind(FakeDriver d, IoFd fd, SockAddrStorage local) throws VeloqIoException {
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

    private int bindTo(SimSocket s, SimAddress a) {
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

    private void autobind(SimSocket s, SimAddress towards) {
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

    synchronized void listen(FakeDriver d, IoFd fd, int backlog) throws VeloqIoException {
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

    synchronized void localAddress(FakeDriver d, IoFd fd, SockAddrStorage out) throws VeloqIoException {
        SimSocket s = socketOrThrow(d, fd, "getsockname of " + fd);
        SimAddress a = s.local != null ? s.local
                : s.family == AddressFamily.UNIX ? SimAddress.unix("") : SimAddress.wildcard(s.family, 0);
        a.writeTo(out);
    }

    synchronized void remoteAddress(FakeDriver d, IoFd fd, SockAddrStorage out) throws VeloqIoException {
        String what = "getpeername of " + fd;
        SimSocket s = socketOrThrow(d, fd, what);
        if (s.remote == null || s.state != SimSocket.State.CONNECTED && s.isStream()) {
            throw LinuxErrno.TABLE.exception(ENOTCONN.code(), what);
        }
        s.remote.writeTo(out);
    }

    /**
     * setsockopt as Linux answers it: keys Linux lacks (or lacks for this socket's family) are refused by
     * {@link LinuxSocketOptions#lookup}, exactly as the io_uring driver refuses them; TCP keys on a datagram
     * socket are ENOPROTOOPT; IPV6_V6ONLY on a bound socket is EINVAL; the value kept is the kernel's
     * ({@link KernelOptionValues}).
     */
    synchronized <T> void setOption(FakeDriver d, IoFd fd, SocketOption<T> option, T value) throws VeloqIoException {
        SimSocket s = socketOrThrow(d, fd, "setsockopt(" + fd + ", " + option.name() + " = " + value + ")");
        LinuxSocketOptions.Mapping m = LinuxSocketOptions.lookup(option, s.family);
        String what = "setsockopt(" + fd + ", " + m.nativeName() + " = " + value + ")";
        checkLevel(s, m, what);
        if (option == VeloqSocketOptions.IPV6_V6ONLY && s.local != null) {
            throw LinuxErrno.TABLE.exception(EINVAL.code(), what + " (the socket is already bound to " + s.local + ")");
        }
        if (defects.contains(Defect.IGNORE_SOCKET_OPTIONS)) {
            return;
        }
        Object kept = KernelOptionValues.stored(s, option, value);
        s.options.put(option, kept);
        if (option == StandardSocketOptions.SO_RCVBUF) {
            s.rcvCapacity = (Integer) kept;
        }
    }

    @SuppressWarnings("unchecked")
    synchronized <T> T getOption(FakeDriver d, IoFd fd, SocketOption<T> option) throws VeloqIoException {
        SimSocket s = socketOrThrow(d, fd, "getsockopt(" + fd + ", " + option.name() + ")");
        LinuxSocketOptions.Mapping m = LinuxSocketOptions.lookup(option, s.family);
        checkLevel(s, m, "getsockopt(" + fd + ", " + m.nativeName() + ")");
        return (T) KernelOptionValues.current(s, option);
    }

    /** A TCP-level option on a UDP socket: udp_setsockopt passes it to the IP level, which has no such option. */
    private static void checkLevel(SimSocket s, LinuxSocketOptions.Mapping m, String what) throws VeloqIoException {
        if (m.level() == LinuxSocketOptions.IPPROTO_TCP && !s.isStream()) {
            throw LinuxErrno.TABLE.exception(ENOPROTOOPT.code(), what + " (a " + s.protocol() + ")");
        }
    }

    // ---------------------------------------------------------------- sockets: ops

    private void socket(KernelOp op, Socket p) {
        SimSocket s = new SimSocket(nextSocketId++, p.family(), p.type());
        s.createdByLoop = op.driver.loopIndex();
        int fd = allocFd(s);
        if (fd < 0) {
            s.released = true;
        }
        finish(op, fd);
    }

    /** The socket an op names, or completes the op with EBADF/ENOTSOCK and returns null. */
    private SimSocket socketFor(KernelOp op, IoFd fd) {
        SimFile f = resolve(op.driver, fd);
        if (f == null) {
            finish(op, -EBADF.code());
            return null;
        }
        if (!(f instanceof SimSocket s)) {
            finish(op, -ENOTSOCK.code());
            return null;
        }
        return s;
    }

    private void park(KernelOp op, SimSocket s, ArrayDeque<KernelOp> queue) {
        op.parkedOn = s;
        queue.addLast(op);
    }

    /** An Accept, or an AcceptMultishot (the parked op is served again after each connection). */
    private void accept(KernelOp op, IoFd listener) {
        SimSocket s = socketFor(op, listener);
        if (s == null) {
            return;
        }
        if (s.state != SimSocket.State.LISTENING) {
            finish(op, -(s.isStream() ? EINVAL : EOPNOTSUPP).code());
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
                int fd = allocFd(srv);
                if (fd < 0) {
                    l.acceptWaiters.pollFirst();
                    finish(w, fd); // EMFILE ends a multishot accept too, as in the kernel
                    continue;
                }
                l.acceptQueue.pollFirst();
                if (multishot) {
                    trace(w.driver.loopIndex(), TraceEvent.Type.COMPLETE, w.id, w.payload.describe(), fd, "item");
                    w.driver.post(w, fd, 0, 0); // stays first in line: one op takes every connection
                    continue;
                }
                l.acceptWaiters.pollFirst();
                srv.remote.writeTo(((Accept) w.payload).peer());
                finish(w, fd);
            }
            if (l.pendingConnects.isEmpty() || l.backlogFull() || l.state != SimSocket.State.LISTENING) {
                return;
            }
            SimSocket.PendingConnect pc = l.pendingConnects.pollFirst();
            pc.client().connectingTo = null;
            pc.op().parkedOn = null;
            join(pc.client(), pc.target(), l);
            finish(pc.op(), 0);
        }
    }

    private void connect(KernelOp op, Connect p) {
        SimSocket s = socketFor(op, p.fd());
        if (s == null) {
            return;
        }
        SimAddress target = SimAddress.of(p.address());
        if (target == null || target.family() != s.family) {
            finish(op, -EAFNOSUPPORT.code());
            return;
        }
        target = target.orLoopback();
        if (target.isV4Mapped() && s.v6only()) {
            finish(op, -ENETUNREACH.code()); // an IPV6_V6ONLY socket cannot reach IPv4
            return;
        }
        if (!s.isStream()) {
            autobind(s, target);
            s.remote = target;
            finish(op, 0);
            return;
        }
        if (s.connectingTo != null) {
            finish(op, -EALREADY.code());
            return;
        }
        if (s.state != SimSocket.State.OPEN || s.wasConnected) {
            finish(op, -EISCONN.code());
            return;
        }
        SimSocket l = spread(findListener(target.onWire()));
        if (l != null && l.backlogFull()) {
            // Linux drops the SYN of a full backlog and the client retries: the connect waits, until an accept
            // makes room, the listener closes (ECONNREFUSED), or the op is cancelled (its deadline).
            trace(op.driver.loopIndex(), TraceEvent.Type.FAULT, op.id, op.payload.describe(), 0,
                    "backlog of " + l.local + " full (" + l.acceptQueue.size() + " not accepted): connect waits");
            autobind(s, target);
            s.connectingTo = l;
            op.parkedOn = l;
            l.pendingConnects.addLast(new SimSocket.PendingConnect(op, s, target));
            return;
        }
        int rc = establish(s, target, l);
        finish(op, rc);
    }

    /**
     * Connects stream socket {@code s} to the listener at {@code target}: 0, or minus the errno. Ignores the
     * backlog (scripted peers are always queued; {@link #connect} checks it for the code under test).
     */
    int establish(SimSocket s, SimAddress target) {
        return establish(s, target, spread(findListener(target.onWire())));
    }

    private int establish(SimSocket s, SimAddress target, SimSocket l) {
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
        SimSocket srv = new SimSocket(nextSocketId++, l.family, SocketType.STREAM);
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

    private SimSocket findDatagramSocket(SimAddress wire) {
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

    private void shutdown(KernelOp op, Shutdown p) {
        SimSocket s = socketFor(op, p.fd());
        if (s == null) {
            return;
        }
        boolean connected = s.isStream() ? s.state == SimSocket.State.CONNECTED : s.remote != null;
        if (!connected) {
            finish(op, -ENOTCONN.code());
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
        finish(op, 0);
    }

    private void recv(KernelOp op, IoFd fd, int flags, SockAddrStorage from) {
        SimSocket s = socketFor(op, fd);
        if (s == null) {
            return;
        }
        if (s.isStream() && !s.wasConnected) {
            finish(op, -ENOTCONN.code()); // never connected, or listening
            return;
        }
        if (!s.recvWaiters.isEmpty() || !tryRecv(s, op, Segments.of(op.payload, true), flags, from)) {
            park(op, s, s.recvWaiters);
        }
    }

    private void recvMultishot(KernelOp op, RecvMultishot p) {
        if (!op.driver.hasGroup(p.ring().group())) {
            finish(op, -EINVAL.code()); // no such buffer group on this ring
            return;
        }
        SimSocket s = socketFor(op, p.fd());
        if (s == null) {
            return;
        }
        if (s.isStream() && !s.wasConnected) {
            finish(op, -ENOTCONN.code());
            return;
        }
        if (!s.recvWaiters.isEmpty() || !tryRecvMultishot(s, op, p)) {
            park(op, s, s.recvWaiters);
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
                finish(op, -ENOBUFS.code());
                return true;
            }
            FixedBuf buf = op.driver.buffer(group, bid);
            int want = Math.min(buf.capacity(), s.in.size());
            int shortened = faults.shortRead(want);
            if (shortened > 0) {
                trace(op.driver.loopIndex(), TraceEvent.Type.FAULT, op.id, op.payload.describe(), 0,
                        "short read " + shortened + " of " + want);
                want = shortened;
            }
            int n = s.in.take(IoBuffers.memory(buf), 0, want, false);
            trace(op.driver.loopIndex(), TraceEvent.Type.COMPLETE, op.id, op.payload.describe(), n,
                    "item in buffer " + bid);
            op.driver.post(op, n, CompletionSink.BUFFER, bid);
            if (s.peer != null) {
                pumpSend(s.peer);
            }
        }
        if (s.pendingError != 0) {
            int e = s.pendingError;
            s.pendingError = 0;
            finish(op, -e);
            return true;
        }
        if (s.inEof || s.readShut || s.state == SimSocket.State.CLOSED) {
            finish(op, 0);
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
        finish(op, -EINVAL.code());
        return true;
    }

    private boolean tryRecv(SimSocket s, KernelOp op, Segments into, int flags, SockAddrStorage from) {
        if (defects.contains(Defect.IGNORE_MESSAGE_FLAGS)) {
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
                finish(op, n);
                return true;
            }
            if (s.readShut || s.state == SimSocket.State.CLOSED) {
                finish(op, 0);
                return true;
            }
            if ((flags & MSG_DONTWAIT) != 0) {
                finish(op, -EAGAIN.code());
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
            int shortened = waitAll ? -1 : faults.shortRead(want);
            if (shortened > 0) {
                trace(op.driver.loopIndex(), TraceEvent.Type.FAULT, op.id, op.payload.describe(), 0,
                        "short read " + shortened + " of " + want);
                want = shortened;
            }
            int n = into.takeFrom(s.in, want, peek);
            if (from != null && s.remote != null) {
                s.remote.writeTo(from);
            }
            finish(op, defects.contains(Defect.OVERSTATE_RECV) ? n + 1 : n);
            if (!peek && s.peer != null) {
                pumpSend(s.peer);
            }
            return true;
        }
        if (s.pendingError != 0) {
            int e = s.pendingError;
            s.pendingError = 0;
            finish(op, -e);
            return true;
        }
        if (s.inEof || s.readShut || s.state == SimSocket.State.CLOSED) {
            finish(op, 0);
            return true;
        }
        if ((flags & MSG_DONTWAIT) != 0) {
            finish(op, -EAGAIN.code());
            return true;
        }
        return false;
    }

    void pumpRecv(SimSocket s) {
        while (!s.recvWaiters.isEmpty()) {
            KernelOp w = s.recvWaiters.peekFirst();
            if (!tryRecv(s, w)) {
                return;
            }
            s.recvWaiters.remove(w);
        }
    }

    private void send(KernelOp op, IoFd fd, SockAddrStorage to) {
        SimSocket s = socketFor(op, fd);
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
            finish(op, -(s.family == AddressFamily.UNIX ? ENOTCONN : EPIPE).code());
            return;
        }
        if (!s.sendWaiters.isEmpty() || !trySend(s, op, from)) {
            park(op, s, s.sendWaiters);
        }
    }

    /** The bytes a send takes from: its buffers, or a SendFile's file (null when that failed the op). */
    private Segments sendSource(KernelOp op) {
        return op.payload instanceof SendFile ? fileSegments(op) : Segments.of(op.payload, false);
    }

    /** A SendFile moves at most this much per op, as a 64 KiB pipe does on Linux (the uring driver's default is larger). */
    static final int SEND_FILE_CHUNK = 64 * 1024;

    /**
     * A SendFile's source, read when the send runs (as the kernel's splice reads the page cache): its file from
     * its offset, at most one chunk. Finishes the op and returns null when the file cannot be read (EBADF,
     * ESPIPE for a socket as Linux's splice says, a fault plan's EIO) or has nothing there (0: end of file).
     */
    private Segments fileSegments(KernelOp op) {
        SendFile p = (SendFile) op.payload;
        SimFile f = resolve(op.driver, p.file());
        if (f == null || (f instanceof OpenFile of && !of.readable)) {
            finish(op, -EBADF.code());
            return null;
        }
        if (!(f instanceof OpenFile file)) {
            finish(op, -ESPIPE.code());
            return null;
        }
        if (faults.fileError()) {
            trace(op.driver.loopIndex(), TraceEvent.Type.FAULT, op.id, op.payload.describe(), 0, "EIO");
            finish(op, -EIO.code());
            return null;
        }
        long n = Math.min(Math.min(p.count(), SEND_FILE_CHUNK), file.inode.size - p.offset());
        if (n <= 0) {
            finish(op, 0);
            return null;
        }
        int shortened = faults.fileShortRead((int) n); // a splice from the page cache may come back short
        if (shortened > 0) {
            trace(op.driver.loopIndex(), TraceEvent.Type.FAULT, op.id, op.payload.describe(), 0,
                    "short file read " + shortened + " of " + n);
            n = shortened;
        }
        return Segments.span(ByteBuffer.wrap(file.inode.data), (int) p.offset(), (int) n);
    }

    private boolean trySend(SimSocket s, KernelOp op) {
        OpPayload p = op.payload;
        if (p instanceof SendFile) {
            Segments from = fileSegments(op);
            return from == null || trySend(s, op, from);
        }
        if (p.buffer() == null && p.buffers() == null) {
            finish(op, -EINVAL.code());
            return true;
        }
        return trySend(s, op, Segments.of(p, false));
    }

    private boolean trySend(SimSocket s, KernelOp op, Segments from) {
        if (defects.contains(Defect.STALL_SENDS)) {
            return false;
        }
        if (s.pendingError != 0) {
            int e = s.pendingError;
            s.pendingError = 0;
            finish(op, -e);
            return true;
        }
        if (s.writeShut || s.state == SimSocket.State.CLOSED) {
            finish(op, -EPIPE.code());
            return true;
        }
        int len = from.total;
        SimSocket p = s.peer;
        if (p == null || p.released) {
            if (s.family == AddressFamily.UNIX) {
                finish(op, -EPIPE.code());
                return true;
            }
            // TCP: the bytes leave, the closed peer answers with RST; the next op sees the error.
            s.pendingError = (s.inEof ? EPIPE : ECONNRESET).code();
            s.writeShut = true;
            finish(op, len);
            return true;
        }
        if (len == 0) {
            finish(op, 0);
            return true;
        }
        if (faults.reset()) {
            trace(op.driver.loopIndex(), TraceEvent.Type.FAULT, op.id, op.payload.describe(), 0, "connection reset");
            resetConnection(s);
            s.pendingError = 0;
            finish(op, -ECONNRESET.code());
            return true;
        }
        int space = p.rcvCapacity - p.in.size();
        if (space <= 0) {
            return false;
        }
        int n = Math.min(len, space);
        int shortened = faults.shortWrite(n);
        if (shortened > 0) {
            trace(op.driver.loopIndex(), TraceEvent.Type.FAULT, op.id, op.payload.describe(), 0,
                    "short write " + shortened + " of " + n);
            n = shortened;
        }
        from.appendTo(p.in, n);
        finish(op, defects.contains(Defect.OVERSTATE_SEND) && n < len ? n + 1 : n);
        pumpRecv(p);
        return true;
    }

    void pumpSend(SimSocket s) {
        while (!s.sendWaiters.isEmpty()) {
            KernelOp w = s.sendWaiters.peekFirst();
            if (!trySend(s, w)) {
                return;
            }
            s.sendWaiters.remove(w);
        }
    }

    private void sendDatagram(KernelOp op, SimSocket s, Segments payload, SimAddress to, boolean explicit) {
        if (explicit && (to == null || to.family() != s.family)) {
            finish(op, -EAFNOSUPPORT.code());
            return;
        }
        if (to == null) {
            if (s.remote == null) {
                finish(op, -EDESTADDRREQ.code());
                return;
            }
            to = s.remote;
        }
        if (s.writeShut) {
            finish(op, -EPIPE.code());
            return;
        }
        int len = payload.total;
        if (len > MAX_DATAGRAM) {
            finish(op, -EMSGSIZE.code());
            return;
        }
        to = to.orLoopback();
        if (to.isV4Mapped() && s.v6only()) {
            finish(op, -ENETUNREACH.code());
            return;
        }
        autobind(s, to);
        SimAddress from = s.local;
        if (from.ip() != null && from.isWildcard()) {
            from = from.withIp(to.ip());
        }
        byte[] data = payload.gather(len);
        SimAddress wire = to.onWire();
        SimSocket dst = findDatagramSocket(wire);
        // The receiver sees the sender in its own family: IPv4 on an IPv6 socket as ::ffff:a.b.c.d.
        from = dst == null || from.family() == AddressFamily.UNIX ? from : from.onWire().as(dst.family);
        if (dst != null && dst.queuedDatagramBytes + len <= dst.rcvCapacity
                && (dst.remote == null || dst.remote.equals(from))) {
            dst.datagrams.addLast(new SimSocket.Datagram(data, from));
            dst.queuedDatagramBytes += len;
            pumpRecv(dst);
        }
        finish(op, len); // UDP: a datagram nobody receives is dropped silently
    }

    // ---------------------------------------------------------------- files

    private void open(KernelOp op, Open p) {
        Set<StandardOpenOption> o = p.options();
        if (o.contains(StandardOpenOption.DELETE_ON_CLOSE)) {
            finish(op, -EINVAL.code());
            return;
        }
        String path = p.path().toAbsolutePath().normalize().toString();
        for (String existing : files.all().keySet()) {
            if (existing.startsWith(path + "/")) {
                finish(op, -EISDIR.code());
                return;
            }
        }
        boolean write = o.contains(StandardOpenOption.WRITE) || o.contains(StandardOpenOption.APPEND);
        boolean read = o.contains(StandardOpenOption.READ) || !write;
        FileStore.Inode inode = files.get(path);
        if (o.contains(StandardOpenOption.CREATE_NEW)) {
            if (inode != null) {
                finish(op, -EEXIST.code());
                return;
            }
            inode = files.create(path);
        } else if (o.contains(StandardOpenOption.CREATE)) {
            if (inode == null) {
                inode = files.create(path);
            }
        } else if (inode == null) {
            finish(op, -ENOENT.code());
            return;
        }
        if (o.contains(StandardOpenOption.TRUNCATE_EXISTING) && write) {
            inode.size = 0;
        }
        int fd = allocFd(new OpenFile(inode, path, read, write, o.contains(StandardOpenOption.APPEND)));
        finish(op, fd);
    }

    private boolean registered(KernelOp op, FixedBuf buf) {
        if (!op.driver.isRegistered(buf)) {
            finish(op, -EFAULT.code());
            return false;
        }
        return true;
    }

    private void read(KernelOp op, IoFd fd, FixedBuf buf, long offset, boolean fixed) {
        if (fixed && !registered(op, buf)) {
            return;
        }
        SimFile f = resolve(op.driver, fd);
        if (f == null) {
            finish(op, -EBADF.code());
            return;
        }
        if (f instanceof SimSocket s) {
            recv(op, fd, 0, null);
            return;
        }
        OpenFile file = (OpenFile) f;
        if (!file.readable) {
            finish(op, -EBADF.code());
            return;
        }
        if (faults.fileError()) {
            trace(op.driver.loopIndex(), TraceEvent.Type.FAULT, op.id, op.payload.describe(), 0, "EIO");
            finish(op, -EIO.code());
            return;
        }
        long pos = offset == -1 ? file.position : offset;
        int n = (int) Math.max(0, Math.min(IoBuffers.fillLength(buf), file.inode.size - pos));
        int shortened = faults.fileShortRead(n);
        if (shortened > 0) {
            trace(op.driver.loopIndex(), TraceEvent.Type.FAULT, op.id, op.payload.describe(), 0,
                    "short read " + shortened + " of " + n);
            n = shortened;
        }
        if (n > 0) {
            IoBuffers.memory(buf).put(IoBuffers.fillOffset(buf), file.inode.data, (int) pos, n);
        }
        if (offset == -1) {
            file.position += n;
        }
        finish(op, n);
    }

    private void write(KernelOp op, IoFd fd, FixedBuf buf, long offset, boolean fixed) {
        if (fixed && !registered(op, buf)) {
            return;
        }
        SimFile f = resolve(op.driver, fd);
        if (f == null) {
            finish(op, -EBADF.code());
            return;
        }
        if (f instanceof SimSocket) {
            send(op, fd, null);
            return;
        }
        OpenFile file = (OpenFile) f;
        if (!file.writable) {
            finish(op, -EBADF.code());
            return;
        }
        if (faults.fileError()) {
            trace(op.driver.loopIndex(), TraceEvent.Type.FAULT, op.id, op.payload.describe(), 0, "EIO");
            finish(op, -EIO.code());
            return;
        }
        long pos = file.append ? file.inode.size : offset == -1 ? file.position : offset;
        int n = IoBuffers.drainLength(buf);
        file.inode.ensure(pos + n);
        if (pos > file.inode.size) {
            java.util.Arrays.fill(file.inode.data, file.inode.size, (int) pos, (byte) 0);
        }
        IoBuffers.memory(buf).get(IoBuffers.drainOffset(buf), file.inode.data, (int) pos, n);
        file.inode.size = (int) Math.max(file.inode.size, pos + n);
        if (offset == -1 || file.append) {
            file.position = pos + n;
        }
        finish(op, n);
    }

    private void fsync(KernelOp op, Fsync p) {
        SimFile f = resolve(op.driver, p.fd());
        if (f == null) {
            finish(op, -EBADF.code());
            return;
        }
        if (!(f instanceof OpenFile file)) {
            finish(op, -EINVAL.code());
            return;
        }
        if (faults.fileError()) {
            trace(op.driver.loopIndex(), TraceEvent.Type.FAULT, op.id, op.payload.describe(), 0, "EIO");
            finish(op, -EIO.code());
            return;
        }
        file.inode.syncs++;
        finish(op, 0);
    }

    private void close(KernelOp op, Close p) {
        IoFd fd = p.fd();
        if (fd instanceof IoFd.Fixed fixed) {
            SimFile f = op.driver.clearFixed(fixed.index());
            if (f == null) {
                finish(op, -EBADF.code());
                return;
            }
            finish(op, 0);
            dropRef(f);
            return;
        }
        long h = ((IoFd.Raw) fd).handle();
        SimFile f = h > Integer.MAX_VALUE ? null : fds.remove((int) h);
        if (f == null) {
            finish(op, -EBADF.code());
            return;
        }
        finish(op, 0);
        dropRef(f);
    }

    // ---------------------------------------------------------------- the scripted peer's view

    /** Open descriptors, for inspection: fd to description. */
    public synchronized Map<Integer, String> descriptors() {
        Map<Integer, String> out = new TreeMap<>();
        fds.forEach((fd, f) -> out.put(fd, f.describe()));
        return out;
    }

    /** The socket behind {@code fd}, or throws naming the fd. */
    SimSocket socketAt(long fd) {
        SimFile f = fd > Integer.MAX_VALUE || fd < 0 ? null : fds.get((int) fd);
        if (f == null) {
            throw new IllegalArgumentException("fd " + fd + " is not open in the simulation; open: " + descriptors());
        }
        if (!(f instanceof SimSocket s)) {
            throw new IllegalArgumentException("fd " + fd + " is a " + f.describe() + ", not a socket");
        }
        return s;
    }

    // ---------------------------------------------------------------- scripting from the test

    private static SimAddress address(java.net.SocketAddress a) {
        SimAddress s = SimAddress.of(SockAddrStorage.of(a, io.veloq.api.net.AddressLayout.LINUX));
        if (s == null) {
            throw new IllegalArgumentException("unsupported address " + a);
        }
        return s;
    }

    /** A scripted client connected to the listener at {@code target}; throws with the errno if refused. */
    public synchronized PeerEnd connectPeer(java.net.SocketAddress target) {
        SimAddress t = address(target).orLoopback();
        SimSocket c = new SimSocket(nextSocketId++, t.family(), SocketType.STREAM);
        c.refs = 1;
        int rc = establish(c, t);
        if (rc < 0) {
            throw new IllegalStateException("scripted peer cannot connect to " + target + ": "
                    + LinuxErrno.TABLE.name(-rc) + " (nothing listens there; listening: " + listeners() + ")");
        }
        trace(-1, TraceEvent.Type.SCRIPT, -1, "peer " + c.local + " connects to " + t, 0, null);
        notifyAll();
        return new PeerEnd(this, c);
    }

    /** A scripted server listening at {@code local}. */
    public synchronized PeerListenerEnd listenPeer(java.net.SocketAddress local) {
        SimAddress a = address(local);
        SimSocket l = new SimSocket(nextSocketId++, a.family(), SocketType.STREAM);
        l.refs = 1;
        int rc = bindTo(l, a);
        if (rc < 0) {
            throw new IllegalStateException("scripted listener cannot bind " + local + ": " + LinuxErrno.TABLE.name(-rc));
        }
        l.state = SimSocket.State.LISTENING;
        l.backlog = Integer.MAX_VALUE;
        trace(-1, TraceEvent.Type.SCRIPT, -1, "peer listens on " + l.local, 0, null);
        return new PeerListenerEnd(this, l);
    }

    private List<String> listeners() {
        List<String> out = new ArrayList<>();
        for (SimSocket b : bound) {
            if (b.state == SimSocket.State.LISTENING) {
                out.add(String.valueOf(b.local));
            }
        }
        return out;
    }

    /** The far end of fd's connection, for scripting, when no descriptor owns it. */
    public synchronized PeerEnd peerOf(long fd) {
        SimSocket s = socketAt(fd);
        if (s.peer == null) {
            throw new IllegalArgumentException("fd " + fd + " (" + s.describe() + ") is not connected");
        }
        for (SimFile f : fds.values()) {
            if (f == s.peer) {
                throw new IllegalArgumentException("the peer of fd " + fd + " is an open descriptor of the code "
                        + "under test; script it with deliver(fd, bytes) or through the runtime instead");
            }
        }
        return new PeerEnd(this, s.peer);
    }

    /** "Deliver these bytes to fd N": they arrive as if its peer had sent them. */
    public synchronized void deliver(long fd, byte[] data) {
        SimSocket s = socketAt(fd);
        trace(-1, TraceEvent.Type.SCRIPT, -1, "deliver " + data.length + " bytes to fd " + fd, 0, null);
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
        pumpRecv(s);
        notifyAll();
    }

    /** A datagram from {@code from} (no socket needed) to whatever is bound at {@code to}. */
    public synchronized boolean datagram(java.net.SocketAddress from, java.net.SocketAddress to, byte[] data) {
        SimAddress f = address(from);
        SimAddress t = address(to).orLoopback();
        trace(-1, TraceEvent.Type.SCRIPT, -1, "datagram of " + data.length + " bytes " + f + " -> " + t, 0, null);
        SimSocket dst = findDatagramSocket(t.onWire());
        if (dst == null) {
            return false;
        }
        dst.datagrams.addLast(new SimSocket.Datagram(data.clone(), f.family() == AddressFamily.UNIX ? f : f.onWire().as(dst.family)));
        dst.queuedDatagramBytes += data.length;
        pumpRecv(dst);
        notifyAll();
        return true;
    }

    /** Datagrams queued at the socket bound to {@code at} are taken by the test: (from, bytes). */
    public synchronized List<Map.Entry<java.net.SocketAddress, byte[]>> takeDatagrams(java.net.SocketAddress at) {
        SimSocket s = findDatagramSocket(address(at).onWire());
        List<Map.Entry<java.net.SocketAddress, byte[]>> out = new ArrayList<>();
        if (s == null) {
            return out;
        }
        SimSocket.Datagram d;
        while ((d = s.datagrams.pollFirst()) != null) {
            SockAddrStorage st = SockAddrStorage.allocate(io.veloq.api.net.AddressLayout.LINUX);
            d.from().writeTo(st);
            out.add(Map.entry(d.from().family() == AddressFamily.UNIX && (d.from().unixName() == null
                    || d.from().unixName().isEmpty()) ? java.net.UnixDomainSocketAddress.of("") : st.toSocketAddress(), d.data()));
        }
        s.queuedDatagramBytes = 0;
        return out;
    }

    /** A datagram socket of the test's own at {@code local}, so {@link #takeDatagrams} can collect. */
    public synchronized void bindPeerDatagram(java.net.SocketAddress local) {
        SimAddress a = address(local);
        SimSocket s = new SimSocket(nextSocketId++, a.family(), SocketType.DATAGRAM);
        s.refs = 1;
        int rc = bindTo(s, a);
        if (rc < 0) {
            throw new IllegalStateException("cannot bind a scripted datagram socket at " + local + ": "
                    + LinuxErrno.TABLE.name(-rc));
        }
    }

    // file store, for the test

    public synchronized void putFile(java.nio.file.Path path, byte[] content) {
        String key = path.toAbsolutePath().normalize().toString();
        FileStore.Inode i = files.get(key);
        if (i == null) {
            i = files.create(key);
        }
        i.ensure(content.length);
        System.arraycopy(content, 0, i.data, 0, content.length);
        i.size = content.length;
    }

    public synchronized byte[] fileContent(java.nio.file.Path path) {
        FileStore.Inode i = files.get(path.toAbsolutePath().normalize().toString());
        return i == null ? null : i.content();
    }

    public synchronized long fileSyncs(java.nio.file.Path path) {
        FileStore.Inode i = files.get(path.toAbsolutePath().normalize().toString());
        return i == null ? -1 : i.syncs;
    }

    public synchronized boolean deleteFile(java.nio.file.Path path) {
        return files.delete(path.toAbsolutePath().normalize().toString());
    }

    // peer-side primitives (lock held by PeerEnd)

    void peerWrite(SimSocket p, byte[] data) {
        SimSocket code = p.peer;
        if (p.writeShut || p.released) {
            throw new IllegalStateException("the scripted peer " + p.describe() + " already shut down its output");
        }
        if (code == null || code.released) {
            p.pendingError = ECONNRESET.code(); // the code's socket is gone: RST
            return;
        }
        code.in.append(data, 0, data.length);
        pumpRecv(code);
    }

    byte[] peerRead(SimSocket p) {
        byte[] out = p.in.takeAll();
        if (p.peer != null) {
            pumpSend(p.peer);
        }
        return out;
    }

    void peerShutdownOutput(SimSocket p) {
        if (!p.writeShut) {
            p.writeShut = true;
            if (p.peer != null && !p.peer.released) {
                p.peer.inEof = true;
                pumpRecv(p.peer);
            }
        }
    }

    void peerClose(SimSocket p) {
        if (!p.released) {
            p.refs = 0;
            release(p);
        }
    }

    void peerReset(SimSocket p) {
        if (!p.released) {
            SimSocket code = p.peer;
            p.released = true;
            p.state = SimSocket.State.CLOSED;
            bound.remove(p);
            if (code != null && !code.released) {
                resetSide(code, ECONNRESET);
            }
        }
    }

    SimSocket acceptPeer(SimSocket listener) {
        SimSocket s = listener.acceptQueue.pollFirst();
        if (s != null) {
            s.refs = 1;
        }
        return s;
    }

    void closePeerListener(SimSocket l) {
        if (!l.released) {
            l.refs = 0;
            release(l);
        }
    }
}
