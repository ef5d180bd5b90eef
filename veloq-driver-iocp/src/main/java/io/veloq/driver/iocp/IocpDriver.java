package io.veloq.driver.iocp;

import io.veloq.api.Capability;
import io.veloq.api.IoFd;
import io.veloq.api.OpLifecycle;
import io.veloq.api.VeloqIoException;
import io.veloq.api.net.AddressLayout;
import io.veloq.api.net.SockAddrStorage;
import io.veloq.api.op.Accept;
import io.veloq.api.op.AcceptMultishot;
import io.veloq.api.op.RecvMultishot;
import io.veloq.api.op.Close;
import io.veloq.api.op.Connect;
import io.veloq.api.op.Fsync;
import io.veloq.api.op.OpKind;
import io.veloq.api.op.OpPayload;
import io.veloq.api.op.Open;
import io.veloq.api.op.Read;
import io.veloq.api.op.Recv;
import io.veloq.api.op.RecvFrom;
import io.veloq.api.op.RecvMsg;
import io.veloq.api.op.SendMsg;
import io.veloq.api.op.Send;
import io.veloq.api.op.SendTo;
import io.veloq.api.op.Shutdown;
import io.veloq.api.op.Socket;
import io.veloq.api.op.Timeout;
import io.veloq.api.op.Write;
import io.veloq.driver.iocp.win32.NativeMemory;
import io.veloq.driver.iocp.win32.NtStatus;
import io.veloq.driver.iocp.win32.Structs;
import io.veloq.driver.iocp.win32.Win32;
import io.veloq.spi.CompletionSink;
import io.veloq.spi.Driver;
import io.veloq.spi.DriverConfig;
import io.veloq.spi.ErrorTable;

import java.io.IOException;
import java.net.SocketOption;
import java.nio.ByteBuffer;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongConsumer;
import java.util.function.LongSupplier;

import static io.veloq.driver.iocp.win32.Win32Constants.*;

/**
 * One IOCP driver instance: one completion port, owned by one loop thread.
 *
 * <h2>How an op runs</h2>
 * {@link #prepare} only records the op in its host slot. {@link #submitAndWait} then starts every recorded
 * op with its Win32 call ({@link SocketOps}: WSARecv, AcceptEx, ...; {@link FileOps}: ReadFile, WriteFile),
 * each with its slot's OVERLAPPED, and dequeues completion packets with one GetQueuedCompletionStatusEx.
 * Calls that block the calling thread (CreateFileW, FlushFileBuffers, a lingering closesocket) run on a small
 * pool ({@link BlockingCalls}) whose results come back as packets. Socket, Shutdown, Close and Nop complete at
 * once. Ops that complete at once and dequeued packets are delivered to the sink in that order. A packet
 * counts only for the current OVERLAPPED of its slot once the request is over ({@link OverlappedSlots});
 * anything else is counted in {@link #staleCompletions()} and dropped.
 *
 * <h2>Skipping the port on success</h2>
 * TCP sockets (with IFS handles) and files get {@code FILE_SKIP_COMPLETION_PORT_ON_SUCCESS} when first
 * associated ({@link PortRelay#associate}): an immediate success queues no packet and is completed from its
 * OVERLAPPED. Never UDP sockets (as in Go): a datagram longer than the buffer completes with the warning
 * STATUS_BUFFER_OVERFLOW (WSAEMSGSIZE), not a success, so its packet is queued even in skip mode, and the
 * driver waits for it. Option {@code iocp.skip-completion-port-on-success=false} turns skip mode off.
 *
 * <h2>Handles</h2>
 * The driver touches only handles a driver of its provider created (Socket, Open, Accept) or the application
 * adopted ({@link IocpDriverProvider#adopt}): Windows reuses a handle value as soon as it is closed, so an
 * unknown value may be some other code's handle, which the driver must neither close nor associate with its
 * port. An op on one fails with WSAENOTSOCK (sockets) or ERROR_INVALID_HANDLE; a control call throws. Any loop
 * may use a handle; its packets go to one port, and that loop forwards them ({@link PortRelay}).
 *
 * <h2>Timeouts and wake-up</h2>
 * IOCP has no timer operation: {@code Timeout} ops sit in a heap and bound the wait, which ends on the system
 * clock tick (15.625 ms unless a process raised the timer resolution), up to a tick early or late: a Timeout
 * never fires before its deadline (the driver checks {@code System.nanoTime()} and waits again), up to about a
 * tick late. {@link #wakeup()} posts a packet with a reserved completion key and no OVERLAPPED.
 *
 * <h2>Refused</h2>
 * {@link IoFd.Fixed}, {@code ReadFixed}/{@code WriteFixed} and Unix-domain sockets: see {@link IocpDriverProvider}.
 */
