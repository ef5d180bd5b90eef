package io.veloq.driver.nio;

import io.veloq.api.op.Fsync;
import io.veloq.api.op.Open;
import io.veloq.api.op.Read;
import io.veloq.api.op.Write;
import io.veloq.spi.JavaErrors;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.FileSystems;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.EnumSet;
import java.util.Set;

import static java.nio.file.StandardOpenOption.CREATE;
import static java.nio.file.StandardOpenOption.CREATE_NEW;

/**
 * The file ops, run on a {@link FileWorkers} thread (a disk may block, the loop must not): positional
 * {@link FileChannel} calls, and {@code Open}/{@code Close}/{@code Fsync}. Each returns the op's result or
 * minus the errno of the JDK exception ({@link JavaErrors}).
 */
final class FileOps {
    private static final boolean POSIX = FileSystems.getDefault().supportedFileAttributeViews().contains("posix");
    private static final FileAttribute<?>[] NO_ATTRIBUTES = new FileAttribute<?>[0];

    private FileOps() {
    }

    static long run(OpSlot s) {
        try {
            return switch (s.kind) {
                case OPEN -> open(s);
                case READ -> {
                    long off = ((Read) s.payload).offset();
                    FileChannel ch = s.handle.file();
                    int n = off < 0 ? ch.read(s.view) : ch.read(s.view, off);
                    yield Math.max(0, n); // -1 at end of file: read(2)'s 0
                }
                case WRITE -> {
                    long off = ((Write) s.payload).offset();
                    FileChannel ch = s.handle.file();
                    yield off < 0 ? ch.write(s.view) : ch.write(s.view, off);
                }
                case FSYNC -> {
                    s.handle.file().force(!((Fsync) s.payload).dataOnly());
                    yield 0;
                }
                case CLOSE -> {
                    s.handle.close();
                    yield 0;
                }
                default -> NioDriver.EBADF;
            };
        } catch (IOException | RuntimeException e) {
            return JavaErrors.result(e, s.kind);
        }
    }

    private static long open(OpSlot s) throws IOException {
        Open o = (Open) s.payload;
        Set<? extends java.nio.file.OpenOption> options = o.options();
        FileAttribute<?>[] attrs = NO_ATTRIBUTES;
        if (POSIX && (options.contains(CREATE) || options.contains(CREATE_NEW))) {
            attrs = new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(permissions(o.mode()))};
        }
        HandleTable handles = s.driver.handles();
        FileChannel ch = FileChannel.open(o.path(), options, attrs);
        long id = handles.reserve();
        if (id == HandleTable.FULL) {
            ch.close();
            return -io.veloq.spi.LinuxErrno.EMFILE.code();
        }
        handles.publish(new Handle(id, ch, Handle.Kind.FILE, null));
        return id;
    }

    /** The rwx bits of a mode (the umask applies on top, as for open(2)). */
    static Set<PosixFilePermission> permissions(int mode) {
        Set<PosixFilePermission> p = EnumSet.noneOf(PosixFilePermission.class);
        PosixFilePermission[] order = {
            PosixFilePermission.OTHERS_EXECUTE, PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_READ,
            PosixFilePermission.GROUP_EXECUTE, PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_READ,
            PosixFilePermission.OWNER_EXECUTE, PosixFilePermission.OWNER_WRITE, PosixFilePermission.OWNER_READ};
        for (int bit = 0; bit < order.length; bit++) {
            if ((mode & (1 << bit)) != 0) {
                p.add(order[bit]);
            }
        }
        return p;
    }
}
