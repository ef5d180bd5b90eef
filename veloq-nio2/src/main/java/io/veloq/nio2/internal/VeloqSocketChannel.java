package io.veloq.nio2.internal;

import io.veloq.api.EventLoop;
import io.veloq.api.IoErrorKind;
import io.veloq.api.IoFd;
import io.veloq.api.Op;
import io.veloq.api.OpState;
import io.veloq.api.VeloqIoException;
import io.veloq.api.buffer.BufVec;
import io.veloq.api.buffer.FixedBuf;
import io.veloq.api.net.AddressFamily;
import io.veloq.api.net.ShutdownHow;
import io.veloq.api.net.SockAddrStorage;
import io.veloq.api.op.Close;
import io.veloq.api.op.Connect;
import io.veloq.api.op.RecvMsg;
import io.veloq.api.op.SendMsg;
import io.veloq.api.op.Shutdown;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.SocketOption;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.AlreadyBoundException;
import java.nio.channels.AlreadyConnectedException;
import java.nio.channels.AsynchronousSocketChannel;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.CompletionHandler;
import java.nio.channels.ConnectionPendingException;
import java.nio.channels.InterruptedByTimeoutException;
import java.nio.channels.NotYetConnectedException;
import java.nio.channels.ReadPendingException;
import java.nio.channels.UnsupportedAddressTypeException;
import java.nio.channels.WritePendingException;
import java.time.Duration;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * An {@link AsynchronousSocketChannel} whose reads and writes are Veloq ops on its loop: one reusable
 * {@link RecvMsg} and one reusable {@link SendMsg} per channel, over staging buffers leased per operation,
 * so a read or write allocates nothing but what the NIO.2 API itself demands (the boxed result, and the
 * hand-off task of an executor group). A scattering read and a gathering write are one vectored op each.
 *
 * <p>State follows the JDK's {@code AsynchronousSocketChannelImpl}: the same checks in the same order
 * ({@code ClosedChannelException} through the handler, {@code NotYetConnectedException},
 * {@code Read/WritePendingException}, end of input after {@code shutdownInput}), and after a timeout or a
 * cancelled future that direction refuses further operations with {@code IllegalStateException}, as the
 * JDK's does. (Veloq could do better here: a timed-out read has provably received nothing. Matching the JDK
 * keeps code that was written against it behaving the same.)
 */
final class VeloqSocketChannel extends AsynchronousSocketChannel {
    private static final int UNCONNECTED = 0;
    private static final int PENDING = 1;
    private static final int CONNECTED = 2;
    /** At most this many staging buffers per read (64 KiB) and per write (256 KiB). */
    private static final int READ_BUFS = 4;
    private static final int WRITE_BUFS = 16;

    private final VeloqGroup group;
    private final Carrier carrier;
    private final EventLoop loop;
    private final IoFd fd;
    private final AddressFamily family;
    private final Object lock = new Object();

    // Guarded by lock.
    private boolean open = true;
    private int state;
    private boolean reading;
    private boolean writing;
    private boolean readKilled;
    private boolean writeKilled;
    private boolean readShut;
    private boolean writeShut;
    private InetSocketAddress local;
    private InetSocketAddress remote;

    private final BufVec readVec = BufVec.withCapacity(READ_BUFS);
    private final Op<RecvMsg> readOp;
    private final Transfer read = new Transfer();
    private final BufVec writeVec = BufVec.withCapacity(WRITE_BUFS);
    private final Op<SendMsg> writeOp;
    private final Transfer write = new Transfer();
    private Op<Connect> connectOp;

    /** What one read or write in flight needs at completion: its buffers, result shape, handler, deadline. */
    private static final class Transfer {
        ByteBuffer[] bufs;
        ByteBuffer one;
        int offset;
        int length;
        boolean vectored;
        CompletionHandler<Object, Object> handler;
        Object attachment;
        PendingFuture<?> future;
        long deadlineNanos;
        Duration deadline;

