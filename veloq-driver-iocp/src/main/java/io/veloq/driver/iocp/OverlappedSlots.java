package io.veloq.driver.iocp;

import io.veloq.driver.iocp.win32.NativeMemory;
import io.veloq.driver.iocp.win32.NtStatus;
import io.veloq.driver.iocp.win32.Structs;

import java.nio.ByteBuffer;

/**
 * The native memory of a driver's op slots, and the identity of the op a completion packet belongs to.
 *
 * <h2>Why two OVERLAPPEDs per slot</h2>
 * A packet carries only its completion key and the OVERLAPPED address it was started with. Every op that
 * reuses a slot would reuse its OVERLAPPED, so a packet that outlived its op (a completion the driver took as
 * packet-less, a stray PostQueuedCompletionStatus) would name the op that holds the slot now. Each slot
 * therefore has two OVERLAPPEDs, and every {@link #arm} switches to the other one: a packet for the previous
 * arm names an OVERLAPPED that is no longer current, and {@link #slotOf} refuses it. A packet naming the
 * current OVERLAPPED still counts only once the request is over: Windows keeps {@code STATUS_PENDING} in
 * {@code OVERLAPPED.Internal} while it is outstanding ({@link #stillPending}), and the status and byte count
 * are read from the OVERLAPPED itself, so even a stray packet cannot change an op's result.
 *
 * <h2>Layout of one slot ({@link #SLOT_SIZE} bytes, allocated once, never moved)</h2>
 * <pre>
 *   0  OVERLAPPED (arm A)        32  OVERLAPPED (arm B)        64  WSABUF
 *  80  DWORD bytes (AcceptEx, ConnectEx)   84  DWORD flags (WSARecv*)   88  INT address length (WSARecvFrom)
 *  96  sockaddr (ConnectEx, WSASendTo, WSARecvFrom)   224  AcceptEx's address buffer ((128 + 16) x 2)
 * </pre>
 * Loop thread only, except that the kernel writes the OVERLAPPEDs and buffers of ops it owns.
 */
final class OverlappedSlots implements AutoCloseable {
    static final int SLOT_SIZE = 512;
    private static final int ARM_A = 0;
    private static final int ARM_B = Structs.Overlapped.SIZE;
    static final int WSABUF = 2 * Structs.Overlapped.SIZE;                         // 64
    static final int BYTES = WSABUF + Structs.WsaBuf.SIZE;                          // 80
    static final int FLAGS = BYTES + 4;                                             // 84
    static final int FROM_LEN = FLAGS + 4;                                          // 88
    static final int ADDRESS = FROM_LEN + 8;                                        // 96
    static final int ACCEPT_BUF = ADDRESS + Structs.SockaddrStorage.SIZE;          // 224

    static {
        if (ACCEPT_BUF + Structs.ACCEPT_EX_BUFFER_LENGTH > SLOT_SIZE) {
            throw new AssertionError("slot layout overflows " + SLOT_SIZE + " bytes");
        }
    }

    private final NativeMemory.Block block;
    private final int capacity;
    /** Which OVERLAPPED (0: A, 1: B) the op in each slot was started with. */
    private final byte[] arm;
    final ByteBuffer mem;
    final long base;

    OverlappedSlots(int capacity) {
        this.capacity = capacity;
        this.block = NativeMemory.allocate(capacity * SLOT_SIZE);
        this.mem = block.buffer();
        this.base = block.address();
        this.arm = new byte[capacity];
    }

    /** Offset of the slot's memory in {@link #mem}. */
    static int offset(int slot) {
        return slot * SLOT_SIZE;
    }

    /** Native address of {@code field} (one of the constants above) in the slot. */
    long address(int slot, int field) {
        return base + offset(slot) + field;
    }

    /**
     * Switches the slot to its other OVERLAPPED and clears it for a new request (Windows requires zeroed
     * fields); clears the byte count word too. Returns the slot's offset.
     */
    int arm(int slot) {
        arm[slot] ^= 1;
        int off = offset(slot);
        Structs.Overlapped.clear(mem, off + current(slot));
        mem.putInt(off + BYTES, 0);
        return off;
    }

    private int current(int slot) {
        return arm[slot] == 0 ? ARM_A : ARM_B;
    }

    /** Address of the OVERLAPPED the op in the slot was started with. */
    long overlapped(int slot) {
        return base + offset(slot) + current(slot);
    }

    /** Offset in {@link #mem} of the slot's current OVERLAPPED. */
    int overlappedOffset(int slot) {
        return offset(slot) + current(slot);
    }

    /**
     * The slot whose current OVERLAPPED is at {@code overlapped}; -1 if the address is not one of this
     * driver's OVERLAPPEDs, or is the one of a previous arm (a late packet).
     */
    int slotOf(long overlapped) {
        long off = overlapped - base;
        if (off < 0 || off >= (long) capacity * SLOT_SIZE) {
            return -1;
        }
        int slot = (int) (off / SLOT_SIZE);
        int within = (int) (off % SLOT_SIZE);
        return within == current(slot) ? slot : -1;
    }

    /** Whether {@code address} lies in this driver's slot memory (any slot, any field). */
    boolean contains(long address) {
        return address - base >= 0 && address - base < (long) capacity * SLOT_SIZE;
    }

    /** The NTSTATUS the kernel left in the slot's current OVERLAPPED. */
    int status(int slot) {
        return Structs.Overlapped.status(mem, overlappedOffset(slot));
    }

    /** The byte count the kernel left in the slot's current OVERLAPPED. */
    long transferred(int slot) {
        return Structs.Overlapped.transferred(mem, overlappedOffset(slot));
    }

    /** True while the request is outstanding: a packet naming it now did not come from its completion. */
    boolean stillPending(int slot) {
        return status(slot) == NtStatus.STATUS_PENDING;
    }

    int capacity() {
        return capacity;
    }

    long size() {
        return block.size();
    }

    @Override
    public void close() {
        block.close();
    }
}
