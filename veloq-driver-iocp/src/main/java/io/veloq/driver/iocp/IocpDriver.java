package io.veloq.driver.iocp;

import io.veloq.api.Capability;
import io.veloq.api.IoFd;
import io.veloq.api.OpLifecycle;
import io.veloq.api.VeloqIoException;
import io.veloq.api.buffer.BufVec;
import io.veloq.api.buffer.FixedBuf;
import io.veloq.api.net.AddressFamily;
import io.veloq.api.net.AddressLayout;
import io.veloq.api.net.SockAddrStorage;
import io.veloq.api.op.Accept;
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
import io.veloq.driver.iocp.win32.ExtensionFunction;
import io.veloq.driver.iocp.win32.NativeMemory;
import io.veloq.driver.iocp.win32.NtStatus;
import io.veloq.driver.iocp.win32.Structs;
import io.veloq.driver.iocp.win32.Win32;
import io.veloq.spi.CompletionSink;
import io.veloq.spi.Driver;
import io.veloq.spi.DriverConfig;
import io.veloq.spi.ErrorTable;
import io.veloq.spi.IoBuffers;

import java.io.IOException;
import java.net.SocketOption;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.StandardOpenOption;
import java.util.EnumSet;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static io.veloq.driver.iocp.win32.Win32Constants.*;

/**
 * One IOCP driver instance: one completion port, owned by one loop thread.
 *
 * <h2>How an op runs</h2>
 * {@link #prepare} only records the op in its host slot. {@link #submitAndWait} then starts every recorded
 * op with its Win32 call (WSARecv, AcceptEx, ReadFile, ...), each with the slot's own OVERLAPPED, and
 * dequeues completion packets with one GetQueuedCompletionStatusEx. Every handle gets
 * {@code FILE_SKIP_COMPLETION_PORT_ON_SUCCESS} when it is associated with the port (sockets only when their
 * provider has IFS handles), so an op that succeeds at once queues no packet: the driver completes it
 * itself from the OVERLAPPED. Ops that complete at once, synchronous ops (Socket, Open, Close, Shutdown,
 * Fsync, Nop) and dequeued packets are delivered to the sink in that order.
 *
 * <h2>Native memory</h2>
 * One block of {@link #SLOT_SIZE} bytes per host slot ({@code slot = (int) userData < maxInFlight}),
 * allocated once: the OVERLAPPED, a stamp holding the op's user data (slot + generation), the WSABUF, the
 * flags and address words, and AcceptEx's address buffer. A packet finds its slot from the OVERLAPPED
 * address and is accepted only if the stamp matches the op in the slot. Memory is freed only after every
 * OVERLAPPED came back: on close anything still in the kernel is cancelled with CancelIoEx and drained.
 *
 * <h2>Handles</h2>
 * A socket or file is associated with the completion port of the first loop that starts an overlapped op on
 * it, and stays there (a Windows rule): using it from another loop fails with ERROR_INVALID_PARAMETER.
 *
 * <h2>Timeouts and wake-up</h2>
 * IOCP has no timer operation: {@code Timeout} ops sit in a heap and bound the wait. {@link #wakeup()}
 * posts a packet with a reserved completion key and no OVERLAPPED.
 *
 * <h2>Connect on a datagram socket</h2>
 * ConnectEx works on stream sockets only. A {@code Connect} op on a UDP socket (what
 * {@code UdpSocket.connect} submits) is a plain {@code connect} on the loop thread instead: it only sets the
 * default destination and filter, completes at once with 0, and needs neither the wildcard bind nor
 * {@code SO_UPDATE_CONNECT_CONTEXT} ({@link ConnectLifecycle} skips both for datagram sockets).
 *
 * <h2>SO_REUSEADDR on stream sockets</h2>
 * On Linux SO_REUSEADDR only lets a restarted server bind over connections lingering in TIME_WAIT, which is
 * why the net layer sets it on every TCP listener. On Windows it means something else and unsafe: a second
 * socket with SO_REUSEADDR may bind an address another socket is already bound to, even one that is
 * listening, and take over its connections (port stealing). So on TCP sockets the driver never passes
 * SO_REUSEADDR to Winsock: {@code setOption(SO_REUSEADDR, v)} only records {@code v}, and
 * {@code getOption} reads the recorded value back (the JDK emulates it the same way on Windows). Every
 * {@link #bind} of a TCP socket sets {@code SO_EXCLUSIVEADDRUSE} first, so no other socket can bind the same
 * address while this one (or a connection it accepted) is alive; a bind that collides fails with
 * WSAEADDRINUSE / WSAEACCES. The price, documented by Microsoft: a server restarted on the same port while
 * connections it accepted are still open (not yet closed) cannot bind until they are. Driver option
 * {@code iocp.exclusive-bind=false} drops SO_EXCLUSIVEADDRUSE and leaves Windows' default rules (SO_REUSEADDR
 * stays emulated either way). On UDP sockets SO_REUSEADDR is passed through: sharing a port between
 * datagram sockets (multicast receivers) is what it is for.
 *
 * <h2>Refused</h2>
 * {@link IoFd.Fixed} (no registered files), {@code ReadFixed}/{@code WriteFixed} (no registered buffers)
 * and Unix-domain sockets are refused with {@code ERROR_NOT_SUPPORTED} / {@code WSAEAFNOSUPPORT}; see
 * {@link IocpDriverProvider}. Fsync (FlushFileBuffers) runs synchronously on the loop thread.
 */
final class IocpDriver implements Driver {
    /** Completion key of every handle a driver associates with its port. */
    static final long IO_KEY = 1;
    /** Completion key of wake-up packets (no OVERLAPPED). */
    static final long WAKEUP_KEY = 0x564C_4F51_5741_4B45L;