final class IocpDriver implements Driver {
    /** Completion key of every handle a driver associates with its port. */
    static final long IO_KEY = 1;
    /** Completion key of wake-up packets (no OVERLAPPED). */
    static final long WAKEUP_KEY = 0x564C_4F51_5741_4B45L;
    /** Completion key of a finished blocking call (the OVERLAPPED names its op's slot). */
    static final long BLOCKING_KEY = 0x564C_4F51_424C_4B43L;

    // Scratch memory of the loop thread.
    private static final int SCRATCH_SIZE = 1024;
    static final int SCR_REMOVED = 0;
    static final int SCR_LEN = 8;
    static final int SCR_GUID = 16;
    static final int SCR_FUNCTION = 32;
    static final int SCR_BYTES = 40;
    static final int SCR_LOCAL_PTR = 48;
    static final int SCR_LOCAL_LEN = 56;
    static final int SCR_REMOTE_PTR = 64;
    static final int SCR_REMOTE_LEN = 72;
    static final int SCR_HANDLE = 80;
    static final int SCR_SOCKADDR = 128;
    static final int SCR_PROTOCOL_INFO = 384;

    private static final byte FREE = 0;
    private static final byte QUEUED = 1;
    private static final byte KERNEL = 2;
    private static final byte TIMER = 3;
    private static final byte READY = 4;
    /** A blocking call runs on the pool; its packet carries BLOCKING_KEY. */
    private static final byte BLOCKING = 5;

    private static final long CLOSE_DRAIN_NANOS = TimeUnit.SECONDS.toNanos(5);

    private final String id;
    private final Win32 w;
    private final HandleTable handles;
    private final int capacity;
    private final long port;
    private final OverlappedSlots slots;
    private final NativeMemory.Block entries;
    private final NativeMemory.Block scratch;
    private final ByteBuffer entryMem;
    private final int entryCount;
    final ByteBuffer scratchMem;
    final long scratchBase;

    // Per slot, loop thread only.
    private final OpPayload[] payloads;
    private final long[] tokens;
    private final byte[] states;
    private final long[] opHandles;
    private final long[] preAllocated;
    private final long[] fileOffsets;
    private final boolean[] cancelAsked;

    private final int[] submitQueue;
    private int submitHead;
    private int submitCount;
    private final long[] cancelQueue;
    private int cancelHead;
    private int cancelCount;
    private final ReadyQueue readyQueue;
    private final ReadyQueue.SlotRelease freeSlot = this::freeSlot;

    private final TimerHeap timers;
    private final SocketOps sockets;
    private final StreamOps streams;
    private final FileOps files;
    private final SocketControl control;
    private final BlockingCalls blocking;
    private final AtomicBoolean wakePending = new AtomicBoolean();
    private final Object postLock = new Object();
    private final AcceptLifecycle acceptLifecycle;
    private final ConnectLifecycle connectLifecycle;
    private final PortRelay relay;
    private volatile boolean closed;
    private int inKernel;
    private long staleCompletions;
    private long inlineCompletions;
    private long queuedCompletions;
    private long warningsAtOnce;

