package io.veloq.driver.uring;

import io.veloq.api.VeloqIoException;
import io.veloq.spi.LinuxErrno;

import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicIntegerArray;

import static io.veloq.driver.uring.IoUringAbi.*;

/**
 * The ring's registered-file table ({@code IoFd.Fixed}): a sparse table registered once at open with
 * every slot empty, then filled and cleared one slot at a time with {@code IORING_REGISTER_FILES_UPDATE}.
 * It also remembers the raw fd behind each slot, so socket-control calls (bind, options) on a fixed fd
 * reach the right socket from any thread.
 */
final class FixedFiles {
    private final NativeMemory mem;
    private final int ringFd;
    private final int size;
    private final AtomicIntegerArray raw;
    private final long update;
    private final ByteBuffer updateView;

    private FixedFiles(NativeMemory mem, int ringFd, int size, long update) {
        this.mem = mem;
        this.ringFd = ringFd;
        this.size = size;
        this.raw = new AtomicIntegerArray(size);
        for (int i = 0; i < size; i++) {
            raw.set(i, -1);
        }
        this.update = update;
        this.updateView = mem.view(update, 24);
    }

    /** Registers a table of {@code size} empty slots; returns null (no fixed files) if the kernel refuses. */
    static FixedFiles register(NativeMemory mem, int ringFd, int size) {
        if (size <= 0) {
            return null;
        }
        long fds = mem.allocate(4L * size, "registered-file table");
        try {
            ByteBuffer v = mem.view(fds, 4L * size);
            for (int i = 0; i < size; i++) {
                v.putInt(4 * i, -1);
            }
            long rc = mem.syscalls().ioUringRegister(ringFd, REGISTER_FILES, fds, size);
            if (rc < 0) {
                return null;
            }
        } finally {
            mem.free(fds);
        }
        // struct io_uring_files_update {u32 offset; u32 resv; u64 fds;} then the one fd it points at.
        return new FixedFiles(mem, ringFd, size, mem.allocate(24, "files-update argument"));
    }

    int size() {
        return size;
    }

    /** Puts raw {@code fd} into a free slot; returns the slot. Loop thread only. */
    int add(long fd) throws VeloqIoException {
        if (fd < 0 || fd > Integer.MAX_VALUE) {
            throw LinuxErrno.TABLE.exception(LinuxErrno.EBADF.code(), "registerFile(fd " + fd + ")");
        }
        for (int i = 0; i < size; i++) {
            if (raw.get(i) == -1) {
                set(i, (int) fd, "registerFile(fd " + fd + ") into slot " + i);
                raw.set(i, (int) fd);
                return i;
            }
        }
        throw LinuxErrno.TABLE.exception(LinuxErrno.ENFILE.code(), "registerFile(fd " + fd + "): all " + size
                + " registered-file slots are in use (raise Runtime.builder().registeredFiles)");
    }

    /** Empties a slot. Loop thread only. */
    void remove(int index) throws VeloqIoException {
        if (index < 0 || index >= size || raw.get(index) == -1) {
            throw LinuxErrno.TABLE.exception(LinuxErrno.EBADF.code(), "unregisterFile(fixed fd #" + index
                    + "): no file is registered in that slot (table of " + size + ")");
        }
        set(index, -1, "unregisterFile(fixed fd #" + index + ")");
        raw.set(index, -1);
    }

    /** The raw fd behind a slot, or -1. Any thread. */
    int rawFd(int index) {
        return index >= 0 && index < size ? raw.get(index) : -1;
    }

    /** True when a slot holds a file (ops on an empty slot are refused with EBADF). */
    boolean occupied(int index) {
        return index >= 0 && index < size && raw.get(index) != -1;
    }

    /** Forgets the raw fd of a slot closed by an io_uring CLOSE of the fixed descriptor. */
    void closedBySqe(int index) {
        if (index >= 0 && index < size) {
            raw.set(index, -1);
        }
    }

    private void set(int index, int fd, String what) throws VeloqIoException {
        updateView.putInt(0, index);
        updateView.putInt(4, 0);
        updateView.putLong(8, update + 16);
        updateView.putInt(16, fd);
        long rc = mem.syscalls().ioUringRegister(ringFd, REGISTER_FILES_UPDATE, update, 1);
        if (rc < 0) {
            throw LinuxErrno.TABLE.exception((int) -rc, what + " on ring fd " + ringFd);
        }
    }

    /** Unregisters the table and frees its memory. */
    void close() {
        mem.syscalls().ioUringRegister(ringFd, UNREGISTER_FILES, 0, 0);
        mem.free(update);
    }
}
