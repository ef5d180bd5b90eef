package io.veloq.driver.iocp;

/**
 * What the IOCP drivers of one binding know about each handle: socket or file, which driver's completion port
 * it is associated with (a handle can be associated with exactly one, for good), whether completions that
 * succeed at once skip the port, and a file's current position (overlapped handles have none of their own).
 * A driver is named by its owner id ({@link PortRelay#id()}), never by its port's handle value: Windows gives
 * a closed port's value to the next handle opened, perhaps another loop's port.
 *
 * <p>It is also the list of handles the drivers may touch at all: those they created (Socket, Open, the
 * socket an Accept pre-creates) and those the application adopted ({@link IocpDriverProvider#adopt}). Windows
 * reuses a handle value as soon as it is closed, so an {@code IoFd} that outlived its handle may name a
 * handle some other code opened meanwhile; a driver that closed or associated unknown handles would close
 * or capture it. Nothing enters the table implicitly.
 *
 * <p>Shared by every driver instance of a provider, because handles travel between loops (accepted on one,
 * used on another): when any loop closes a handle, its entry goes, so a new handle with the same value is
 * never mistaken for the old one. Thread-safe; allocation-free after growth.
 *
 * <pre>{@code
 * table.register(socket, HandleTable.SOCKET | HandleTable.TYPED);
 * int f = table.flagsFor(socket, owner);  // 0: unknown, else the flags (FOREIGN: another driver's port has it)
 * }</pre>
 */
final class HandleTable {
    static final int SOCKET = 1;
    static final int FILE = 2;
    static final int APPEND = 4;
    static final int ASSOCIATED = 8;
    static final int SKIP_ON_SUCCESS = 16;
    /** A datagram (UDP) socket: Connect is a plain {@code connect}, not ConnectEx. */
    static final int DATAGRAM = 32;
    /** The SO_REUSEADDR value a stream socket was given; emulated, never passed to Winsock (see IocpDriver). */
    static final int REUSE_ADDR = 64;
    /** Whether DATAGRAM is known (the driver created the socket, or asked when it was adopted). */
    static final int TYPED = 128;
    /** An AF_INET6 socket: IP-level options map to their IPPROTO_IPV6 twins. */
    static final int INET6 = 256;
    /** Adopted by the application rather than created by a driver. */
    static final int ADOPTED = 512;
    /** Reported, never stored: the handle is associated with another driver's port than the caller's (PortRelay). */
    static final int FOREIGN = 1024;

    /** Associates a handle with the caller's port (CreateIoCompletionPort and its notification modes). */
    interface Association {
        /** Returns SKIP_ON_SUCCESS or 0, or minus the Win32 error; must not use the table. */
        int attach(long handle, int flags);
    }

    private long[] keys = new long[64];
    private long[] owners = new long[64];
    private long[] positions = new long[64];
    private int[] flags = new int[64];
    private int size;

    /** Records a handle this driver created (resets what was known about an older handle with its value). */
    synchronized void register(long handle, int kind) {
        int i = slotOf(handle);
        if (keys[i] != handle) {
            i = insert(handle);
        }
        owners[i] = 0;
        positions[i] = 0;
        flags[i] = kind;
    }

    /**
     * The flags of {@code handle}, with FOREIGN if it is associated with the port of another driver than
     * {@code owner}; 0 if the handle is unknown.
     */
    synchronized int flagsFor(long handle, long owner) {
        int i = slotOf(handle);
        if (keys[i] != handle) {
            return 0;
        }
        return (flags[i] & ASSOCIATED) != 0 && owners[i] != owner ? flags[i] | FOREIGN : flags[i];
    }

    /** The owner id of the driver whose port a known handle is associated with; 0 if none or unknown. */
    synchronized long ownerOf(long handle) {
        int i = slotOf(handle);
        return keys[i] == handle ? owners[i] : 0;
    }

