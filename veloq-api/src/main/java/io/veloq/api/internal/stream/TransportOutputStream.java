package io.veloq.api.internal.stream;

import io.veloq.api.buffer.FixedBuf;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.InterruptibleChannel;
import java.nio.channels.WritableByteChannel;
import java.util.Objects;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The sending side of a {@link Transport} as an {@link OutputStream} (buffered: bytes are batched into one
 * pooled buffer and sent when it is full or on {@link #flush()}) and as a {@link WritableByteChannel}
 * ({@link #channel()}: each write is sent before it returns, after whatever the stream had batched).
 *
 * <p>Interrupts: the stream cancels the pending send and throws {@link InterruptedIOException} whose
 * {@code bytesTransferred} counts the caller's bytes this write accepted; bytes not yet sent stay buffered
 * for the next flush. The channel closes the transport and throws {@link ClosedByInterruptException}.
 */
public final class TransportOutputStream extends OutputStream {
    private final Transport transport;
    private final ReentrantLock lock = new ReentrantLock();
    private final Pending pending = new Pending();
    private final Runnable cancel;
    private final Channel channel = new Channel();
    private FixedBuf buf;
    private volatile boolean closed;
    private volatile boolean transportClosed;

    public TransportOutputStream(Transport transport) {
        this.transport = Objects.requireNonNull(transport, "transport");
        this.cancel = transport::cancelSend;
    }

    /** The channel view: writes go out in order after the stream's batched bytes. */
    public WritableByteChannel channel() {
        return channel;
    }

    @Override
    public void write(int b) throws IOException {
        lock.lock();
        try {
            requireOpen(false);
            if (buffer().writableBytes() == 0) {
                drain(false, 0);
            }
            buf.putByte(b);
        } finally {
            unlockAndTidy();
        }
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        Objects.checkFromIndexSize(off, len, b.length);
        lock.lock();
        try {
            requireOpen(false);
            int copied = 0;
            while (copied < len) {
                int room = buffer().writableBytes();
                if (room == 0) {
                    drain(false, copied);
                    continue;
                }
                int k = Math.min(room, len - copied);
                buf.put(b, off + copied, k);
                copied += k;
            }
        } finally {
            unlockAndTidy();
        }
    }

    /** Sends the batched bytes and waits until the transport has taken them all. */
    @Override
    public void flush() throws IOException {
        lock.lock();
        try {
            requireOpen(false);
            if (buf != null && buf.readableBytes() > 0) {
                drain(false, 0);
            }
        } finally {
            unlockAndTidy();
        }
    }

    /**
     * Flushes, then closes the view and the transport (the socket), as a {@code java.net.Socket}'s streams
     * do. The transport is closed even if the flush fails. If another thread is in a write, its bytes are
     * not waited for: that write fails.
     */
    @Override
    public void close() throws IOException {
        if (closed) {
            return;
        }
        IOException failure = null;
        if (lock.tryLock()) {
            try {
                if (!closed && buf != null && buf.readableBytes() > 0 && transport.isOpen()) {
                    drain(false, 0);
                }
            } catch (IOException e) {
                failure = e;
            } finally {
                closed = true;
                unlockAndTidy();
            }
        } else {
            // Another thread is writing, perhaps blocked on a peer that does not read: do not wait for it.
            // Closing the transport fails its send; it gives the buffer back on its way out.
            closed = true;
            transport.cancelSend();
        }
        try {
            transport.close();
        } catch (IOException e) {
            if (failure == null) {
                failure = e;
            } else {
                failure.addSuppressed(e);
            }
        }
        if (failure != null) {
            throw failure;
        }
    }

    /** The transport was closed behind the view's back: give the buffer back as soon as no writer holds it. */
    public void transportClosed() {
        transportClosed = true;
        tidy();
    }

    private void requireOpen(boolean forChannel) throws IOException {
        if (closed) {
            if (forChannel) {
                throw new ClosedChannelException();
            }
            throw new IOException("the output stream of " + transport.describe() + " is closed");
        }
    }

    private FixedBuf buffer() throws IOException {
        if (buf == null) {
            buf = Leases.lease(transport, "output");
        }
        return buf;
    }

    /**
     * Sends every buffered byte and empties the buffer. {@code accepted}: the caller's bytes this call has
     * put in the buffer, reported by an interrupt. Called with the lock held.
     */
    private void drain(boolean forChannel, int accepted) throws IOException {
        if (Thread.currentThread().isInterrupted()) {
            throw interrupted(forChannel, accepted);
        }
        Pending.requireMayBlock(transport.loop(), "block in a write to " + transport.describe());
        pending.arm();
        transport.startSend(buf, pending);
        boolean interrupted = pending.await(transport.loop(), cancel);
        IOException error = pending.error();
        if (error == null && buf.readableBytes() == 0) {
            buf.clear();
            return;
        }
        buf.compact(); // what was not sent stays, in order, for the next flush
        if (interrupted) {
            throw interrupted(forChannel, accepted);
        }
        throw error != null ? error
                : new IOException("send on " + transport.describe() + " stopped with " + buf.readableBytes() + " bytes unsent");
    }

    private IOException interrupted(boolean forChannel, int accepted) {
        if (forChannel) {
            closed = true;
            try {
                transport.close();
            } catch (IOException ignored) {
                // the channel is closed by the interrupt either way
            }
            return new ClosedByInterruptException();
        }
        InterruptedIOException e = new InterruptedIOException("write to " + transport.describe() + " interrupted: "
                + "the send was cancelled; bytes not yet sent stay buffered for the next flush");
        e.bytesTransferred = accepted;
        return e;
    }

    private void unlockAndTidy() {
        lock.unlock();
        if (closed || transportClosed) {
            tidy();
        }
    }

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

    private final class Channel implements WritableByteChannel, InterruptibleChannel {
        @Override
        public int write(ByteBuffer src) throws IOException {
            lock.lock();
            try {
                requireOpen(true);
                int n = src.remaining();
                while (src.hasRemaining()) {
                    int room = buffer().writableBytes();
                    if (room == 0) {
                        drain(true, 0);
                        continue;
                    }
                    int limit = src.limit();
                    src.limit(src.position() + Math.min(room, src.remaining()));
                    try {
                        buf.put(src);
                    } finally {
                        src.limit(limit);
                    }
                }
                if (buf != null && buf.readableBytes() > 0) {
                    drain(true, 0);
                }
                return n;
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
            TransportOutputStream.this.close();
        }

        @Override
        public String toString() {
            return "WritableByteChannel(" + transport.describe() + ")";
        }
    }

    @Override
    public String toString() {
        return "OutputStream(" + transport.describe() + ")";
    }
}
