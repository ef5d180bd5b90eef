package io.veloq.api.internal.stream;

import io.veloq.api.buffer.FixedBuf;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.InterruptibleChannel;
import java.nio.channels.ReadableByteChannel;
import java.util.Objects;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The receiving side of a {@link Transport} as an {@link InputStream} and, sharing the same buffered bytes,
 * a {@link ReadableByteChannel} ({@link #channel()}). One pooled buffer, leased on the first read and
 * released on close; each refill is one receive of up to a buffer's worth, parked on its completion, and
 * {@code read(byte[])} copies from it.
 *
 * <p>Interrupts: the stream cancels the pending receive and throws {@link InterruptedIOException}, leaving
 * the transport open (nothing is lost: bytes that won the race are returned); the channel, as the JDK's
 * interruptible channels do, closes the transport and throws {@link ClosedByInterruptException}.
 */
public final class TransportInputStream extends InputStream {
    private final Transport transport;
    private final ReentrantLock lock = new ReentrantLock(); // not synchronized: a parked virtual thread must not pin
    private final Pending pending = new Pending();
    private final Runnable cancel;
    private final Channel channel = new Channel();
    private final byte[] one = new byte[1];
    private FixedBuf buf;
    private boolean eof;
    private volatile boolean closed;
    private volatile boolean transportClosed;

    public TransportInputStream(Transport transport) {
        this.transport = Objects.requireNonNull(transport, "transport");
        this.cancel = transport::cancelRecv;
    }

    /** The channel view: same buffer, same position in the stream. */
    public ReadableByteChannel channel() {
        return channel;
    }

    @Override
    public int read() throws IOException {
        int n = read(one, 0, 1);
        return n < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        Objects.checkFromIndexSize(off, len, b.length);
        lock.lock();
        try {
            if (closed) {
                throw new IOException("the input stream of " + transport.describe() + " is closed");
            }
            if (len == 0) {
                return 0;
            }
            if (fill(false) < 0) {
                return -1;
            }
            int k = Math.min(len, buf.readableBytes());
            buf.get(b, off, k);
            return k;
        } finally {
            unlockAndTidy();
        }
    }

    /** The bytes buffered now, readable without blocking (no system call: a receive may be pending). */
    @Override
    public int available() throws IOException {
        if (closed) {
            throw new IOException("the input stream of " + transport.describe() + " is closed");
        }
        if (!lock.tryLock()) {
            return 0; // a reader is waiting for bytes: none buffered
        }
        try {
            return buf == null ? 0 : buf.readableBytes();
        } finally {
            unlockAndTidy();
        }
    }

    /** Closes the view and the transport (the socket), as a {@code java.net.Socket}'s streams do. */
    @Override
    public void close() throws IOException {
        closeView();
        transport.close();
    }

    /**
     * The transport was closed behind the view's back (the socket's own close): give the buffer back now if
     * no reader holds it, else when that reader returns.
     */
    public void transportClosed() {
        transportClosed = true;
        tidy();
    }

    private void closeView() {
        closed = true;
        if (lock.isLocked()) {
            transport.cancelRecv(); // a reader is waiting: it wakes with an error and tidies up
        }
        tidy();
    }

    /**
     * Makes sure the buffer holds readable bytes: returns how many, or -1 at end of stream. Blocks for one
     * receive when it is empty. Called with the lock held.
     */
    private int fill(boolean forChannel) throws IOException {
        if (buf != null && buf.readableBytes() > 0) {
            return buf.readableBytes();
        }
        if (eof) {
            return -1;
        }
        if (Thread.currentThread().isInterrupted()) {
            throw interrupted(forChannel);
        }
        Pending.requireMayBlock(transport.loop(), "block in a read of " + transport.describe());
        if (buf == null) {
            buf = Leases.lease(transport, "input");
        }
        buf.clear();
        pending.arm();
        transport.startRecv(buf, pending);
        boolean interrupted = pending.await(transport.loop(), cancel);
        IOException error = pending.error();
        if (error == null) {
            if (pending.result() == 0) {
                eof = true;
                return -1;
            }
            return buf.readableBytes(); // bytes that won the race with an interrupt are returned, not lost
        }
        if (interrupted) {
            throw interrupted(forChannel);
        }
        if (closed && forChannel) {
            throw new java.nio.channels.AsynchronousCloseException();
        }
        throw error;
    }

    private IOException interrupted(boolean forChannel) {
        if (forChannel) {
            closed = true;
            try {
                transport.close();
            } catch (IOException ignored) {
                // the channel is closed by the interrupt either way
            }
            return new ClosedByInterruptException();
        }
        return new InterruptedIOException("read from " + transport.describe() + " interrupted: the receive was "
                + "cancelled, nothing was lost, the stream is still open");
    }

    private void unlockAndTidy() {
        lock.unlock();
        if (closed || transportClosed) {
            tidy();
        }
    }

    /** Releases the buffer once the view or its transport is closed and no reader holds it. */
    private void tidy() {
        if (!(closed || transportClosed) || !lock.tryLock()) {
            return;
        }
        try {
            if (buf != null && buf.owner() == null) {
                buf.release();
                buf = null;
            }
        } finally {
            lock.unlock();
        }
    }

    private final class Channel implements ReadableByteChannel, InterruptibleChannel {
        @Override
        public int read(ByteBuffer dst) throws IOException {
            lock.lock();
            try {
                if (closed) {
                    throw new ClosedChannelException();
                }
                if (!dst.hasRemaining()) {
                    return 0;
                }
                if (fill(true) < 0) {
                    return -1;
                }
                return buf.get(dst);
            } finally {
                unlockAndTidy();
            }
        }

        @Override
        public boolean isOpen() {
            return !closed && transport.isOpen();
        }

        @Override
        public void close() throws IOException {
            TransportInputStream.this.close();
        }

        @Override
        public String toString() {
            return "ReadableByteChannel(" + transport.describe() + ")";
        }
    }

    @Override
    public String toString() {
        return "InputStream(" + transport.describe() + ")";
    }
}