    /** Kind flags of a handle (SOCKET, FILE, APPEND), 0 when unknown. */
    synchronized int kind(long handle) {
        int i = slotOf(handle);
        return keys[i] == handle ? flags[i] : 0;
    }

    /**
     * Associates a known, not yet associated {@code handle} with the port of driver {@code owner} through
     * {@code a}, under the table's lock so that two loops cannot both try (the second CreateIoCompletionPort
     * would fail). Returns the flags now held (FOREIGN if another driver's port had it already), 0 if the
     * handle is unknown, or minus the Win32 error of the association.
     */
    synchronized int associateOnce(long handle, long owner, Association a) {
        int i = slotOf(handle);
        if (keys[i] != handle) {
            return 0;
        }
        if ((flags[i] & ASSOCIATED) != 0) {
            return owners[i] != owner ? flags[i] | FOREIGN : flags[i];
        }
        int skip = a.attach(handle, flags[i]);
        if (skip < 0) {
            return skip;
        }
        owners[i] = owner;
        flags[i] |= ASSOCIATED | skip;
        return flags[i];
    }

    /** Sets or clears {@code flag} (REUSE_ADDR) of a known handle; false if the handle is unknown. */
    synchronized boolean mark(long handle, int flag, boolean on) {
        int i = slotOf(handle);
        if (keys[i] != handle) {
            return false;
        }
        flags[i] = on ? flags[i] | flag : flags[i] & ~flag;
        return true;
    }

    synchronized long position(long handle) {
        int i = slotOf(handle);
        return keys[i] == handle ? positions[i] : 0;
    }

    synchronized void advance(long handle, long bytes) {
        int i = slotOf(handle);
        if (keys[i] == handle) {
            positions[i] += bytes;
        }
    }

    /** Forgets {@code handle}; returns its flags (0 when unknown). */
    synchronized int remove(long handle) {
        int i = slotOf(handle);
        if (keys[i] != handle) {
            return 0;
        }
        int f = flags[i];
        deleteAt(i);
        return f;
    }

    synchronized int size() {
        return size;
    }

    // Open addressing, linear probing; key 0 marks a free slot (0 is never a valid handle: it is NULL).
    private int slotOf(long handle) {
        int mask = keys.length - 1;
        int i = mix(handle) & mask;
        while (keys[i] != 0 && keys[i] != handle) {
            i = (i + 1) & mask;
        }
        return i;
    }

    private int insert(long handle) {
        if (handle == 0) {
            throw new IllegalArgumentException("handle 0 (NULL) cannot be recorded");
        }
        if ((size + 1) * 2 > keys.length) {
            grow();
        }
        int i = slotOf(handle);
        keys[i] = handle;
        size++;
        return i;
    }

    private void deleteAt(int i) {
        int mask = keys.length - 1;
        keys[i] = 0;
        size--;
        // Re-seat the entries of the probe run after the hole (backward-shift deletion).
        int j = (i + 1) & mask;
        while (keys[j] != 0) {
            long k = keys[j];
            long p = owners[j];
            long pos = positions[j];
            int f = flags[j];
            keys[j] = 0;
            int to = slotOf(k);
            keys[to] = k;
            owners[to] = p;
            positions[to] = pos;
            flags[to] = f;
            j = (j + 1) & mask;
        }
    }

    private void grow() {
        long[] oldKeys = keys;
        long[] oldOwners = owners;
        long[] oldPositions = positions;
        int[] oldFlags = flags;
        int n = oldKeys.length * 2;
        keys = new long[n];
        owners = new long[n];
        positions = new long[n];
        flags = new int[n];
        for (int i = 0; i < oldKeys.length; i++) {
            if (oldKeys[i] != 0) {
                int to = slotOf(oldKeys[i]);
                keys[to] = oldKeys[i];
                owners[to] = oldOwners[i];
                positions[to] = oldPositions[i];
                flags[to] = oldFlags[i];
            }
        }
    }

    private static int mix(long h) {
        long x = h * 0x9E3779B97F4A7C15L;
        return (int) (x ^ (x >>> 32));
    }
}
