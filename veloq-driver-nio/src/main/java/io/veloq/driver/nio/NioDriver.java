package io.veloq.driver.nio;

import io.veloq.api.Capability;
import io.veloq.api.IoFd;
import io.veloq.api.VeloqIoException;
import io.veloq.api.net.AddressLayout;
import io.veloq.api.net.SockAddrStorage;
import io.veloq.api.op.OpKind;
import io.veloq.api.op.OpPayload;
import io.veloq.api.op.Socket;
import io.veloq.api.op.Timeout;
import io.veloq.spi.CompletionSink;
import io.veloq.spi.Driver;
import io.veloq.spi.DriverConfig;
import io.veloq.spi.ErrorTable;
import io.veloq.spi.LinuxErrno;

import java.io.IOException;
import java.net.SocketOption;
import java.nio.channels.CancelledKeyException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.SelectableChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

/**
 * One loop's driver: the proactor contract over a {@link Selector}. {@link #prepare} queues an op;
 * {@link #submitAndWait} starts what is queued (trying each socket op at once, since the data is often
 * already there), parks what would block on its socket's {@link Port}, waits in one {@code select} for
 * readiness, a timer or a {@link #wakeup()}, finishes the ops whose sockets became ready and delivers the
 * completions. Ops a completer submits while they are delivered are started in the same call (a few
 * rounds at most), so an echo costs one {@code select} per batch, as a hand-written NIO server does.
 * File ops go to the runtime's {@link FileWorkers} and come back through {@link #fileDone}.
 *
 * <p>Allocation-free per op: slots are pre-made, lists are intrusive, buffers are read and written
 * through a cached view of each {@code FixedBuf}'s memory, ready keys are handed to a pre-made consumer
 * ({@code Selector.select(Consumer)}, no iterator).
 */
final class NioDriver implements Driver {
    /** "Would block": park the op. */
    static final long AGAIN = Long.MIN_VALUE;
    static final long CANCELLED = -LinuxErrno.ECANCELED.code();
    static final long EBADF = -LinuxErrno.EBADF.code();
    /** Rounds of "deliver, then start what the completers submitted" in one submitAndWait. */
    private static final int ROUNDS = 4;

    private final LoopGroup group;
    private final HandleTable handles;
    private final int loop;
    private final int queueDepth;
    private final Selector selector;
    private final Set<Capability> capabilities;
    private final OpSlot[] slots;
    private final int[] freeSlots;
    private int freeCount;
    private final UserDataIndex index;
    private final TimerHeap timers;
    private final BufferViews views = new BufferViews();
    private final SocketOps socketOps;
    private final Consumer<SelectionKey> onReady = this::onReady;
    private final AtomicReference<OpSlot> done = new AtomicReference<>();
    private final AtomicReference<Port> closedPorts = new AtomicReference<>();

    private OpSlot queueHead;
    private OpSlot queueTail;
    private int queued;
    private OpSlot readyHead;
    private OpSlot readyTail;
    private int parked;
    private int atWorkers;
    private boolean skippedPoll;
    private boolean closed;

    NioDriver(DriverConfig config, LoopGroup group, Set<Capability> capabilities) throws IOException {
        this.group = group;
        this.handles = group.handles();
        this.loop = config.loopIndex();
        this.queueDepth = Math.max(1, config.queueDepth());
        this.capabilities = capabilities;
        int n = Math.max(1, config.maxInFlight());
        this.slots = new OpSlot[n];
        this.freeSlots = new int[n];
        for (int i = 0; i < n; i++) {
            slots[i] = new OpSlot(i, this);
            slots[i].clear();
            freeSlots[i] = n - 1 - i;
        }
        this.freeCount = n;
        this.index = new UserDataIndex(n);
        this.timers = new TimerHeap(n);
        this.socketOps = new SocketOps(this, handles, views);
        this.selector = Selector.open();
    }

