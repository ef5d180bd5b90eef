package io.veloq.examples.http;

import java.util.Arrays;

/**
 * One event loop's cache of resolved paths: an open-addressing table keyed by the raw request-path bytes,
 * so that a request for a known path finds its {@link FileEntry} without allocating or leaving the loop
 * thread. Misses go to the {@link FileCatalog}. Loop thread only.
 *
 * <p>Each cached entry holds one reference on its {@code FileEntry}; {@link Slot#users} counts the
 * responses of this loop that are reading it, so an entry swept out while a transfer runs keeps its
 * descriptor open until that transfer ends.
 */
final class LoopFiles {
    /** One cached path. */
    static final class Slot {
        final byte[] key;
        final int hash;
        final FileEntry entry;
        int users;
        boolean evicted;

        Slot(byte[] key, int hash, FileEntry entry) {
            this.key = key;
            this.hash = hash;
            this.entry = entry;
        }
    }

    private final FileCatalog catalog;
    private Slot[] slots = new Slot[256];
    private int size;

    LoopFiles(FileCatalog catalog) {
        this.catalog = catalog;
    }

    /** The live slot for {@code b[from, to)}, or null (unknown, or its entry went stale). */
    Slot find(byte[] b, int from, int to) {
        int h = hash(b, from, to);
        int mask = slots.length - 1;
        for (int i = h & mask; ; i = (i + 1) & mask) {
            Slot s = slots[i];
            if (s == null) {
                return null;
            }
            if (s.hash == h && Arrays.equals(s.key, 0, s.key.length, b, from, to)) {
                if (s.entry.stale) {
                    sweep();
                    return null;
                }
                return s;
            }
        }
    }

    /**
     * Caches the catalog's answer for {@code key}, taking over the reference it carries; returns the slot to
     * serve from (an existing one when another request got there first).
     */
    Slot install(byte[] key, FileEntry entry) {
        int h = hash(key, 0, key.length);
        Slot existing = find(key, 0, key.length);
        if (existing != null && existing.entry == entry) {
            catalog.release(entry); // already holds a reference for this table
            return existing;
        }
        if (existing != null) {
            remove(existing);
        }
        if (entry.stale) {
            // went stale on the way here: serve this once, cache nothing
            Slot once = new Slot(key, h, entry);
            once.evicted = true;
            return once;
        }
        if (size + 1 > slots.length / 2) {
            if (slots.length >= 2 * FileCatalog.MAX_ENTRIES) {
                clear();
            } else {
                rehash(slots.length * 2);
            }
        }
        Slot s = new Slot(key, h, entry);
        put(s);
        return s;
    }

    /** Marks a slot in use by one response. */
    void acquire(Slot s) {
        s.users++;
    }

    /** Ends one response's use of the slot; the last use of an evicted slot drops its reference. */
    void release(Slot s) {
        if (--s.users == 0 && s.evicted) {
            catalog.release(s.entry);
        }
    }

    /** Drops every stale entry (the catalog asks after each check that found changes). */
    void sweep() {
        Slot[] old = slots;
        boolean any = false;
        for (Slot s : old) {
            if (s != null && s.entry.stale) {
                any = true;
                break;
            }
        }
        if (!any) {
            return;
        }
        slots = new Slot[old.length];
        size = 0;
        for (Slot s : old) {
            if (s == null) {
                continue;
            }
            if (s.entry.stale) {
                evict(s);
            } else {
                put(s);
            }
        }
    }

    /** Drops everything (at shutdown, or when the table is full). */
    void clear() {
        for (Slot s : slots) {
            if (s != null) {
                evict(s);
            }
        }
        Arrays.fill(slots, null);
        size = 0;
    }

    int size() {
        return size;
    }

    private void remove(Slot victim) {
        Slot[] old = slots;
        slots = new Slot[old.length];
        size = 0;
        for (Slot s : old) {
            if (s != null && s != victim) {
                put(s);
            }
        }
        evict(victim);
    }

    private void evict(Slot s) {
        s.evicted = true;
        if (s.users == 0) {
            catalog.release(s.entry);
        }
    }

    private void rehash(int capacity) {
        Slot[] old = slots;
        slots = new Slot[capacity];
        size = 0;
        for (Slot s : old) {
            if (s != null) {
                put(s);
            }
        }
    }

    private void put(Slot s) {
        int mask = slots.length - 1;
        int i = s.hash & mask;
        while (slots[i] != null) {
            i = (i + 1) & mask;
        }
        slots[i] = s;
        size++;
    }

    private static int hash(byte[] b, int from, int to) {
        int h = 1;
        for (int i = from; i < to; i++) {
            h = 31 * h + b[i];
        }
        return h ^ (h >>> 16);
    }
}
