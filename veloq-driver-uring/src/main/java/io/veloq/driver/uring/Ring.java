package io.veloq.driver.uring;

import io.veloq.spi.LinuxErrno;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

import static io.veloq.driver.uring.IoUringAbi.*;

/**
 * One io_uring: the ring file descriptor and its three mapped regions, seen as direct buffers. The SQ
 * tail and CQ head are published with release stores and the kernel's SQ head and CQ tail read with
 * acquire loads; SQE and CQE fields are plain accesses ordered by those. Loop thread only.
 *
 * <pre>{@code
 * Ring ring = Ring.open(mem, 64, 256, SetupFlags.preferredChain());
 * int tail = ring.cqTail();   // acquire
 * }</pre>
 */
final class Ring {
    private static final VarHandle INT = MethodHandles.byteBufferViewVarHandle(int[].class, ByteOrder.nativeOrder());

    final int fd;
    /** The setup flags the kernel accepted. */
    final int flags;
    final int features;
    final int sqEntries;
    final int sqMask;
    final int cqEntries;
    final int cqMask;
    /** The SQE array. */
    final ByteBuffer sqes;
    /** The CQ ring (CQEs at {@link #cqesOffset}). */
    final ByteBuffer cq;
    final int cqesOffset;

    private final NativeMemory mem;
    private final ByteBuffer sq;
    private final int sqHeadOff;
    private final int sqTailOff;
    private final int sqFlagsOff;
    private final int cqHeadOff;
    private final int cqTailOff;
    private final int cqOverflowOff;
    private final long sqAddr;
    private final long sqLen;
    private final long cqAddr;
    private final long cqLen;
    private final long sqesAddr;
    private final long sqesLen;

    /** io_uring_setup failed with {@code errno} for every flag set tried. */
    static final class SetupException extends Exception {
        final int errno;

        SetupException(int errno, String message) {
            super(message);
            this.errno = errno;
        }
    }

    private Ring(NativeMemory mem, int fd, int flags, ByteBuffer params, Maps maps) {
        this.mem = mem;
        this.fd = fd;
        this.flags = flags;
        this.features = params.getInt(PARAMS_FEATURES);
        this.sqEntries = params.getInt(PARAMS_SQ_ENTRIES);
        this.cqEntries = params.getInt(PARAMS_CQ_ENTRIES);
        this.sqAddr = maps.sqAddr;
        this.sqLen = maps.sqLen;
        this.cqAddr = maps.cqAddr;
        this.cqLen = maps.cqLen;
        this.sqesAddr = maps.sqesAddr;
        this.sqesLen = maps.sqesLen;
        this.sq = mem.view(sqAddr, sqLen);
        this.cq = cqAddr == sqAddr ? sq : mem.view(cqAddr, cqLen);
        this.sqes = mem.view(sqesAddr, sqesLen);
        this.sqHeadOff = params.getInt(PARAMS_SQ_OFF + SQ_OFF_HEAD);
        this.sqTailOff = params.getInt(PARAMS_SQ_OFF + SQ_OFF_TAIL);
        this.sqFlagsOff = params.getInt(PARAMS_SQ_OFF + SQ_OFF_FLAGS);
        this.sqMask = sq.getInt(params.getInt(PARAMS_SQ_OFF + SQ_OFF_RING_MASK));
        this.cqHeadOff = params.getInt(PARAMS_CQ_OFF + CQ_OFF_HEAD);
        this.cqTailOff = params.getInt(PARAMS_CQ_OFF + CQ_OFF_TAIL);
        this.cqOverflowOff = params.getInt(PARAMS_CQ_OFF + CQ_OFF_OVERFLOW);
        this.cqMask = cq.getInt(params.getInt(PARAMS_CQ_OFF + CQ_OFF_RING_MASK));
        this.cqesOffset = params.getInt(PARAMS_CQ_OFF + CQ_OFF_CQES);
        // SQE i always sits in SQ array slot i: the array is written once, never per submission.
        int array = params.getInt(PARAMS_SQ_OFF + SQ_OFF_ARRAY);
        for (int i = 0; i < sqEntries; i++) {
            sq.putInt(array + 4 * i, i);
        }
    }

    private record Maps(long sqAddr, long sqLen, long cqAddr, long cqLen, long sqesAddr, long sqesLen) {
    }

