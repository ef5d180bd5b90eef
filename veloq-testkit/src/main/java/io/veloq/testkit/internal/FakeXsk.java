package io.veloq.testkit.internal;

import io.veloq.api.xdp.XdpConfig;
import io.veloq.api.xdp.XdpMode;
import io.veloq.api.xdp.XdpStatistics;
import io.veloq.spi.LinuxErrno;
import io.veloq.spi.xdp.XdpEndpoint;
import io.veloq.spi.xdp.XdpRing;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * A simulated AF_XDP socket: real ring memory with the kernel's layout and protocol, and the kernel's side
 * played here. A delivered frame takes a frame from the fill ring, is copied after the kernel's headroom and
 * posted to the RX ring; a TX kick copies every TX descriptor out (to the interface's transmitted list) and
 * posts its address to the completion ring, stopping with EAGAIN while that ring is full. Counters follow
 * {@code XDP_STATISTICS}. Kernel-side calls hold the fake kernel's lock.
 */
final class FakeXsk implements XdpEndpoint {
    private static final VarHandle INT = MethodHandles.byteBufferViewVarHandle(int[].class, ByteOrder.nativeOrder());
    private static final int PRODUCER = 0;
    private static final int CONSUMER = 64;
    private static final int FLAGS = 128;
    private static final int DESCS = 192;

    /** A UMEM and the fill/completion rings its owner made (shared on the same queue). */
    static final class Umem {
        final int id;
        final ByteBuffer memory;
        final XdpRing fill;
        final XdpRing completion;
        final String iface;
        final int queue;
        /** The owner's headroom and need-wakeup choice: a sharer binds with XDP_SHARED_UMEM alone and gets these. */
        final int headroom;
        final boolean needWakeup;
        /** Addresses the kernel took from the fill ring and has not used (a drop because the RX ring was full). */
        final long[] spare;
        int spareCount;
        int users = 1;

        Umem(int id, ByteBuffer memory, XdpRing fill, XdpRing completion, XdpConfig owner, int frames) {
            this.id = id;
            this.headroom = owner.headroom();
            this.needWakeup = owner.needWakeup();
            this.memory = memory;
            this.fill = fill;
            this.completion = completion;
            this.iface = owner.iface();
            this.queue = owner.queue();
            this.spare = new long[frames];
        }
    }

    private final FakeXdp owner;
    private final FakeXdpNetwork.Iface iface;
    private final int fd;
    final XdpConfig config;
    final Umem umem;
    private final XdpRing fill;
    private final XdpRing completion;
    private final XdpRing rx;
    private final XdpRing tx;
    private final boolean sharesRings;
    private final int frameSize;
    private final int headroom;
    private final boolean needWakeup;
    boolean joined;
    private boolean closed;
    private long rxDropped;
    private long rxInvalid;
    private long txInvalid;
    private long rxRingFull;
    private long fillRingEmpty;
    private long txRingEmpty;

    // readiness, loop thread
    int wantEvents;
    Readiness ready;

    FakeXsk(FakeXdp owner, FakeXdpNetwork.Iface iface, int fd, XdpConfig config, Umem shared, int umemId) {
        this.owner = owner;
        this.iface = iface;
        this.fd = fd;
        this.config = config;
        if (shared == null) {
            int frames = config.frameCount();
            ByteBuffer mem = ByteBuffer.allocateDirect(config.frameSize() * frames + 4096).alignedSlice(4096)
                    .limit(config.frameSize() * frames).slice().order(ByteOrder.nativeOrder());
            this.umem = new Umem(umemId, mem, ring(config.fillRingSize(), XdpRing.ADDRESS_BYTES),
                    ring(config.completionRingSize(), XdpRing.ADDRESS_BYTES), config, frames);
            this.sharesRings = false;
            this.fill = umem.fill;
            this.completion = umem.completion;
            this.frameSize = config.frameSize();
            this.headroom = config.headroom();
            this.needWakeup = config.needWakeup();
        } else {
            this.umem = shared;
            shared.users++;
            this.sharesRings = shared.iface.equals(config.iface()) && shared.queue == config.queue();
            this.fill = sharesRings ? shared.fill : ring(config.fillRingSize(), XdpRing.ADDRESS_BYTES);
            this.completion = sharesRings ? shared.completion : ring(config.completionRingSize(), XdpRing.ADDRESS_BYTES);
            this.frameSize = shared.memory.capacity() / shared.spare.length;
            this.headroom = shared.headroom;
            this.needWakeup = shared.needWakeup;
        }
        this.rx = ring(config.rxRingSize(), XdpRing.DESC_BYTES);
        this.tx = ring(config.txRingSize(), XdpRing.DESC_BYTES);
        if (needWakeup) {
            // Copy mode sends only when kicked: the TX ring always asks for a wake-up, as Linux's does.
            INT.setRelease(tx.memory(), FLAGS, XdpRing.NEED_WAKEUP);
        }
    }

    private static XdpRing ring(int size, int entryBytes) {
        ByteBuffer b = ByteBuffer.allocateDirect(DESCS + size * entryBytes).order(ByteOrder.nativeOrder());
        return new XdpRing(b, PRODUCER, CONSUMER, FLAGS, DESCS, size);
    }

    int umemId() {
        return umem.id;
    }

    FakeXdp owner() {
        return owner;
    }

    @Override
    public int fd() {
        return fd;
    }

    @Override
    public ByteBuffer umem() {
        return umem.memory;
    }

    @Override
    public XdpRing fillRing() {
        return fill;
    }

    @Override
    public XdpRing completionRing() {
        return completion;
    }

    @Override
    public XdpRing rxRing() {
        return rx;
    }

    @Override
    public XdpRing txRing() {
        return tx;
    }

    @Override
    public boolean sharesRings() {
        return sharesRings;
    }

    @Override
    public XdpMode mode() {
        return config.mode() == XdpMode.COPY || !iface.zeroCopy ? XdpMode.COPY : XdpMode.ZERO_COPY;
    }

    @Override
    public boolean needWakeup() {
        return needWakeup;
    }

    private static int get(XdpRing r, int off) {
        return (int) INT.getAcquire(r.memory(), off);
    }

    private static void set(XdpRing r, int off, int v) {
        INT.setRelease(r.memory(), off, v);
    }

    /** Kernel RX path for one frame (lock held). */
    FakeXdpNetwork.Delivery receive(byte[] frame) {
        if (closed) {
            return FakeXdpNetwork.Delivery.PASSED_TO_STACK;
        }
        if (frame.length > frameSize - 256 - headroom) {
            rxDropped++;
            return FakeXdpNetwork.Delivery.DROPPED_TOO_LONG;
        }
        long addr;
        if (umem.spareCount > 0) {
            addr = umem.spare[--umem.spareCount];
        } else {
            int cons = get(fill, CONSUMER);
            if (get(fill, PRODUCER) == cons) {
                fillRingEmpty++;
                rxDropped++;
                return FakeXdpNetwork.Delivery.DROPPED_FILL_RING_EMPTY;
            }
            addr = fill.memory().getLong(DESCS + (cons & (fill.size() - 1)) * XdpRing.ADDRESS_BYTES);
            set(fill, CONSUMER, cons + 1);
        }
        int prod = get(rx, PRODUCER);
        if (prod - get(rx, CONSUMER) >= rx.size()) {
            umem.spare[umem.spareCount++] = addr;
            rxRingFull++;
            rxDropped++;
            return FakeXdpNetwork.Delivery.DROPPED_RX_RING_FULL;
        }
        long base = addr & ~(long) (frameSize - 1);
        long data = base + 256 + headroom;
        umem.memory.put((int) data, frame);
        int slot = DESCS + (prod & (rx.size() - 1)) * XdpRing.DESC_BYTES;
        rx.memory().putLong(slot, data);
        rx.memory().putInt(slot + 8, frame.length);
        rx.memory().putInt(slot + 12, 0);
        set(rx, PRODUCER, prod + 1);
        return FakeXdpNetwork.Delivery.RECEIVED;
    }

    @Override
    public int kickTx() {
        synchronized (owner.lock()) {
            if (closed) {
                return -LinuxErrno.EBADF.code();
            }
            int cons = get(tx, CONSUMER);
            int prod = get(tx, PRODUCER);
            if (cons == prod) {
                txRingEmpty++;
                return 0;
            }
            while (cons != prod) {
                int cprod = get(completion, PRODUCER);
                if (cprod - get(completion, CONSUMER) >= completion.size()) {
                    set(tx, CONSUMER, cons);
                    return -LinuxErrno.EAGAIN.code();
                }
                int slot = DESCS + (cons & (tx.size() - 1)) * XdpRing.DESC_BYTES;
                long addr = tx.memory().getLong(slot);
                int len = tx.memory().getInt(slot + 8);
                cons++;
                long frameStart = addr & ~(long) (frameSize - 1);
                if (addr < 0 || len <= 0 || addr + len > umem.memory.capacity() || addr + len > frameStart + frameSize) {
                    txInvalid++;
                    continue;
                }
                byte[] out = new byte[len];
                umem.memory.get((int) addr, out);
                owner.network().transmitted(iface, out);
                completion.memory().putLong(DESCS + (cprod & (completion.size() - 1)) * XdpRing.ADDRESS_BYTES, addr);
                set(completion, PRODUCER, cprod + 1);
            }
            set(tx, CONSUMER, cons);
            return 0;
        }
    }

    @Override
    public void kickFill() {
        // Copy mode needs no fill-ring wake-up; the simulated kernel never asks for one.
    }

    /** Which events hold now (loop thread, reading the rings like xsk_poll). */
    int readyEvents() {
        int ev = 0;
        if (get(rx, PRODUCER) != get(rx, CONSUMER)) {
            ev |= RX;
        }
        if (get(tx, PRODUCER) - get(tx, CONSUMER) <= tx.size() / 2) {
            ev |= TX;
        }
        return ev;
    }

    @Override
    public void arm(int events, Readiness callback) {
        if (closed) {
            throw new IllegalStateException("arm on closed AF_XDP socket fd " + fd);
        }
        wantEvents = events;
        ready = callback;
        owner.wake();
    }

    @Override
    public void disarm() {
        wantEvents = 0;
        ready = null;
    }

    @Override
    public XdpStatistics statistics() {
        synchronized (owner.lock()) {
            return new XdpStatistics(rxDropped, rxInvalid, txInvalid, rxRingFull, fillRingEmpty, txRingEmpty);
        }
    }

    boolean isClosed() {
        return closed;
    }

    @Override
    public void close() {
        synchronized (owner.lock()) {
            if (closed) {
                return;
            }
            closed = true;
            wantEvents = 0;
            ready = null;
            owner.network().leave(iface, this, config.queue());
            umem.users--;
        }
        owner.closed(this);
    }

    @Override
    public String toString() {
        return "simulated AF_XDP socket fd " + fd + " on " + config.iface() + " queue " + config.queue();
    }
}
