package io.veloq.testkit.internal;

import io.veloq.api.IoFd;
import io.veloq.api.buffer.FixedBuf;
import io.veloq.api.op.Fsync;
import io.veloq.api.op.Open;
import io.veloq.api.op.SendFile;
import io.veloq.spi.IoBuffers;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Set;

import static io.veloq.spi.LinuxErrno.EBADF;
import static io.veloq.spi.LinuxErrno.ESPIPE;
import static io.veloq.spi.LinuxErrno.EEXIST;
import static io.veloq.spi.LinuxErrno.EFAULT;
import static io.veloq.spi.LinuxErrno.EINVAL;
import static io.veloq.spi.LinuxErrno.EIO;
import static io.veloq.spi.LinuxErrno.EISDIR;
import static io.veloq.spi.LinuxErrno.ENOENT;

/**
 * The simulated file system: a store of regular files by absolute path, the file ops (open, read, write,
 * fsync; a read or write on a socket goes to {@link SimDataPath}), the source of a {@code SendFile}, and the
 * test's direct view of the store.
 *
 * <p>Thread-safety: under the {@link FakeKernel}'s monitor (the test's methods take it themselves).
 */
public final class SimFiles {
    /** A SendFile moves at most this much per op, as a 64 KiB pipe does on Linux (the uring driver's default is larger). */
    static final int SEND_FILE_CHUNK = 64 * 1024;

    private final FakeKernel kernel;
    private final FileStore store = new FileStore();

    SimFiles(FakeKernel kernel) {
        this.kernel = kernel;
    }

    /**
     * A SendFile's source, read when the send runs (as the kernel's splice reads the page cache): its file from
     * its offset, at most one chunk. Finishes the op and returns null when the file cannot be read (EBADF,
     * ESPIPE for a socket as Linux's splice says, a fault plan's EIO) or has nothing there (0: end of file).
     */
    Segments sendFileSource(KernelOp op) {
        SendFile p = (SendFile) op.payload;
        SimFile f = kernel.resolve(op.driver, p.file());
        if (f == null || (f instanceof OpenFile of && !of.readable)) {
            kernel.finish(op, -EBADF.code());
            return null;
        }
        if (!(f instanceof OpenFile file)) {
            kernel.finish(op, -ESPIPE.code());
            return null;
        }
        if (failedByPlan(op)) {
            return null;
        }
        long n = Math.min(Math.min(p.count(), SEND_FILE_CHUNK), file.inode.size - p.offset());
        if (n <= 0) {
            kernel.finish(op, 0);
            return null;
        }
        int shortened = kernel.faults.fileShortRead((int) n); // a splice from the page cache may come back short
        if (shortened > 0) {
            kernel.traceFault(op, "short file read " + shortened + " of " + n);
            n = shortened;
        }
        return Segments.span(ByteBuffer.wrap(file.inode.data), (int) p.offset(), (int) n);
    }

    void open(KernelOp op, Open p) {
        Set<StandardOpenOption> o = p.options();
        if (o.contains(StandardOpenOption.DELETE_ON_CLOSE)) {
            kernel.finish(op, -EINVAL.code());
            return;
        }
        String path = key(p.path());
        for (String existing : store.all().keySet()) {
            if (existing.startsWith(path + "/")) {
                kernel.finish(op, -EISDIR.code());
                return;
            }
        }
        boolean write = o.contains(StandardOpenOption.WRITE) || o.contains(StandardOpenOption.APPEND);
        boolean read = o.contains(StandardOpenOption.READ) || !write;
        FileStore.Inode inode = store.get(path);
        if (o.contains(StandardOpenOption.CREATE_NEW)) {
            if (inode != null) {
                kernel.finish(op, -EEXIST.code());
                return;
            }
            inode = store.create(path);
        } else if (o.contains(StandardOpenOption.CREATE)) {
            if (inode == null) {
                inode = store.create(path);
            }
        } else if (inode == null) {
            kernel.finish(op, -ENOENT.code());
            return;
        }
        if (o.contains(StandardOpenOption.TRUNCATE_EXISTING) && write) {
            inode.size = 0;
        }
        int fd = kernel.allocFd(new OpenFile(inode, path, read, write, o.contains(StandardOpenOption.APPEND)));
        kernel.finish(op, fd);
    }

    private boolean registered(KernelOp op, FixedBuf buf) {
        if (!op.driver.isRegistered(buf)) {
            kernel.finish(op, -EFAULT.code());
            return false;
        }
        return true;
    }

