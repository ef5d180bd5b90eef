package io.veloq.driver.nio;

import java.nio.channels.SelectableChannel;
import java.nio.channels.SelectionKey;

/**
 * One handle as one loop sees it: its selection key in that loop's selector (a channel may be registered
 * with several selectors) and the ops waiting on it, in submission order: receives and accepts on the read
 * side, sends and connects on the write side. Loop thread only, except {@link #nextClosed}, which the loop
 * that closes the handle uses to tell this one.
 */
final class Port {
    final Handle handle;
    final NioDriver driver;
    SelectionKey key;
    /** The channel {@link #key} belongs to (a listen replaces the handle's channel). */
    SelectableChannel registered;
    int interest;
    OpSlot readHead;
    OpSlot readTail;
    OpSlot writeHead;
    OpSlot writeTail;
    /** Data (or a connection) may be waiting: try before parking. False after a read came back short. */
    boolean readable = true;
    /** The socket may take bytes now: false after a short or empty write, until the selector says so. */
    boolean writable = true;
    /** Another loop closed the handle: queued on this loop's driver to fail what waits here. */
    Port nextClosed;
    boolean closeNoticed;

    Port(Handle handle, NioDriver driver) {
        this.handle = handle;
        this.driver = driver;
    }

    void addRead(OpSlot s) {
        s.next = null;
        if (readTail == null) {
            readHead = s;
        } else {
            readTail.next = s;
        }
        readTail = s;
    }

    void addWrite(OpSlot s) {
        s.next = null;
        if (writeTail == null) {
            writeHead = s;
        } else {
            writeTail.next = s;
        }
        writeTail = s;
    }

    OpSlot popRead() {
        OpSlot s = readHead;
        readHead = s.next;
        if (readHead == null) {
            readTail = null;
        }
        s.next = null;
        return s;
    }

    OpSlot popWrite() {
        OpSlot s = writeHead;
        writeHead = s.next;
        if (writeHead == null) {
            writeTail = null;
        }
        s.next = null;
        return s;
    }

    /** Takes {@code s} out of whichever queue holds it; false if neither does. */
    boolean remove(OpSlot s) {
        if (unlink(s, true)) {
            return true;
        }
        return unlink(s, false);
    }

    private boolean unlink(OpSlot s, boolean read) {
        OpSlot prev = null;
        for (OpSlot c = read ? readHead : writeHead; c != null; prev = c, c = c.next) {
            if (c != s) {
                continue;
            }
            OpSlot after = c.next;
            if (prev == null) {
                if (read) {
                    readHead = after;
                } else {
                    writeHead = after;
                }
            } else {
                prev.next = after;
            }
            if ((read ? readTail : writeTail) == c) {
                if (read) {
                    readTail = prev;
                } else {
                    writeTail = prev;
                }
            }
            c.next = null;
            return true;
        }
        return false;
    }

    boolean idle() {
        return readHead == null && writeHead == null;
    }

    @Override
    public String toString() {
        return "port of " + handle + " on loop " + driver.loopIndex();
    }
}