    private IocpDriver(String id, Win32 w, HandleTable handles, PortRelay.Directory loops, DriverConfig config,
                       long port) {
        this.id = id;
        this.w = w;
        this.handles = handles;
        this.port = port;
        this.capacity = config.maxInFlight();
        this.entryCount = Math.max(16, Math.min(config.queueDepth(), 512));
        this.slots = new OverlappedSlots(capacity);
        this.entries = NativeMemory.allocate(entryCount * Structs.OverlappedEntry.SIZE);
        this.scratch = NativeMemory.allocate(SCRATCH_SIZE);
        this.entryMem = entries.buffer();
        this.scratchMem = scratch.buffer();
        this.scratchBase = scratch.address();
        this.payloads = new OpPayload[capacity];
        this.tokens = new long[capacity];
        this.states = new byte[capacity];
        this.opHandles = new long[capacity];
        this.preAllocated = new long[capacity];
        this.fileOffsets = new long[capacity];
        this.cancelAsked = new boolean[capacity];
        this.submitQueue = new int[capacity];
        this.cancelQueue = new long[capacity];
        this.readyQueue = new ReadyQueue(capacity);
        this.timers = new TimerHeap(capacity);
        this.sockets = new SocketOps(this);
        this.streams = new StreamOps(this, capacity);
        this.files = new FileOps(this);
        this.control = new SocketControl(w, handles,
                Boolean.parseBoolean(config.option("iocp.exclusive-bind", "true")));
        int threads = Integer.parseInt(config.option("iocp.blocking-threads", "2"));
        this.blocking = new BlockingCalls("veloq-iocp-" + config.loopIndex(), Math.max(1, threads), capacity,
                ov -> post(BLOCKING_KEY, ov));
        this.acceptLifecycle = new AcceptLifecycle(this);
        this.connectLifecycle = new ConnectLifecycle(this);
        boolean skip = Boolean.parseBoolean(config.option("iocp.skip-completion-port-on-success", "true"));
        // Last: once it joins the directory, other loops may forward packets to this port.
        this.relay = new PortRelay(loops, handles, w, port, slots, this::wakeup, skip ? sockets::hasIfsHandles : null);
    }

    /** Creates the completion port and the slot memory. */
    static IocpDriver open(String id, Win32 w, HandleTable handles, PortRelay.Directory loops, DriverConfig config)
            throws IOException {
        long port = w.createIoCompletionPort(INVALID_HANDLE_VALUE, 0, 0, 1);
        if (port == 0) {
            int err = w.lastError();
            throw new IOException("cannot create an I/O completion port for loop " + config.loopIndex()
                    + ": CreateIoCompletionPort failed with " + Win32Error.TABLE.name(err) + " (" + err + ")");
        }
        try {
            return new IocpDriver(id, w, handles, loops, config, port);
        } catch (RuntimeException | Error e) {
            w.closeHandle(port);
            throw e;
        }
    }

    // ---- identity ----

    @Override
    public String id() {
        return id;
    }

    @Override
    public Set<Capability> capabilities() {
        return IocpDriverProvider.CAPABILITIES;
    }

    @Override
    public AddressLayout addressLayout() {
        return AddressLayout.WINDOWS;
    }

    @Override
    public ErrorTable errors() {
        return Win32Error.TABLE;
    }

    @Override
    public OpLifecycle<? extends OpPayload> lifecycle(OpKind kind) {
        if (kind == OpKind.ACCEPT) {
            return acceptLifecycle;
        }
        if (kind == OpKind.CONNECT) {
            return connectLifecycle;
        }
        return OpLifecycle.direct();
    }

    // ---- submission ----

