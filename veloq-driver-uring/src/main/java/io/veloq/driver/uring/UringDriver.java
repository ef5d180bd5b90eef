package io.veloq.driver.uring;

import io.veloq.api.Capability;
import io.veloq.api.IoFd;
import io.veloq.api.VeloqIoException;
import io.veloq.api.net.AddressLayout;
import io.veloq.api.net.SockAddrStorage;
import io.veloq.api.op.Close;
import io.veloq.api.op.OpKind;
import io.veloq.api.op.OpPayload;
import io.veloq.api.op.RecvFrom;
import io.veloq.driver.uring.ffi.Syscalls;
import io.veloq.spi.CompletionSink;
import io.veloq.spi.Driver;
import io.veloq.spi.DriverConfig;
import io.veloq.spi.ErrorTable;
import io.veloq.spi.LinuxErrno;

import java.net.SocketOption;
import java.nio.ByteBuffer;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static io.veloq.driver.uring.IoUringAbi.*;

/**
 * One io_uring driven by one loop thread: ops become SQEs in {@link #prepare}, and
 * {@link #submitAndWait} drains the CQ, submits every queued SQE and, when asked to wait, waits in the
 * same {@code io_uring_enter}. Internal requests (the armed eventfd read that {@link #wakeup()} completes,
 * cancels, linked timeouts) carry negative user data and never reach the sink.
 *
 * <pre>{@code
 * try (IoRuntime rt = IoRuntime.builder().driver("uring").open()) {
 *     rt.loop().call(new Nop()).valueOrThrow();
 * }
 * }</pre>
 */
final class UringDriver implements Driver {
    static final long WAKE = -1;
    static final long CANCEL = -2;
    static final long LINK_TIMEOUT = -3;
    static final long WAIT_TIMER = -4;
    private static final long CLOSE_DRAIN_NANOS = TimeUnit.SECONDS.toNanos(5);

    /**
     * What every ring supports on the kernels the driver accepts (5.6+): files, TCP/UDP/Unix stream and
     * datagram sockets, abstract Unix names, socket options including IPV6_V6ONLY, and recv/send flags (passed
     * to the kernel as they are). The rest depends on the probe and the setup.
     */
    static EnumSet<Capability> baseCapabilities() {
        return EnumSet.of(Capability.FILE_IO, Capability.UNIX_SOCKETS, Capability.SOCKET_OPTIONS,
                Capability.DATAGRAM_SOCKETS, Capability.UNIX_DATAGRAM_SOCKETS, Capability.UNIX_ABSTRACT_NAMES,
                Capability.IPV6_V6ONLY, Capability.MESSAGE_FLAGS);
    }
    private static final int ETIME = LinuxErrno.ETIME.code();
    private static final int ECANCELED = LinuxErrno.ECANCELED.code();

    private final Syscalls sys;
    private final NativeMemory mem;
    private final Ring ring;
    private final SlotTable slots;
    private final BufferAddresses buffers;
    private final BufferTable bufferTable;
    private final FixedFiles fixedFiles;
    private final SqeEncoder encoder;
    private final SocketControl control;
    private final Set<Capability> capabilities;
    private final boolean deferTaskrun;
    private final boolean taskrunFlag;
    private final boolean extArg;
    private final ByteBuffer cq;
    private final int cqesOffset;
    private final int cqMask;
    private final int sqMask;
    private final int sqEntries;
    private final int eventFd;
    private final long wakeBuf;
    private final long one;
    private final long waitArg;
    private final ByteBuffer waitArgView;
    private final Thread owner;

    private int sqTail;
    private int sqHead;
    private int cqHead;
    private int internalInFlight;
    private boolean wakeArmed;
    private int wakeError;
    private boolean waitTimerArmed;
    private long enters;
    private long staleCompletions;
    private long overflowTurns;
    private boolean closing;

    /** The AF_XDP facet, when the kernel has AF_XDP; null otherwise. */
    private final UringXdp xdp;

    private final AtomicBoolean wakePending = new AtomicBoolean();
    private final Object wakeLock = new Object();
    private volatile boolean closed;