    int loopIndex() {
        return loop;
    }

    HandleTable handles() {
        return handles;
    }

    // ---- identity ----

    @Override
    public String id() {
        return NioProvider.ID;
    }

    @Override
    public Set<Capability> capabilities() {
        return capabilities;
    }

    @Override
    public AddressLayout addressLayout() {
        return AddressLayout.host();
    }

    @Override
    public ErrorTable errors() {
        return LinuxErrno.TABLE;
    }

    // ---- submission ----

    @Override
    public int prepare(long userData, OpPayload payload, long preAllocated, long deadlineNanos) {
        if (closed) {
            throw new IllegalStateException("nio driver of loop " + loop + " is closed; cannot prepare " + payload.describe());
        }
        int rc = Refusals.check(payload, capabilities);
        if (rc < 0) {
            return rc;
        }
        if (queued >= queueDepth || freeCount == 0) {
            return 0;
        }
        OpSlot s = slots[freeSlots[--freeCount]];
        s.userData = userData;
        s.payload = payload;
        s.kind = payload.kind();
        s.state = OpSlot.QUEUED;
        index.put(userData, s.index);
        if (deadlineNanos > 0) {
            // LINKED_TIMEOUTS: the deadline runs from submission, like io_uring's linked timeout. On expiry the
            // op is cancelled (the host reports it as timed out); its own result wins a race.
            s.deadline = System.nanoTime() + deadlineNanos;
            timers.add(s);
        }
        s.next = null;
        if (queueTail == null) {
            queueHead = s;
        } else {
            queueTail.next = s;
        }
        queueTail = s;
        queued++;
        return 1;
    }

    @Override
    public String explainRefusal(OpPayload payload, int code) {
        return Refusals.explain(payload, code, capabilities);
    }

    @Override
    public boolean prepareCancel(long userData) {
        int i = index.get(userData);
        if (i < 0) {
            return true; // completed already, or never here
        }
        cancel(slots[i]);
        return true;
    }

    /** Cancels what {@code s} waits for; a result that is already in wins the race. */
    private void cancel(OpSlot s) {
        switch (s.state) {
            case OpSlot.QUEUED -> {
                unqueue(s);
                ready(s, CANCELLED);
            }
            case OpSlot.PARKED -> {
                if (s.port.remove(s)) {
                    parked--;
                    ready(s, CANCELLED);
                }
            }
            case OpSlot.TIMER -> ready(s, CANCELLED);
            case OpSlot.FILE -> s.cancelRequested = true; // a worker has it: it finishes or skips it, then hands it back
            default -> {
                // READY: its result wins the race
            }
        }
    }

    private void unqueue(OpSlot s) {
        OpSlot prev = null;
        for (OpSlot c = queueHead; c != null; prev = c, c = c.next) {
            if (c == s) {
                if (prev == null) {
                    queueHead = c.next;
                } else {
                    prev.next = c.next;
                }
                if (queueTail == c) {
                    queueTail = prev;
                }
                c.next = null;
                queued--;
                return;
            }
        }
    }

    // ---- the turn ----

    @Override
    public int submitAndWait(long timeoutNanos, CompletionSink sink) throws VeloqIoException {
        if (closed) {
            throw new IllegalStateException("nio driver of loop " + loop + " is closed");
        }
        takeForeign();
        startQueued();
        expireTimers();
        if (readyHead == null) {
            poll(waitNanos(timeoutNanos));
        } else if (parked > 0 && skippedPoll) {
            poll(0); // completions are ready, but parked sockets must not starve behind them
        } else {
            skippedPoll = true;
        }
        int delivered = 0;
        for (int round = 0; round < ROUNDS && readyHead != null; round++) {
            delivered += deliver(sink);
            if (queueHead != null) {
                startQueued();
            }
        }
        return delivered;
    }