    @Override
    public int prepare(long userData, OpPayload payload, long preAllocatedHandle, long deadlineNanos) {
        if (closed) {
            throw new IllegalStateException("the iocp driver is closed; cannot prepare " + payload.describe());
        }
        int slot = slotOf(userData);
        if (states[slot] != FREE) {
            throw new IllegalStateException("slot " + slot + " of the iocp driver still holds "
                    + payloads[slot].describe() + " (user data " + tokens[slot] + "); cannot prepare "
                    + payload.describe() + " with user data " + userData);
        }
        if (payload.fd() instanceof IoFd.Fixed) {
            return -Win32Error.ERROR_NOT_SUPPORTED.code();
        }
        switch (payload.kind()) {
            case READ_FIXED:
            case WRITE_FIXED:
            case CANCEL:
                return -Win32Error.ERROR_NOT_SUPPORTED.code();
            default:
                break;
        }
        tokens[slot] = userData;
        payloads[slot] = payload;
        preAllocated[slot] = preAllocatedHandle;
        cancelAsked[slot] = false;
        states[slot] = QUEUED;
        submitQueue[(submitHead + submitCount++) % capacity] = slot;
        return 1;
    }

    @Override
    public boolean prepareCancel(long userData) {
        if (userData < 0 || (int) userData >= capacity) {
            return true;
        }
        int slot = (int) userData;
        if (tokens[slot] != userData) {
            return true;
        }
        switch (states[slot]) {
            case QUEUED:
                cancelAsked[slot] = true;
                break;
            case TIMER:
                timers.remove(slot);
                ready(slot, -ERROR_OPERATION_ABORTED);
                break;
            case KERNEL:
                if (!cancelAsked[slot]) {
                    cancelAsked[slot] = true;
                    cancelQueue[(cancelHead + cancelCount++) % capacity] = userData;
                }
                break;
            default:
                break; // completed already, about to be delivered, or a blocking call that runs to its end
        }
        return true;
    }

    private int slotOf(long userData) {
        int slot = (int) userData;
        if (userData < 0 || slot < 0 || slot >= capacity) {
            throw new IllegalArgumentException("user data " + userData + " names slot " + slot
                    + ", outside the iocp driver's " + capacity + " slots (maxInFlight)");
        }
        return slot;
    }

    // ---- the turn ----

    @Override
    public int submitAndWait(long timeoutNanos, CompletionSink sink) throws VeloqIoException {
        if (closed) {
            throw new IllegalStateException("the iocp driver is closed");
        }
        if (relay.ownerClosing()) {
            cancelRoutesThroughClosingOwners();
        }
        issueQueued();
        issueCancels();
        fireTimers();
        long wait;
        if (!readyQueue.isEmpty() || timeoutNanos == 0) {
            wait = 0;
        } else {
            wait = timeoutNanos < 0 ? Long.MAX_VALUE : timeoutNanos;
            if (!timers.isEmpty()) {
                wait = Math.min(wait, Math.max(0, timers.nextDeadline() - System.nanoTime()));
            }
        }
        if (wait != 0 || inKernel > 0 || wakePending.get() || relay.routedHere() > 0) {
            poll(wait);
            fireTimers();
        }
        return deliver(sink);
    }

    private void issueQueued() {
        while (submitCount > 0) {
            int slot = submitQueue[submitHead];
            submitHead = (submitHead + 1) % capacity;
            submitCount--;
            if (states[slot] != QUEUED) {
                continue;
            }
            if (cancelAsked[slot]) {
                ready(slot, -ERROR_OPERATION_ABORTED);
                continue;
            }
            issue(slot);
        }
    }

    private void issueCancels() {
        while (cancelCount > 0) {
            long token = cancelQueue[cancelHead];
            cancelHead = (cancelHead + 1) % capacity;
            cancelCount--;
            int slot = (int) token;
            if (tokens[slot] == token && states[slot] == KERNEL) {
                // ERROR_NOT_FOUND: it already completed and its packet is on the way; nothing to do.
                w.cancelIoEx(opHandles[slot], slots.overlapped(slot));
            }
        }
    }

    /** Another loop that owns handles this one has ops on is closing: cancel those ops (see {@link PortRelay}). */
    private void cancelRoutesThroughClosingOwners() {
        for (int slot = 0; slot < capacity; slot++) {
            if (states[slot] == KERNEL && !cancelAsked[slot] && relay.viaClosingOwner(slot)) {
                cancelAsked[slot] = true;
                w.cancelIoEx(opHandles[slot], slots.overlapped(slot));
            }
        }
    }

