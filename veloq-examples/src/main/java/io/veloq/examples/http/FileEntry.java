package io.veloq.examples.http;

import io.veloq.api.IoFd;

import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * What one request path resolved to, made by the {@link FileCatalog}'s thread and then read-only: a status
 * (200, or 400/404 for a path refused or not found) and, for 200, an open descriptor of the file, its size
 * and the first header lines of the response. Shared by every loop that serves the path.
 *
 * <p>Reference counted: the catalog holds one reference while the entry is current, and each loop's
 * {@link LoopFiles} table one while it caches it. The descriptor is closed when the last reference goes,
 * so a transfer in progress never reads a closed (or reused) descriptor. {@link #stale} is set by the
 * catalog when the file changed on disk: loops stop handing the entry out and drop their reference.
 */
final class FileEntry {
    final int status;
    /** The file's descriptor, opened once; null unless {@code status == 200}. */
    final IoFd fd;
    final long size;
    /** {@code HTTP/1.1 200 OK} and the header lines that depend on the file only, each ending in CRLF. */
    final byte[] head;
    // Identity of what was served, to notice a change: real path, size, modification time, inode.
    final Path realPath;
    final long modifiedMillis;
    final Object fileKey;
    volatile boolean stale;
    private final AtomicInteger refs = new AtomicInteger(1); // the catalog's

    FileEntry(int status, IoFd fd, long size, byte[] head, Path realPath, long modifiedMillis, Object fileKey) {
        this.status = status;
        this.fd = fd;
        this.size = size;
        this.head = head;
        this.realPath = realPath;
        this.modifiedMillis = modifiedMillis;
        this.fileKey = fileKey;
    }

    /** An entry for a path that serves only a status (no file). */
    static FileEntry status(int status) {
        return new FileEntry(status, null, 0, null, null, 0, null);
    }

    void retain() {
        refs.incrementAndGet();
    }

    /** Drops one reference; true when it was the last (the caller then closes the descriptor). */
    boolean release() {
        int left = refs.decrementAndGet();
        if (left < 0) {
            throw new IllegalStateException("FileEntry released more often than retained: " + this);
        }
        return left == 0;
    }

    /** True when both entries describe the same thing on disk. */
    boolean sameAs(FileEntry o) {
        return status == o.status && size == o.size && modifiedMillis == o.modifiedMillis
                && java.util.Objects.equals(realPath, o.realPath) && java.util.Objects.equals(fileKey, o.fileKey);
    }

    @Override
    public String toString() {
        return status == 200 ? "FileEntry(" + realPath + ", " + size + " bytes, " + fd + ")" : "FileEntry(" + status + ")";
    }
}