    /**
     * Creates a ring, trying each flag set of {@code flagChain} in order and moving on only when the
     * kernel answers EINVAL (a flag it does not know). {@code CQSIZE|CLAMP} is added to every set but the
     * last, which is used as given.
     */
    static Ring open(NativeMemory mem, int entries, int cqEntries, List<Integer> flagChain) throws SetupException {
        long params = mem.allocate(PARAMS_SIZE, "io_uring_params");
        try {
            ByteBuffer p = mem.view(params, PARAMS_SIZE);
            int lastErrno = 0;
            StringBuilder tried = new StringBuilder();
            for (int i = 0; i < flagChain.size(); i++) {
                int flags = flagChain.get(i);
                if (i < flagChain.size() - 1) {
                    flags |= SETUP_CQSIZE | SETUP_CLAMP;
                }
                for (int b = 0; b < PARAMS_SIZE; b++) {
                    p.put(b, (byte) 0);
                }
                p.putInt(PARAMS_FLAGS, flags);
                p.putInt(PARAMS_CQ_ENTRIES, cqEntries);
                long fd = mem.syscalls().ioUringSetup(entries, params);
                if (fd >= 0) {
                    return mapAndWrap(mem, (int) fd, flags, p);
                }
                lastErrno = (int) -fd;
                tried.append(tried.length() == 0 ? "" : ", ").append(SetupFlags.names(flags)).append(" -> ")
                        .append(LinuxErrno.TABLE.name(lastErrno));
                if (lastErrno != LinuxErrno.EINVAL.code()) {
                    break;
                }
            }
            throw new SetupException(lastErrno, "io_uring_setup(" + entries + " entries) failed: " + tried);
        } finally {
            mem.free(params);
        }
    }

    private static Ring mapAndWrap(NativeMemory mem, int fd, int flags, ByteBuffer p) throws SetupException {
        int sqEntries = p.getInt(PARAMS_SQ_ENTRIES);
        int cqEntries = p.getInt(PARAMS_CQ_ENTRIES);
        long sqLen = p.getInt(PARAMS_SQ_OFF + SQ_OFF_ARRAY) + 4L * sqEntries;
        long cqLen = p.getInt(PARAMS_CQ_OFF + CQ_OFF_CQES) + (long) CQE_SIZE * cqEntries;
        boolean single = (p.getInt(PARAMS_FEATURES) & FEAT_SINGLE_MMAP) != 0;
        if (single) {
            sqLen = cqLen = Math.max(sqLen, cqLen);
        }
        long sqesLen = (long) SQE_SIZE * sqEntries;
        long sqAddr = 0;
        long cqAddr = 0;
        long sqesAddr = 0;
        try {
            sqAddr = mapped(mem.map(sqLen, fd, OFF_SQ_RING), "SQ ring", fd);
            cqAddr = single ? sqAddr : mapped(mem.map(cqLen, fd, OFF_CQ_RING), "CQ ring", fd);
            sqesAddr = mapped(mem.map(sqesLen, fd, OFF_SQES), "SQE array", fd);
            return new Ring(mem, fd, flags, p, new Maps(sqAddr, sqLen, cqAddr, cqLen, sqesAddr, sqesLen));
        } catch (SetupException | RuntimeException e) {
            if (sqesAddr > 0) {
                mem.unmap(sqesAddr, sqesLen);
            }
            if (cqAddr > 0 && cqAddr != sqAddr) {
                mem.unmap(cqAddr, cqLen);
            }
            if (sqAddr > 0) {
                mem.unmap(sqAddr, sqLen);
            }
            mem.syscalls().close(fd);
            throw e;
        }
    }

    private static long mapped(long addr, String what, int fd) throws SetupException {
        if (addr < 0) {
            int errno = (int) -addr;
            throw new SetupException(errno, "mmap of the io_uring " + what + " of ring fd " + fd + " failed: "
                    + LinuxErrno.TABLE.name(errno) + " (" + LinuxErrno.TABLE.describe(errno) + ")");
        }
        return addr;
    }

    /** The kernel's SQ head: entries before it have been consumed. */
    int sqHead() {
        return (int) INT.getAcquire(sq, sqHeadOff);
    }

    /** Publishes SQEs up to {@code tail} to the kernel. */
    void publishSqTail(int tail) {
        INT.setRelease(sq, sqTailOff, tail);
    }

    /** The SQ ring flags the kernel sets (CQ overflow, task work pending). */
    int sqFlags() {
        return (int) INT.getAcquire(sq, sqFlagsOff);
    }

    /** The kernel's CQ tail: CQEs before it are ready. */
    int cqTail() {
        return (int) INT.getAcquire(cq, cqTailOff);
    }

    /** Gives CQEs before {@code head} back to the kernel. */
    void publishCqHead(int head) {
        INT.setRelease(cq, cqHeadOff, head);
    }

    /** Completions the kernel had to drop (without NODROP) or held back in its overflow list. */
    int cqOverflow() {
        return (int) INT.getAcquire(cq, cqOverflowOff);
    }

    /** Unmaps the regions and closes the ring descriptor. */
    void close() {
        mem.unmap(sqesAddr, sqesLen);
        if (cqAddr != sqAddr) {
            mem.unmap(cqAddr, cqLen);
        }
        mem.unmap(sqAddr, sqLen);
        mem.syscalls().close(fd);
    }
}