    private void fireTimers() {
        if (timers.isEmpty()) {
            return;
        }
        long now = System.nanoTime();
        while (!timers.isEmpty() && timers.nextDeadline() - now <= 0) {
            ready(timers.poll(), 0);
        }
    }

    private void poll(long waitNanos) throws VeloqIoException {
        int millis;
        if (waitNanos == Long.MAX_VALUE) {
            millis = INFINITE;
        } else {
            long ms = (waitNanos + 999_999) / 1_000_000; // round up: never wake before a deadline and spin
            millis = (int) Math.min(ms, Integer.MAX_VALUE - 1);
        }
        scratchMem.putInt(SCR_REMOVED, 0);
        if (!w.getQueuedCompletionStatusEx(port, entries.address(), entryCount, scratchBase + SCR_REMOVED, millis,
                false)) {
            int err = w.lastError();
            if (err == WAIT_TIMEOUT) {
                return;
            }
            throw Win32Error.TABLE.exception(err, "GetQueuedCompletionStatusEx on the completion port of the "
                    + id + " driver");
        }
        int n = scratchMem.getInt(SCR_REMOVED);
        for (int i = 0; i < n; i++) {
            int e = i * Structs.OverlappedEntry.SIZE;
            onPacket(entryMem.getLong(e + Structs.OverlappedEntry.COMPLETION_KEY),
                    entryMem.getLong(e + Structs.OverlappedEntry.OVERLAPPED),
                    entryMem.getInt(e + Structs.OverlappedEntry.BYTES_TRANSFERRED));
        }
    }

    /** One dequeued packet: completes the op it belongs to, or counts it as stale (see {@link OverlappedSlots}). */
    private void onPacket(long key, long overlapped, int bytes) {
        if (overlapped == 0) {
            if (key == WAKEUP_KEY) {
                wakePending.set(false);
            } else {
                staleCompletions++;
            }
            return;
        }
        int slot = slots.slotOf(overlapped);
        if (slot < 0) {
            // Another loop's op on a handle associated with this port: its packet goes on to that loop.
            if (key != IO_KEY || slots.contains(overlapped) || !relay.forward(key, overlapped, bytes)) {
                staleCompletions++; // a previous arm of one of our slots, or nobody's OVERLAPPED
            }
            return;
        }
        if (key == BLOCKING_KEY) {
            if (states[slot] != BLOCKING) {
                staleCompletions++;
                return;
            }
            inKernel--;
            long result = blocking.result(slot);
            if (closed && payloads[slot].kind() == OpKind.OPEN && result >= 0) {
                handles.remove(result); // nobody is left to take the handle
                w.closeHandle(result);
            }
            ready(slot, result);
            return;
        }
        if (states[slot] != KERNEL || slots.stillPending(slot)) {
            staleCompletions++; // the request is not over: this packet is not its completion
            return;
        }
        inKernel--;
        queuedCompletions++;
        completeSlot(slot, slots.status(slot), slots.transferred(slot));
    }

    private int deliver(CompletionSink sink) {
        return readyQueue.deliver(sink, freeSlot);
    }

    /** Frees a slot as its final completion goes out (first: the sink may prepare a new op into it). */
    private void freeSlot(int slot) {
        payloads[slot] = null;
        preAllocated[slot] = OpLifecycle.NONE;
        states[slot] = FREE;
    }

    /** An item of the multishot op in {@code slot}, delivered in order at the end of this turn. */
    void item(int slot, long result, int flags, int bufferId) {
        readyQueue.add(tokens[slot], result, flags | CompletionSink.MORE, bufferId);
    }

    /** Completes the op in {@code slot} with {@code result}, delivered at the end of this turn. */
    void ready(int slot, long result) {
        relay.settled(slot);
        states[slot] = READY;
        readyQueue.add(tokens[slot], result, 0, 0);
    }

    private void toKernel(int slot) {
        states[slot] = KERNEL;
        inKernel++;
    }

    // ---- starting ops ----

