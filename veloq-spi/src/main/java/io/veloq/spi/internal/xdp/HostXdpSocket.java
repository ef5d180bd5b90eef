package io.veloq.spi.internal.xdp;

import io.veloq.api.EventLoop;
import io.veloq.api.buffer.FixedBuf;
import io.veloq.api.xdp.XdpConfig;
import io.veloq.api.xdp.XdpMode;
import io.veloq.api.xdp.XdpSocket;
import io.veloq.api.xdp.XdpStatistics;
import io.veloq.spi.LinuxErrno;
import io.veloq.spi.xdp.XdpEndpoint;
import io.veloq.spi.xdp.XdpRing;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

/**
 * {@link XdpSocket} over a driver's {@link XdpEndpoint}: the user side of the four rings and the frame
 * bookkeeping, the same for every driver. Nothing here allocates per call.
 */
final class HostXdpSocket implements XdpSocket {
    private static final int EAGAIN = LinuxErrno.EAGAIN.code();
    /** At most this many kicks per transmit: the kernel sends a bounded batch per sendto. */
    private static final int MAX_KICKS = 64;

    private final EventLoop loop;
    private final XdpConfig config;
    private final XdpEndpoint endpoint;
    private final Umem umem;
    private final RingCursor fill;
    private final RingCursor completion;
    private final RingCursor rx;
    private final RingCursor tx;
    private final boolean needWakeup;
    /** Copy mode transmits only inside sendto (or poll), whatever the TX ring's flag says: always kick. */
    private final boolean txFlagReliable;
    private final XdpEndpoint.Readiness readiness = this::onReady;
    private ReadyHandler handler;
    private boolean closed;
    /** The UMEM, to touch received frames early (see {@link #receive}). */
    private final ByteBuffer umemMemory;
    /** Sink of those touches, so the JIT keeps the loads. */
    private int touched;

    HostXdpSocket(EventLoop loop, XdpConfig config, XdpEndpoint endpoint, HostXdpSocket sharedWith) {
        this.loop = loop;
        this.config = config;
        this.endpoint = endpoint;
        if (sharedWith == null) {
            this.umem = new Umem(endpoint.umem(), config.frameSize(), config.frameCount());
        } else {
            this.umem = sharedWith.umem;
            umem.retain();
        }
        if (endpoint.sharesRings()) {
            this.fill = sharedWith.fill;
            this.completion = sharedWith.completion;
        } else {
            this.fill = new RingCursor(endpoint.fillRing(), XdpRing.ADDRESS_BYTES);
            this.completion = new RingCursor(endpoint.completionRing(), XdpRing.ADDRESS_BYTES);
        }
        this.rx = new RingCursor(endpoint.rxRing(), XdpRing.DESC_BYTES);
        this.tx = new RingCursor(endpoint.txRing(), XdpRing.DESC_BYTES);
        this.umemMemory = endpoint.umem();
        this.needWakeup = endpoint.needWakeup();
        this.txFlagReliable = needWakeup && endpoint.mode() == XdpMode.ZERO_COPY;
    }

    XdpEndpoint endpoint() {
        return endpoint;
    }

    @Override
    public XdpConfig config() {
        return config;
    }

    @Override
    public XdpMode mode() {
        return endpoint.mode();
    }

    @Override
    public boolean needWakeup() {
        return needWakeup;
    }

    @Override
    public EventLoop loop() {
        return loop;
    }

    @Override
    public int frameCount() {
        return umem.count;
    }

    @Override
    public int frameSize() {
        return umem.frameSize;
    }

    @Override
    public int freeFrames() {
        return umem.freeCount();
    }

    @Override
    public int transmitting() {
        return umem.inTx;
    }

    @Override
    public int filled() {
        return umem.inFill;
    }

    private void open(String op) {
        if (closed) {
            throw new IllegalStateException(op + " on " + this + ": the socket is closed");
        }
    }