    private UringDriver(Parts p) {
        this.sys = p.mem.syscalls();
        this.mem = p.mem;
        this.ring = p.ring;
        this.slots = p.slots;
        this.buffers = p.buffers;
        this.fixedFiles = p.fixedFiles;
        this.bufferTable = new BufferTable(mem, ring.fd, buffers,
                !"reregister".equals(p.bufferTableOption));
        this.eventFd = p.eventFd;
        this.wakeBuf = p.wakeBuf;
        this.one = p.one;
        this.waitArg = p.waitArg;
        this.waitArgView = mem.view(waitArg, GETEVENTS_ARG_SIZE + 16);
        this.encoder = new SqeEncoder(ring.sqes, p.supported, mem, slots, buffers, fixedFiles);
        this.control = new SocketControl(mem, i -> fixedFiles == null ? -1 : fixedFiles.rawFd(i));
        this.deferTaskrun = (ring.flags & SETUP_DEFER_TASKRUN) != 0;
        this.taskrunFlag = (ring.flags & SETUP_TASKRUN_FLAG) != 0;
        this.extArg = (ring.features & FEAT_EXT_ARG) != 0 && !"timeout-sqe".equals(p.timedWait);
        this.cq = ring.cq;
        this.cqesOffset = ring.cqesOffset;
        this.cqMask = ring.cqMask;
        this.sqMask = ring.sqMask;
        this.sqEntries = ring.sqEntries;
        this.owner = Thread.currentThread();
        EnumSet<Capability> caps = baseCapabilities();
        if (p.supported[OP_READ_FIXED] && p.supported[OP_WRITE_FIXED]) {
            caps.add(Capability.REGISTERED_BUFFERS);
        }
        if (p.supported[OP_LINK_TIMEOUT]) {
            caps.add(Capability.LINKED_TIMEOUTS);
        }
        if (fixedFiles != null) {
            caps.add(Capability.FIXED_FILES);
        }
        this.xdp = p.xdp ? new UringXdp(this, sys) : null;
        if (xdp != null) {
            caps.add(Capability.XDP);
        }
        this.capabilities = Set.copyOf(caps);
        // The io_uring_getevents_arg for timed waits points at the timespec right after it.
        waitArgView.putLong(GETEVENTS_ARG_TS, waitArg + GETEVENTS_ARG_SIZE);
        armWake();
    }

    /** What open() builds before the driver exists, so a failure half-way frees exactly what was made. */
    private static final class Parts {
        NativeMemory mem;
        Ring ring;
        boolean[] supported;
        SlotTable slots;
        BufferAddresses buffers;
        FixedFiles fixedFiles;
        int eventFd = -1;
        long wakeBuf;
        long one;
        long waitArg;
        String timedWait;
        boolean xdp;
        String bufferTableOption;

        void free() {
            if (fixedFiles != null) {
                fixedFiles.close();
            }
            if (slots != null) {
                slots.free();
            }
            if (ring != null) {
                ring.close();
            }
            if (eventFd >= 0) {
                mem.syscalls().close(eventFd);
            }
            mem.free(wakeBuf);
            mem.free(one);
            mem.free(waitArg);
        }
    }