    private void issue(int slot) {
        OpPayload p = payloads[slot];
        switch (p.kind()) {
            case NOP -> ready(slot, 0);
            case TIMEOUT -> {
                states[slot] = TIMER;
                timers.add(slot, System.nanoTime() + ((Timeout) p).nanos());
            }
            case SOCKET -> ready(slot, sockets.createSocket((Socket) p));
            case ACCEPT -> sockets.startAccept(slot, (Accept) p);
            case CONNECT -> sockets.startConnect(slot, (Connect) p);
            case SHUTDOWN -> ready(slot, sockets.shutdown((Shutdown) p));
            case RECV -> sockets.startRecv(slot, (Recv) p);
            case SEND -> sockets.startSend(slot, (Send) p);
            case RECV_FROM -> sockets.startRecvFrom(slot, (RecvFrom) p);
            case SEND_TO -> sockets.startSendTo(slot, (SendTo) p);
            case RECV_MSG -> sockets.startVectored(slot, p.fd(), p.buffers(), ((RecvMsg) p).flags(), true);
            case SEND_MSG -> sockets.startVectored(slot, p.fd(), p.buffers(), ((SendMsg) p).flags(), false);
            case READ -> files.startFile(slot, p.fd(), ((Read) p).buf(), ((Read) p).offset(), false, fileOffsets);
            case WRITE -> files.startFile(slot, p.fd(), ((Write) p).buf(), ((Write) p).offset(), true, fileOffsets);
            case OPEN -> files.open(slot, (Open) p);
            case CLOSE -> sockets.close(slot, (Close) p);
            case FSYNC -> files.fsync(slot, (Fsync) p);
            case ACCEPT_MULTISHOT -> streams.startAccept(slot, (AcceptMultishot) p);
            case RECV_MULTISHOT -> streams.startRecv(slot, (RecvMultishot) p);
            default -> ready(slot, -Win32Error.ERROR_NOT_SUPPORTED.code());
        }
    }

    /**
     * Associates {@code handle} with a port, or routes the op in {@code slot} through the loop whose port has
     * it ({@link PortRelay#associate}); returns the handle's flags, or -1 after completing the op with the error.
     */
    int associate(int slot, long handle, boolean socketOp) {
        int flags = relay.associate(slot, handle, socketOp);
        if (flags < 0) {
            ready(slot, flags);
            return -1;
        }
        opHandles[slot] = handle;
        return flags;
    }

    /**
     * After the Win32 call that started the op in {@code slot}: an immediate success completes it now if the
     * handle skips the port, else its packet is awaited; ERROR_IO_PENDING awaits the packet; a warning
     * (WSAEMSGSIZE, ERROR_MORE_DATA: STATUS_BUFFER_OVERFLOW, not NT_SUCCESS) has its packet queued in either
     * mode, so it is awaited too; any other failure queued nothing and completes the op now.
     */
    void started(int slot, boolean succeeded, int handleFlags, boolean socket) {
        if (succeeded) {
            if ((handleFlags & HandleTable.SKIP_ON_SUCCESS) != 0) {
                inlineCompletions++;
                completeSlot(slot, NtStatus.STATUS_SUCCESS, slots.transferred(slot));
            } else {
                toKernel(slot); // a packet is queued for it all the same
            }
            return;
        }
        int err = socket ? w.wsaGetLastError() : w.lastError();
        if (err == ERROR_IO_PENDING) {
            toKernel(slot);
        } else if (err == Win32Error.WSAEMSGSIZE.code() || err == Win32Error.ERROR_MORE_DATA.code()) {
            warningsAtOnce++;
            toKernel(slot);
        } else if (err == ERROR_HANDLE_EOF && payloads[slot].kind() == OpKind.READ) {
            ready(slot, 0);
        } else {
            ready(slot, -err);
        }
    }

