package io.veloq.driver.nio;

import java.util.List;

/**
 * What the loops of one runtime share: the handle table (a handle works on every loop, as an fd does in a
 * process) and the file workers. Made by the provider on the first loop's open; when the last loop's driver
 * closes, the handles the application never closed are closed with it (nothing could reach them any more)
 * and the workers end.
 */
final class LoopGroup {
    private final HandleTable handles = new HandleTable();
    private FileWorkers files;
    private int open;
    private boolean ended;

    LoopGroup() {
    }

    HandleTable handles() {
        return handles;
    }

    synchronized FileWorkers files() {
        if (files == null) {
            files = new FileWorkers("veloq-nio-file");
        }
        return files;
    }

    /** A driver opens on this group; false if the group has ended (its last driver closed): make a new one. */
    synchronized boolean opened() {
        if (ended) {
            return false;
        }
        open++;
        return true;
    }

    /** A driver closed; the last one closes what is left. */
    void release(NioDriver driver) {
        FileWorkers f;
        synchronized (this) {
            if (--open > 0) {
                return;
            }
            ended = true;
            f = files;
            files = null;
        }
        List<Handle> left = handles.drain();
        for (Handle h : left) {
            h.closeQuietly();
        }
        if (f != null) {
            f.shutdown();
        }
    }

    synchronized int openDrivers() {
        return open;
    }
}
