package io.veloq.driver.nio;

/**
 * The host's user data to slot index, for cancels: an open-addressing hash map of primitive longs (no
 * boxing, no allocation after construction), linear probing with backward-shift deletion. At most as many
 * entries as slots; the table is kept at most half full. Loop thread only.
 */
final class UserDataIndex {
    private static final long EMPTY = -1; // user data is never negative
    private final long[] keys;
    private final int[] values;
    private final int mask;

    UserDataIndex(int capacity) {
        int n = Integer.highestOneBit(Math.max(4, capacity) * 2 - 1) << 1;
        keys = new long[n];
        values = new int[n];
        mask = n - 1;
        java.util.Arrays.fill(keys, EMPTY);
    }

    private int home(long key) {
        long h = key * 0x9E3779B97F4A7C15L;
        return (int) (h ^ (h >>> 32)) & mask;
    }

    void put(long key, int value) {
        int i = home(key);
        while (keys[i] != EMPTY && keys[i] != key) {
            i = (i + 1) & mask;
        }
        keys[i] = key;
        values[i] = value;
    }

    /** The value for {@code key}, or -1. */
    int get(long key) {
        int i = home(key);
        while (keys[i] != EMPTY) {
            if (keys[i] == key) {
                return values[i];
            }
            i = (i + 1) & mask;
        }
        return -1;
    }

    void remove(long key) {
        int i = home(key);
        while (keys[i] != key) {
            if (keys[i] == EMPTY) {
                return;
            }
            i = (i + 1) & mask;
        }
        // Shift later entries of the same run back, so lookups never stop at the hole.
        int hole = i;
        int j = i;
        while (true) {
            j = (j + 1) & mask;
            if (keys[j] == EMPTY) {
                break;
            }
            int h = home(keys[j]);
            boolean between = hole <= j ? (hole < h && h <= j) : (hole < h || h <= j);
            if (!between) {
                keys[hole] = keys[j];
                values[hole] = values[j];
                hole = j;
            }
        }
        keys[hole] = EMPTY;
    }
}