    /** Bytes of native memory per op slot. */
    static final int SLOT_SIZE = 512;
    static final int OV = 0;
    static final int STAMP = Structs.Overlapped.SIZE;                 // 32: the op's user data
    static final int WSABUF = 40;
    static final int BYTES = 56;                                      // DWORD byte count (AcceptEx, ConnectEx)
    static final int FLAGS = 60;                                      // DWORD flags (WSARecv, WSARecvFrom)
    static final int FROM_LEN = 64;                                   // INT address length (WSARecvFrom)
    static final int ADDRESS = 72;                                    // sockaddr (ConnectEx, WSASendTo, WSARecvFrom)
    static final int ACCEPT_BUF = ADDRESS + Structs.SockaddrStorage.SIZE; // 200: AcceptEx's output buffer

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

    private static final long CLOSE_DRAIN_NANOS = TimeUnit.SECONDS.toNanos(5);

    private final String id;
    private final Win32 w;
    private final HandleTable handles;
    private final boolean skipWanted;
    private final boolean exclusiveBind;
    private final int capacity;
    private final long port;
    private final NativeMemory.Block slots;
    private final NativeMemory.Block entries;
    private final NativeMemory.Block scratch;
    final ByteBuffer slotMem;
    final long slotBase;
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
    private final long[] readyTokens;
    private final long[] readyResults;
    private int readyHead;
    private int readyCount;

    private final TimerHeap timers;
    private final long[] extensionPointers = new long[ExtensionFunction.values().length];
    private final AtomicBoolean wakePending = new AtomicBoolean();
    private final Object wakeLock = new Object();
    private final AcceptLifecycle acceptLifecycle;
    private final ConnectLifecycle connectLifecycle;
    private volatile boolean closed;
    private int inKernel;
    private long staleCompletions;
    private long inlineCompletions;
    private long queuedCompletions;

    private IocpDriver(String id, Win32 w, HandleTable handles, DriverConfig config, long port) {
        this.id = id;
        this.w = w;
        this.handles = handles;
        this.port = port;
        this.capacity = config.maxInFlight();
        this.skipWanted = Boolean.parseBoolean(config.option("iocp.skip-completion-port-on-success", "true"));
        this.exclusiveBind = Boolean.parseBoolean(config.option("iocp.exclusive-bind", "true"));
        this.entryCount = Math.max(16, Math.min(config.queueDepth(), 512));
        this.slots = NativeMemory.allocate(capacity * SLOT_SIZE);
        this.entries = NativeMemory.allocate(entryCount * Structs.OverlappedEntry.SIZE);
        this.scratch = NativeMemory.allocate(SCRATCH_SIZE);
        this.slotMem = slots.buffer();
        this.slotBase = slots.address();
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
        this.readyTokens = new long[capacity];
        this.readyResults = new long[capacity];
        this.timers = new TimerHeap(capacity);
        this.acceptLifecycle = new AcceptLifecycle(this);
        this.connectLifecycle = new ConnectLifecycle(this);
    }

    /** Creates the completion port and the slot memory. */
    static IocpDriver open(String id, Win32 w, HandleTable handles, DriverConfig config) throws IOException {
        long port = w.createIoCompletionPort(INVALID_HANDLE_VALUE, 0, 0, 1);
        if (port == 0) {
            int err = w.lastError();
            throw new IOException("cannot create an I/O completion port for loop " + config.loopIndex()
                    + ": CreateIoCompletionPort failed with " + Win32Error.TABLE.name(err) + " (" + err + ")");
        }
        try {
            return new IocpDriver(id, w, handles, config, port);
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
                break; // completed already, or about to be delivered
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
        issueQueued();
        issueCancels();
        fireTimers();
        long wait;
        if (readyCount > 0 || timeoutNanos == 0) {
            wait = 0;
        } else {
            wait = timeoutNanos < 0 ? Long.MAX_VALUE : timeoutNanos;
            if (!timers.isEmpty()) {
                wait = Math.min(wait, Math.max(0, timers.nextDeadline() - System.nanoTime()));
            }
        }
        if (wait != 0 || inKernel > 0 || wakePending.get()) {
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
                w.cancelIoEx(opHandles[slot], slotBase + (long) slot * SLOT_SIZE + OV);
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
                    Integer.toUnsignedLong(entryMem.getInt(e + Structs.OverlappedEntry.BYTES_TRANSFERRED)));
        }
    }

    private void onPacket(long key, long overlapped, long bytes) {
        if (overlapped == 0) {
            if (key == WAKEUP_KEY) {
                wakePending.set(false);
            } else {
                staleCompletions++;
            }
            return;
        }
        long offset = overlapped - slotBase;
        if (offset < 0 || offset >= (long) capacity * SLOT_SIZE || offset % SLOT_SIZE != OV) {
            staleCompletions++; // not one of our OVERLAPPEDs
            return;
        }
        int slot = (int) (offset / SLOT_SIZE);
        long stamp = slotMem.getLong(slot * SLOT_SIZE + STAMP);
        if (states[slot] != KERNEL || tokens[slot] != stamp) {
            staleCompletions++;
            return;
        }
        inKernel--;
        queuedCompletions++;
        completeSlot(slot, Structs.Overlapped.status(slotMem, slot * SLOT_SIZE + OV), bytes);
    }

