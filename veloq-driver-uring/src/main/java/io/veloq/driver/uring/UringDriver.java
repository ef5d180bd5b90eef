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
import io.veloq.api.op.RecvMultishot;
import io.veloq.api.buffer.FixedBuf;
import io.veloq.api.op.SendFile;
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
    /** A MSG_RING this ring sent: its CQE says whether the message was posted. */
    static final long MSG_SENT = -5;
    /** The CQE another loop's MSG_RING posts into this ring: a wake-up, nothing else. */
    static final long MSG_WAKE = -6;
    /** A move of the wait timer; with CQE_SKIP_SUCCESS its CQE comes only when the move failed. */
    static final long TIMER_MOVE = -7;
    private static final long CLOSE_DRAIN_NANOS = TimeUnit.SECONDS.toNanos(5);
    /** What an undrained close must never free (see {@link #close()}). */
    private static final java.util.List<Object> ABANDONED = new java.util.concurrent.CopyOnWriteArrayList<>();
    /** An armed wait timer due at most this much after a wait's deadline is moved earlier. */
    private static final long WAIT_TIMER_SLACK_NANOS = TimeUnit.MICROSECONDS.toNanos(100);

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
    private static final int EOVERFLOW = LinuxErrno.EOVERFLOW.code();

    private final Syscalls sys;
    private final NativeMemory mem;
    private final Ring ring;
    private final SlotTable slots;
    private final BufferAddresses buffers;
    private final BufferTable bufferTable;
    private final FixedFiles fixedFiles;
    private final ProvidedBuffers provided;
    private final SqeEncoder encoder;
    private final SpliceChains chains;
    private final SpliceChains.Submissions internalSqes = this::claimInternalSqe;
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
    /** What io_uring_enter names: the ring's index in this thread's registered-ring table, or the ring fd. */
    private final int enterFd;
    private final int enterFlags;

    private int sqTail;
    private int sqHead;
    private int cqHead;
    private int internalInFlight;
    private boolean wakeArmed;
    private int wakeError;
    private boolean waitTimerArmed;
    private final boolean cqeSkip;
    /** The absolute deadline (CLOCK_MONOTONIC, as System.nanoTime) of the armed wait timer. */
    private long waitTimerDeadline;
    private long enters;
    private long staleCompletions;
    private long overflowTurns;
    private boolean closing;

    /** The AF_XDP facet, when the kernel has AF_XDP; null otherwise. */
    private final UringXdp xdp;

    private final AtomicBoolean wakePending = new AtomicBoolean();
    private final java.util.concurrent.atomic.LongAdder eventfdWrites = new java.util.concurrent.atomic.LongAdder();
    // MSG_RING wake-ups of other loops' rings (loop thread): on, sent, failed; the rings messaged, to wake them
    // by eventfd should a message fail.
    private boolean msgRing;
    private long msgRingsSent;
    private long msgRingFailures;
    private final java.util.List<UringDriver> messaged = new java.util.ArrayList<>(2);
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
        this.provided = new ProvidedBuffers(mem, ring.fd, buffers);
        // SEND_ZC (6.0) dates multishot receive and provided-buffer rings (5.19-6.0) too; options switch them
        // off, for the fallback paths of the net API and the bench's comparison rows.
        boolean multishot = p.supported[OP_SEND_ZC] && p.supported[OP_ACCEPT] && p.supported[OP_RECV]
                && !"off".equals(p.multishotOption);
        boolean zeroCopy = p.supported[OP_SEND_ZC] && !"off".equals(p.zeroCopyOption);
        this.encoder = new SqeEncoder(ring.sqes, p.supported, mem, slots, buffers, fixedFiles, provided, zeroCopy);
        // MSG_RING (5.18): a wake-up costs the other ring one CQE and this one an SQE and a CQE, no syscall.
        this.msgRing = p.supported[OP_MSG_RING] && !"off".equals(p.msgRingOption);
        this.chains = new SpliceChains(mem, encoder, slots, fixedFiles, p.supported[OP_SPLICE], p.pipeBytes);
        this.control = new SocketControl(mem, i -> fixedFiles == null ? -1 : fixedFiles.rawFd(i));
        this.deferTaskrun = (ring.flags & SETUP_DEFER_TASKRUN) != 0;
        this.taskrunFlag = (ring.flags & SETUP_TASKRUN_FLAG) != 0;
        // EXT_ARG only when asked: its six-argument io_uring_enter goes through jnr-ffi's heap invocation
        // buffer, one allocation per timed wait; the default deadline timer costs one SQE per new deadline.
        this.extArg = (ring.features & FEAT_EXT_ARG) != 0 && "ext-arg".equals(p.timedWait);
        this.cqeSkip = (ring.features & FEAT_CQE_SKIP) != 0;
        this.cq = ring.cq;
        this.cqesOffset = ring.cqesOffset;
        this.cqMask = ring.cqMask;
        this.sqMask = ring.sqMask;
        this.sqEntries = ring.sqEntries;
        this.owner = Thread.currentThread();
        this.enterFd = registerRingFd(p.ringFdOption);
        this.enterFlags = enterFd == ring.fd ? 0 : ENTER_REGISTERED_RING;
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
        if (multishot) {
            caps.add(Capability.MULTISHOT);
        }
        if (zeroCopy) {
            caps.add(Capability.ZERO_COPY_SEND);
        }
        if (chains.supported()) {
            caps.add(Capability.SEND_FILE);
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
        String multishotOption;
        String msgRingOption;
        String ringFdOption;
        String zeroCopyOption;
        int pipeBytes;

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
     * flag: the fallback path), {@code uring.cq-entries=N}, {@code uring.timed-wait=ext-arg} (timed waits
     * through {@code IORING_ENTER_EXT_ARG}, which allocates per wait in jnr-ffi, instead of the default
     * {@code timer}: one absolute-deadline TIMEOUT SQE kept armed, moved earlier when a wait needs it), {@code uring.buffer-table=reregister}
     * (grow the registered-buffer table by registering it again, the pre-5.19 fallback, instead of a
     * sparse table), {@code uring.multishot=off} (no multishot ops or buffer rings: capability MULTISHOT
     * absent), {@code uring.zero-copy=off} (zero-copy sends copy: capability ZERO_COPY_SEND absent),
     * {@code uring.msg-ring=off} (another loop wakes this one through its eventfd, not MSG_RING), {@code uring.sendfile-pipe-bytes=N} (the capacity asked for each
     * SendFile pipe, which bounds the bytes one SendFile moves; default 256 KiB; 0 keeps the kernel's 64 KiB).
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
            p.timedWait = config.option("uring.timed-wait", "timer");
            if (!"timer".equals(p.timedWait) && !"ext-arg".equals(p.timedWait) && !"timeout-sqe".equals(p.timedWait)) {
                throw new IllegalArgumentException("uring.timed-wait=" + p.timedWait + ": expected timer or ext-arg");
            }
            p.bufferTableOption = config.option("uring.buffer-table", "sparse");
            p.multishotOption = config.option("uring.multishot", "on");
            p.msgRingOption = config.option("uring.msg-ring", "on");
            p.ringFdOption = config.option("uring.registered-ring", "on");
            p.zeroCopyOption = config.option("uring.zero-copy", "on");
            p.pipeBytes = Integer.parseInt(config.option("uring.sendfile-pipe-bytes",
                    String.valueOf(SpliceChains.DEFAULT_PIPE_BYTES)));
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

    /**
     * IORING_REGISTER_RING_FDS (5.18): the ring in this thread's table of registered rings, so each enter
     * skips the kernel's file-descriptor lookup. The table is per thread, which SINGLE_ISSUER makes the
     * only one that enters; without SINGLE_ISSUER (or refused, or switched off) the ring fd is used.
     */
    private int registerRingFd(String option) {
        if ((ring.flags & SETUP_SINGLE_ISSUER) == 0 || "off".equals(option)) {
            return ring.fd;
        }
        long arg = mem.allocate(16, "io_uring_rsrc_update for the registered ring");
        try {
            ByteBuffer u = mem.view(arg, 16);
            u.putInt(0, -1); // any free index; the kernel writes it back
            u.putInt(4, 0);
            u.putLong(8, ring.fd);
            long rc = sys.ioUringRegister(ring.fd, REGISTER_RING_FDS, arg, 1);
            return rc == 1 ? u.getInt(0) : ring.fd;
        } finally {
            mem.free(arg);
        }
    }

    /** Drops the ring from the thread's table (only that thread can); else it goes when the thread ends. */
    private void unregisterRingFd() {
        if (enterFd == ring.fd || Thread.currentThread() != owner) {
            return;
        }
        long arg = mem.allocate(16, "io_uring_rsrc_update for the registered ring");
        try {
            ByteBuffer u = mem.view(arg, 16);
            u.putInt(0, enterFd);
            u.putInt(4, 0);
            u.putLong(8, 0L);
            sys.ioUringRegister(ring.fd, UNREGISTER_RING_FDS, arg, 1);
        } finally {
            mem.free(arg);
        }
    }

    /** True when enters name the ring by its registered index (IORING_REGISTER_RING_FDS). */
    boolean registeredRing() {
        return enterFd != ring.fd;
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

    /**
     * SQ entries ops may not take: room to re-arm the wake-up read. The wait timer takes none: a turn that
     * finds the SQ full does not wait (its enter empties the SQ; the next turn arms the timer).
     */
    private int reserved() {
        return wakeArmed ? 0 : 1;
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
        if (payload instanceof SendFile sf) {
            return prepareSendFile(userData, sf, deadlineNanos);
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
            int fd = (int) ((IoFd.Raw) payload.fd()).handle();
            encoder.encodeCancelFd(sqTail & sqMask, fd, CANCEL);
            sqTail++;
            internalInFlight++;
            chains.cancelOnSocket(fd); // a SendFile's tail waits behind its head, out of the fd cancel's reach
        }
        sqTail++;
        if (link) {
            encoder.encodeLinkTimeout(sqTail & sqMask, slot, deadlineNanos, LINK_TIMEOUT);
            sqTail++;
            internalInFlight++;
        }
        return 1;
    }

    /** A SendFile: the two linked SPLICEs of {@link SpliceChains}, and a TIMEOUT beside them for a deadline. */
    private int prepareSendFile(long userData, SendFile p, long deadlineNanos) {
        int rc = chains.check(p);
        if (rc < 0) {
            return rc;
        }
        boolean timer = deadlineNanos > 0;
        if (!hasRoom((timer ? 3 : 2) + reserved())) {
            return 0;
        }
        int slot = slots.acquire(userData, p);
        if (slot < 0) {
            return 0;
        }
        rc = chains.start(slot, p, sqTail & sqMask, (sqTail + 1) & sqMask, (sqTail + 2) & sqMask, deadlineNanos);
        if (rc < 0) {
            slots.release(slot);
            return rc;
        }
        sqTail += timer ? 3 : 2;
        return 1;
    }

    /** One SQ entry for an internal request (a cancel), or -1 when the SQ has no room now. */
    private int claimInternalSqe() {
        if (!hasRoom(1 + (closing ? 0 : reserved()))) {
            return -1;
        }
        internalInFlight++;
        return sqTail++ & sqMask;
    }

    @Override
    public boolean prepareCancel(long userData) {
        int slot = slots.find(userData);
        if (slot < 0) {
            return true; // already completed (or never here): nothing to cancel
        }
        if (chains.active(slot)) {
            return chains.cancel(slot, internalSqes);
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
        if (chains.hasQueuedCancels()) {
            chains.flushCancels(internalSqes);
        }
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

    /**
     * Makes sure a wait ends by {@code deadline}: a pure TIMEOUT (no completion count) on an absolute
     * CLOCK_MONOTONIC deadline stays armed across turns; a later deadline keeps it (the loop wakes early once
     * and waits again), an earlier one moves it with IORING_TIMEOUT_UPDATE. So a loop whose timers lie in the
     * future pays one SQE per new earliest deadline, not one per wait. The kernel reads the timespec when it
     * takes the SQE, within this turn's enter, so the one timespec is reused.
     */
    private boolean armWaitTimer(long deadline) {
        if (waitTimerArmed && deadline - waitTimerDeadline >= -WAIT_TIMER_SLACK_NANOS) {
            return true;
        }
        if (!hasRoom(1)) {
            return false; // no wait this turn: its enter submits the full SQ, the next turn has room

        }
        long ts = waitArg + GETEVENTS_ARG_SIZE;
        waitArgView.putLong(GETEVENTS_ARG_SIZE, deadline / 1_000_000_000L);
        waitArgView.putLong(GETEVENTS_ARG_SIZE + 8, deadline % 1_000_000_000L);
        if (waitTimerArmed) {
            // Without a CQE when it works (else the move's own CQE would end this wait at once); a failed move
            // (the timer fired meanwhile: its CQE disarms it) posts one, counted then.
            encoder.encodeTimeoutUpdate(sqTail & sqMask, WAIT_TIMER, ts, cqeSkip ? SQE_CQE_SKIP_SUCCESS : 0, TIMER_MOVE);
            if (!cqeSkip) {
                internalInFlight++;
            }
        } else {
            encoder.encodeDeadline(sqTail & sqMask, ts, WAIT_TIMER);
            waitTimerArmed = true;
            internalInFlight++;
        }
        sqTail++;
        waitTimerDeadline = deadline;
        return true;
    }

    /** The one io_uring_enter of a turn: submits what is queued and, if asked, waits for a completion. */
    private void enter(boolean wait, long timeoutNanos) throws VeloqIoException {
        // GETEVENTS always: with DEFER_TASKRUN completions are posted only while the issuer is in GETEVENTS.
        int flags = ENTER_GETEVENTS;
        boolean timed = wait && timeoutNanos > 0;
        if (timed) {
            if (extArg) {
                waitArgView.putLong(GETEVENTS_ARG_SIZE, timeoutNanos / 1_000_000_000L);
                waitArgView.putLong(GETEVENTS_ARG_SIZE + 8, timeoutNanos % 1_000_000_000L);
            } else if (!armWaitTimer(System.nanoTime() + timeoutNanos)) {
                wait = false;
                timed = false;
            }
        }
        sqHead = ring.sqHead();
        int toSubmit = sqTail - sqHead;
        if (toSubmit > 0) {
            ring.publishSqTail(sqTail);
        }
        long rc = timed && extArg
                ? sys.ioUringEnter(enterFd, toSubmit, 1, flags | enterFlags | ENTER_EXT_ARG, waitArg, GETEVENTS_ARG_SIZE)
                : sys.ioUringEnter(enterFd, toSubmit, wait ? 1 : 0, flags | enterFlags);
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
                    if (ud == MSG_WAKE) {
                        continue; // another loop woke us: its work is in our inbox
                    }
                    if (ud == MSG_SENT) {
                        if (res < 0) {
                            msgRingFailed(res);
                        }
                        continue;
                    }
                    if (internal(ud, res)) {
                        n++; // an AF_XDP readiness callback ran: user code, so do not sleep this turn
                    }
                    continue;
                }
                if ((ud & SpliceChains.TIMER) != 0) {
                    chains.timerCompleted(ud & ~SpliceChains.TIMER, res);
                    continue;
                }
                boolean head = ud >= SpliceChains.HEAD;
                if (head) {
                    ud -= SpliceChains.HEAD;
                }
                if (!slots.matches(ud)) {
                    staleCompletions++;
                    continue;
                }
                int slot = (int) ud;
                int cflags = cq.getInt(off + CQE_FLAGS);
                if ((cflags & (CQE_F_MORE | CQE_F_NOTIF | CQE_F_BUFFER)) != 0) {
                    n += multi(slot, res, cflags, sink);
                    continue;
                }
                long result;
                if (chains.active(slot)) {
                    result = chains.completed(slot, head, res);
                    if (result == SpliceChains.PENDING) {
                        continue;
                    }
                } else {
                    result = result(slot, res);
                }
                long hostUserData = slots.release(slot);
                if (sink != null) {
                    sink.complete(hostUserData, result);
                }
                n++;
            }
        }
    }

    /**
     * A CQE of a multishot op or a zero-copy send (flags MORE, NOTIF or BUFFER): items and the send's result
     * go to the sink as intermediate completions; the CQE without MORE ends the op. A last item that comes
     * without MORE (the kernel ended the stream, CQ overflow) is delivered as an item, then the final
     * completion says why: EOVERFLOW. A buffer the kernel took for nothing (end of stream, error) goes
     * straight back to its ring. Returns the completions delivered.
     */
    private int multi(int slot, int res, int cflags, CompletionSink sink) {
        long ud = slots.hostUserData(slot);
        boolean more = (cflags & CQE_F_MORE) != 0;
        boolean hasBuffer = (cflags & CQE_F_BUFFER) != 0;
        int bid = cflags >>> CQE_BUFFER_SHIFT;
        if ((cflags & CQE_F_NOTIF) != 0) {
            slots.release(slot); // the kernel no longer reads the buffer: the send ends
            if (sink != null) {
                sink.complete(ud, 0, CompletionSink.NOTIF, 0);
            }
            return 1;
        }
        OpPayload p = slots.payload(slot);
        boolean item = p.kind().multishot() && res > 0 || (p.kind() == OpKind.ACCEPT_MULTISHOT && res >= 0);
        if (hasBuffer && !item) {
            provided.provide(((RecvMultishot) p).ring().group(), bid); // taken but not filled
            hasBuffer = false;
        }
        if (more) {
            if (sink != null) {
                if (hasBuffer) {
                    sink.complete(ud, res, CompletionSink.MORE | CompletionSink.BUFFER, bid);
                } else {
                    sink.complete(ud, res, CompletionSink.MORE, 0);
                }
            } else if (hasBuffer) {
                provided.provide(((RecvMultishot) p).ring().group(), bid); // closing: nobody takes it
            }
            return 1;
        }
        slots.release(slot);
        if (sink == null) {
            if (hasBuffer) {
                provided.provide(((RecvMultishot) p).ring().group(), bid);
            }
            return 0;
        }
        if (item) {
            sink.complete(ud, res, hasBuffer ? CompletionSink.MORE | CompletionSink.BUFFER : CompletionSink.MORE, bid);
            sink.complete(ud, -EOVERFLOW, 0, 0);
            return 2;
        }
        sink.complete(ud, res, 0, 0);
        return 1;
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
        if (ud == TIMER_MOVE && cqeSkip) {
            return false; // a failed move, not counted in flight: the timer's own CQE follows or came first
        }
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
                    eventfdWrites.increment();
                    sys.write(eventFd, one, 8);
                }
            }
        }
    }

    /**
     * Wakes another loop's ring with a MSG_RING from this one (queued now, submitted with this loop's next
     * enter): a CQE with user data {@link #MSG_WAKE} lands in the other ring, which returns from its wait.
     */
    @Override
    public boolean wake(Driver other) {
        if (!msgRing || !(other instanceof UringDriver u) || u == this || u.closed || closing
                || !hasRoom(1 + reserved())) {
            return false;
        }
        encoder.encodeMsgRing(sqTail & sqMask, u.ring.fd, MSG_WAKE, MSG_SENT);
        sqTail++;
        msgRingsSent++;
        if (!messaged.contains(u)) {
            messaged.add(u);
        }
        return true;
    }

    /** A MSG_RING failed: stop using them, and wake every ring messaged by eventfd (the one that failed among them). */
    private void msgRingFailed(int res) {
        msgRingFailures++;
        msgRing = false;
        System.err.println("veloq: IORING_OP_MSG_RING from ring fd " + ring.fd + " failed ("
                + LinuxErrno.TABLE.name(-res) + "); cross-loop wake-ups use the eventfd from now on");
        for (UringDriver u : messaged) {
            u.wakeup();
        }
    }

    /** Eventfd writes of {@link #wakeup()} so far (tests: none on the MSG_RING path). */
    long eventfdWrites() {
        return eventfdWrites.sum();
    }

    /** MSG_RING wake-ups sent to other rings, and how many failed. */
    long msgRingsSent() {
        return msgRingsSent;
    }

    long msgRingFailures() {
        return msgRingFailures;
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

    /** The SendFile chains and their pipes (tests: pipes are reused, and closed when they may hold bytes). */
    SpliceChains spliceChains() {
        return chains;
    }

    /** How the registered-buffer table grows and what it holds (tests, diagnostics). */
    BufferTable bufferTable() {
        return bufferTable;
    }

    @Override
    public void registerBufRing(int group, FixedBuf[] bufs) throws VeloqIoException {
        if (!capabilities.contains(Capability.MULTISHOT)) {
            throw new UnsupportedOperationException("this io_uring has no provided-buffer rings for multishot receive "
                    + "(kernel before 6.0, or uring.multishot=off)");
        }
        provided.register(group, bufs);
    }

    @Override
    public void provideBuffer(int group, int bufferId) {
        provided.provide(group, bufferId);
    }

    @Override
    public void unregisterBufRing(int group) {
        provided.unregister(group);
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
        unregisterRingFd();
        ring.close();
        chains.close(); // after the ring: no request can reach a pipe any more
        sys.close(eventFd);
        if (drained) {
            provided.close();
            slots.free();
            mem.free(wakeBuf);
            mem.free(waitArg);
        } else {
            // The kernel may still finish these requests while it tears the ring down: keep everything they
            // can write to reachable (buffer rings, and the payloads' direct memory through the slot table) for
            // the life of the process rather than let malloc or the GC hand it to someone else.
            ABANDONED.add(provided);
            ABANDONED.add(slots);
            System.err.println("veloq: io_uring ring fd " + ring.fd + " still had " + internalInFlight
                    + " internal requests and " + slots.inUse() + " ops after " + CLOSE_DRAIN_NANOS / 1_000_000
                    + " ms of cancellation; their native scratch is left allocated");
        }
        mem.free(one);
    }

    private boolean cancelAndDrain() {
        long deadline = System.nanoTime() + CLOSE_DRAIN_NANOS;
        try {
            while (internalInFlight > 0 || slots.inUse() > 0 || chains.timersInKernel() > 0) {
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
                if (chains.hasQueuedCancels()) {
                    chains.flushCancels(internalSqes); // deadline timers of chains that ended
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
