package io.veloq.driver.nio;

import java.util.Arrays;

/**
 * The pending {@code Timeout} ops of one loop, earliest deadline first: a binary heap of slots that knows
 * each slot's position, so a cancel removes it in O(log n). Sized for the in-flight budget; never allocates
 * after that. Loop thread only.
 */
final class TimerHeap {
    private OpSlot[] heap;
    private int size;

    TimerHeap(int capacity) {
        heap = new OpSlot[Math.max(4, capacity)];
    }

    boolean isEmpty() {
        return size == 0;
    }

    /** The earliest deadline, or {@code Long.MAX_VALUE} when empty. */
    long nextDeadline() {
        return size == 0 ? Long.MAX_VALUE : heap[0].deadline;
    }

    void add(OpSlot s) {
        if (size == heap.length) {
            heap = Arrays.copyOf(heap, size * 2);
        }
        heap[size] = s;
        s.heapIndex = size;
        up(size++);
    }

    /** Removes and returns a slot whose deadline is at or before {@code now}, or null. */
    OpSlot due(long now) {
        if (size == 0 || heap[0].deadline - now > 0) {
            return null;
        }
        OpSlot s = heap[0];
        remove(s);
        return s;
    }

    void remove(OpSlot s) {
        int i = s.heapIndex;
        if (i < 0 || i >= size || heap[i] != s) {
            return;
        }
        OpSlot last = heap[--size];
        heap[size] = null;
        s.heapIndex = -1;
        if (i < size) {
            heap[i] = last;
            last.heapIndex = i;
            down(i);
            up(i);
        }
    }

    private void up(int i) {
        OpSlot s = heap[i];
        while (i > 0) {
            int parent = (i - 1) >>> 1;
            OpSlot p = heap[parent];
            if (p.deadline - s.deadline <= 0) {
                break;
            }
            heap[i] = p;
            p.heapIndex = i;
            i = parent;
        }
        heap[i] = s;
        s.heapIndex = i;
    }

    private void down(int i) {
        OpSlot s = heap[i];
        while (true) {
            int c = 2 * i + 1;
            if (c >= size) {
                break;
            }
            if (c + 1 < size && heap[c + 1].deadline - heap[c].deadline < 0) {
                c++;
            }
            if (s.deadline - heap[c].deadline <= 0) {
                break;
            }
            heap[i] = heap[c];
            heap[i].heapIndex = i;
            i = c;
        }
        heap[i] = s;
        s.heapIndex = i;
    }
}
