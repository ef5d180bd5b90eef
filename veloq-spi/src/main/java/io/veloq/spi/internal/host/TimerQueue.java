package io.veloq.spi.internal.host;

import java.util.Arrays;

/**
 * A binary min-heap of timers ordered by deadline, then by sequence number, so equal deadlines fire in
 * the order they were scheduled (deterministic under the fake driver's virtual time). Loop-thread only.
 */
final class TimerQueue {
    static final class Timer {
        final long deadline;
        final long seq;
        final Runnable task;
        int heapIndex = -1;
        boolean cancelled;

        Timer(long deadline, long seq, Runnable task) {
            this.deadline = deadline;
            this.seq = seq;
            this.task = task;
        }
    }

    private Timer[] heap = new Timer[16];
    private int size;
    private long nextSeq;

    Timer add(long deadline, Runnable task) {
        Timer t = new Timer(deadline, nextSeq++, task);
        if (size == heap.length) {
            heap = Arrays.copyOf(heap, size * 2);
        }
        heap[size] = t;
        t.heapIndex = size;
        siftUp(size++);
        return t;
    }

    boolean remove(Timer t) {
        int i = t.heapIndex;
        if (i < 0 || i >= size || heap[i] != t) {
            return false;
        }
        t.heapIndex = -1;
        Timer last = heap[--size];
        heap[size] = null;
        if (i != size) {
            heap[i] = last;
            last.heapIndex = i;
            siftDown(i);
            siftUp(last.heapIndex);
        }
        return true;
    }

    Timer peek() {
        return size == 0 ? null : heap[0];
    }

    Timer poll() {
        if (size == 0) {
            return null;
        }
        Timer t = heap[0];
        remove(t);
        return t;
    }

    int size() {
        return size;
    }

    private boolean less(Timer a, Timer b) {
        return a.deadline != b.deadline ? a.deadline - b.deadline < 0 : a.seq < b.seq;
    }

    private void siftUp(int i) {
        Timer t = heap[i];
        while (i > 0) {
            int p = (i - 1) >>> 1;
            if (!less(t, heap[p])) {
                break;
            }
            heap[i] = heap[p];
            heap[i].heapIndex = i;
            i = p;
        }
        heap[i] = t;
        t.heapIndex = i;
    }

    private void siftDown(int i) {
        Timer t = heap[i];
        while (true) {
            int c = 2 * i + 1;
            if (c >= size) {
                break;
            }
            if (c + 1 < size && less(heap[c + 1], heap[c])) {
                c++;
            }
            if (!less(heap[c], t)) {
                break;
            }
            heap[i] = heap[c];
            heap[i].heapIndex = i;
            i = c;
        }
        heap[i] = t;
        t.heapIndex = i;
    }
}
