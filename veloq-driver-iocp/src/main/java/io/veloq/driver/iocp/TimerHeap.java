package io.veloq.driver.iocp;

import java.util.Arrays;

/**
 * The driver's pending {@code Timeout} ops: a binary min-heap of op slots ordered by deadline, with each
 * slot's heap position kept so a cancelled timer leaves in O(log n). IOCP has no timer operation, so the
 * driver bounds each wait by the nearest deadline instead. Loop thread only; allocation-free.
 *
 * <pre>{@code
 * TimerHeap t = new TimerHeap(64);
 * t.add(3, System.nanoTime() + 1_000_000);
 * if (t.nextDeadline() - now <= 0) fire(t.poll());
 * }</pre>
 */
final class TimerHeap {
    private final int[] heap;
    private final int[] position;
    private final long[] deadline;
    private int size;

    TimerHeap(int slots) {
        heap = new int[slots];
        position = new int[slots];
        deadline = new long[slots];
        Arrays.fill(position, -1);
    }

    int size() {
        return size;
    }

    boolean isEmpty() {
        return size == 0;
    }

    boolean contains(int slot) {
        return position[slot] >= 0;
    }

    void add(int slot, long deadlineNanos) {
        if (position[slot] >= 0) {
            throw new IllegalStateException("timer slot " + slot + " is already armed");
        }
        deadline[slot] = deadlineNanos;
        heap[size] = slot;
        position[slot] = size;
        up(size++);
    }

    /** The earliest deadline; only when not empty. */
    long nextDeadline() {
        return deadline[heap[0]];
    }

    /** Removes and returns the slot with the earliest deadline. */
    int poll() {
        int slot = heap[0];
        removeAt(0);
        return slot;
    }

    /** Removes {@code slot} if armed; returns whether it was. */
    boolean remove(int slot) {
        int at = position[slot];
        if (at < 0) {
            return false;
        }
        removeAt(at);
        return true;
    }

    private void removeAt(int at) {
        int slot = heap[at];
        position[slot] = -1;
        size--;
        if (at == size) {
            return;
        }
        int last = heap[size];
        heap[at] = last;
        position[last] = at;
        if (!up(at)) {
            down(at);
        }
    }

    // Deadlines compare by difference, as System.nanoTime values must.
    private boolean before(int a, int b) {
        return deadline[heap[a]] - deadline[heap[b]] < 0;
    }

    private boolean up(int at) {
        boolean moved = false;
        while (at > 0) {
            int parent = (at - 1) >>> 1;
            if (!before(at, parent)) {
                break;
            }
            swap(at, parent);
            at = parent;
            moved = true;
        }
        return moved;
    }

    private void down(int at) {
        while (true) {
            int left = 2 * at + 1;
            if (left >= size) {
                return;
            }
            int child = left + 1 < size && before(left + 1, left) ? left + 1 : left;
            if (!before(child, at)) {
                return;
            }
            swap(at, child);
            at = child;
        }
    }

    private void swap(int a, int b) {
        int sa = heap[a];
        int sb = heap[b];
        heap[a] = sb;
        heap[b] = sa;
        position[sb] = a;
        position[sa] = b;
    }
}