    private long waitNanos(long timeoutNanos) {
        if (queueHead != null) {
            return 0;
        }
        long next = timers.nextDeadline();
        if (next == Long.MAX_VALUE) {
            return timeoutNanos;
        }
        long t = Math.max(0, next - System.nanoTime());
        return timeoutNanos < 0 ? t : Math.min(timeoutNanos, t);
    }

    private void poll(long waitNanos) throws VeloqIoException {
        skippedPoll = false;
        try {
            if (waitNanos == 0) {
                selector.selectNow(onReady);
            } else if (waitNanos < 0) {
                selector.select(onReady);
            } else {
                // Round up: waking early would only spin; the timers check the clock themselves.
                selector.select(onReady, Math.max(1, (waitNanos + 999_999) / 1_000_000));
            }
        } catch (IOException e) {
            throw LinuxErrno.TABLE.exception(LinuxErrno.EIO.code(), "select on the nio driver of loop " + loop
                    + ": " + e);
        } catch (ClosedSelectorException e) {
            throw new IllegalStateException("the selector of nio loop " + loop + " is closed", e);
        }
        takeForeign();
        expireTimers();
    }

    /** Starts every queued op; those that finish at once go to the ready list. */
    private void startQueued() {
        OpSlot s;
        while ((s = queueHead) != null) {
            queueHead = s.next;
            if (queueHead == null) {
                queueTail = null;
            }
            s.next = null;
            queued--;
            start(s);
        }
    }

    private void start(OpSlot s) {
        OpPayload p = s.payload;
        switch (s.kind) {
            case NOP -> ready(s, 0);
            case TIMEOUT -> {
                long nanos = ((Timeout) p).nanos();
                if (nanos == 0) {
                    ready(s, 0);
                    return;
                }
                s.state = OpSlot.TIMER;
                long end = System.nanoTime() + nanos;
                // One timer per slot: the earlier of the Timeout's end and its deadline (if it has one).
                if (s.heapIndex < 0 || end - s.deadline < 0) {
                    timers.remove(s);
                    s.deadline = end;
                    s.timeoutWins = true;
                    timers.add(s);
                }
            }
            case SOCKET -> ready(s, socketOps.open((Socket) p));
            case OPEN -> toWorker(s);
            default -> startOnHandle(s, p);
        }
    }

    private void startOnHandle(OpSlot s, OpPayload p) {
        Handle h = handles.get(p.fd());
        if (h == null) {
            ready(s, EBADF);
            return;
        }
        s.handle = h;
        OpKind k = s.kind;
        if (!h.isSocket()) {
            switch (k) {
                case READ, WRITE, FSYNC -> {
                    s.view = k == OpKind.READ ? views.fill(p.buffer()) : k == OpKind.WRITE ? views.drain(p.buffer()) : null;
                    toWorker(s);
                }
                case CLOSE -> {
                    // Out of the table now, so no new op reaches it; the close itself may touch the disk.
                    if (handles.remove(h)) {
                        toWorker(s);
                    } else {
                        ready(s, EBADF);
                    }
                }
                default -> ready(s, -LinuxErrno.ENOTSOCK.code());
            }
            return;
        }
        switch (k) {
            case CLOSE -> ready(s, close(h));
            case SHUTDOWN -> ready(s, socketOps.shutdown(s));
            case FSYNC -> ready(s, -LinuxErrno.EINVAL.code()); // fsync(2) of a socket
            case ACCEPT, RECV, RECV_FROM, READ, RECV_MSG -> startRead(s, h);
            case SEND, SEND_TO, CONNECT, WRITE, SEND_MSG, SEND_FILE -> startWrite(s, h);
            default -> ready(s, -LinuxErrno.EINVAL.code());
        }
    }