    /**
     * Opens a ring for {@code config}. Options: {@code uring.setup-flags=none} (ask for no optional setup
     * flag: the fallback path), {@code uring.cq-entries=N}, {@code uring.timed-wait=timeout-sqe} (timed
     * waits through a TIMEOUT SQE instead of {@code IORING_ENTER_EXT_ARG}), {@code uring.buffer-table=reregister}
     * (grow the registered-buffer table by registering it again, the pre-5.19 fallback, instead of a
     * sparse table).
     */
    static UringDriver open(DriverConfig config, Syscalls sys) throws java.io.IOException {
        Parts p = new Parts();
        p.mem = new NativeMemory(sys);
        try {
            // The kernel's limits: 32768 SQ entries (IORING_MAX_ENTRIES), 65536 CQ entries.
            int entries = Math.min(32768, Math.max(4, config.queueDepth()));
            int inFlight = Math.max(1, config.maxInFlight());
            // Room in the CQ for every op plus its linked timeout, so overflow stays the exception.
            long roomy = Math.max(2L * entries, Long.highestOneBit(2L * inFlight + 63) * 2);
            int cqWanted = Integer.parseInt(config.option("uring.cq-entries", String.valueOf(Math.min(1 << 16, roomy))));
            List<Integer> chain = "none".equals(config.option("uring.setup-flags", ""))
                    ? SetupFlags.noneChain() : SetupFlags.preferredChain();
            p.timedWait = config.option("uring.timed-wait", "ext-arg");
            p.bufferTableOption = config.option("uring.buffer-table", "sparse");
            if (!"sparse".equals(p.bufferTableOption) && !"reregister".equals(p.bufferTableOption)) {
                throw new java.io.IOException("option uring.buffer-table=" + p.bufferTableOption
                        + " is not one of sparse, reregister");
            }
            try {
                p.ring = Ring.open(p.mem, entries, cqWanted, chain);
            } catch (Ring.SetupException e) {
                throw new java.io.IOException(KernelProbe.explain(e.errno, e.getMessage()), e);
            }
            p.xdp = p.ring != null && xdpSupported(sys);
            p.supported = KernelProbe.supportedOps(p.mem, p.ring.fd);
            if (p.supported == null) {
                throw new java.io.IOException("IORING_REGISTER_PROBE failed on ring fd " + p.ring.fd
                        + ": the kernel is too old for the io_uring driver (needs Linux 5.6 or later)");
            }
            p.slots = new SlotTable(p.mem, inFlight);
            p.buffers = new BufferAddresses(sys);
            p.fixedFiles = FixedFiles.register(p.mem, p.ring.fd, config.registeredFiles());
            long efd = sys.eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
            if (efd < 0) {
                throw new java.io.IOException("eventfd for the io_uring wake-up failed: "
                        + LinuxErrno.TABLE.name((int) -efd) + " (" + LinuxErrno.TABLE.describe((int) -efd) + ")");
            }
            p.eventFd = (int) efd;
            p.wakeBuf = p.mem.allocate(8, "wake-up read buffer");
            p.one = p.mem.allocate(8, "wake-up value");
            p.mem.view(p.one, 8).putLong(0, 1L);
            p.waitArg = p.mem.allocate(GETEVENTS_ARG_SIZE + 16, "io_uring_getevents_arg and timespec");
            return new UringDriver(p);
        } catch (java.io.IOException | RuntimeException | Error e) {
            p.free();
            throw e;
        }
    }

    private static volatile Boolean xdpSupported;

    private static boolean xdpSupported(Syscalls sys) {
        Boolean b = xdpSupported;
        if (b == null) {
            b = UringXdp.kernelSupports(sys);
            xdpSupported = b;
        }
        return b;
    }

    // ---- identity ----

    @Override
    public String id() {
        return UringProvider.ID;
    }

    @Override
    public Set<Capability> capabilities() {
        return capabilities;
    }

    @Override
    public AddressLayout addressLayout() {
        return AddressLayout.LINUX;
    }

    @Override
    public ErrorTable errors() {
        return LinuxErrno.TABLE;
    }

    /** The setup flags the kernel accepted, e.g. {@code SINGLE_ISSUER|DEFER_TASKRUN|...}. */
    String setupFlags() {
        return SetupFlags.names(ring.flags);
    }

    int sqEntries() {
        return sqEntries;
    }

    int cqEntries() {
        return ring.cqEntries;
    }

    /** io_uring_enter calls so far (tests check "at most one per submitAndWait"). */
    long enters() {
        return enters;
    }

    /** Native allocations and mappings of this instance still live. */
    int liveNativeAllocations() {
        return mem.live();
    }

    /** Turns that found the CQ overflowed (completions held back by the kernel, then flushed). */
    long overflowTurns() {
        return overflowTurns;
    }

    long staleCompletions() {
        return staleCompletions;
    }