    private int deliver(CompletionSink sink) {
        int delivered = 0;
        while (readyCount > 0) {
            long token = readyTokens[readyHead];
            long result = readyResults[readyHead];
            readyHead = (readyHead + 1) % capacity;
            readyCount--;
            int slot = (int) token;
            // Free the slot first: the sink may prepare a new op into it.
            payloads[slot] = null;
            preAllocated[slot] = OpLifecycle.NONE;
            states[slot] = FREE;
            delivered++;
            sink.complete(token, result);
        }
        return delivered;
    }

    private void ready(int slot, long result) {
        states[slot] = READY;
        int at = (readyHead + readyCount++) % capacity;
        readyTokens[at] = tokens[slot];
        readyResults[at] = result;
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
            case SOCKET -> ready(slot, createSocket((Socket) p));
            case ACCEPT -> startAccept(slot, (Accept) p);
            case CONNECT -> startConnect(slot, (Connect) p);
            case SHUTDOWN -> ready(slot, shutdown((Shutdown) p));
            case RECV -> startRecv(slot, (Recv) p);
            case SEND -> startSend(slot, (Send) p);
            case RECV_FROM -> startRecvFrom(slot, (RecvFrom) p);
            case SEND_TO -> startSendTo(slot, (SendTo) p);
            case RECV_MSG -> startVectored(slot, p.fd(), p.buffers(), ((RecvMsg) p).flags(), true);
            case SEND_MSG -> startVectored(slot, p.fd(), p.buffers(), ((SendMsg) p).flags(), false);
            case READ -> startFile(slot, p.fd(), ((Read) p).buf(), ((Read) p).offset(), false);
            case WRITE -> startFile(slot, p.fd(), ((Write) p).buf(), ((Write) p).offset(), true);
            case OPEN -> ready(slot, open((Open) p));
            case CLOSE -> ready(slot, close((Close) p));
            case FSYNC -> ready(slot, fsync((Fsync) p));
            default -> ready(slot, -Win32Error.ERROR_NOT_SUPPORTED.code());
        }
    }

    /** Clears the slot's OVERLAPPED and stamps it with the op's user data; returns the slot's offset. */
    private int arm(int slot, long handle) {
        int off = slot * SLOT_SIZE;
        Structs.Overlapped.clear(slotMem, off + OV);
        slotMem.putLong(off + STAMP, tokens[slot]);
        slotMem.putInt(off + BYTES, 0);
        opHandles[slot] = handle;
        return off;
    }

    /**
     * Associates {@code handle} with this port on first use; returns its flags, or -1 after completing the
     * op in {@code slot} with the error.
     */
    private int associate(int slot, long handle) {
        int flags = handles.flagsFor(handle, port);
        if (flags > 0) {
            return flags;
        }
        if (flags < 0) {
            ready(slot, -ERROR_INVALID_PARAMETER); // associated with another loop's port
            return -1;
        }
        int kind = handles.kind(handle);
        if (w.createIoCompletionPort(handle, port, IO_KEY, 0) == 0) {
            ready(slot, -w.lastError());
            return -1;
        }
        boolean socket = (kind & HandleTable.SOCKET) != 0 || ((kind & HandleTable.FILE) == 0 && isSocket(handle));
        boolean skip = skipWanted && (!socket || hasIfsHandles(handle))
                && w.setFileCompletionNotificationModes(handle,
                FILE_SKIP_COMPLETION_PORT_ON_SUCCESS | FILE_SKIP_SET_EVENT_ON_HANDLE);
        return handles.associate(handle, port, socket, skip);
    }

    private boolean isSocket(long handle) {
        scratchMem.putInt(SCR_LEN, 4);
        return w.getsockopt(handle, SOL_SOCKET, SO_TYPE, scratchBase + SCR_HANDLE, scratchBase + SCR_LEN) == 0;
    }

    /** Skipping the port on success is safe only for providers whose handles are IFS handles (no LSP). */
    private boolean hasIfsHandles(long socket) {
        scratchMem.putInt(SCR_LEN, Structs.WsaProtocolInfoW.SIZE);
        if (w.getsockopt(socket, SOL_SOCKET, SO_PROTOCOL_INFOW, scratchBase + SCR_PROTOCOL_INFO,
                scratchBase + SCR_LEN) != 0) {
            return false;
        }
        int flags1 = scratchMem.getInt(SCR_PROTOCOL_INFO + Structs.WsaProtocolInfoW.SERVICE_FLAGS1);
        return (flags1 & XP1_IFS_HANDLES) != 0;
    }

    /**
     * After the Win32 call that started the op in {@code slot}: completes it now when it succeeded at once
     * and the handle skips the port, else leaves it to the packet; on immediate failure completes it with the
     * error.
     */
    private void started(int slot, boolean succeeded, int handleFlags, boolean socket) {
        if (succeeded) {
            if ((handleFlags & HandleTable.SKIP_ON_SUCCESS) != 0) {
                inlineCompletions++;
                int off = slot * SLOT_SIZE;
                completeSlot(slot, NtStatus.STATUS_SUCCESS, Structs.Overlapped.transferred(slotMem, off + OV));
            } else {
                toKernel(slot); // a packet is queued for it all the same
            }
            return;
        }
        int err = socket ? w.wsaGetLastError() : w.lastError();
        if (err == ERROR_IO_PENDING) {
            toKernel(slot);
        } else if (err == Win32Error.WSAEMSGSIZE.code() || err == Win32Error.ERROR_MORE_DATA.code()) {
            // A warning status (STATUS_BUFFER_OVERFLOW) is not an NT error: the request counts as completed,
            // so its packet is queued like a success's: skipped only in skip mode. Wait for it otherwise, or
            // it would arrive later for a slot that holds another op.
            if ((handleFlags & HandleTable.SKIP_ON_SUCCESS) != 0) {
                ready(slot, -err);
            } else {
                toKernel(slot);
            }
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
        boolean file = kind == OpKind.READ || kind == OpKind.WRITE;
        if (!NtStatus.isSuccess(status)) {
            // A datagram longer than the buffer ends as STATUS_BUFFER_OVERFLOW: WSAEMSGSIZE, as Winsock reports it.
            int code = NtStatus.toWin32Error(status, !file);
            ready(slot, code == ERROR_HANDLE_EOF && kind == OpKind.READ ? 0 : -code);
            return;
        }
        int off = slot * SLOT_SIZE;
        switch (kind) {
            case ACCEPT -> ready(slot, slot); // AcceptLifecycle.intoOutput reads the slot's address buffer
            case CONNECT -> ready(slot, 0);
            case RECV_FROM -> {
                AddressCodec.decode(slotMem, off + ADDRESS, slotMem.getInt(off + FROM_LEN), ((RecvFrom) p).from());
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

    private void startRecv(int slot, Recv r) {
        long h = ((IoFd.Raw) r.fd()).handle();
        int flags = recvFlags(r.flags());
        if (flags < 0) {
            ready(slot, -Win32Error.WSAEOPNOTSUPP.code());
            return;
        }
        int hf = associate(slot, h);
        if (hf < 0) {
            return;
        }
        int off = arm(slot, h);
        putFillBuffer(off, r.buf());
        slotMem.putInt(off + FLAGS, flags);
        int rc = w.wsaRecv(h, slotBase + off + WSABUF, 1, 0, slotBase + off + FLAGS, slotBase + off + OV, 0);
        started(slot, rc == 0, hf, true);
    }

    private void startSend(int slot, Send s) {
        long h = ((IoFd.Raw) s.fd()).handle();
        int flags = sendFlags(s.flags());
        if (flags < 0) {
            ready(slot, -Win32Error.WSAEOPNOTSUPP.code());
            return;
        }
        int hf = associate(slot, h);
        if (hf < 0) {
            return;
        }
        int off = arm(slot, h);
        putDrainBuffer(off, s.buf());
        int rc = w.wsaSend(h, slotBase + off + WSABUF, 1, 0, flags, slotBase + off + OV, 0);
        started(slot, rc == 0, hf, true);
    }

    /** One WSARecv/WSASend over every buffer of {@code vec}: its WSABUF array is the vector's own table. */
    private void startVectored(int slot, IoFd fd, BufVec vec, int userFlags, boolean recv) {
        long h = ((IoFd.Raw) fd).handle();
        int flags = recv ? recvFlags(userFlags) : sendFlags(userFlags);
        if (flags < 0) {
            ready(slot, -Win32Error.WSAEOPNOTSUPP.code());
            return;
        }
        if (vec.size() == 0) {
            ready(slot, 0); // nothing to send (an empty receive is refused by the api before it gets here)
            return;
        }
        int hf = associate(slot, h);
        if (hf < 0) {
            return;
        }
        int off = arm(slot, h);
        long table = WsaBufTable.fill(vec, recv);
        int rc;
        if (recv) {
            slotMem.putInt(off + FLAGS, flags);
            rc = w.wsaRecv(h, table, vec.size(), 0, slotBase + off + FLAGS, slotBase + off + OV, 0);
        } else {
            rc = w.wsaSend(h, table, vec.size(), 0, flags, slotBase + off + OV, 0);
        }
        started(slot, rc == 0, hf, true);
    }

    private void startRecvFrom(int slot, RecvFrom r) {
        long h = ((IoFd.Raw) r.fd()).handle();
        int hf = associate(slot, h);
        if (hf < 0) {
            return;
        }
        int off = arm(slot, h);
        putFillBuffer(off, r.buf());
        slotMem.putInt(off + FLAGS, 0);
        slotMem.putInt(off + FROM_LEN, Structs.SockaddrStorage.SIZE);
        int rc = w.wsaRecvFrom(h, slotBase + off + WSABUF, 1, 0, slotBase + off + FLAGS, slotBase + off + ADDRESS,
                slotBase + off + FROM_LEN, slotBase + off + OV, 0);
        started(slot, rc == 0, hf, true);
    }

    private void startSendTo(int slot, SendTo s) {
        long h = ((IoFd.Raw) s.fd()).handle();
        int off = slot * SLOT_SIZE;
        int len = AddressCodec.encode(s.to(), slotMem, off + ADDRESS);
        if (len < 0) {
            ready(slot, -Win32Error.WSAEAFNOSUPPORT.code());
            return;
        }
        int hf = associate(slot, h);
        if (hf < 0) {
            return;
        }
        arm(slot, h);
        putDrainBuffer(off, s.buf());
        int rc = w.wsaSendTo(h, slotBase + off + WSABUF, 1, 0, 0, slotBase + off + ADDRESS, len,
                slotBase + off + OV, 0);
        started(slot, rc == 0, hf, true);
    }

    private void startAccept(int slot, Accept a) {
        long listener = ((IoFd.Raw) a.fd()).handle();
        long acceptSocket = preAllocated[slot];
        if (acceptSocket == OpLifecycle.NONE) {
            ready(slot, -WSAEINVAL); // the host runs AcceptLifecycle.preAlloc first; without a socket AcceptEx cannot run
            return;
        }
        int hf = associate(slot, listener);
        if (hf < 0) {
            return;
        }
        long fn = extension(ExtensionFunction.ACCEPT_EX, listener);
        if (fn < 0) {
            ready(slot, fn);
            return;
        }
        int off = arm(slot, listener);
        boolean ok = w.acceptEx(fn, listener, acceptSocket, slotBase + off + ACCEPT_BUF, 0,
                Structs.ACCEPT_EX_ADDRESS_LENGTH, Structs.ACCEPT_EX_ADDRESS_LENGTH, slotBase + off + BYTES,
                slotBase + off + OV);
        started(slot, ok, hf, true);
    }

    private void startConnect(int slot, Connect c) {
        long h = ((IoFd.Raw) c.fd()).handle();
        int off = slot * SLOT_SIZE;
        int len = AddressCodec.encode(c.address(), slotMem, off + ADDRESS);
        if (len < 0) {
            ready(slot, -Win32Error.WSAEAFNOSUPPORT.code());
            return;
        }
        if (isDatagram(h)) {
            // ConnectEx is for stream sockets; a datagram connect completes at once and queues nothing.
            ready(slot, w.connect(h, slotBase + off + ADDRESS, len) == 0 ? 0 : -w.wsaGetLastError());
            return;
        }
        int hf = associate(slot, h);
        if (hf < 0) {
            return;
        }
        long fn = extension(ExtensionFunction.CONNECT_EX, h);
        if (fn < 0) {
            ready(slot, fn);
            return;
        }
        arm(slot, h);
        boolean ok = w.connectEx(fn, h, slotBase + off + ADDRESS, len, 0, 0, slotBase + off + BYTES,
                slotBase + off + OV);
        started(slot, ok, hf, true);
    }

    private void startFile(int slot, IoFd fd, FixedBuf buf, long offset, boolean write) {
        long h = ((IoFd.Raw) fd).handle();
        int hf = associate(slot, h);
        if (hf < 0) {
            return;
        }
        int off = arm(slot, h);
        fileOffsets[slot] = offset;
        long at;
        if (offset >= 0) {
            at = offset;
        } else if (write && (hf & HandleTable.APPEND) != 0) {
            at = -1; // Offset = OffsetHigh = 0xFFFFFFFF: write at the end of the file
            fileOffsets[slot] = -2;
        } else {
            at = handles.position(h);
        }
        Structs.Overlapped.setOffset(slotMem, off + OV, at);
        ByteBuffer mem = IoBuffers.memory(buf);
        boolean ok;
        if (write) {
            long addr = NativeMemory.address(mem) + IoBuffers.drainOffset(buf);
            ok = w.writeFile(h, addr, IoBuffers.drainLength(buf), 0, slotBase + off + OV);
        } else {
            long addr = NativeMemory.address(mem) + IoBuffers.fillOffset(buf);
            ok = w.readFile(h, addr, IoBuffers.fillLength(buf), 0, slotBase + off + OV);
        }
        started(slot, ok, hf, false);
    }

    private void putFillBuffer(int off, FixedBuf buf) {
        long addr = NativeMemory.address(IoBuffers.memory(buf)) + IoBuffers.fillOffset(buf);
        Structs.WsaBuf.put(slotMem, off + WSABUF, addr, IoBuffers.fillLength(buf));
    }

    private void putDrainBuffer(int off, FixedBuf buf) {
        long addr = NativeMemory.address(IoBuffers.memory(buf)) + IoBuffers.drainOffset(buf);
        Structs.WsaBuf.put(slotMem, off + WSABUF, addr, IoBuffers.drainLength(buf));
    }

    /** Linux recv(2) flags to Winsock's; -1 for one Windows lacks. */
    static int recvFlags(int linux) {
        int out = 0;
        int rest = linux & ~0x4000; // MSG_NOSIGNAL: Windows never raises SIGPIPE
        if ((rest & 0x1) != 0) {
            out |= MSG_OOB;
        }
        if ((rest & 0x2) != 0) {
            out |= MSG_PEEK;
        }
        if ((rest & 0x100) != 0) {
            out |= MSG_WAITALL;
        }
        return (rest & ~(0x1 | 0x2 | 0x100)) != 0 ? -1 : out;
    }

    /** Linux send(2) flags to Winsock's; -1 for one Windows lacks. */
    static int sendFlags(int linux) {
        int rest = linux & ~0x4000; // MSG_NOSIGNAL
        if ((rest & ~0x1) != 0) {
            return -1;
        }
        return (rest & 0x1) != 0 ? MSG_OOB : 0;
    }

    /**
     * The address of an extension function, loaded once per driver with
     * WSAIoctl(SIO_GET_EXTENSION_FUNCTION_POINTER) on {@code socket}; minus the Winsock error when that fails.
     * (Microsoft's TCP/IP providers share one implementation for IPv4 and IPv6.)
     */
    long extension(ExtensionFunction f, long socket) {
        long cached = extensionPointers[f.ordinal()];
        if (cached != 0) {
            return cached;
        }
        byte[] guid = f.guid();
        for (int i = 0; i < guid.length; i++) {
            scratchMem.put(SCR_GUID + i, guid[i]);
        }
        scratchMem.putLong(SCR_FUNCTION, 0);
        int rc = w.wsaIoctl(socket, SIO_GET_EXTENSION_FUNCTION_POINTER, scratchBase + SCR_GUID, Structs.Guid.SIZE,
                scratchBase + SCR_FUNCTION, 8, scratchBase + SCR_BYTES, 0, 0);
        if (rc != 0) {
            return -w.wsaGetLastError();
        }
        long fn = scratchMem.getLong(SCR_FUNCTION);
        if (fn == 0) {
            return -WSAEINVAL;
        }
        extensionPointers[f.ordinal()] = fn;
        return fn;
    }

    // ---- synchronous ops ----

    private long createSocket(Socket s) {
        if (s.family() == AddressFamily.UNIX) {
            return -Win32Error.WSAEAFNOSUPPORT.code();
        }
        int af = AddressLayout.WINDOWS.nativeFamily(s.family());
        boolean stream = s.type() == io.veloq.api.net.SocketType.STREAM;
        long h = w.wsaSocketW(af, stream ? SOCK_STREAM : SOCK_DGRAM, stream ? IPPROTO_TCP : IPPROTO_UDP, 0, 0,
                WSA_FLAG_OVERLAPPED | WSA_FLAG_NO_HANDLE_INHERIT);
        if (h == INVALID_SOCKET) {
            return -w.wsaGetLastError();
        }
        handles.register(h, HandleTable.SOCKET | HandleTable.TYPED | (stream ? 0 : HandleTable.DATAGRAM));
        return h;
    }

    /** True for a datagram socket; false for a stream socket and for anything getsockopt(SO_TYPE) fails on. */
    boolean isDatagram(long socket) {
        return socketType(socket) == SOCK_DGRAM;
    }

    /**
     * SOCK_STREAM or SOCK_DGRAM, or minus the Winsock error of getsockopt(SO_TYPE) (not a socket, closed).
     * Known for the sockets the driver created; asked once and recorded for others. Any thread (it allocates
     * its own memory when it must ask).
     */
    int socketType(long socket) {
        int kind = handles.kind(socket);
        if ((kind & HandleTable.TYPED) != 0) {
            return (kind & HandleTable.DATAGRAM) != 0 ? SOCK_DGRAM : SOCK_STREAM;
        }
        try (NativeMemory.Block b = NativeMemory.allocate(16)) {
            b.buffer().putInt(8, 4);
            if (w.getsockopt(socket, SOL_SOCKET, SO_TYPE, b.address(), b.address() + 8) != 0) {
                return -w.wsaGetLastError();
            }
            int type = b.buffer().getInt(0);
            handles.mark(socket, HandleTable.DATAGRAM, type == SOCK_DGRAM);
            handles.mark(socket, HandleTable.TYPED, true);
            return type;
        }
    }

    private long shutdown(Shutdown s) {
        long h = ((IoFd.Raw) s.fd()).handle();
        int how = switch (s.how()) {
            case READ -> SD_RECEIVE;
            case WRITE -> SD_SEND;
            case BOTH -> SD_BOTH;
        };
        return w.shutdown(h, how) == 0 ? 0 : -w.wsaGetLastError();
    }

    private long close(Close c) {
        long h = ((IoFd.Raw) c.fd()).handle();
        int kind = handles.remove(h);
        if ((kind & HandleTable.SOCKET) != 0) {
            return w.closesocket(h) == 0 ? 0 : -w.wsaGetLastError();
        }
        if ((kind & HandleTable.FILE) != 0) {
            return w.closeHandle(h) ? 0 : -w.lastError();
        }
        if (w.closesocket(h) == 0) {
            return 0;
        }
        int err = w.wsaGetLastError();
        if (err != WSAENOTSOCK) {
            return -err;
        }
        return w.closeHandle(h) ? 0 : -w.lastError();
    }

    private long fsync(Fsync f) {
        long h = ((IoFd.Raw) f.fd()).handle();
        return w.flushFileBuffers(h) ? 0 : -w.lastError();
    }

    private static final Set<StandardOpenOption> OPEN_OPTIONS = EnumSet.of(StandardOpenOption.READ,
            StandardOpenOption.WRITE, StandardOpenOption.APPEND, StandardOpenOption.CREATE,
            StandardOpenOption.CREATE_NEW, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.DSYNC,
            StandardOpenOption.SYNC, StandardOpenOption.DELETE_ON_CLOSE);

    private long open(Open o) {
        Set<StandardOpenOption> opts = o.options();
        for (StandardOpenOption opt : opts) {
            if (!OPEN_OPTIONS.contains(opt)) {
                return -ERROR_INVALID_PARAMETER; // SPARSE: no equivalent here
            }
        }
        boolean append = opts.contains(StandardOpenOption.APPEND);
        int access = 0;
        if (opts.contains(StandardOpenOption.READ) || !(opts.contains(StandardOpenOption.WRITE) || append)) {
            access |= GENERIC_READ;
        }
        if (opts.contains(StandardOpenOption.WRITE) || append) {
            access |= GENERIC_WRITE;
        }
        boolean truncate = opts.contains(StandardOpenOption.TRUNCATE_EXISTING) && (access & GENERIC_WRITE) != 0;
        int disposition;
        if (opts.contains(StandardOpenOption.CREATE_NEW)) {
            disposition = CREATE_NEW;
        } else if (opts.contains(StandardOpenOption.CREATE)) {
            disposition = truncate ? CREATE_ALWAYS : OPEN_ALWAYS;
        } else {
            disposition = truncate ? TRUNCATE_EXISTING : OPEN_EXISTING;
        }
        int flags = FILE_ATTRIBUTE_NORMAL | FILE_FLAG_OVERLAPPED;
        if (opts.contains(StandardOpenOption.DSYNC) || opts.contains(StandardOpenOption.SYNC)) {
            flags |= FILE_FLAG_WRITE_THROUGH;
        }
        if (opts.contains(StandardOpenOption.DELETE_ON_CLOSE)) {
            flags |= FILE_FLAG_DELETE_ON_CLOSE;
        }
        byte[] name = (win32Path(o.path().toAbsolutePath().toString()) + '\0').getBytes(StandardCharsets.UTF_16LE);
        long h;
        try (NativeMemory.Block path = NativeMemory.allocate(name.length)) {
            path.buffer().put(0, name);
            h = w.createFileW(path.address(), access, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, 0,
                    disposition, flags, 0);
        }
        if (h == INVALID_HANDLE_VALUE) {
            return -w.lastError();
        }
        handles.register(h, HandleTable.FILE | (append ? HandleTable.APPEND : 0));
        return h;
    }

    /**
     * A path CreateFileW accepts at any length: past MAX_PATH (260) a drive path needs the {@code \\?\}
     * prefix and a UNC path {@code \\?\UNC\}. Anything else is passed as is.
     */
    static String win32Path(String absolute) {
        if (absolute.length() < 248 || absolute.startsWith("\\\\?\\")) {
            return absolute;
        }
        if (absolute.length() > 2 && Character.isLetter(absolute.charAt(0)) && absolute.charAt(1) == ':'
                && absolute.charAt(2) == '\\') {
            return "\\\\?\\" + absolute;
        }
        if (absolute.startsWith("\\\\")) {
            return "\\\\?\\UNC\\" + absolute.substring(2);
        }
        return absolute;
    }

    // ---- wake-up ----

    @Override
    public void wakeup() {
        if (!closed && wakePending.compareAndSet(false, true)) {
            // Under the lock close() takes before closing the port: never post to a closed (or reused) handle.
            synchronized (wakeLock) {
                if (!closed && !w.postQueuedCompletionStatus(port, 0, WAKEUP_KEY, 0)) {
                    wakePending.set(false);
                }
            }
        }
    }

    // ---- socket control (any thread) ----

    private long raw(IoFd fd, String what) {
        if (fd instanceof IoFd.Raw r) {
            return r.handle();
        }
        throw new UnsupportedOperationException("the iocp driver does not support registered (fixed) files: " + what
                + " on " + fd + "; use IoFd.Raw (capability FIXED_FILES is not offered on Windows)");
    }

    @Override
    public void bind(IoFd fd, SockAddrStorage local) throws VeloqIoException {
        long h = raw(fd, "bind");
        try (NativeMemory.Block b = NativeMemory.allocate(Structs.SockaddrStorage.SIZE + 8)) {
            int len = AddressCodec.encode(local, b.buffer(), 0);
            if (len < 0) {
                throw Win32Error.TABLE.exception(Win32Error.WSAEAFNOSUPPORT.code(), "bind of " + fd + " to " + local);
            }
            int type = socketType(h);
            if (type < 0) {
                throw Win32Error.TABLE.exception(-type, "bind of " + fd + " to " + local);
            }
            if (exclusiveBind && type == SOCK_STREAM) {
                // No port stealing: see "SO_REUSEADDR on stream sockets" in the class comment.
                b.buffer().putInt(Structs.SockaddrStorage.SIZE, 1); // the BOOL after the sockaddr
                if (w.setsockopt(h, SOL_SOCKET, SO_EXCLUSIVEADDRUSE, b.address() + Structs.SockaddrStorage.SIZE, 4) != 0) {
                    throw Win32Error.TABLE.exception(w.wsaGetLastError(), "setsockopt SO_EXCLUSIVEADDRUSE before the bind of "
                            + fd + " to " + local + " (is Winsock's SO_REUSEADDR set on it?)");
                }
            }
            if (w.bind(h, b.address(), len) != 0) {
                throw Win32Error.TABLE.exception(w.wsaGetLastError(), "bind of " + fd + " to " + local);
            }
        }
    }

    @Override
    public void listen(IoFd fd, int backlog) throws VeloqIoException {
        long h = raw(fd, "listen");
        if (w.listen(h, backlog) != 0) {
            throw Win32Error.TABLE.exception(w.wsaGetLastError(), "listen on " + fd + " with backlog " + backlog);
        }
    }

    @Override
    public void localAddress(IoFd fd, SockAddrStorage out) throws VeloqIoException {
        address(fd, out, true);
    }

    @Override
    public void remoteAddress(IoFd fd, SockAddrStorage out) throws VeloqIoException {
        address(fd, out, false);
    }

    private void address(IoFd fd, SockAddrStorage out, boolean local) throws VeloqIoException {
        long h = raw(fd, local ? "getsockname" : "getpeername");
        try (NativeMemory.Block b = NativeMemory.allocate(Structs.SockaddrStorage.SIZE + 8)) {
            b.buffer().putInt(Structs.SockaddrStorage.SIZE, Structs.SockaddrStorage.SIZE);
            long lenAddr = b.address() + Structs.SockaddrStorage.SIZE;
            int rc = local ? w.getsockname(h, b.address(), lenAddr) : w.getpeername(h, b.address(), lenAddr);
            if (rc != 0) {
                throw Win32Error.TABLE.exception(w.wsaGetLastError(), (local ? "getsockname of " : "getpeername of ") + fd);
            }
            if (!AddressCodec.decode(b.buffer(), 0, b.buffer().getInt(Structs.SockaddrStorage.SIZE), out)) {
                throw Win32Error.TABLE.exception(Win32Error.WSAEAFNOSUPPORT.code(),
                        (local ? "getsockname of " : "getpeername of ") + fd + " returned an address of unknown family");
            }
        }
    }

    @Override
    public <T> void setOption(IoFd fd, SocketOption<T> option, T value) throws VeloqIoException {
        long h = raw(fd, "setOption(" + option.name() + ")");
        WinSocketOptions.Native n = nativeOption(option);
        if (n.name() == SO_REUSEADDR && n.level() == SOL_SOCKET && emulatesReuseAddress(fd, h, "setsockopt SO_REUSEADDR=" + value)) {
            // Emulated on TCP sockets: see "SO_REUSEADDR on stream sockets" in the class comment.
            handles.mark(h, HandleTable.REUSE_ADDR, (Boolean) value);
            return;
        }
        try (NativeMemory.Block b = NativeMemory.allocate(8)) {
            ByteBuffer m = b.buffer();
            int len = 4;
            if (n.encoding() == WinSocketOptions.Encoding.LINGER) {
                int seconds = (Integer) value;
                m.putShort(Structs.Linger.ONOFF, (short) (seconds < 0 ? 0 : 1));
                m.putShort(Structs.Linger.LINGER, (short) Math.max(0, seconds));
            } else if (value instanceof Boolean bool) {
                m.putInt(0, bool ? 1 : 0);
            } else if (value instanceof Integer i) {
                m.putInt(0, i);
            } else {
                throw new UnsupportedOperationException("socket option " + option.name() + " with a "
                        + option.type().getSimpleName() + " value is not supported by the iocp driver on Windows");
            }
            if (w.setsockopt(h, n.level(), n.name(), b.address(), len) != 0) {
                throw Win32Error.TABLE.exception(w.wsaGetLastError(), "setsockopt " + option.name() + "=" + value + " on " + fd);
            }
        }
    }

    @Override
    public <T> T getOption(IoFd fd, SocketOption<T> option) throws VeloqIoException {
        long h = raw(fd, "getOption(" + option.name() + ")");
        WinSocketOptions.Native n = nativeOption(option);
        if (n.name() == SO_REUSEADDR && n.level() == SOL_SOCKET && emulatesReuseAddress(fd, h, "getsockopt SO_REUSEADDR")) {
            return option.type().cast((handles.kind(h) & HandleTable.REUSE_ADDR) != 0);
        }
        try (NativeMemory.Block b = NativeMemory.allocate(16)) {
            ByteBuffer m = b.buffer();
            m.putInt(8, 4);
            if (w.getsockopt(h, n.level(), n.name(), b.address(), b.address() + 8) != 0) {
                throw Win32Error.TABLE.exception(w.wsaGetLastError(), "getsockopt " + option.name() + " on " + fd);
            }
            int len = m.getInt(8);
            Object value;
            if (n.encoding() == WinSocketOptions.Encoding.LINGER) {
                value = m.getShort(Structs.Linger.ONOFF) == 0 ? -1 : Short.toUnsignedInt(m.getShort(Structs.Linger.LINGER));
            } else {
                int raw = len == 1 ? m.get(0) : m.getInt(0);
                value = option.type() == Boolean.class ? (Object) (raw != 0) : (Object) raw;
            }
            return option.type().cast(value);
        }
    }

    /** True for a stream socket (SO_REUSEADDR emulated); throws when {@code h} is no socket. */
    private boolean emulatesReuseAddress(IoFd fd, long h, String what) throws VeloqIoException {
        int type = socketType(h);
        if (type < 0) {
            throw Win32Error.TABLE.exception(-type, what + " on " + fd);
        }
        return type == SOCK_STREAM;
    }

    private static WinSocketOptions.Native nativeOption(SocketOption<?> option) {
        WinSocketOptions.Native n = WinSocketOptions.of(option);
        if (n == null || !(option.type() == Boolean.class || option.type() == Integer.class)) {
            throw new UnsupportedOperationException("socket option " + option.name()
                    + " is not supported on Windows by the iocp driver");
        }
        return n;
    }

    // ---- for the lifecycles and tests ----

    Win32 win32() {
        return w;
    }

    HandleTable handles() {
        return handles;
    }

    /** Ops started that succeeded at once and were completed without a packet. */
    long inlineCompletions() {
        return inlineCompletions;
    }

    /** Ops completed by a dequeued packet. */
    long queuedCompletions() {
        return queuedCompletions;
    }

    /** Packets that named no op of this driver (or an op already completed). */
    long staleCompletions() {
        return staleCompletions;
    }

    /** The completion port handle. */
    long port() {
        return port;
    }

    /** Ops whose OVERLAPPED is with the kernel. */
    int inKernel() {
        return inKernel;
    }

    // ---- close ----

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (int slot = 0; slot < capacity; slot++) {
            if (states[slot] == KERNEL) {
                w.cancelIoEx(opHandles[slot], slotBase + (long) slot * SLOT_SIZE + OV);
            }
        }
        long deadline = System.nanoTime() + CLOSE_DRAIN_NANOS;
        while (inKernel > 0 && System.nanoTime() - deadline < 0) {
            try {
                poll(TimeUnit.MILLISECONDS.toNanos(50));
            } catch (VeloqIoException e) {
                break;
            }
        }
        for (int slot = 0; slot < capacity; slot++) {
            OpPayload p = payloads[slot];
            if (p != null && p.kind() == OpKind.ACCEPT && preAllocated[slot] != OpLifecycle.NONE
                    && preAllocated[slot] >= 0) {
                acceptLifecycle.discard((Accept) p, preAllocated[slot]); // the host gave up on it
            }
            payloads[slot] = null;
        }
        if (inKernel > 0) {
            // The kernel may still write into these OVERLAPPEDs: leaking beats corrupting memory.
            System.err.println("veloq: iocp driver " + id + ": " + inKernel + " operations did not come back within "
                    + TimeUnit.NANOSECONDS.toSeconds(CLOSE_DRAIN_NANOS) + " s of CancelIoEx; leaving their "
                    + slots.size() + " bytes of OVERLAPPED memory allocated");
        } else {
            slots.close();
        }
        entries.close();
        scratch.close();
        synchronized (wakeLock) {
            w.closeHandle(port);
        }
    }

    @Override
    public String toString() {
        return "IocpDriver(" + id + ", port 0x" + Long.toHexString(port) + ", " + capacity + " slots, " + inKernel
                + " in the kernel)";
    }
}