    private void startRead(OpSlot s, Handle h) {
        s.view = s.kind == OpKind.ACCEPT ? null
                : s.kind == OpKind.RECV_MSG ? views.vector(s, s.payload.buffers(), true) : views.fill(s.payload.buffer());
        Port port = port(h);
        s.port = port;
        if (port.readHead == null && port.readable) {
            long r = socketOps.read(s);
            if (r != AGAIN) {
                port.readable = !shortRead(s, r);
                ready(s, r);
                return;
            }
            port.readable = false;
        }
        park(s, port, true);
    }

    private void startWrite(OpSlot s, Handle h) {
        s.view = s.kind == OpKind.CONNECT || s.kind == OpKind.SEND_FILE ? null
                : s.kind == OpKind.SEND_MSG ? views.vector(s, s.payload.buffers(), false) : views.drain(s.payload.buffer());
        Port port = port(h);
        s.port = port;
        if (port.writeHead == null && port.writable) {
            long r = socketOps.write(s);
            if (r != AGAIN) {
                ready(s, r);
                return;
            }
            port.writable = false;
        }
        park(s, port, false);
    }

    private void park(OpSlot s, Port port, boolean read) {
        s.state = OpSlot.PARKED;
        parked++;
        if (read) {
            port.addRead(s);
        } else {
            port.addWrite(s);
        }
        if (!arm(port) || port.handle.isClosed()) {
            // Closed under us (by another loop, or before the key existed): nothing will ever wake it.
            failPending(port, port.handle.isClosed() ? CANCELLED : EBADF);
        }
    }

    /** This loop's port for {@code h}, made on first use. */
    private Port port(Handle h) {
        Port p = h.port(loop);
        if (p == null) {
            p = new Port(h, this);
            h.port(loop, p);
        }
        return p;
    }

    /** Sets the port's interest from what waits on it; false if the channel is closed. */
    private boolean arm(Port p) {
        int want = 0;
        if (p.readHead != null) {
            want |= p.readHead.kind == OpKind.ACCEPT ? SelectionKey.OP_ACCEPT : SelectionKey.OP_READ;
        }
        if (p.writeHead != null) {
            want |= p.writeHead.kind == OpKind.CONNECT ? SelectionKey.OP_CONNECT : SelectionKey.OP_WRITE;
        }
        // Read interest is dropped lazily (when the selector reports a socket nobody reads), so a receive
        // resubmitted right after its completion costs no interest change.
        want |= p.interest & (SelectionKey.OP_READ | SelectionKey.OP_ACCEPT);
        return interest(p, want);
    }

    private boolean interest(Port p, int want) {
        SelectableChannel ch = (SelectableChannel) p.handle.channel();
        try {
            if (p.key == null || p.registered != ch || !p.key.isValid()) {
                if (p.key != null && p.registered != ch) {
                    p.key.cancel();
                }
                p.key = ch.register(selector, want & ch.validOps(), p);
                p.registered = ch;
                p.interest = want;
            } else if (want != p.interest) {
                p.key.interestOps(want & ch.validOps());
                p.interest = want;
            }
            return true;
        } catch (ClosedChannelException | CancelledKeyException e) {
            return false;
        }
    }

    /** A ready key: finish what waits on its socket, in order, until one would block. */
    private void onReady(SelectionKey key) {
        Port p = (Port) key.attachment();
        int ops;
        try {
            ops = key.readyOps();
        } catch (CancelledKeyException e) {
            return; // closed meanwhile: the closing loop fails what waits
        }
        if ((ops & (SelectionKey.OP_READ | SelectionKey.OP_ACCEPT)) != 0) {
            p.readable = true;
            serviceReads(p);
        }
        if ((ops & (SelectionKey.OP_WRITE | SelectionKey.OP_CONNECT)) != 0) {
            p.writable = true;
            serviceWrites(p);
        }
    }

