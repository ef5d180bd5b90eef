package io.veloq.driver.uring;

import java.nio.file.StandardOpenOption;
import java.util.Set;

import static io.veloq.driver.uring.IoUringAbi.*;

/**
 * {@link StandardOpenOption}s as {@code openat(2)} flags, the way {@code FileChannel.open} reads them:
 * WRITE or APPEND opens for writing, READ (or nothing) for reading; CREATE, CREATE_NEW and
 * TRUNCATE_EXISTING apply only when writing; SPARSE is a hint Linux ignores. O_CLOEXEC always.
 *
 * <pre>{@code OpenFlags.of(Set.of(WRITE, CREATE)); // O_WRONLY|O_CREAT|O_CLOEXEC}</pre>
 */
final class OpenFlags {
    /** Returned for an option the driver cannot express (DELETE_ON_CLOSE). */
    static final int UNSUPPORTED = -1;

    private OpenFlags() {
    }

    static int of(Set<StandardOpenOption> options) {
        if (options.contains(StandardOpenOption.DELETE_ON_CLOSE)) {
            return UNSUPPORTED;
        }
        boolean append = options.contains(StandardOpenOption.APPEND);
        boolean write = append || options.contains(StandardOpenOption.WRITE);
        boolean read = options.contains(StandardOpenOption.READ) || !write;
        int flags = read && write ? O_RDWR : write ? O_WRONLY : O_RDONLY;
        if (write) {
            if (options.contains(StandardOpenOption.CREATE_NEW)) {
                flags |= O_CREAT | O_EXCL;
            } else if (options.contains(StandardOpenOption.CREATE)) {
                flags |= O_CREAT;
            }
            if (options.contains(StandardOpenOption.TRUNCATE_EXISTING) && !append) {
                flags |= O_TRUNC;
            }
        }
        if (append) {
            flags |= O_APPEND;
        }
        if (options.contains(StandardOpenOption.SYNC)) {
            flags |= O_SYNC;
        } else if (options.contains(StandardOpenOption.DSYNC)) {
            flags |= O_DSYNC;
        }
        return flags | O_CLOEXEC;
    }
}
