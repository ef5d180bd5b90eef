package io.veloq.driver.uring;

import io.veloq.api.VeloqIoException;
import io.veloq.spi.LinuxErrno;

import java.nio.ByteBuffer;
import java.util.Arrays;

import static io.veloq.driver.uring.IoUringAbi.*;

/**
 * The ring's registered-buffer table, which grows with the loop's pool. Preferred (Linux 5.19+): one
 * sparse table sized for the pool's cap ({@code IORING_REGISTER_BUFFERS2} with
 * {@code IORING_RSRC_REGISTER_SPARSE}), each region installed into its slot with
 * {@code IORING_REGISTER_BUFFERS_UPDATE}; nothing already registered moves, and ops in flight are
 * untouched. Fallback (older kernels, or option {@code uring.buffer-table=reregister}): the whole table
 * is unregistered and registered again with the new region added; if that fails the previous regions
 * are registered again, so the table holds what fits. Either way region {@code i} is the pool's slab
 * {@code i}. Loop thread only.
 *
 * <pre>{@code
 * BufferTable t = new BufferTable(mem, ringFd, addresses, true);
 * t.register(firstSlabs, pool's max regions);   // at open
 * t.add(allSlabsSoFar);                          // when the pool grew
 * t.close();
 * }</pre>
 */
final class BufferTable {
    /** How the table grows. */
    enum Mode {
        /** A sparse table of slots filled one at a time. */
        SPARSE,
        /** The whole table registered again on every growth. */
        REREGISTER
    }

    private final NativeMemory mem;
    private final int ringFd;
    private final BufferAddresses addresses;
    private final boolean sparseAllowed;
    private Mode mode;
    private int slots;
    private String fallbackReason;
    private ByteBuffer[] current = new ByteBuffer[0];
    private long update; // struct io_uring_rsrc_update2 then one iovec; allocated on first use

    BufferTable(NativeMemory mem, int ringFd, BufferAddresses addresses, boolean sparseAllowed) {
        this.mem = mem;
        this.ringFd = ringFd;
        this.addresses = addresses;
        this.sparseAllowed = sparseAllowed;
    }

    /** Registers the first regions and reserves the table for {@code maxRegions} (replacing any earlier table). */
    void register(ByteBuffer[] slabs, int maxRegions) throws VeloqIoException {
        drop();
        if (sparseAllowed) {
            int n = Math.min(MAX_REG_BUFFERS, Math.max(slabs.length, Math.max(1, maxRegions)));
            int errno = registerSparse(mem, ringFd, n);
            if (errno == 0) {
                mode = Mode.SPARSE;
                slots = n;
                for (int i = 0; i < slabs.length; i++) {
                    install(i, slabs[i]);
                }
                current = slabs.clone();
                return;
            }
            if (errno != LinuxErrno.EINVAL.code() && errno != LinuxErrno.EOPNOTSUPP.code()) {
                throw LinuxErrno.TABLE.exception(errno, "IORING_REGISTER_BUFFERS2 of a sparse table of " + n
                        + " regions on ring fd " + ringFd + memlockHint(errno));
            }
            fallbackReason = "the kernel refused a sparse table (" + LinuxErrno.TABLE.name(errno) + "; needs Linux 5.19+)";
        } else {
            fallbackReason = "option uring.buffer-table=reregister";
        }
        mode = Mode.REREGISTER;
        registerAll(slabs);
    }

    /** Registers the newest region, {@code slabs[slabs.length - 1]}; {@code slabs} holds every region so far. */
    void add(ByteBuffer[] slabs) throws VeloqIoException {
        int region = slabs.length - 1;
        if (mode == null) {
            register(slabs, slabs.length);
            return;
        }
        if (mode == Mode.SPARSE) {
            if (region >= slots) {
                throw LinuxErrno.TABLE.exception(LinuxErrno.ENOSPC.code(), "registering buffer region " + region
                        + " on ring fd " + ringFd + ": the sparse table has " + slots + " slots (the kernel's most is "
                        + MAX_REG_BUFFERS + ")");
            }
            install(region, slabs[region]);
            current = slabs.clone();
            return;
        }
        ByteBuffer[] before = current;
        drop();
        try {
            registerAll(slabs);
        } catch (VeloqIoException e) {
            try {
                registerAll(before); // keep what fitted before
            } catch (VeloqIoException again) {
                e.addSuppressed(again);
            }
            throw e;
        }
    }

    /** The growth strategy in use (null before the first registration). */
    Mode mode() {
        return mode;
    }

    /** Regions registered now. */
    int regions() {
        return current.length;
    }

    /** The registered slabs, region order (tests: what the kernel pins, to check they are let go on close). */
    ByteBuffer[] registeredSlabs() {
        return current.clone();
    }

    /** For messages and {@code details()}: how the table grows, and why the fallback if it is used. */
    String describe() {
        if (mode == null) {
            return "none registered";
        }
        return mode == Mode.SPARSE
                ? current.length + " of " + slots + " slots of a sparse table, grown in place (IORING_REGISTER_BUFFERS_UPDATE)"
                : current.length + " regions, registered again on each growth (" + fallbackReason + ")";
    }

