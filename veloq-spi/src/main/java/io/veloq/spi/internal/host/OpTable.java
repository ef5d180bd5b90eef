package io.veloq.spi.internal.host;

import io.veloq.api.Op;
import io.veloq.api.bootstrap.SocketLifetime;

/**
 * The ops a loop has in its driver, by slot. A token is {@code generation << 32 | slot}; a slot's
 * generation moves on each time it is freed, so a stale completion (for an op that already finished and
 * whose slot now holds a newer op) finds a generation mismatch and is ignored instead of completing the
 * wrong op. Loop-thread only; allocation-free after construction.
 */
final class OpTable {
    private final Op<?>[] ops;
    private final int[] generations;
    private final TimerQueue.Timer[] deadlineTimers;
    private final SocketLifetime[] lifetimes;
    private final byte[] flags;
    private final long[] pendingResults;
    private final int[] free;
    private int freeCount;

    static final byte USER_CANCELLED = 1;
    static final byte DEADLINE_EXPIRED = 2;

    OpTable(int capacity) {
        ops = new Op<?>[capacity];
        generations = new int[capacity];
        deadlineTimers = new TimerQueue.Timer[capacity];
        lifetimes = new SocketLifetime[capacity];
        flags = new byte[capacity];
        pendingResults = new long[capacity];
        free = new int[capacity];
        for (int i = 0; i < capacity; i++) {
            free[i] = capacity - 1 - i;
        }
        freeCount = capacity;
    }

    int capacity() {
        return ops.length;
    }

    int size() {
        return ops.length - freeCount;
    }

    boolean isFull() {
        return freeCount == 0;
    }

    /** Puts {@code op} in a free slot and returns its token. */
    long add(Op<?> op) {
        if (freeCount == 0) {
            throw new IllegalStateException("op table full (" + ops.length + " slots)");
        }
        int slot = free[--freeCount];
        ops[slot] = op;
        flags[slot] = 0;
        pendingResults[slot] = 0;
        deadlineTimers[slot] = null;
        return ((long) generations[slot] << 32) | slot;
    }

    /** The op for {@code token}, or null when the token is stale or unknown. */
    Op<?> get(long token) {
        int slot = (int) token;
        if (token < 0 || slot < 0 || slot >= ops.length) {
            return null;
        }
        return generations[slot] == (int) (token >>> 32) ? ops[slot] : null;
    }

    /** Frees the slot of a live token; its generation moves on. */
    void remove(long token) {
        int slot = (int) token;
        ops[slot] = null;
        deadlineTimers[slot] = null;
        lifetimes[slot] = null;
        generations[slot] = (generations[slot] + 1) & 0x7fffffff;
        free[freeCount++] = slot;
    }

    /** Keeps the result of an op whose final completion (a zero-copy send's notification) is still to come. */
    void pendingResult(long token, long result) {
        pendingResults[(int) token] = result;
    }

    long pendingResult(long token) {
        return pendingResults[(int) token];
    }

    void setFlag(long token, byte flag) {
        flags[(int) token] |= flag;
    }

    boolean hasFlag(long token, byte flag) {
        return (flags[(int) token] & flag) != 0;
    }

    void deadlineTimer(long token, TimerQueue.Timer timer) {
        deadlineTimers[(int) token] = timer;
    }

    TimerQueue.Timer deadlineTimer(long token) {
        return deadlineTimers[(int) token];
    }

    /** Records the lifetime of the socket whose op holds this slot. */
    void lifetime(long token, SocketLifetime lifetime) {
        lifetimes[(int) token] = lifetime;
    }

    /** The lifetime of the socket whose op holds this slot, or null. */
    SocketLifetime lifetime(long token) {
        return lifetimes[(int) token];
    }

    /** Calls {@code action} with the token of every live op. */
    void forEachToken(java.util.function.LongConsumer action) {
        for (int slot = 0; slot < ops.length; slot++) {
            if (ops[slot] != null) {
                action.accept(((long) generations[slot] << 32) | slot);
            }
        }
    }
}