    /** Turns a completion status into the op's result and queues it for delivery. */
    private void completeSlot(int slot, int status, long bytes) {
        OpPayload p = payloads[slot];
        OpKind kind = p.kind();
        if (kind.multishot()) {
            boolean ok = NtStatus.isSuccess(status);
            streams.completed(slot, ok, ok ? 0 : NtStatus.toWinsockError(status), bytes);
            return;
        }
        boolean file = kind == OpKind.READ || kind == OpKind.WRITE;
        if (!NtStatus.isSuccess(status)) {
            // Files: what GetOverlappedResult reports (RtlNtStatusToDosError); sockets: WSAGetOverlappedResult's code.
            int code = file ? w.rtlNtStatusToDosError(status) : NtStatus.toWinsockError(status);
            ready(slot, code == ERROR_HANDLE_EOF && kind == OpKind.READ ? 0 : -code);
            return;
        }
        switch (kind) {
            case ACCEPT -> ready(slot, slot); // AcceptLifecycle.intoOutput reads the slot's address buffer
            case CONNECT -> ready(slot, 0);
            case RECV_FROM -> {
                int off = OverlappedSlots.offset(slot);
                AddressCodec.decode(slots.mem, off + OverlappedSlots.ADDRESS,
                        slots.mem.getInt(off + OverlappedSlots.FROM_LEN), ((RecvFrom) p).from());
                ready(slot, bytes);
            }
            case READ, WRITE -> {
                if (fileOffsets[slot] == -1) {
                    handles.advance(opHandles[slot], bytes);
                }
                ready(slot, bytes);
            }
            default -> ready(slot, bytes);
        }
    }

    /**
     * Runs a blocking call for the op in {@code slot} on the pool; the op completes with its result when its
     * packet arrives. {@code orphan} gets the result if the driver closed meanwhile.
     */
    void offload(int slot, LongSupplier call, LongConsumer orphan) {
        slots.arm(slot); // a fresh name for the op: a packet of an earlier arm cannot be taken for its result
        if (blocking.start(slot, slots.overlapped(slot), call, orphan)) {
            states[slot] = BLOCKING;
            inKernel++;
        } else {
            ready(slot, -Win32Error.ERROR_NO_SYSTEM_RESOURCES.code());
        }
    }

    // ---- wake-up ----

    @Override
    public void wakeup() {
        if (!closed && wakePending.compareAndSet(false, true) && !post(WAKEUP_KEY, 0)) {
            wakePending.set(false);
        }
    }

    /** Posts a packet to the port, unless the driver closed (never to a closed or reused handle). Any thread. */
    private boolean post(long key, long overlapped) {
        synchronized (postLock) {
            return !closed && w.postQueuedCompletionStatus(port, 0, key, overlapped);
        }
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
        control.address(fd, out, true);
    }

    @Override
    public void remoteAddress(IoFd fd, SockAddrStorage out) throws VeloqIoException {
        control.address(fd, out, false);
    }

    @Override
    public <T> void setOption(IoFd fd, SocketOption<T> option, T value) throws VeloqIoException {
        control.setOption(fd, option, value);
    }

    @Override
    public <T> T getOption(IoFd fd, SocketOption<T> option) throws VeloqIoException {
        return control.getOption(fd, option);
    }

    // ---- for the op classes, the lifecycles and tests ----

    Win32 win32() {
        return w;
    }

    HandleTable handles() {
        return handles;
    }

    OverlappedSlots slots() {
        return slots;
    }

    SocketOps sockets() {
        return sockets;
    }

    SocketControl control() {
        return control;
    }

    long preAllocated(int slot) {
        return preAllocated[slot];
    }

    void preAllocated(int slot, long handle) {
        preAllocated[slot] = handle;
    }

    OpPayload payload(int slot) {
        return payloads[slot];
    }

    boolean cancelAsked(int slot) {
        return cancelAsked[slot];
    }

    AcceptLifecycle acceptLifecycle() {
        return acceptLifecycle;
    }

    /** A multishot op's next request goes out at the start of the next turn (see {@link StreamOps}). */
    void requeue(int slot) {
        states[slot] = QUEUED;
        submitQueue[(submitHead + submitCount++) % capacity] = slot;
    }