    /** Unregisters the table and frees the update argument. */
    void close() {
        drop();
        mem.free(update);
        update = 0;
    }

    private void drop() {
        if (mode != null) {
            mem.syscalls().ioUringRegister(ringFd, UNREGISTER_BUFFERS, 0, 0);
            addresses.unregisteredAll();
            current = new ByteBuffer[0];
        }
    }

    private void install(int region, ByteBuffer slab) throws VeloqIoException {
        if (update == 0) {
            update = mem.allocate(RSRC_UPDATE2_SIZE + IOVEC_SIZE, "buffers-update argument");
        }
        ByteBuffer v = mem.view(update, RSRC_UPDATE2_SIZE + IOVEC_SIZE);
        long addr = mem.syscalls().addressOf(slab);
        v.putInt(0, region);
        v.putInt(4, 0);
        v.putLong(8, update + RSRC_UPDATE2_SIZE);
        v.putLong(16, 0);
        v.putInt(24, 1);
        v.putInt(28, 0);
        v.putLong(RSRC_UPDATE2_SIZE, addr);
        v.putLong(RSRC_UPDATE2_SIZE + 8, slab.capacity());
        long rc = mem.syscalls().ioUringRegister(ringFd, REGISTER_BUFFERS_UPDATE, update, RSRC_UPDATE2_SIZE);
        if (rc < 0) {
            int errno = (int) -rc;
            throw LinuxErrno.TABLE.exception(errno, "IORING_REGISTER_BUFFERS_UPDATE of region " + region + " ("
                    + slab.capacity() + " bytes) on ring fd " + ringFd + memlockHint(errno));
        }
        addresses.registered(region, slab, addr);
    }

    private void registerAll(ByteBuffer[] slabs) throws VeloqIoException {
        if (slabs.length == 0) {
            return;
        }
        long iov = mem.allocate((long) IOVEC_SIZE * slabs.length, "iovecs of registered buffers");
        try {
            ByteBuffer v = mem.view(iov, (long) IOVEC_SIZE * slabs.length);
            long[] addrs = new long[slabs.length];
            long total = 0;
            for (int i = 0; i < slabs.length; i++) {
                addrs[i] = mem.syscalls().addressOf(slabs[i]);
                v.putLong(i * IOVEC_SIZE, addrs[i]);
                v.putLong(i * IOVEC_SIZE + 8, slabs[i].capacity());
                total += slabs[i].capacity();
            }
            long rc = mem.syscalls().ioUringRegister(ringFd, REGISTER_BUFFERS, iov, slabs.length);
            if (rc < 0) {
                int errno = (int) -rc;
                throw LinuxErrno.TABLE.exception(errno, "IORING_REGISTER_BUFFERS of " + slabs.length + " regions ("
                        + total + " bytes) on ring fd " + ringFd + memlockHint(errno));
            }
            for (int i = 0; i < slabs.length; i++) {
                addresses.registered(i, slabs[i], addrs[i]);
            }
            current = Arrays.copyOf(slabs, slabs.length);
        } finally {
            mem.free(iov);
        }
    }

    private static String memlockHint(int errno) {
        return errno == LinuxErrno.ENOMEM.code() ? ": the locked-memory limit (ulimit -l) is too small for pinning "
                + "them; raise it or use fewer/smaller buffers" : "";
    }

    /** Registers a sparse table of {@code n} empty slots; returns 0 or the errno. */
    static int registerSparse(NativeMemory mem, int ringFd, int n) {
        long arg = mem.allocate(RSRC_REGISTER_SIZE, "rsrc-register argument");
        try {
            ByteBuffer v = mem.view(arg, RSRC_REGISTER_SIZE);
            v.putInt(0, n);
            v.putInt(4, RSRC_REGISTER_SPARSE);
            v.putLong(8, 0);
            v.putLong(16, 0); // data: none, every slot empty
            v.putLong(24, 0); // tags: none
            long rc = mem.syscalls().ioUringRegister(ringFd, REGISTER_BUFFERS2, arg, RSRC_REGISTER_SIZE);
            return rc < 0 ? (int) -rc : 0;
        } finally {
            mem.free(arg);
        }
    }

    /** What {@code details()} says: whether this kernel grows the table in place. Unregisters what it made. */
    static String probe(NativeMemory mem, int ringFd) {
        int errno = registerSparse(mem, ringFd, 1);
        if (errno == 0) {
            mem.syscalls().ioUringRegister(ringFd, UNREGISTER_BUFFERS, 0, 0);
            return "sparse table sized for the pool's cap, each new region installed in place "
                    + "(IORING_REGISTER_BUFFERS2 + IORING_REGISTER_BUFFERS_UPDATE)";
        }
        return "registered again on each growth: the kernel refused a sparse table (" + LinuxErrno.TABLE.name(errno)
                + "; Linux 5.19+ grows it in place)";
    }
}
