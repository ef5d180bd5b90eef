package io.veloq.testkit.internal;

import io.veloq.api.Capability;
import io.veloq.api.IoFd;
import io.veloq.api.VeloqIoException;
import io.veloq.api.buffer.FixedBuf;
import io.veloq.api.net.AddressLayout;
import io.veloq.api.net.SockAddrStorage;
import io.veloq.api.op.OpPayload;
import io.veloq.spi.CompletionSink;
import io.veloq.spi.Driver;
import io.veloq.spi.DriverConfig;
import io.veloq.spi.ErrorTable;
import io.veloq.spi.LinuxErrno;
import io.veloq.testkit.TraceEvent;

import java.net.SocketOption;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * One fake driver instance (one "ring"): a bounded submission queue that {@link #submitAndWait} flushes
 * into the {@link FakeKernel}, and a ready list of completions it delivers to the host. It enforces the
 * {@link Driver} contract: every prepared op completes exactly once, the sink is called outside the
 * kernel's lock (so completers may prepare re-entrantly), and user data is never reused while in flight.
 */
public final class FakeDriver implements Driver {
    /** Everything the simulated kernel models (multishot, zero-copy send and linked timeouts it does not). */
    static final Set<Capability> CAPABILITIES = Set.copyOf(EnumSet.of(Capability.FIXED_FILES,
            Capability.REGISTERED_BUFFERS, Capability.UNIX_SOCKETS, Capability.FILE_IO, Capability.SOCKET_OPTIONS,
            Capability.DATAGRAM_SOCKETS, Capability.UNIX_DATAGRAM_SOCKETS, Capability.UNIX_ABSTRACT_NAMES,
            Capability.IPV6_V6ONLY, Capability.MESSAGE_FLAGS, Capability.MULTISHOT, Capability.ZERO_COPY_SEND,
            Capability.XDP, Capability.SEND_FILE));

    /** How long a stuck simulation waits (real time) for another thread before failing. */
    private static final long STALL_GRACE_MILLIS = 300;

    private final FakeKernel kernel;
    private final DriverConfig config;
    private final ArrayDeque<Object> submissions = new ArrayDeque<>();
    private final Map<Long, KernelOp> live = new LinkedHashMap<>();
    /** Completions to deliver, in order: {@link Item}s (intermediate) and {@link KernelOp}s (final). */
    private final ArrayDeque<Object> ready = new ArrayDeque<>();
    /** Provided-buffer groups: the ring's buffers by id, and the ids free for the kernel to fill, in order. */
    private final Map<Integer, FixedBuf[]> groups = new LinkedHashMap<>();
    private final Map<Integer, ArrayDeque<Integer>> freeBuffers = new LinkedHashMap<>();
    private final SimFile[] fixedFiles;
    private ByteBuffer[] registeredSlabs;
    private volatile boolean wakeRequested;
    private boolean closed;
    private long delivered;
    private final FakeXdp xdp;

    private record CancelRequest(long userData) {
    }

    /** An intermediate completion: a multishot item, or a zero-copy send's result. */
    private record Item(KernelOp op, long result, int flags, int bufferId) {
    }

    FakeDriver(FakeKernel kernel, DriverConfig config) {
        this.kernel = kernel;
        this.config = config;
        this.fixedFiles = new SimFile[Math.max(0, config.registeredFiles())];
        this.xdp = new FakeXdp(this, kernel.xdp);
    }

    @Override
    public <F> F facet(Class<F> type) {
        return type == io.veloq.spi.xdp.XdpDriver.class ? type.cast(xdp) : null;
    }

    public FakeKernel kernel() {
        return kernel;
    }

    public int loopIndex() {
        return config.loopIndex();
    }

    /** Completions delivered to the host so far. */
    public long delivered() {
        synchronized (kernel) {
            return delivered;
        }
    }

    @Override
    public String id() {
        return FakeProvider.ID;
    }

    @Override
    public Set<Capability> capabilities() {
        return kernel.capabilities;
    }

    @Override
    public AddressLayout addressLayout() {
        return AddressLayout.LINUX;
    }

    @Override
    public ErrorTable errors() {
        return LinuxErrno.TABLE;
    }

    @Override
    public long nanoTime() {
        return kernel.clock.now();
    }

    // ---------------------------------------------------------------- submission

    @Override
    public int prepare(long userData, OpPayload payload, long preAllocated, long deadlineNanos) {
        synchronized (kernel) {
            if (closed) {
                throw new IllegalStateException("fake driver of loop " + loopIndex() + " is closed; cannot prepare "
                        + payload.describe());
            }
            if (userData < 0) {
                kernel.violation("host passed negative userData " + userData + " for " + payload.describe());
            }
            if (live.containsKey(userData)) {
                kernel.violation("host reused userData " + userData + " for " + payload.describe() + " while "
                        + live.get(userData) + " is still in flight");
            }
            if (submissions.size() >= config.queueDepth()) {
                return 0; // like a full ring: the host keeps the op until the next submitAndWait
            }
            if (!submissions.isEmpty() && kernel.faults.submissionFull()) {
                kernel.trace(loopIndex(), TraceEvent.Type.FAULT, -1, payload.describe(), 0, "submission queue full");
                return 0;
            }
            KernelOp op = kernel.newOp(this, userData, payload);
            live.put(userData, op);
            submissions.addLast(op);
            return 1;
        }
    }

    @Override
    public boolean prepareCancel(long userData) {
        synchronized (kernel) {
            if (submissions.size() >= config.queueDepth()) {
                return false;
            }
            submissions.addLast(new CancelRequest(userData));
            return true;
        }
    }

    private void flush() {
        Object s;
        while ((s = submissions.pollFirst()) != null) {
            if (s instanceof KernelOp op) {
                kernel.start(op);
            } else {
                kernel.cancel(this, ((CancelRequest) s).userData());
            }
        }
    }

    // ---------------------------------------------------------------- completion

    @Override
    public int submitAndWait(long timeoutNanos, CompletionSink sink) throws VeloqIoException {
        Object[] batch;
        synchronized (kernel) {
            if (closed) {
                throw new IllegalStateException("fake driver of loop " + loopIndex() + " is closed");
            }
            flush();
            kernel.runDue();
            if (ready.isEmpty() && timeoutNanos != 0 && !wakeRequested && !xdp.anyReady()) {
                if (kernel.clock.isVirtual()) {
                    idleInVirtualTime(timeoutNanos);
                } else {
                    waitInRealTime(timeoutNanos);
                }
            }
            wakeRequested = false;
            if (ready.isEmpty()) {
                batch = null;
            } else {
                batch = ready.toArray();
                ready.clear();
                for (Object o : batch) {
                    if (o instanceof KernelOp op) {
                        live.remove(op.userData);
                    }
                }
                delivered += batch.length;
            }
        }
        int fired = xdp.fireReady(); // AF_XDP readiness, like a poll completing
        if (batch == null) {
            return fired;
        }
        boolean duplicate = kernel.defects.contains(Defect.DUPLICATE_COMPLETIONS);
        for (Object o : batch) {
            if (o instanceof Item i) {
                sink.complete(i.op().userData, i.result(), i.flags(), i.bufferId());
                continue;
            }
            KernelOp op = (KernelOp) o;
            int flags = op.notif ? CompletionSink.NOTIF : 0;
            sink.complete(op.userData, op.result, flags, 0);
            if (duplicate) {
                sink.complete(op.userData, op.result, flags, 0);
            }
        }
        return batch.length + fired;
    }

    private void waitInRealTime(long timeoutNanos) {
        long deadline = timeoutNanos < 0 ? Agenda.NEVER : kernel.clock.now() + timeoutNanos;
        while (ready.isEmpty() && !wakeRequested) {
            long now = kernel.clock.now();
            if (now >= deadline) {
                return;
            }
            long next = Math.min(deadline, kernel.agenda.nextTime());
            try {
                if (next == Agenda.NEVER) {
                    kernel.wait();
                } else if (next > now) {
                    long nanos = next - now;
                    kernel.wait(nanos / 1_000_000, (int) (nanos % 1_000_000));
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            kernel.runDue();
        }
    }

    /**
     * Nothing is ready: move virtual time to the next thing that can happen (an agenda event, or the host's
     * timer that bounds {@code timeoutNanos}), never past the simulation's limit. When nothing can ever
     * happen and no simulation method is driving, the test would hang: fail with the state instead.
     */
    private void idleInVirtualTime(long timeoutNanos) {
        SimClock clock = kernel.clock;
        long now = clock.now();
        long limit = clock.limit();
        long next = kernel.agenda.nextTime();
        if (timeoutNanos > 0 && now + timeoutNanos >= now) {
            next = Math.min(next, now + timeoutNanos);
        }
        if (next != Agenda.NEVER && next <= limit) {
            clock.advanceTo(next);
            kernel.runDue();
            return;
        }
        if (limit != Agenda.NEVER) {
            clock.advanceTo(limit);
            kernel.runDue();
            return;
        }
        if (kernel.driven) {
            return;
        }
        // Maybe another thread will submit or wake us: give it a moment of real time.
        long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(STALL_GRACE_MILLIS);
        while (ready.isEmpty() && !wakeRequested && kernel.agenda.nextTime() == Agenda.NEVER) {
            long left = until - System.nanoTime();
            if (left <= 0) {
                throw new SimulationStuck("the simulation is stuck at virtual time " + Durations.text(now)
                        + ": the event loop waits for a completion, but no op can complete and no timer is pending. "
                        + kernel.describeState() + "\n" + SimulationStuck.rerun(kernel.seed)
                        + "\nlast events:\n" + kernel.trace().tail(15));
            }
            try {
                kernel.wait(Math.max(1, left / 1_000_000));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
        kernel.runDue();
    }

    /** Called by the kernel (lock held) when an op's completion is decided and due. */
    void ready(KernelOp op) {
        if (op.driver != this) {
            throw new IllegalStateException("completion of " + op + " routed to loop " + loopIndex());
        }
        ready.addLast(op);
    }

    /** Called by the kernel (lock held): an intermediate completion of a live op, delivered in order. */
    void post(KernelOp op, long result, int flags, int bufferId) {
        op.items++;
        ready.addLast(new Item(op, result, flags | CompletionSink.MORE, bufferId));
    }

    /** The next free buffer id of {@code group} (the kernel takes it to fill it), or -1: the ring is dry. */
    int takeBuffer(int group) {
        ArrayDeque<Integer> free = freeBuffers.get(group);
        Integer id = free == null ? null : free.pollFirst();
        return id == null ? -1 : id;
    }

    /** Buffer {@code id} of {@code group}, or null for an unknown group. */
    FixedBuf buffer(int group, int id) {
        FixedBuf[] b = groups.get(group);
        return b == null ? null : b[id];
    }

    boolean hasGroup(int group) {
        return groups.containsKey(group);
    }

    @Override
    public void registerBufRing(int group, FixedBuf[] buffers) {
        synchronized (kernel) {
            if (groups.containsKey(group)) {
                throw new IllegalStateException("buffer group " + group + " is already registered on loop " + loopIndex());
            }
            groups.put(group, buffers.clone());
            ArrayDeque<Integer> free = new ArrayDeque<>();
            for (int i = 0; i < buffers.length; i++) {
                free.addLast(i);
            }
            freeBuffers.put(group, free);
        }
    }

    @Override
    public void provideBuffer(int group, int bufferId) {
        synchronized (kernel) {
            ArrayDeque<Integer> free = freeBuffers.get(group);
            if (free == null) {
                kernel.violation("host gave back buffer " + bufferId + " of unknown group " + group);
                return;
            }
            if (free.contains(bufferId)) {
                kernel.violation("host gave back buffer " + bufferId + " of group " + group + " twice");
                return;
            }
            free.addLast(bufferId);
        }
    }

    @Override
    public void unregisterBufRing(int group) {
        synchronized (kernel) {
            groups.remove(group);
            freeBuffers.remove(group);
        }
    }

    KernelOp live(long userData) {
        return live.get(userData);
    }

    Collection<KernelOp> liveOps() {
        return new ArrayList<>(live.values());
    }

    /** Ops prepared and not yet delivered (inspection). */
    public int liveCount() {
        synchronized (kernel) {
            return live.size();
        }
    }

    @Override
    public void wakeup() {
        wakeRequested = true;
        synchronized (kernel) {
            kernel.notifyAll();
        }
    }

    // ---------------------------------------------------------------- registered resources

    @Override
    public void registerBuffers(ByteBuffer[] slabs) {
        synchronized (kernel) {
            registeredSlabs = slabs.clone();
        }
    }

    boolean isRegistered(FixedBuf buf) {
        return registeredSlabs != null && buf.pool().isRegistered() && buf.regionIndex() < registeredSlabs.length;
    }

    @Override
    public int registerFile(long handle) throws VeloqIoException {
        synchronized (kernel) {
            SimFile f = kernel.resolveRaw(handle);
            if (f == null) {
                throw LinuxErrno.TABLE.exception(LinuxErrno.EBADF.code(), "register fd " + handle + " as a fixed file");
            }
            for (int i = 0; i < fixedFiles.length; i++) {
                if (fixedFiles[i] == null) {
                    fixedFiles[i] = f;
                    kernel.addRef(f);
                    return i;
                }
            }
            throw new IllegalStateException("the registered-file table of loop " + loopIndex() + " is full ("
                    + fixedFiles.length + " slots); fd " + handle + " not registered");
        }
    }

    @Override
    public void unregisterFile(int index) throws VeloqIoException {
        synchronized (kernel) {
            SimFile f = clearFixed(index);
            if (f == null) {
                throw LinuxErrno.TABLE.exception(LinuxErrno.EBADF.code(), "unregister fixed file #" + index);
            }
            kernel.dropRef(f);
        }
    }

    SimFile fixedFile(int index) {
        return index < fixedFiles.length ? fixedFiles[index] : null;
    }

    SimFile clearFixed(int index) {
        if (index >= fixedFiles.length) {
            return null;
        }
        SimFile f = fixedFiles[index];
        fixedFiles[index] = null;
        return f;
    }

    // ---------------------------------------------------------------- socket control

    @Override
    public void bind(IoFd fd, SockAddrStorage local) throws VeloqIoException {
        kernel.net.bind(this, fd, local);
    }

    @Override
    public void listen(IoFd fd, int backlog) throws VeloqIoException {
        kernel.net.listen(this, fd, backlog);
    }

    @Override
    public void localAddress(IoFd fd, SockAddrStorage out) throws VeloqIoException {
        kernel.net.localAddress(this, fd, out);
    }

    @Override
    public void remoteAddress(IoFd fd, SockAddrStorage out) throws VeloqIoException {
        kernel.net.remoteAddress(this, fd, out);
    }

    @Override
    public <T> void setOption(IoFd fd, SocketOption<T> option, T value) throws VeloqIoException {
        kernel.net.setOption(this, fd, option, value);
    }

    @Override
    public <T> T getOption(IoFd fd, SocketOption<T> option) throws VeloqIoException {
        return kernel.net.getOption(this, fd, option);
    }

    // ---------------------------------------------------------------- close

    @Override
    public void close() {
        if (!closed) {
            xdp.closeAll(); // AF_XDP sockets the user left open
        }
        synchronized (kernel) {
            if (closed) {
                return;
            }
            closed = true;
            if (!live.isEmpty()) {
                List<String> ops = new ArrayList<>();
                for (KernelOp op : live.values()) {
                    ops.add(op.toString());
                }
                kernel.violation("driver of loop " + loopIndex() + " closed with " + live.size()
                        + " ops not completed: " + ops);
            }
            for (int i = 0; i < fixedFiles.length; i++) {
                SimFile f = clearFixed(i);
                if (f != null) {
                    kernel.dropRef(f);
                }
            }
            kernel.driverClosed(this);
            kernel.notifyAll();
        }
    }

    @Override
    public String toString() {
        return "FakeDriver(loop " + loopIndex() + ", seed " + kernel.seed + ")";
    }
}