    // ---- buffer rings, for the emulated multishot receive (StreamOps) ----

    @Override
    public void registerBufRing(int group, io.veloq.api.buffer.FixedBuf[] buffers) {
        streams.register(group, buffers);
    }

    @Override
    public void provideBuffer(int group, int bufferId) {
        streams.provide(group, bufferId);
    }

    @Override
    public void unregisterBufRing(int group) {
        streams.unregister(group);
    }

    /** Ops started that succeeded at once and were completed without a packet. */
    long inlineCompletions() {
        return inlineCompletions;
    }

    /** How this driver shares handles with the other loops' (forwarded packets, routed ops). */
    PortRelay relay() {
        return relay;
    }

    /** Ops completed by a dequeued packet. */
    long queuedCompletions() {
        return queuedCompletions;
    }

    /** Ops whose start call returned a warning (WSAEMSGSIZE, ERROR_MORE_DATA) at once; each awaited its packet. */
    long warningsAtOnce() {
        return warningsAtOnce;
    }

    /** Packets that belonged to no op of this driver in the kernel, or came while their request was pending. */
    long staleCompletions() {
        return staleCompletions;
    }

    /** The address of the OVERLAPPED the op in {@code slot} was started with. */
    long overlappedOf(int slot) {
        return slots.overlapped(slot);
    }

    /** The completion port handle. */
    long port() {
        return port;
    }

    /** Ops whose OVERLAPPED is with the kernel, or whose blocking call runs. */
    int inKernel() {
        return inKernel;
    }

    // ---- close ----

    @Override
    public void close() {
        if (closed) {
            return;
        }
        // Stops wake-ups and blocking-call packets first: nothing may be posted once the port is closed.
        synchronized (postLock) {
            closed = true;
        }
        relay.closing(); // other loops stop routing ops through this port and cancel those they did
        for (int slot = 0; slot < capacity; slot++) {
            if (states[slot] == KERNEL) {
                w.cancelIoEx(opHandles[slot], slots.overlapped(slot));
            }
        }
        long deadline = System.nanoTime() + CLOSE_DRAIN_NANOS;
        while ((kernelOwned() > 0 || relay.routedHere() > 0) && System.nanoTime() - deadline < 0) {
            try {
                poll(TimeUnit.MILLISECONDS.toNanos(50));
            } catch (VeloqIoException e) {
                break;
            }
        }
        relay.leave(id); // nothing is forwarded to this port from now on
        blocking.close();
        for (int slot = 0; slot < capacity; slot++) {
            OpPayload p = payloads[slot];
            if (p != null && (p.kind() == OpKind.ACCEPT || p.kind() == OpKind.ACCEPT_MULTISHOT)
                    && preAllocated[slot] != OpLifecycle.NONE && preAllocated[slot] >= 0) {
                acceptLifecycle.discard(null, preAllocated[slot]); // the host (or the stream) gave up on it
            }
            payloads[slot] = null;
        }
        int owed = kernelOwned();
        if (owed > 0) {
            // The kernel may still write into these OVERLAPPEDs: leaking beats corrupting memory.
            System.err.println("veloq: iocp driver " + id + ": " + owed + " operations did not come back within "
                    + TimeUnit.NANOSECONDS.toSeconds(CLOSE_DRAIN_NANOS) + " s of CancelIoEx; leaving their "
                    + slots.size() + " bytes of OVERLAPPED memory allocated");
        } else {
            slots.close();
        }
        entries.close();
        scratch.close();
        w.closeHandle(port);
    }

    /** Ops whose OVERLAPPED the kernel still owns (a blocking call's result can no longer arrive once closed). */
    private int kernelOwned() {
        int n = 0;
        for (int slot = 0; slot < capacity; slot++) {
            if (states[slot] == KERNEL) {
                n++;
            }
        }
        return n;
    }

    @Override
    public String toString() {
        return "IocpDriver(" + id + ", port 0x" + Long.toHexString(port) + ", " + capacity + " slots, " + inKernel
                + " in the kernel)";
    }
}
