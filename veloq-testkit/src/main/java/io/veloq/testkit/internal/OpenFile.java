package io.veloq.testkit.internal;

/** An open regular file of the simulated file store. */
final class OpenFile extends SimFile {
    final FileStore.Inode inode;
    final String path;
    final boolean readable;
    final boolean writable;
    final boolean append;
    long position;

    OpenFile(FileStore.Inode inode, String path, boolean readable, boolean writable, boolean append) {
        this.inode = inode;
        this.path = path;
        this.readable = readable;
        this.writable = writable;
        this.append = append;
    }

    @Override
    String describe() {
        return "file " + path;
    }
}