    @Override
    public <F> F facet(Class<F> type) {
        return type == io.veloq.spi.xdp.XdpDriver.class && xdp != null ? type.cast(xdp) : null;
    }

    /** The AF_XDP facet, or null (tests). */
    UringXdp xdp() {
        return xdp;
    }

    boolean isClosing() {
        return closing;
    }

    /** Queues an internal one-shot POLL_ADD (AF_XDP readiness); false when the SQ has no room now. */
    boolean pollAdd(int fd, int pollMask, long userData) {
        if (closing || !hasRoom(1 + reserved())) {
            return false;
        }
        encoder.encodePollAdd(sqTail & sqMask, fd, pollMask, userData);
        sqTail++;
        internalInFlight++;
        return true;
    }

    /** Queues a cancel of an internal request; false when the SQ has no room now. */
    boolean cancelInternal(long target) {
        if (!hasRoom(1 + (closing ? 0 : reserved()))) {
            return false;
        }
        encoder.encodeCancel(sqTail & sqMask, target, 0, CANCEL);
        sqTail++;
        internalInFlight++;
        return true;
    }

    // ---- submission ----

    /** SQ entries ops may not take: room to re-arm the wake-up read and, without EXT_ARG, a wait timer. */
    private int reserved() {
        return (wakeArmed ? 0 : 1) + (extArg || waitTimerArmed ? 0 : 1);
    }

    private boolean hasRoom(int n) {
        if (sqEntries - (sqTail - sqHead) >= n) {
            return true;
        }
        sqHead = ring.sqHead();
        return sqEntries - (sqTail - sqHead) >= n;
    }

    @Override
    public int prepare(long userData, OpPayload payload, long preAllocated, long deadlineNanos) {
        if (closing) {
            throw new IllegalStateException("io_uring driver is closed: cannot prepare " + payload.describe());
        }
        int rc = encoder.check(payload);
        if (rc < 0) {
            return rc;
        }
        boolean link = deadlineNanos > 0;
        // Closing a descriptor does not end the requests pending on it (each holds its own reference to the
        // file), so a Close is preceded by a cancel of everything on that fd: they complete with ECANCELED,
        // as the Close op's contract says. Kernels before 5.19 refuse the cancel; the close runs anyway.
        boolean cancelFd = payload.kind() == OpKind.CLOSE && payload.fd() instanceof IoFd.Raw;
        if (!hasRoom((link ? 2 : 1) + (cancelFd ? 1 : 0) + reserved())) {
            return 0;
        }
        int slot = slots.acquire(userData, payload);
        if (slot < 0) {
            return 0;
        }
        int at = cancelFd ? sqTail + 1 : sqTail; // the cancel goes first; the kernel reads nothing past the tail yet
        rc = encoder.encode(at & sqMask, payload, slot, slots.kernelUserData(slot), link);
        if (rc < 0) {
            slots.release(slot);
            return rc;
        }
        if (cancelFd) {
            encoder.encodeCancelFd(sqTail & sqMask, (int) ((IoFd.Raw) payload.fd()).handle(), CANCEL);
            sqTail++;
            internalInFlight++;
        }
        sqTail++;
        if (link) {
            encoder.encodeLinkTimeout(sqTail & sqMask, slot, deadlineNanos, LINK_TIMEOUT);
            sqTail++;
            internalInFlight++;
        }
        return 1;
    }

    @Override
    public boolean prepareCancel(long userData) {
        int slot = slots.find(userData);
        if (slot < 0) {
            return true; // already completed (or never here): nothing to cancel
        }
        if (!hasRoom(1 + reserved())) {
            return false;
        }
        encoder.encodeCancel(sqTail & sqMask, slots.kernelUserData(slot), 0, CANCEL);
        sqTail++;
        internalInFlight++;
        return true;
    }

    private void armWake() {
        if (!wakeArmed && wakeError == 0 && hasRoom(1)) {
            encoder.encodeRead(sqTail & sqMask, eventFd, wakeBuf, 8, WAKE);
            sqTail++;
            wakeArmed = true;
            internalInFlight++;
        }
    }