    private void serviceReads(Port p) {
        if (p.readHead == null) {
            interest(p, p.interest & ~(SelectionKey.OP_READ | SelectionKey.OP_ACCEPT)); // nobody reads: stop asking
            return;
        }
        while (p.readHead != null) {
            OpSlot s = p.readHead;
            long r = socketOps.read(s);
            if (r == AGAIN) {
                p.readable = false;
                return;
            }
            p.popRead();
            parked--;
            ready(s, r);
            if (shortRead(s, r)) {
                // The socket had less than asked for: it is most likely empty now. The next receive waits
                // for the selector instead of trying first (a read that would only say EAGAIN).
                p.readable = false;
                return;
            }
        }
    }

    /** A receive that got bytes but did not fill its buffer. */
    private static boolean shortRead(OpSlot s, long r) {
        return r > 0 && s.view != null && s.view.hasRemaining();
    }

    private void serviceWrites(Port p) {
        while (p.writeHead != null) {
            OpSlot s = p.writeHead;
            long r = socketOps.write(s);
            if (r == AGAIN) {
                p.writable = false;
                return;
            }
            p.popWrite();
            parked--;
            ready(s, r);
        }
        // Write readiness is nearly always there: asking for it with nothing to write would spin.
        interest(p, p.interest & ~(SelectionKey.OP_WRITE | SelectionKey.OP_CONNECT));
    }

    // ---- close of a handle ----

    /** Closes a socket handle (Close op): what waits on it, on any loop, completes cancelled. */
    private long close(Handle h) {
        if (!handles.remove(h)) {
            return EBADF;
        }
        long rc = 0;
        try {
            h.close();
        } catch (IOException e) {
            rc = -LinuxErrno.EIO.code(); // close(2) reports EIO and still frees the descriptor
        }
        Port[] ports = h.ports();
        Port own = loop < ports.length ? ports[loop] : null;
        if (own != null && own.key != null) {
            // java.nio closes a channel registered with a selector only when that selector next deregisters
            // its key: flush it now, so the socket is gone (a listener refuses connections) when Close
            // completes. Readiness of other keys is level-triggered, so the next select reports it again.
            try {
                selector.selectNow(k -> { });
            } catch (IOException e) {
                rc = rc == 0 ? -LinuxErrno.EIO.code() : rc;
            }
        }
        for (Port p : h.ports()) {
            if (p == null) {
                continue;
            }
            if (p.driver == this) {
                failPending(p, CANCELLED);
            } else {
                p.driver.portClosed(p);
            }
        }
        return rc;
    }

    /** Another loop closed the handle of {@code p}: fail what waits on it here, on this loop. Any thread. */
    void portClosed(Port p) {
        synchronized (p) {
            if (p.closeNoticed) {
                return;
            }
            p.closeNoticed = true;
        }
        Port head;
        do {
            head = closedPorts.get();
            p.nextClosed = head;
        } while (!closedPorts.compareAndSet(head, p));
        selector.wakeup();
    }

    private void failPending(Port p, long result) {
        while (p.readHead != null) {
            parked--;
            ready(p.popRead(), result);
        }
        while (p.writeHead != null) {
            parked--;
            ready(p.popWrite(), result);
        }
    }

    // ---- files ----

    private void toWorker(OpSlot s) {
        s.state = OpSlot.FILE;
        atWorkers++;
        group.files().execute(s);
    }

    /** A worker finished {@code s}: hand it to the loop. Worker threads. */
    void fileDone(OpSlot s) {
        OpSlot head;
        do {
            head = done.get();
            s.nextDone = head;
        } while (!done.compareAndSet(head, s));
        selector.wakeup();
    }

    /** What other threads handed over: finished file ops, handles closed by other loops. */
    private void takeForeign() {
        OpSlot d = done.get() == null ? null : done.getAndSet(null);
        // The stack is newest first: reverse it, so file ops complete in the order they finished.
        OpSlot rev = null;
        while (d != null) {
            OpSlot n = d.nextDone;
            d.nextDone = rev;
            rev = d;
            d = n;
        }
        while (rev != null) {
            OpSlot n = rev.nextDone;
            rev.nextDone = null;
            atWorkers--;
            ready(rev, rev.result);
            rev = n;
        }
        Port c = closedPorts.get() == null ? null : closedPorts.getAndSet(null);
        while (c != null) {
            Port n = c.nextClosed;
            c.nextClosed = null;
            failPending(c, CANCELLED);
            c = n;
        }
    }