    /**
     * The open file a read or write names, or null when the op is dealt with already: finished with EFAULT (a
     * fixed buffer not registered), EBADF (no such descriptor, or not open for that direction) or a fault
     * plan's EIO, or handed to the data path (a socket: read and write are recv and send there).
     */
    private OpenFile fileFor(KernelOp op, IoFd fd, FixedBuf buf, boolean fixed, boolean write) {
        if (fixed && !registered(op, buf)) {
            return null;
        }
        SimFile f = kernel.resolve(op.driver, fd);
        if (f == null) {
            kernel.finish(op, -EBADF.code());
            return null;
        }
        if (f instanceof SimSocket) {
            if (write) {
                kernel.data.send(op, fd, null);
            } else {
                kernel.data.recv(op, fd, 0, null);
            }
            return null;
        }
        OpenFile file = (OpenFile) f;
        if (!(write ? file.writable : file.readable)) {
            kernel.finish(op, -EBADF.code());
            return null;
        }
        if (failedByPlan(op)) {
            return null;
        }
        return file;
    }

    void read(KernelOp op, IoFd fd, FixedBuf buf, long offset, boolean fixed) {
        OpenFile file = fileFor(op, fd, buf, fixed, false);
        if (file == null) {
            return;
        }
        long pos = offset == -1 ? file.position : offset;
        int n = (int) Math.max(0, Math.min(IoBuffers.fillLength(buf), file.inode.size - pos));
        int shortened = kernel.faults.fileShortRead(n);
        if (shortened > 0) {
            kernel.traceFault(op, "short read " + shortened + " of " + n);
            n = shortened;
        }
        if (n > 0) {
            IoBuffers.memory(buf).put(IoBuffers.fillOffset(buf), file.inode.data, (int) pos, n);
        }
        if (offset == -1) {
            file.position += n;
        }
        kernel.finish(op, n);
    }

    void write(KernelOp op, IoFd fd, FixedBuf buf, long offset, boolean fixed) {
        OpenFile file = fileFor(op, fd, buf, fixed, true);
        if (file == null) {
            return;
        }
        long pos = file.append ? file.inode.size : offset == -1 ? file.position : offset;
        int n = IoBuffers.drainLength(buf);
        file.inode.ensure(pos + n);
        if (pos > file.inode.size) {
            java.util.Arrays.fill(file.inode.data, file.inode.size, (int) pos, (byte) 0);
        }
        IoBuffers.memory(buf).get(IoBuffers.drainOffset(buf), file.inode.data, (int) pos, n);
        file.inode.size = (int) Math.max(file.inode.size, pos + n);
        if (offset == -1 || file.append) {
            file.position = pos + n;
        }
        kernel.finish(op, n);
    }

    void fsync(KernelOp op, Fsync p) {
        SimFile f = kernel.resolve(op.driver, p.fd());
        if (f == null) {
            kernel.finish(op, -EBADF.code());
            return;
        }
        if (!(f instanceof OpenFile file)) {
            kernel.finish(op, -EINVAL.code());
            return;
        }
        if (failedByPlan(op)) {
            return;
        }
        file.inode.syncs++;
        kernel.finish(op, 0);
    }

    /** Whether the fault plan fails this file op with EIO (then the op is finished). */
    private boolean failedByPlan(KernelOp op) {
        if (!kernel.faults.fileError()) {
            return false;
        }
        kernel.traceFault(op, "EIO");
        kernel.finish(op, -EIO.code());
        return true;
    }

    // ---------------------------------------------------------------- the test's view of the store

    /** Creates or replaces a file's content. */
    public void put(Path path, byte[] content) {
        synchronized (kernel) {
            FileStore.Inode i = store.get(key(path));
            if (i == null) {
                i = store.create(key(path));
            }
            i.ensure(content.length);
            System.arraycopy(content, 0, i.data, 0, content.length);
            i.size = content.length;
        }
    }

    /** A file's content, or null when there is no such file. */
    public byte[] content(Path path) {
        synchronized (kernel) {
            FileStore.Inode i = store.get(key(path));
            return i == null ? null : i.content();
        }
    }

    /** How many times a file was fsynced, or -1 when there is no such file. */
    public long syncs(Path path) {
        synchronized (kernel) {
            FileStore.Inode i = store.get(key(path));
            return i == null ? -1 : i.syncs;
        }
    }

    /** Deletes a file; false when there was none. */
    public boolean delete(Path path) {
        synchronized (kernel) {
            return store.delete(key(path));
        }
    }

    /** Files are kept by absolute, normalized path. */
    private static String key(Path path) {
        return path.toAbsolutePath().normalize().toString();
    }
}
