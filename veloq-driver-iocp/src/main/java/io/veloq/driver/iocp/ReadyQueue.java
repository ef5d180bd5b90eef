package io.veloq.driver.iocp;

import io.veloq.spi.CompletionSink;


/**
 * The completions decided during a turn, in order, delivered to the host at its end: final completions
 * (which free their slot) and the items of multishot ops ({@link CompletionSink#MORE}, which do not). A
 * stream's items always precede its final completion because both are queued here as they happen. Grows
 * only when a turn yields more items than it ever did. Loop thread only.
 */
final class ReadyQueue {
    /** Frees an op's slot before its final completion reaches the sink (which may prepare into it). */
    interface SlotRelease {
        void release(int slot);
    }

    private long[] tokens;
    private long[] results;
    private int[] flags;
    private int[] buffers;
    private int head;
    private int count;

    ReadyQueue(int capacity) {
        int n = Integer.highestOneBit(Math.max(4, capacity) * 2 - 1);
        tokens = new long[n];
        results = new long[n];
        flags = new int[n];
        buffers = new int[n];
    }

    boolean isEmpty() {
        return count == 0;
    }

    /** Queues a completion; {@code flags} with {@code MORE} for an item. */
    void add(long token, long result, int completionFlags, int bufferId) {
        if (count == tokens.length) {
            grow();
        }
        int at = (head + count++) & (tokens.length - 1);
        tokens[at] = token;
        results[at] = result;
        flags[at] = completionFlags;
        buffers[at] = bufferId;
    }

    private void grow() {
        int n = tokens.length * 2;
        long[] t = new long[n];
        long[] r = new long[n];
        int[] f = new int[n];
        int[] b = new int[n];
        for (int i = 0; i < count; i++) {
            int from = (head + i) & (tokens.length - 1);
            t[i] = tokens[from];
            r[i] = results[from];
            f[i] = flags[from];
            b[i] = buffers[from];
        }
        tokens = t;
        results = r;
        flags = f;
        buffers = b;
        head = 0;
    }

    /** Delivers everything queued, in order; returns how many. */
    int deliver(CompletionSink sink, SlotRelease slots) {
        int n = 0;
        while (count > 0) {
            long token = tokens[head];
            long result = results[head];
            int f = flags[head];
            int b = buffers[head];
            head = (head + 1) & (tokens.length - 1);
            count--;
            n++;
            if ((f & CompletionSink.MORE) != 0) {
                sink.complete(token, result, f, b);
            } else {
                slots.release((int) token);
                sink.complete(token, result);
            }
        }
        return n;
    }

    int size() {
        return count;
    }

    @Override
    public String toString() {
        return "ReadyQueue(" + count + " of " + tokens.length + ")";
    }
}