    @Override
    public int submitAndWait(long timeoutNanos, CompletionSink sink) throws VeloqIoException {
        if (closing) {
            throw new IllegalStateException("io_uring driver is closed");
        }
        if (wakeError != 0) {
            throw LinuxErrno.TABLE.exception(wakeError, "the wake-up read on eventfd " + eventFd + " of ring fd " + ring.fd);
        }
        if (xdp != null && xdp.hasPending()) {
            xdp.flushPending();
        }
        int delivered = drain(sink);
        armWake();
        boolean busy = xdp != null && xdp.busyPolling();
        boolean wait = delivered == 0 && timeoutNanos != 0 && !busy;
        sqHead = ring.sqHead();
        int sqFlags = ring.sqFlags();
        if ((sqFlags & SQ_CQ_OVERFLOW) != 0) {
            overflowTurns++; // completions wait in the kernel's overflow list: GETEVENTS flushes them
        }
        boolean flush = (sqFlags & (SQ_CQ_OVERFLOW | SQ_TASKRUN)) != 0;
        // Without TASKRUN_FLAG a deferred-taskrun ring cannot tell whether completions wait to be posted.
        boolean blind = deferTaskrun && !taskrunFlag;
        if (sqTail != sqHead || wait || flush || blind) {
            enter(wait, timeoutNanos);
            delivered += drain(sink);
        }
        if (busy) {
            delivered += xdp.runBusy();
        }
        return delivered;
    }

    /** The one io_uring_enter of a turn: submits what is queued and, if asked, waits for a completion. */
    private void enter(boolean wait, long timeoutNanos) throws VeloqIoException {
        // GETEVENTS always: with DEFER_TASKRUN completions are posted only while the issuer is in GETEVENTS.
        int flags = ENTER_GETEVENTS;
        boolean timed = wait && timeoutNanos > 0;
        if (timed) {
            waitArgView.putLong(GETEVENTS_ARG_SIZE, timeoutNanos / 1_000_000_000L);
            waitArgView.putLong(GETEVENTS_ARG_SIZE + 8, timeoutNanos % 1_000_000_000L);
            if (!extArg && !waitTimerArmed && hasRoom(1)) {
                // Expires after the timeout, or completes as soon as any other completion is posted.
                encoder.encodeTimeout(sqTail & sqMask, waitArg + GETEVENTS_ARG_SIZE, 1, WAIT_TIMER);
                sqTail++;
                waitTimerArmed = true;
                internalInFlight++;
            }
        }
        sqHead = ring.sqHead();
        int toSubmit = sqTail - sqHead;
        if (toSubmit > 0) {
            ring.publishSqTail(sqTail);
        }
        long rc = timed && extArg
                ? sys.ioUringEnter(ring.fd, toSubmit, 1, flags | ENTER_EXT_ARG, waitArg, GETEVENTS_ARG_SIZE)
                : sys.ioUringEnter(ring.fd, toSubmit, wait ? 1 : 0, flags);
        enters++;
        sqHead = ring.sqHead();
        if (rc < 0) {
            int errno = (int) -rc;
            if (errno == LinuxErrno.EINTR.code() || errno == ETIME || errno == LinuxErrno.EAGAIN.code()
                    || errno == LinuxErrno.EBUSY.code()) {
                return; // woken, timed out, or no resources this turn: what was not consumed goes next turn
            }
            if (errno == LinuxErrno.EEXIST.code()) {
                throw LinuxErrno.TABLE.exception(errno, "io_uring_enter on ring fd " + ring.fd + " from thread "
                        + Thread.currentThread().getName() + ": the ring was set up SINGLE_ISSUER by thread "
                        + owner.getName() + " and only that thread may submit");
            }
            throw LinuxErrno.TABLE.exception(errno, "io_uring_enter(ring fd " + ring.fd + ", submit " + toSubmit
                    + (wait ? ", wait" : "") + ")");
        }
    }

    // ---- completion ----