        Duration deadline(long nanos) {
            if (nanos <= 0) {
                return null;
            }
            if (nanos != deadlineNanos) { // one Duration per distinct timeout, not per operation
                deadlineNanos = nanos;
                deadline = Duration.ofNanos(nanos);
            }
            return deadline;
        }

        ByteBuffer buf(int i) {
            return vectored ? bufs[offset + i] : one;
        }

        int count() {
            return vectored ? length : 1;
        }

        void clear() {
            bufs = null;
            one = null;
            handler = null;
            attachment = null;
            future = null;
        }
    }

    VeloqSocketChannel(VeloqGroup group, Carrier carrier, IoFd fd, AddressFamily family, InetSocketAddress remote)
            throws IOException {
        super(group.provider());
        this.group = group;
        this.carrier = carrier;
        this.loop = carrier.loop();
        this.fd = fd;
        this.family = family;
        this.readOp = Op.of(new RecvMsg(fd, readVec), this::readDone);
        this.writeOp = Op.of(new SendMsg(fd, writeVec), this::writeDone);
        if (remote != null) { // accepted
            this.remote = remote;
            this.state = CONNECTED;
        }
        try {
            group.register(this);
        } catch (RuntimeException e) {
            closeDescriptor(false);
            throw e;
        }
    }

    // ---- bind, options, addresses ----

    @Override
    public AsynchronousSocketChannel bind(SocketAddress localAddress) throws IOException {
        if (localAddress != null && !(localAddress instanceof InetSocketAddress)) {
            throw new UnsupportedAddressTypeException();
        }
        synchronized (lock) {
            requireOpen();
            if (state == PENDING) {
                throw new ConnectionPendingException();
            }
            if (local != null) {
                throw new AlreadyBoundException();
            }
            InetSocketAddress isa = localAddress == null ? new InetSocketAddress(0) : Net.checkAddress(localAddress, family);
            loop.bind(fd, Net.forSocket(isa, family));
            local = Net.localAddress(loop, fd);
        }
        return this;
    }

    @Override
    public <T> AsynchronousSocketChannel setOption(SocketOption<T> name, T value) throws IOException {
        Net.checkOption(Net.SOCKET_OPTIONS, name, value);
        synchronized (lock) {
            requireOpen();
            if (writeShut && name == StandardSocketOptions.SO_SNDBUF) {
                throw new IOException("Connection has been shutdown for writing");
            }
        }
        loop.setOption(fd, name, value);
        return this;
    }

    @Override
    public <T> T getOption(SocketOption<T> name) throws IOException {
        Net.checkGetOption(Net.SOCKET_OPTIONS, name);
        synchronized (lock) {
            requireOpen();
        }
        return Net.asJdkReports(loop, name, loop.getOption(fd, name));
    }

    @Override
    public Set<SocketOption<?>> supportedOptions() {
        return Net.SOCKET_OPTIONS;
    }

    @Override
    public SocketAddress getLocalAddress() throws IOException {
        synchronized (lock) {
            requireOpen();
            if (local == null && (state == CONNECTED)) {
                local = Net.localAddress(loop, fd);
            }
            return local;
        }
    }

    @Override
    public SocketAddress getRemoteAddress() throws IOException {
        synchronized (lock) {
            requireOpen();
            return remote;
        }
    }

    private void requireOpen() throws ClosedChannelException {
        if (!open) {
            throw new ClosedChannelException();
        }
    }

    @Override
    public boolean isOpen() {
        synchronized (lock) {
            return open;
        }
    }

    // ---- shutdown, close ----

    @Override
    public AsynchronousSocketChannel shutdownInput() throws IOException {
        synchronized (lock) {
            requireOpen();
            if (remote == null) {
                throw new NotYetConnectedException();
            }
            if (readShut) {
                return this;
            }
            readShut = true;
        }
        shutdown(ShutdownHow.READ);
        return this;
    }

    @Override
    public AsynchronousSocketChannel shutdownOutput() throws IOException {
        synchronized (lock) {
            requireOpen();
            if (remote == null) {
                throw new NotYetConnectedException();
            }
            if (writeShut) {
                return this;
            }
            writeShut = true;
        }
        shutdown(ShutdownHow.WRITE);
        return this;
    }

