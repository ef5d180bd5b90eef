package io.veloq.driver.uring;

import io.veloq.api.op.OpPayload;

import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * The driver's in-flight ops, one slot each, with per-slot native scratch (msghdr + iovec, timespecs)
 * allocated once, so submitting allocates nothing. The runtime host's user data is
 * {@code generation << 32 | hostSlot} with {@code hostSlot < maxInFlight}, so slot {@code (int) userData}
 * is free whenever the host submits and is taken: lookup by user data is O(1). Other callers (tests, a
 * TCK) may pass any user data; those ops take any free slot and are found by a scan.
 *
 * <p>The kernel sees {@code generation << 32 | slot}: a late cancel names the generation it meant, so it
 * can never hit a newer op that reuses the slot. Generations have 29 bits, so that bits 62 and 61 are free
 * for {@link SpliceChains#HEAD} and {@link SpliceChains#TIMER}. Loop thread only.
 */
final class SlotTable {
    /** Bytes of native scratch per slot. */
    static final int SLOT_BYTES = 128;
    static final int MSGHDR = 0;
    static final int IOVEC = 64;
    static final int OP_TIMESPEC = 80;
    static final int LINK_TIMESPEC = 96;

    private final int capacity;
    private final long[] hostUserData;
    private final int[] generation;
    private final OpPayload[] payload;
    private final long[] pathMemory;
    private final boolean[] isDisplaced;
    private final int[] free;
    private final int[] freePos;
    private int freeCount;
    private int displaced;
    private final long nativeBase;
    private final ByteBuffer nativeView;
    private final NativeMemory mem;

    SlotTable(NativeMemory mem, int capacity) {
        this.mem = mem;
        this.capacity = capacity;
        hostUserData = new long[capacity];
        generation = new int[capacity];
        payload = new OpPayload[capacity];
        pathMemory = new long[capacity];
        isDisplaced = new boolean[capacity];
        free = new int[capacity];
        freePos = new int[capacity];
        for (int i = 0; i < capacity; i++) {
            free[i] = capacity - 1 - i;
            freePos[capacity - 1 - i] = i;
        }
        freeCount = capacity;
        nativeBase = mem.allocate((long) SLOT_BYTES * capacity, "per-op msghdr/iovec/timespec scratch");
        nativeView = mem.view(nativeBase, (long) SLOT_BYTES * capacity);
    }

    int capacity() {
        return capacity;
    }

    int inUse() {
        return capacity - freeCount;
    }

    /** Takes a slot for {@code userData}; -1 when every slot is in use. */
    int acquire(long userData, OpPayload op) {
        if (freeCount == 0) {
            return -1;
        }
        int slot = (int) userData;
        boolean away = userData < 0 || slot < 0 || slot >= capacity || freePos[slot] < 0;
        if (away) {
            slot = free[freeCount - 1];
            displaced++;
        }
        isDisplaced[slot] = away;
        int pos = freePos[slot];
        int last = free[--freeCount];
        free[pos] = last;
        freePos[last] = pos;
        freePos[slot] = -1;
        hostUserData[slot] = userData;
        payload[slot] = op;
        return slot;
    }

    /** The slot of an in-flight op, or -1. */
    int find(long userData) {
        int slot = (int) userData;
        if (userData >= 0 && slot >= 0 && slot < capacity && freePos[slot] < 0 && hostUserData[slot] == userData) {
            return slot;
        }
        if (displaced == 0) {
            return -1;
        }
        for (int i = 0; i < capacity; i++) {
            if (freePos[i] < 0 && hostUserData[i] == userData) {
                return i;
            }
        }
        return -1;
    }

    /** Frees a slot; its generation moves on. Returns the host's user data. */
    long release(int slot) {
        long ud = hostUserData[slot];
        if (isDisplaced[slot]) {
            isDisplaced[slot] = false;
            displaced--;
        }
        payload[slot] = null;
        generation[slot] = (generation[slot] + 1) & 0x1fffffff; // 29 bits: bits 62, 61 mark a SendFile chain's head, timer
        freePos[slot] = freeCount;
        free[freeCount++] = slot;
        if (pathMemory[slot] != 0) {
            mem.free(pathMemory[slot]);
            pathMemory[slot] = 0;
        }
        return ud;
    }

    boolean inUse(int slot) {
        return slot >= 0 && slot < capacity && freePos[slot] < 0;
    }

    /** What the kernel's user data is for the op in {@code slot}. */
    long kernelUserData(int slot) {
        return ((long) generation[slot] << 32) | slot;
    }

    /** True when {@code kernelUserData} names the op now in its slot. */
    boolean matches(long kernelUserData) {
        int slot = (int) kernelUserData;
        return inUse(slot) && generation[slot] == (int) (kernelUserData >>> 32);
    }

    OpPayload payload(int slot) {
        return payload[slot];
    }

    long hostUserData(int slot) {
        return hostUserData[slot];
    }

    /** Keeps a NUL-terminated path alive until the op completes; freed with the slot. */
    void holdPath(int slot, long addr) {
        pathMemory[slot] = addr;
    }

    /** Native address of the slot's scratch at {@code offset}. */
    long address(int slot, int offset) {
        return nativeBase + (long) slot * SLOT_BYTES + offset;
    }

    /** The scratch of every slot, for plain writes at {@code slot * SLOT_BYTES + offset}. */
    ByteBuffer scratch() {
        return nativeView;
    }

    /** Every slot in use, for close. */
    int[] inUseSlots() {
        int[] out = new int[inUse()];
        int n = 0;
        for (int i = 0; i < capacity; i++) {
            if (freePos[i] < 0) {
                out[n++] = i;
            }
        }
        return Arrays.copyOf(out, n);
    }

    /** Frees the native scratch and any held paths. */
    void free() {
        for (int i = 0; i < capacity; i++) {
            if (pathMemory[i] != 0) {
                mem.free(pathMemory[i]);
                pathMemory[i] = 0;
            }
        }
        mem.free(nativeBase);
    }
}
