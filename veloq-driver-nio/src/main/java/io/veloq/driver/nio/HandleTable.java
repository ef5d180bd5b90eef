package io.veloq.driver.nio;

import io.veloq.api.IoFd;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The handles of one runtime: what its loops share, as a process shares its file descriptors. A handle
 * is {@code generation << 24 | slot}: lookups are one array read and one compare, and a slot's next tenant
 * gets a new generation, so a stale handle (a socket closed and its number kept by mistake) never reaches
 * the socket that took the slot. Slots are reused oldest-freed first, so numbers stay small for a while.
 *
 * <p>Thread-safe: adds and removes take a lock; lookups take none. A handle reaches another thread only
 * through a synchronising hand-off (a completion, the host's inbox), which makes the slot write visible.
 *
 * <pre>{@code
 * long id = table.reserve();
 * table.publish(new Handle(id, channel, family));
 * Handle h = table.get(IoFd.raw(id));      // null once removed, or for any number it never issued
 * }</pre>
 */
final class HandleTable {
    static final int SLOT_BITS = 24;
    private static final long SLOT_MASK = (1L << SLOT_BITS) - 1;
    private static final int MAX_SLOTS = 1 << SLOT_BITS;

    private final int maxSlots;
    private final Object lock = new Object();
    private volatile Handle[] slots = new Handle[256];
    // Guarded by lock.
    private long[] generations = new long[256];
    private int[] free = new int[256];
    private int freeHead;
    private int freeCount;
    private int nextFresh = 1; // slot 0 is never used: no handle is 0
    private int live;

    HandleTable() {
        this(MAX_SLOTS);
    }

    /** A table of at most {@code maxSlots - 1} handles (tests fill a small one). */
    HandleTable(int maxSlots) {
        this.maxSlots = Math.min(MAX_SLOTS, maxSlots);
    }

    /** Nothing reserved: the table is full (as a process's fd table can be: EMFILE). */
    static final long FULL = -1;

    /**
     * Takes a slot and returns the handle number for it ({@link #publish} or {@link #release} it next), or
     * {@link #FULL} when all {@code 2^24 - 1} slots are in use.
     */
    long reserve() {
        synchronized (lock) {
            int slot;
            if (freeCount > 0) {
                slot = free[freeHead];
                freeHead = (freeHead + 1) % free.length;
                freeCount--;
            } else {
                if (nextFresh == maxSlots) {
                    return FULL;
                }
                slot = nextFresh++;
                if (slot >= slots.length) {
                    grow(slot);
                }
            }
            live++;
            return (generations[slot] << SLOT_BITS) | slot;
        }
    }

    private void grow(int slot) {
        int n = Math.min(maxSlots, Math.max(slot + 1, slots.length * 2));
        slots = Arrays.copyOf(slots, n);
        generations = Arrays.copyOf(generations, n);
        int[] f = new int[n];
        for (int i = 0; i < freeCount; i++) {
            f[i] = free[(freeHead + i) % free.length];
        }
        free = f;
        freeHead = 0;
    }

    /** Makes a reserved handle visible to lookups. */
    void publish(Handle h) {
        synchronized (lock) {
            slots[slot(h.id)] = h;
        }
    }

    /** Gives back a reserved handle that was never published (its channel could not be opened). */
    void release(long id) {
        synchronized (lock) {
            free(slot(id));
        }
    }

    /** Removes {@code h}; true if it was still in the table (the caller closes it). */
    boolean remove(Handle h) {
        synchronized (lock) {
            int slot = slot(h.id);
            if (slots[slot] != h) {
                return false;
            }
            slots[slot] = null;
            free(slot);
            return true;
        }
    }

    private void free(int slot) {
        generations[slot] = (generations[slot] + 1) & ((1L << (63 - SLOT_BITS)) - 1);
        free[(freeHead + freeCount) % free.length] = slot;
        freeCount++;
        live--;
    }

    /** The live handle {@code fd} names, or null. */
    Handle get(IoFd fd) {
        return fd instanceof IoFd.Raw r ? get(r.handle()) : null;
    }

    /** The live handle with this number, or null. */
    Handle get(long id) {
        if (id <= 0) {
            return null;
        }
        int slot = (int) (id & SLOT_MASK);
        Handle[] s = slots;
        if (slot >= s.length) {
            return null;
        }
        Handle h = s[slot];
        return h != null && h.id == id ? h : null;
    }

    /** Open handles. */
    int size() {
        synchronized (lock) {
            return live;
        }
    }

    /** Removes every handle and returns them (closing the runtime: the app left these open). */
    List<Handle> drain() {
        List<Handle> out = new ArrayList<>();
        synchronized (lock) {
            Handle[] s = slots;
            for (int i = 0; i < s.length; i++) {
                if (s[i] != null) {
                    out.add(s[i]);
                    s[i] = null;
                    free(i);
                }
            }
        }
        return out;
    }

    private static int slot(long id) {
        return (int) (id & SLOT_MASK);
    }
}