    private static void range(FixedBuf[] a, int offset, int count) {
        java.util.Objects.checkFromIndexSize(offset, count, a.length);
    }

    @Override
    public int allocate(FixedBuf[] out, int offset, int count) {
        open("allocate");
        range(out, offset, count);
        int n = Math.min(count, umem.freeCount());
        for (int i = 0; i < n; i++) {
            out[offset + i] = umem.frame(umem.popFree()).clear();
        }
        return n;
    }

    @Override
    public void free(FixedBuf[] frames, int offset, int count) {
        open("free");
        range(frames, offset, count);
        for (int i = 0; i < count; i++) {
            umem.pushFree(umem.indexOf(frames[offset + i], Umem.USER, "free", this));
        }
    }

    @Override
    public void free(FixedBuf frame) {
        open("free");
        umem.pushFree(umem.indexOf(frame, Umem.USER, "free", this));
    }

    @Override
    public int fill(FixedBuf[] frames, int offset, int count) {
        open("fill");
        range(frames, offset, count);
        int n = fill.reserve(count);
        ByteBuffer m = fill.memory();
        for (int i = 0; i < n; i++) {
            int idx = umem.indexOf(frames[offset + i], Umem.USER, "fill", this);
            m.putLong(fill.producerSlot(i), (long) idx << umem.shift);
            umem.moveTo(idx, Umem.FILL);
        }
        publishFill(n);
        return n;
    }

    @Override
    public int fill(int count) {
        open("fill");
        if (count < 0) {
            throw new IllegalArgumentException("fill count must be >= 0, got " + count);
        }
        int n = fill.reserve(Math.min(count, umem.freeCount()));
        ByteBuffer m = fill.memory();
        for (int i = 0; i < n; i++) {
            int idx = umem.popFree();
            m.putLong(fill.producerSlot(i), (long) idx << umem.shift);
            umem.moveTo(idx, Umem.FILL);
        }
        publishFill(n);
        return n;
    }

    private void publishFill(int n) {
        if (n == 0) {
            return;
        }
        umem.inFill += n;
        fill.submit(n, needWakeup);
        if (needWakeup && fill.needsWakeup()) {
            endpoint.kickFill();
        }
    }

    @Override
    public int receive(FixedBuf[] out, int offset, int max) {
        open("receive");
        range(out, offset, max);
        int n = rx.peek(max);
        if (n == 0) {
            return 0;
        }
        ByteBuffer m = rx.memory();
        // The kernel wrote the packets on whichever CPU received them: their first bytes are cache misses here.
        // Loading them all first, independently of each other, lets the CPU overlap those misses instead of
        // taking them one at a time when the caller reads each header (what a NIC driver's prefetch does).
        int touch = 0;
        for (int i = 0; i < n; i++) {
            touch += umemMemory.get((int) m.getLong(rx.consumerSlot(i)));
        }
        touched = touch;
        int mask = umem.frameSize - 1;
        for (int i = 0; i < n; i++) {
            int slot = rx.consumerSlot(i);
            long addr = m.getLong(slot);
            int len = m.getInt(slot + 8);
            int idx = (int) (addr >>> umem.shift);
            int start = (int) (addr & mask);
            FixedBuf f = umem.frame(idx);
            umem.moveTo(idx, Umem.USER);
            f.clear().writerIndex(start + len).readerIndex(start);
            out[offset + i] = f;
        }
        rx.release(n);
        umem.inFill -= n;
        return n;
    }

    @Override
    public int transmit(FixedBuf[] frames, int offset, int count) {
        open("transmit");
        range(frames, offset, count);
        int n = tx.reserve(count);
        ByteBuffer m = tx.memory();
        for (int i = 0; i < n; i++) {
            FixedBuf f = frames[offset + i];
            int idx = umem.indexOf(f, Umem.USER, "transmit", this);
            int len = f.readableBytes();
            if (len == 0) {
                throw new IllegalArgumentException("transmit on " + this + ": frame " + idx + " is empty (no readable bytes)");
            }
            int slot = tx.producerSlot(i);
            m.putLong(slot, ((long) idx << umem.shift) + f.readerIndex());
            m.putInt(slot + 8, len);
            m.putInt(slot + 12, 0);
            umem.moveTo(idx, Umem.TX);
        }
        if (n > 0) {
            umem.inTx += n;
            tx.submit(n, txFlagReliable);
            kickTx();
        }
        return n;
    }

