package io.veloq.driver.nio;

/**
 * The host's user data to slot index, for cancels: an open-addressing map of primitive longs with linear
 * probing and tombstones, no boxing and no allocation after construction. Loop thread only.
 *
 * <p>A probe starts at the key's low bits. The host's user data is {@code generation << 32 | slot}, so the
 * ops in flight sit on the entries of their host slots: a put lands on the tombstone its slot's previous op
 * left, a lookup is one array read, and nothing scatters over the table (a mixing hash would miss the cache
 * on every op). Any other user data still works, only with longer probes. Keys are unique while live (the
 * host never reuses the user data of an op in flight). When entries and tombstones fill half the table, it
 * is rebuilt in place from a scratch copy made at construction.
 */
final class UserDataIndex {
    private static final long EMPTY = -1; // user data is never negative
    private static final long DELETED = -2;
    private long[] keys;
    private int[] values;
    private long[] spareKeys;
    private int[] spareValues;
    private final int mask;
    private final int limit;
    private int used; // live entries and tombstones

    UserDataIndex(int capacity) {
        int n = Integer.highestOneBit(Math.max(4, capacity) * 2 - 1) << 1; // at least twice the live entries
        keys = new long[n];
        values = new int[n];
        spareKeys = new long[n];
        spareValues = new int[n];
        mask = n - 1;
        limit = n / 2 + n / 4;
        java.util.Arrays.fill(keys, EMPTY);
        java.util.Arrays.fill(spareKeys, EMPTY);
    }

    /** Adds a key that is not in the index. */
    void put(long key, int value) {
        int i = (int) key & mask;
        while (keys[i] >= 0) {
            i = (i + 1) & mask;
        }
        if (keys[i] == EMPTY) {
            used++;
        }
        keys[i] = key;
        values[i] = value;
        if (used > limit) {
            rebuild();
        }
    }

    /** The value for {@code key}, or -1. */
    int get(long key) {
        int i = find(key);
        return i < 0 ? -1 : values[i];
    }

    void remove(long key) {
        int i = find(key);
        if (i >= 0) {
            keys[i] = DELETED;
        }
    }

    private int find(long key) {
        int i = (int) key & mask;
        long k;
        while ((k = keys[i]) != EMPTY) {
            if (k == key) {
                return i;
            }
            i = (i + 1) & mask;
        }
        return -1;
    }

    /** Drops the tombstones: re-inserts the live entries into the spare arrays, which become the table. */
    private void rebuild() {
        long[] oldKeys = keys;
        int[] oldValues = values;
        keys = spareKeys;
        values = spareValues;
        used = 0;
        for (int j = 0; j < oldKeys.length; j++) {
            long k = oldKeys[j];
            if (k >= 0) {
                int i = (int) k & mask;
                while (keys[i] != EMPTY) {
                    i = (i + 1) & mask;
                }
                keys[i] = k;
                values[i] = oldValues[j];
                used++;
            }
            oldKeys[j] = EMPTY;
        }
        spareKeys = oldKeys;
        spareValues = oldValues;
    }
}