    // ---- timers ----

    private void expireTimers() {
        if (timers.isEmpty()) {
            return;
        }
        long now = System.nanoTime();
        OpSlot s;
        while ((s = timers.due(now)) != null) {
            if (s.timeoutWins) {
                ready(s, 0); // a Timeout's time is up
            } else {
                cancel(s); // a deadline: the op is cancelled, and the host reports it as timed out
            }
        }
    }

    // ---- completion ----

    private void ready(OpSlot s, long result) {
        if (s.heapIndex >= 0) {
            timers.remove(s); // finished before its deadline
        }
        s.state = OpSlot.READY;
        s.result = result;
        s.next = null;
        if (readyTail == null) {
            readyHead = s;
        } else {
            readyTail.next = s;
        }
        readyTail = s;
    }

    private int deliver(CompletionSink sink) {
        int n = 0;
        OpSlot s;
        while ((s = readyHead) != null) {
            readyHead = s.next;
            if (readyHead == null) {
                readyTail = null;
            }
            long userData = s.userData;
            long result = s.result;
            index.remove(userData);
            s.clear();
            freeSlots[freeCount++] = s.index;
            sink.complete(userData, result); // may prepare and cancel re-entrantly
            n++;
        }
        return n;
    }

    @Override
    public void wakeup() {
        selector.wakeup();
    }

    // ---- socket control (any thread) ----

    @Override
    public void bind(IoFd fd, SockAddrStorage local) throws VeloqIoException {
        SocketControl.bind(socket(fd, "bind"), local);
    }

    @Override
    public void listen(IoFd fd, int backlog) throws VeloqIoException {
        SocketControl.listen(socket(fd, "listen"), backlog);
    }

    @Override
    public void localAddress(IoFd fd, SockAddrStorage out) throws VeloqIoException {
        SocketControl.localAddress(socket(fd, "getsockname"), out);
    }

    @Override
    public void remoteAddress(IoFd fd, SockAddrStorage out) throws VeloqIoException {
        SocketControl.remoteAddress(socket(fd, "getpeername"), out);
    }

    @Override
    public <T> void setOption(IoFd fd, SocketOption<T> option, T value) throws VeloqIoException {
        NioSocketOptions.set(socket(fd, "setsockopt"), option, value);
    }

    @Override
    public <T> T getOption(IoFd fd, SocketOption<T> option) throws VeloqIoException {
        return NioSocketOptions.get(socket(fd, "getsockopt"), option);
    }

    private Handle socket(IoFd fd, String call) throws VeloqIoException {
        Handle h = handles.get(fd);
        if (h == null) {
            throw LinuxErrno.TABLE.exception(LinuxErrno.EBADF.code(), call + "(" + fd + ")");
        }
        if (!h.isSocket()) {
            throw LinuxErrno.TABLE.exception(LinuxErrno.ENOTSOCK.code(), call + "(" + fd + ", a file)");
        }
        return h;
    }

    // ---- close ----

    /** Ops in the driver (tests): queued, parked, timed, with workers, or ready. */
    int inFlight() {
        return slots.length - freeCount;
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            selector.close();
        } catch (IOException e) {
            // the selector's own descriptors: nothing more to do about them
        }
        if (atWorkers > 0) {
            System.err.println("veloq: nio driver of loop " + loop + " closed with " + atWorkers
                    + " file ops still with workers; their buffers stay owned by them");
        }
        group.release(this);
    }

    @Override
    public String toString() {
        return "nio driver (loop " + loop + ", " + selector.provider().getClass().getSimpleName() + ")";
    }
}