    private int drain(CompletionSink sink) {
        int n = 0;
        ByteBuffer cq = this.cq;
        while (true) {
            int tail = ring.cqTail();
            if (tail == cqHead) {
                return n;
            }
            // "tail - cqHead > 0", not "!=": a completer may re-enter and drain further than this tail.
            while (tail - cqHead > 0) {
                int off = cqesOffset + (cqHead & cqMask) * CQE_SIZE;
                long ud = cq.getLong(off + CQE_USER_DATA);
                int res = cq.getInt(off + CQE_RES);
                ring.publishCqHead(++cqHead);
                if (ud < 0) {
                    if (internal(ud, res)) {
                        n++; // an AF_XDP readiness callback ran: user code, so do not sleep this turn
                    }
                    continue;
                }
                if (!slots.matches(ud)) {
                    staleCompletions++;
                    continue;
                }
                int slot = (int) ud;
                long result = result(slot, res);
                long hostUserData = slots.release(slot);
                if (sink != null) {
                    sink.complete(hostUserData, result);
                }
                n++;
            }
        }
    }

    /** The op's result as the contract wants it, after its kind's bookkeeping. */
    private long result(int slot, int res) {
        OpPayload p = slots.payload(slot);
        OpKind kind = p.kind();
        if (kind == OpKind.TIMEOUT) {
            return res == -ETIME ? 0 : res;
        }
        if (kind == OpKind.RECV_FROM && res >= 0) {
            ((RecvFrom) p).from().setLength(Math.min(encoder.receivedNameLength(slot), SockAddrStorage.SIZE));
        } else if (kind == OpKind.CLOSE && res >= 0 && ((Close) p).fd() instanceof IoFd.Fixed f && fixedFiles != null) {
            fixedFiles.closedBySqe(f.index());
        }
        return res;
    }

    private boolean internal(long ud, int res) {
        internalInFlight--;
        if (ud <= UringXdp.POLL_BASE) {
            return xdp != null && xdp.completed(ud, res);
        }
        if (ud == WAKE) {
            wakeArmed = false;
            wakePending.set(false);
            if (res < 0 && res != -ECANCELED && res != -LinuxErrno.EINTR.code() && res != -LinuxErrno.EAGAIN.code()) {
                wakeError = -res;
            } else if (!closing) {
                armWake();
            }
        } else if (ud == WAIT_TIMER) {
            waitTimerArmed = false;
        }
        // CANCEL and LINK_TIMEOUT results need nothing: the target op reports what happened to it.
        return false;
    }

    @Override
    public void wakeup() {
        if (!wakePending.get() && wakePending.compareAndSet(false, true)) {
            synchronized (wakeLock) {
                if (!closed) {
                    sys.write(eventFd, one, 8);
                }
            }
        }
    }

    // ---- registration ----

    @Override
    public void registerBuffers(ByteBuffer[] slabs) throws VeloqIoException {
        registerBuffers(slabs, slabs.length);
    }

    @Override
    public void registerBuffers(ByteBuffer[] slabs, int maxRegions) throws VeloqIoException {
        requireRegisteredBuffers();
        bufferTable.register(slabs, maxRegions);
    }

    @Override
    public void addBufferRegion(ByteBuffer[] slabs) throws VeloqIoException {
        requireRegisteredBuffers();
        bufferTable.add(slabs);
    }

    private void requireRegisteredBuffers() {
        if (!capabilities.contains(Capability.REGISTERED_BUFFERS)) {
            throw new UnsupportedOperationException("this kernel's io_uring lacks READ_FIXED/WRITE_FIXED");
        }
    }

    /** How the registered-buffer table grows and what it holds (tests, diagnostics). */
    BufferTable bufferTable() {
        return bufferTable;
    }

    @Override
    public int registerFile(long handle) throws VeloqIoException {
        if (fixedFiles == null) {
            throw new UnsupportedOperationException("the io_uring driver was opened without a registered-file table "
                    + "(Runtime.builder().registeredFiles(0), or the kernel refused IORING_REGISTER_FILES)");
        }
        return fixedFiles.add(handle);
    }