    /**
     * Kicks the kernel for the TX ring: in zero-copy mode with need-wakeup only when it asks; otherwise always
     * (copy mode sends only inside sendto, and Linux does not keep the TX ring's flag set for it). One sendto
     * sends a bounded batch and answers EAGAIN while more wait, so kick again as long as that made progress.
     */
    private void kickTx() {
        if (txFlagReliable && !tx.needsWakeup()) {
            return;
        }
        for (int i = 0; i < MAX_KICKS; i++) {
            int before = tx.kernelConsumer();
            int rc = endpoint.kickTx();
            if (rc != -EAGAIN || tx.kernelConsumer() == before || tx.outstanding() == 0) {
                return;
            }
        }
    }

    @Override
    public int reclaim(FixedBuf[] out, int offset, int max) {
        open("reclaim");
        range(out, offset, max);
        int n = completion.peek(max);
        if (n == 0) {
            return 0;
        }
        ByteBuffer m = completion.memory();
        for (int i = 0; i < n; i++) {
            int idx = (int) (m.getLong(completion.consumerSlot(i)) >>> umem.shift);
            umem.moveTo(idx, Umem.USER);
            out[offset + i] = umem.frame(idx).clear();
        }
        completion.release(n);
        umem.inTx -= n;
        return n;
    }

    @Override
    public void awaitReady(int events, ReadyHandler h) {
        open("awaitReady");
        java.util.Objects.requireNonNull(h, "handler");
        if ((events & (RX | TX)) == 0 || (events & ~(RX | TX)) != 0) {
            throw new IllegalArgumentException("awaitReady on " + this + ": events must be RX, TX or RX | TX, got " + events);
        }
        if (!loop.inLoop()) {
            throw new IllegalStateException("awaitReady on " + this + " from thread " + Thread.currentThread().getName()
                    + ": call it on the socket's loop thread (from a task, a completer or a ready handler)");
        }
        handler = h;
        endpoint.arm(events, readiness);
    }

    @Override
    public void cancelReady() {
        if (handler != null && !closed) {
            handler = null;
            endpoint.disarm();
        }
    }

    private void onReady(int events) {
        ReadyHandler h = handler;
        handler = null;
        if (h != null && !closed) {
            h.ready(this, events);
        }
    }

    @Override
    public XdpStatistics statistics() throws IOException {
        open("statistics");
        return endpoint.statistics();
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        if (loop.inLoop()) {
            closeHere();
            return;
        }
        CompletableFuture<Void> done = new CompletableFuture<>();
        try {
            loop.execute(() -> {
                try {
                    closeHere();
                    done.complete(null);
                } catch (Throwable t) {
                    done.completeExceptionally(t);
                }
            });
        } catch (IllegalStateException loopClosed) {
            closeHere(); // the loop is gone: nothing else can be using the socket
            return;
        }
        try {
            done.get(30, java.util.concurrent.TimeUnit.SECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            closeHere(); // the loop dropped the task while closing; nothing runs the socket any more
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while closing " + this, e);
        } catch (ExecutionException e) {
            throw new IllegalStateException("closing " + this + " failed: " + e.getCause(), e.getCause());
        }
    }

    private void closeHere() {
        if (closed) {
            return;
        }
        closed = true;
        handler = null;
        try {
            endpoint.close();
        } finally {
            umem.releaseOne();
        }
    }

    @Override
    public String toString() {
        return "XdpSocket(fd " + endpoint.fd() + ", " + config.iface() + " queue " + config.queue() + ", "
                + endpoint.mode() + ")";
    }
}