    /** {@code shutdown(2)} on the channel's loop: waited for, except on the loop thread, where it runs next turn. */
    private void shutdown(ShutdownHow how) throws IOException {
        if (carrier.inLoop()) {
            loop.submit(Op.of(new Shutdown(fd, how), op -> { }));
            return;
        }
        var c = loop.call(new Shutdown(fd, how));
        if (!c.isSuccess()) {
            throw Net.rethrow(c.error());
        }
    }

    @Override
    public void close() throws IOException {
        synchronized (lock) {
            if (!open) {
                return;
            }
            open = false;
        }
        // Every op was submitted under the lock while open, so these cancels come after them.
        cancelIfSubmitted(readOp);
        cancelIfSubmitted(writeOp);
        Op<Connect> c = connectOp;
        if (c != null) {
            cancelIfSubmitted(c);
        }
        closeDescriptor(true);
    }

    private void cancelIfSubmitted(Op<?> op) {
        if (op.state() == OpState.SUBMITTED) {
            loop.cancel(op);
        }
    }

    /** Closes the descriptor after the cancels; waits unless on the loop thread. Then the group may terminate. */
    private void closeDescriptor(boolean registered) throws IOException {
        CountDownLatch done = new CountDownLatch(1);
        Op<Close> op = Op.of(new Close(fd), c -> {
            if (registered) {
                group.unregister(this);
            }
            done.countDown();
        });
        try {
            loop.submit(op);
        } catch (IllegalStateException loopClosed) {
            if (registered) {
                group.unregister(this);
            }
            return;
        }
        if (!carrier.inLoop()) {
            try {
                done.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    // ---- connect ----

    @Override
    public <A> void connect(SocketAddress remote, A attachment, CompletionHandler<Void, ? super A> handler) {
        Objects.requireNonNull(handler, "'handler' is null");
        startConnect(remote, attachment, handler, null);
    }

    @Override
    public Future<Void> connect(SocketAddress remote) {
        PendingFuture<Void> f = new PendingFuture<>();
        startConnect(remote, null, f, f);
        return f;
    }

    @SuppressWarnings("unchecked")
    private <A> void startConnect(SocketAddress remoteAddress, A attachment, CompletionHandler<Void, ? super A> handler,
                                  PendingFuture<Void> future) {
        boolean closed;
        synchronized (lock) {
            closed = !open;
        }
        if (closed) {
            group.completeLater(carrier, handler, attachment, null, new ClosedChannelException());
            return;
        }
        InetSocketAddress isa = Net.checkAddress(remoteAddress, family);
        synchronized (lock) {
            if (!open) {
                group.completeLater(carrier, handler, attachment, null, new ClosedChannelException());
                return;
            }
            if (state == CONNECTED) {
                throw new AlreadyConnectedException();
            }
            if (state == PENDING) {
                throw new ConnectionPendingException();
            }
            state = PENDING;
            SockAddrStorage to = SockAddrStorage.of(Net.forSocket(isa, family), loop.addressLayout());
            Op<Connect> op = Op.of(new Connect(fd, to), c -> connectDone(c, isa));
            op.attach(new Object[] {handler, attachment});
            connectOp = op;
            if (future != null) {
                future.canceller((f, interrupt) -> closeQuietly());
            }
            loop.submit(op);
        }
    }

    @SuppressWarnings("unchecked")
    private void connectDone(Op<Connect> op, InetSocketAddress isa) {
        Object[] ha = (Object[]) op.attachment();
        CompletionHandler<Void, Object> handler = (CompletionHandler<Void, Object>) ha[0];
        Throwable failure = null;
        boolean closeNow = false;
        synchronized (lock) {
            if (op.isSuccess() && open) {
                state = CONNECTED;
                remote = isa;
            } else {
                failure = op.isSuccess() ? new java.nio.channels.AsynchronousCloseException() : Net.failure(op.error(), !open);
                state = UNCONNECTED;
                closeNow = open; // the JDK closes a channel whose connect failed
            }
            connectOp = null;
        }
        if (closeNow) {
            closeQuietly();
        }
        if (failure == null) {
            try {
                synchronized (lock) {
                    local = Net.localAddress(loop, fd);
                }
            } catch (IOException e) {
                failure = e;
            }
        }
        group.complete(handler, ha[1], null, failure);
    }

    private void closeQuietly() {
        try {
            close();
        } catch (IOException ignored) {
            // closing after a failure: the failure is what the caller hears about
        }
    }

    // ---- read ----

    @Override
    public <A> void read(ByteBuffer dst, long timeout, TimeUnit unit, A attachment,
                         CompletionHandler<Integer, ? super A> handler) {
        Objects.requireNonNull(handler, "'handler' is null");
        checkReadable(dst);
        startRead(dst, null, 0, 1, false, timeout, unit, attachment, handler, null);
    }

    @Override
    public Future<Integer> read(ByteBuffer dst) {
        checkReadable(dst);
        PendingFuture<Integer> f = new PendingFuture<>();
        startRead(dst, null, 0, 1, false, 0, TimeUnit.MILLISECONDS, null, f, f);
        return f;
    }

    @Override
    public <A> void read(ByteBuffer[] dsts, int offset, int length, long timeout, TimeUnit unit, A attachment,
                         CompletionHandler<Long, ? super A> handler) {
        Objects.requireNonNull(handler, "'handler' is null");
        Objects.checkFromIndexSize(offset, length, dsts.length);
        for (int i = offset; i < offset + length; i++) {
            checkReadable(dsts[i]);
        }
        startRead(null, dsts, offset, length, true, timeout, unit, attachment, handler, null);
    }

    private static void checkReadable(ByteBuffer dst) {
        if (dst.isReadOnly()) {
            throw new IllegalArgumentException("Read-only buffer");
        }
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private void startRead(ByteBuffer dst, ByteBuffer[] dsts, int offset, int length, boolean vectored, long timeout,
                           TimeUnit unit, Object attachment, CompletionHandler handler, PendingFuture<?> future) {
        long room = 0;
        if (vectored) {
            for (int i = offset; i < offset + length; i++) {
                room += dsts[i].remaining();
            }
        } else {
            room = dst.remaining();
        }
        Object immediate = null;
        Throwable failure = null;
        synchronized (lock) {
            if (!open) {
                failure = new ClosedChannelException();
            } else {
                if (remote == null) {
                    throw new NotYetConnectedException();
                }
                if (readKilled) {
                    throw new IllegalStateException("Reading not allowed due to timeout or cancellation");
                }
                if (reading) {
                    throw new ReadPendingException();
                }
                if (readShut || room == 0) {
                    immediate = vectored ? (Object) (readShut ? -1L : 0L) : (Object) (readShut ? -1 : 0);
                } else {
                    try {
                        stageRead(room);
                    } catch (IOException e) {
                        failure = e;
                    }
                    if (failure == null) {
                        reading = true;
                        Transfer t = read;
                        t.one = dst;
                        t.bufs = dsts;
                        t.offset = offset;
                        t.length = length;
                        t.vectored = vectored;
                        t.handler = handler;
                        t.attachment = attachment;
                        t.future = future;
                        if (future != null) {
                            future.canceller(this::cancelRead);
                        }
                        readOp.deadline(t.deadline(timeout <= 0 ? 0 : unit.toNanos(timeout)));
                        loop.submit(readOp);
                        return;
                    }
                }
            }
        }
        group.completeLater(carrier, handler, attachment, immediate, failure);
    }

    /** Leases staging buffers for up to {@code room} bytes; the last one offers only what is left. */
    private void stageRead(long room) throws IOException {
        long want = Math.min(room, (long) READ_BUFS * StagingBuffers.BUF_SIZE);
        try {
            while (want > 0) {
                FixedBuf b = carrier.staging.lease();
                int n = (int) Math.min(want, b.capacity());
                b.writerIndex(b.capacity() - n).readerIndex(b.capacity() - n);
                readVec.add(b);
                want -= n;
            }
        } catch (IOException e) {
            releaseAll(readVec);
            throw e;
        }
    }

    private void cancelRead(PendingFuture<?> f, boolean interrupt) {
        synchronized (lock) {
            if (read.future != f) {
                return;
            }
            readKilled = true;
        }
        loop.cancel(readOp);
        if (interrupt) {
            closeQuietly();
        }
    }

    private void readDone(Op<RecvMsg> op) {
        Transfer t = read;
        Object result = null;
        Throwable failure = null;
        boolean isOpen;
        synchronized (lock) {
            isOpen = open;
        }
        if (op.isSuccess() && isOpen) {
            long n = op.result();
            if (n == 0) {
                result = t.vectored ? (Object) (-1L) : (Object) (-1);
            } else {
                scatter(t);
                result = t.vectored ? (Object) n : (Object) (int) n;
            }
        } else {
            VeloqIoException e = op.error();
            failure = e == null ? new java.nio.channels.AsynchronousCloseException() : Net.failure(e, !isOpen);
            if (e != null && e.kind() == IoErrorKind.TIMED_OUT && isOpen) {
                failure = new InterruptedByTimeoutException();
            }
        }
        releaseAll(readVec);
        op.reset();
        CompletionHandler<Object, Object> h = t.handler;
        Object att = t.attachment;
        t.clear();
        synchronized (lock) {
            if (failure instanceof InterruptedByTimeoutException) {
                readKilled = true;
            }
            reading = false;
        }
        group.complete(h, att, result, failure);
    }

    /** Copies what the staging buffers received into the caller's buffers, in order. */
    private void scatter(Transfer t) {
        int d = 0;
        for (int i = 0; i < readVec.size(); i++) {
            FixedBuf b = readVec.get(i);
            while (b.readableBytes() > 0 && d < t.count()) {
                ByteBuffer dst = t.buf(d);
                if (!dst.hasRemaining()) {
                    d++;
                    continue;
                }
                b.get(dst);
            }
        }
    }

    private static void releaseAll(BufVec vec) {
        for (int i = 0; i < vec.size(); i++) {
            vec.get(i).release();
        }
        vec.clear();
    }

    // ---- write ----

    @Override
    public <A> void write(ByteBuffer src, long timeout, TimeUnit unit, A attachment,
                          CompletionHandler<Integer, ? super A> handler) {
        Objects.requireNonNull(handler, "'handler' is null");
        startWrite(src, null, 0, 1, false, timeout, unit, attachment, handler, null);
    }

    @Override
    public Future<Integer> write(ByteBuffer src) {
        PendingFuture<Integer> f = new PendingFuture<>();
        startWrite(src, null, 0, 1, false, 0, TimeUnit.MILLISECONDS, null, f, f);
        return f;
    }

    @Override
    public <A> void write(ByteBuffer[] srcs, int offset, int length, long timeout, TimeUnit unit, A attachment,
                          CompletionHandler<Long, ? super A> handler) {
        Objects.requireNonNull(handler, "'handler' is null");
        Objects.checkFromIndexSize(offset, length, srcs.length);
        startWrite(null, srcs, offset, length, true, timeout, unit, attachment, handler, null);
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private void startWrite(ByteBuffer src, ByteBuffer[] srcs, int offset, int length, boolean vectored, long timeout,
                            TimeUnit unit, Object attachment, CompletionHandler handler, PendingFuture<?> future) {
        long data = 0;
        if (vectored) {
            for (int i = offset; i < offset + length; i++) {
                data += srcs[i].remaining();
            }
        } else {
            data = src.remaining();
        }
        Object immediate = null;
        Throwable failure = null;
        synchronized (lock) {
            if (!open) {
                failure = new ClosedChannelException();
            } else {
                if (remote == null) {
                    throw new NotYetConnectedException();
                }
                if (writeKilled) {
                    throw new IllegalStateException("Writing not allowed due to timeout or cancellation");
                }
                if (writing) {
                    throw new WritePendingException();
                }
                if (writeShut) {
                    failure = new ClosedChannelException();
                } else if (data == 0) {
                    immediate = vectored ? (Object) 0L : (Object) 0;
                } else {
                    Transfer t = write;
                    t.one = src;
                    t.bufs = srcs;
                    t.offset = offset;
                    t.length = length;
                    t.vectored = vectored;
                    try {
                        stageWrite(t, data);
                    } catch (IOException e) {
                        failure = e;
                    }
                    if (failure == null) {
                        writing = true;
                        t.handler = handler;
                        t.attachment = attachment;
                        t.future = future;
                        if (future != null) {
                            future.canceller(this::cancelWrite);
                        }
                        writeOp.deadline(t.deadline(timeout <= 0 ? 0 : unit.toNanos(timeout)));
                        loop.submit(writeOp);
                        return;
                    }
                    t.clear();
                }
            }
        }
        group.completeLater(carrier, handler, attachment, immediate, failure);
    }

    /** Copies up to 256 KiB of the caller's bytes into staging buffers, leaving the caller's positions alone. */
    private void stageWrite(Transfer t, long data) throws IOException {
        long want = Math.min(data, (long) WRITE_BUFS * StagingBuffers.BUF_SIZE);
        try {
            int s = 0;
            int skip = 0; // bytes of the current source already staged
            while (want > 0) {
                FixedBuf b = carrier.staging.lease();
                writeVec.add(b);
                while (want > 0 && b.writableBytes() > 0) {
                    ByteBuffer src = t.buf(s);
                    int avail = src.remaining() - skip;
                    if (avail == 0) {
                        s++;
                        skip = 0;
                        continue;
                    }
                    int n = (int) Math.min(Math.min(avail, b.writableBytes()), want);
                    int pos = src.position();
                    int lim = src.limit();
                    src.position(pos + skip).limit(pos + skip + n);
                    b.put(src);
                    src.limit(lim).position(pos);
                    skip += n;
                    want -= n;
                }
            }
        } catch (IOException e) {
            releaseAll(writeVec);
            throw e;
        }
    }

    private void cancelWrite(PendingFuture<?> f, boolean interrupt) {
        synchronized (lock) {
            if (write.future != f) {
                return;
            }
            writeKilled = true;
        }
        loop.cancel(writeOp);
        if (interrupt) {
            closeQuietly();
        }
    }

    private void writeDone(Op<SendMsg> op) {
        Transfer t = write;
        Object result = null;
        Throwable failure = null;
        boolean isOpen;
        synchronized (lock) {
            isOpen = open;
        }
        if (op.isSuccess()) {
            long n = op.result();
            advance(t, n); // the bytes left the channel even if it closed since
            result = t.vectored ? (Object) n : (Object) (int) n;
        } else {
            VeloqIoException e = op.error();
            failure = Net.failure(e, !isOpen);
            if (e.kind() == IoErrorKind.TIMED_OUT && isOpen) {
                failure = new InterruptedByTimeoutException();
            }
        }
        releaseAll(writeVec);
        op.reset();
        CompletionHandler<Object, Object> h = t.handler;
        Object att = t.attachment;
        t.clear();
        synchronized (lock) {
            if (failure instanceof InterruptedByTimeoutException) {
                writeKilled = true;
            }
            writing = false;
        }
        group.complete(h, att, result, failure);
    }

    /** Moves the caller's positions past the {@code n} bytes sent, in order. */
    private static void advance(Transfer t, long n) {
        for (int i = 0; i < t.count() && n > 0; i++) {
            ByteBuffer src = t.buf(i);
            int k = (int) Math.min(n, src.remaining());
            src.position(src.position() + k);
            n -= k;
        }
    }

    @Override
    public String toString() {
        return "VeloqSocketChannel[" + fd + (isOpen() ? "" : ", closed") + ", remote=" + remote + "]";
    }
}