    @Override
    public void unregisterFile(int index) throws VeloqIoException {
        if (fixedFiles == null) {
            throw new UnsupportedOperationException("the io_uring driver has no registered-file table");
        }
        fixedFiles.remove(index);
    }

    // ---- socket control (any thread) ----

    @Override
    public void bind(IoFd fd, SockAddrStorage local) throws VeloqIoException {
        control.bind(fd, local);
    }

    @Override
    public void listen(IoFd fd, int backlog) throws VeloqIoException {
        control.listen(fd, backlog);
    }

    @Override
    public void localAddress(IoFd fd, SockAddrStorage out) throws VeloqIoException {
        control.localAddress(fd, out);
    }

    @Override
    public void remoteAddress(IoFd fd, SockAddrStorage out) throws VeloqIoException {
        control.remoteAddress(fd, out);
    }

    @Override
    public <T> void setOption(IoFd fd, SocketOption<T> option, T value) throws VeloqIoException {
        control.setOption(fd, option, value);
    }

    @Override
    public <T> T getOption(IoFd fd, SocketOption<T> option) throws VeloqIoException {
        return control.getOption(fd, option);
    }

    // ---- close ----

    /**
     * Cancels what is still in the kernel (normally only the wake-up read: the host drained its ops),
     * waits until every request has completed, then unregisters, unmaps and closes. If the kernel does
     * not finish within 5 s the per-op scratch is deliberately not freed, since it may still be written.
     */
    @Override
    public void close() {
        if (closing) {
            return;
        }
        closing = true;
        boolean drained = cancelAndDrain();
        if (xdp != null) {
            xdp.closeAll(); // sockets the user left open: their descriptors, rings, UMEM and program
        }
        synchronized (wakeLock) {
            closed = true;
        }
        bufferTable.close();
        buffers.clear();
        if (fixedFiles != null) {
            fixedFiles.close();
        }
        ring.close();
        sys.close(eventFd);
        if (drained) {
            slots.free();
            mem.free(wakeBuf);
            mem.free(waitArg);
        } else {
            System.err.println("veloq: io_uring ring fd " + ring.fd + " still had " + internalInFlight
                    + " internal requests and " + slots.inUse() + " ops after " + CLOSE_DRAIN_NANOS / 1_000_000
                    + " ms of cancellation; their native scratch is left allocated");
        }
        mem.free(one);
    }

    private boolean cancelAndDrain() {
        long deadline = System.nanoTime() + CLOSE_DRAIN_NANOS;
        try {
            while (internalInFlight > 0 || slots.inUse() > 0) {
                if (System.nanoTime() - deadline > 0) {
                    return false;
                }
                // Cancels are re-sent each round: one that raced its target's start finds it the next time.
                if (wakeArmed && hasRoom(1)) {
                    encoder.encodeCancel(sqTail & sqMask, WAKE, 0, CANCEL);
                    sqTail++;
                    internalInFlight++;
                }
                if (waitTimerArmed && hasRoom(1)) {
                    encoder.encodeCancel(sqTail & sqMask, WAIT_TIMER, 0, CANCEL);
                    sqTail++;
                    internalInFlight++;
                }
                if (xdp != null && xdp.pollsInKernel() > 0) {
                    xdp.cancelAll();
                }
                for (int slot : slots.inUseSlots()) {
                    if (!hasRoom(1)) {
                        break;
                    }
                    encoder.encodeCancel(sqTail & sqMask, slots.kernelUserData(slot), 0, CANCEL);
                    sqTail++;
                    internalInFlight++;
                }
                enter(true, TimeUnit.MILLISECONDS.toNanos(20));
                drain(null);
            }
            return true;
        } catch (VeloqIoException | RuntimeException e) {
            System.err.println("veloq: closing io_uring ring fd " + ring.fd + ": " + e.getMessage());
            return false;
        }
    }

    @Override
    public String toString() {
        return "io_uring driver (ring fd " + ring.fd + ", " + sqEntries + " SQ / " + ring.cqEntries + " CQ entries, "
                + setupFlags() + ")";
    }
}
