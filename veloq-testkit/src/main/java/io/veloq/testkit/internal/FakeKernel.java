package io.veloq.testkit.internal;

import io.veloq.api.IoFd;
import io.veloq.api.op.RecvMultishot;
import io.veloq.api.Capability;
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
import io.veloq.api.op.SendTo;
import io.veloq.api.op.Shutdown;
import io.veloq.api.op.Socket;
import io.veloq.api.op.Timeout;
import io.veloq.api.op.Write;
import io.veloq.api.op.WriteFixed;
import io.veloq.spi.DriverConfig;
import io.veloq.spi.LinuxErrno;
import io.veloq.testkit.FaultPlan;
import io.veloq.testkit.Trace;
import io.veloq.testkit.TraceEvent;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import static io.veloq.spi.LinuxErrno.EBADF;
import static io.veloq.spi.LinuxErrno.ECANCELED;
import static io.veloq.spi.LinuxErrno.EINVAL;
import static io.veloq.spi.LinuxErrno.EMFILE;

/**
 * The simulated kernel behind every fake driver instance of one provider: a process (descriptor table,
 * lowest free fd first, from 3), a network where every address is this host's, a file store, a clock and
 * an agenda of future events. It reports errors exactly as Linux does (errno values of
 * {@link LinuxErrno}), so code tested here sees what it will see on io_uring.
 *
 * <p>This class holds the process and the op lifecycle: the descriptor table, time, the trace, starting,
 * finishing and cancelling ops, and the test's control of single ops (scripted failures, held ops). The rest
 * has a room of its own: {@link SimNetwork} (sockets, addresses, connections, options), {@link SimDataPath}
 * (receives, sends, datagrams), {@link SimFiles} (files and their ops), {@link ScriptedPeers} (the test's side
 * of the network) and {@link FakeXdpNetwork} (AF_XDP).
 *
 * <p>Thread-safety: every method runs under this object's monitor; drivers on several loop threads share
 * it and wait on it. Completions are handed to the owning driver's ready list; the driver delivers them to
 * the host outside the lock.
 */
public final class FakeKernel {
    static final int FD_LIMIT = 1024;

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
    /** Sockets: addresses, ports, listeners, connections, options. */
    final SimNetwork net = new SimNetwork(this);
    /** Bytes and datagrams moving between sockets. */
    final SimDataPath data = new SimDataPath(this);
    /** Files: the store and the file ops. */
    public final SimFiles files = new SimFiles(this);
    /** The test's side of the network: scripted clients, listeners and datagrams. */
    public final ScriptedPeers peers = new ScriptedPeers(this);
    /** The AF_XDP side: interfaces, programs, transmitted frames. */
    public final FakeXdpNetwork xdp = new FakeXdpNetwork(this);
    private final TreeMap<Integer, SimFile> fds = new TreeMap<>();
    private final List<FakeDriver> drivers = new ArrayList<>();
    private final ArrayDeque<ScriptedFailure> scripted = new ArrayDeque<>();
    private final ArrayDeque<TraceEvent> trace = new ArrayDeque<>();
    private final int traceLimit;
    private final List<String> violations = new ArrayList<>();
    private long traceDropped;
    private long nextTraceSeq;
    private long nextOpId;
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

    /** Records a fault the plan injected into {@code op}. */
    void traceFault(KernelOp op, String detail) {
        trace(op.driver.loopIndex(), TraceEvent.Type.FAULT, op.id, op.payload.describe(), 0, detail);
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
            traceFault(op, "scripted " + LinuxErrno.TABLE.name(f.errno()));
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
            case SOCKET -> net.socket(op, (Socket) p);
            case ACCEPT, ACCEPT_MULTISHOT -> net.accept(op, p.fd());
            case CONNECT -> net.connect(op, (Connect) p);
            case SHUTDOWN -> data.shutdown(op, (Shutdown) p);
            case RECV -> data.recv(op, p.fd(), ((Recv) p).flags(), null);
            case RECV_FROM -> data.recv(op, p.fd(), 0, ((RecvFrom) p).from());
            case RECV_MSG -> data.recv(op, p.fd(), ((RecvMsg) p).flags(), null);
            case RECV_MULTISHOT -> data.recvMultishot(op, (RecvMultishot) p);
            case SEND, SEND_MSG, SEND_FILE -> data.send(op, p.fd(), null);
            case SEND_TO -> data.send(op, p.fd(), ((SendTo) p).to());
            case READ -> files.read(op, p.fd(), ((Read) p).buf(), ((Read) p).offset(), false);
            case READ_FIXED -> files.read(op, p.fd(), ((ReadFixed) p).buf(), ((ReadFixed) p).offset(), true);
            case WRITE -> files.write(op, p.fd(), ((Write) p).buf(), ((Write) p).offset(), false);
            case WRITE_FIXED -> files.write(op, p.fd(), ((WriteFixed) p).buf(), ((WriteFixed) p).offset(), true);
            case OPEN -> files.open(op, (Open) p);
            case FSYNC -> files.fsync(op, (Fsync) p);
            case CLOSE -> close(op, (Close) p);
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
            traceFault(op, "completion delayed " + delay + " ns");
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

    // ---------------------------------------------------------------- descriptors (the process's table)

    int allocFd(SimFile f) {
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

    void release(SimFile f) {
        f.released = true;
        if (f instanceof SimSocket s) {
            net.release(s);
        }
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

    /** Whether {@code f} is open under some descriptor number. */
    boolean hasDescriptor(SimFile f) {
        return fds.containsValue(f);
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
}
