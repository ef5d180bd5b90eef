package io.veloq.driver.uring;

import io.veloq.api.VeloqIoException;
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
 * One AF_XDP socket made by {@link XskFactory}: its descriptor, its ring mappings, its share of the UMEM and
 * of the interface's program, and the readiness state {@link UringXdp} keeps for it. Loop thread only,
 * except {@link #statistics()}.
 */
final class XskEndpoint implements XdpEndpoint {
    private static final VarHandle INT = MethodHandles.byteBufferViewVarHandle(int[].class, ByteOrder.nativeOrder());
    private static final int MSG_DONTWAIT = 0x40;
    static final int SOL_XDP = 283;
    static final int XDP_STATISTICS = 7;

    /** A mapped ring: its view for the host and what to unmap. */
    record Mapping(XdpRing ring, long addr, long length) {
    }

    /** The UMEM memory and, for its owner, the fill and completion rings every same-queue sharer uses. */
    static final class SharedUmem {
        final long addr;
        final long length;
        final ByteBuffer memory;
        final int ownerIfindex;
        final int ownerQueue;
        Mapping fill;
        Mapping completion;
        int users = 1;

        SharedUmem(long addr, long length, ByteBuffer memory, int ownerIfindex, int ownerQueue) {
            this.addr = addr;
            this.length = length;
            this.memory = memory;
            this.ownerIfindex = ownerIfindex;
            this.ownerQueue = ownerQueue;
        }
    }

    final int id;
    final int fd;
    final XdpConfig config;
    final int ifindex;
    final SharedUmem umem;
    private final UringXdp owner;
    private final Mapping fill;
    private final Mapping completion;
    private final Mapping rx;
    private final Mapping tx;
    private final boolean sharesRings;
    private final XdpMode mode;
    private final boolean needWakeup;
    final XdpAttachments.Attachment attachment;
    private boolean closed;

    // Readiness (UringXdp's bookkeeping, loop thread).
    int wantEvents;
    Readiness ready;
    long kernelUd;
    int kernelEvents;
    boolean cancelSent;
    int generation;
    boolean pending;

    XskEndpoint(UringXdp owner, int id, int fd, XdpConfig config, int ifindex, SharedUmem umem, Mapping fill,
                Mapping completion, Mapping rx, Mapping tx, boolean sharesRings, XdpMode mode, boolean needWakeup,
                XdpAttachments.Attachment attachment) {
        this.owner = owner;
        this.id = id;
        this.fd = fd;
        this.config = config;
        this.ifindex = ifindex;
        this.umem = umem;
        this.fill = fill;
        this.completion = completion;
        this.rx = rx;
        this.tx = tx;
        this.sharesRings = sharesRings;
        this.mode = mode;
        this.needWakeup = needWakeup;
        this.attachment = attachment;
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
        return fill.ring();
    }

    @Override
    public XdpRing completionRing() {
        return completion.ring();
    }

    @Override
    public XdpRing rxRing() {
        return rx.ring();
    }

    @Override
    public XdpRing txRing() {
        return tx.ring();
    }

    @Override
    public boolean sharesRings() {
        return sharesRings;
    }

    @Override
    public XdpMode mode() {
        return mode;
    }

    @Override
    public boolean needWakeup() {
        return needWakeup;
    }

    boolean busyPoll() {
        return config.busyPoll();
    }

    @Override
    public int kickTx() {
        if (closed) {
            return -LinuxErrno.EBADF.code();
        }
        return (int) Math.min(0, owner.syscalls().kickSend(fd, MSG_DONTWAIT));
    }

    @Override
    public void kickFill() {
        if (!closed) {
            owner.syscalls().kickRecv(fd, MSG_DONTWAIT);
        }
    }

    /** Which events hold now, read from the rings (busy polling): RX when packets wait, TX when the TX ring has room. */
    int readyEvents() {
        XdpRing r = rx.ring();
        int ev = 0;
        if ((int) INT.getAcquire(r.memory(), r.producer()) != (int) INT.getAcquire(r.memory(), r.consumer())) {
            ev |= RX;
        }
        XdpRing t = tx.ring();
        int used = (int) INT.getAcquire(t.memory(), t.producer()) - (int) INT.getAcquire(t.memory(), t.consumer());
        if (used <= t.size() / 2) {
            ev |= TX;
        }
        return ev;
    }

    @Override
    public void arm(int events, Readiness callback) {
        if (closed) {
            throw new IllegalStateException("arm on closed AF_XDP socket fd " + fd);
        }
        owner.arm(this, events, callback);
    }

    @Override
    public void disarm() {
        owner.arm(this, 0, null);
    }

    @Override
    public XdpStatistics statistics() throws VeloqIoException {
        synchronized (this) {
            if (closed) {
                throw XdpErrors.exception(LinuxErrno.EBADF.code(), "XDP_STATISTICS on AF_XDP socket fd " + fd, "the socket is closed");
            }
            NativeMemory mem = owner.memory();
            long buf = mem.allocate(48 + 8, "xdp_statistics");
            try {
                ByteBuffer v = mem.view(buf, 56);
                v.putInt(48, 48);
                long rc = mem.syscalls().getsockopt(fd, SOL_XDP, XDP_STATISTICS, buf, buf + 48);
                if (rc < 0) {
                    throw XdpErrors.exception((int) -rc, "getsockopt(XDP_STATISTICS) on AF_XDP socket fd " + fd, null);
                }
                return new XdpStatistics(v.getLong(0), v.getLong(8), v.getLong(16), v.getLong(24), v.getLong(32), v.getLong(40));
            } finally {
                mem.free(buf);
            }
        }
    }

    boolean isClosed() {
        return closed;
    }

    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        owner.closed(this);
    }

    /** Frees what the endpoint made: descriptor (the kernel drops it from the XSKMAP), rings, its UMEM share, its program share. */
    void free(NativeMemory mem, Bpf bpf) {
        mem.syscalls().close(fd);
        unmap(mem, rx);
        unmap(mem, tx);
        if (!sharesRings && fill != umem.fill) {
            unmap(mem, fill);
            unmap(mem, completion);
        }
        if (--umem.users == 0) {
            if (umem.fill != null) {
                unmap(mem, umem.fill);
                unmap(mem, umem.completion);
            }
            mem.unmap(umem.addr, umem.length);
        }
        if (attachment != null) {
            XdpAttachments.leave(bpf, attachment);
        }
    }

    private static void unmap(NativeMemory mem, Mapping m) {
        if (m != null) {
            mem.unmap(m.addr(), m.length());
        }
    }

    @Override
    public String toString() {
        return "AF_XDP socket fd " + fd + " on " + config.iface() + " queue " + config.queue();
    }
}
