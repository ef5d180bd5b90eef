package io.veloq.driver.uring;

import io.veloq.api.VeloqIoException;
import io.veloq.api.buffer.FixedBuf;
import io.veloq.spi.LinuxErrno;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HashMap;
import java.util.Map;

import static io.veloq.driver.uring.IoUringAbi.*;

/**
 * The ring's provided-buffer groups ({@code IORING_REGISTER_PBUF_RING}): per group a page-aligned array of
 * {@code io_uring_buf} entries the kernel takes buffers from, and this side gives them back to by writing an
 * entry and moving the tail (a release store of the 16-bit tail in entry 0's spare field). Loop thread only.
 *
 * <pre>{@code
 * provided.register(3, bufs);   // every buffer free
 * provided.provide(3, 7);       // buffer 7 of group 3 may be filled again
 * }</pre>
 */
final class ProvidedBuffers {
    private static final VarHandle SHORT = MethodHandles.byteBufferViewVarHandle(short[].class, ByteOrder.nativeOrder());
    private static final long PAGE = 4096;

    private final NativeMemory mem;
    private final int ringFd;
    private final BufferAddresses addresses;
    private final Map<Integer, Group> groups = new HashMap<>();
    // The last group used: a server uses one ring per loop, so the map is rarely consulted.
    private Group last;

    private static final class Group {
        final int id;
        final long allocation;
        final ByteBuffer entries;
        final int mask;
        final long[] addr;
        final int[] len;
        int tail;

        Group(int id, long allocation, ByteBuffer entries, int count) {
            this.id = id;
            this.allocation = allocation;
            this.entries = entries;
            this.mask = count - 1;
            this.addr = new long[count];
            this.len = new int[count];
        }
    }

    ProvidedBuffers(NativeMemory mem, int ringFd, BufferAddresses addresses) {
        this.mem = mem;
        this.ringFd = ringFd;
        this.addresses = addresses;
    }

    /** Registers group {@code id} with every buffer of {@code bufs} free (buffer id = index); count a power of two. */
    void register(int id, FixedBuf[] bufs) throws VeloqIoException {
        if (groups.containsKey(id)) {
            throw new IllegalStateException("buffer group " + id + " is already registered on ring fd " + ringFd);
        }
        int count = bufs.length;
        long bytes = (long) BUF_SIZE * count;
        long raw = mem.allocate(bytes + PAGE - 1, "provided-buffer ring of group " + id);
        long base = (raw + PAGE - 1) & -PAGE;
        ByteBuffer entries = mem.view(base, bytes);
        for (int i = 0; i < bytes; i += 8) {
            entries.putLong(i, 0L);
        }
        Group g = new Group(id, raw, entries, count);
        for (int i = 0; i < count; i++) {
            g.addr[i] = addresses.address(bufs[i]);
            g.len[i] = bufs[i].capacity();
        }
        long reg = mem.allocate(BUF_REG_SIZE, "io_uring_buf_reg");
        try {
            ByteBuffer r = mem.view(reg, BUF_REG_SIZE);
            for (int i = 0; i < BUF_REG_SIZE; i += 8) {
                r.putLong(i, 0L);
            }
            r.putLong(0, base);
            r.putInt(8, count);
            r.putShort(12, (short) id);
            long rc = mem.syscalls().ioUringRegister(ringFd, REGISTER_PBUF_RING, reg, 1);
            if (rc < 0) {
                mem.free(raw);
                throw LinuxErrno.TABLE.exception((int) -rc, "IORING_REGISTER_PBUF_RING (group " + id + ", " + count
                        + " buffers) on ring fd " + ringFd);
            }
        } finally {
            mem.free(reg);
        }
        groups.put(id, g);
        for (int i = 0; i < count; i++) {
            put(g, i);
        }
        publish(g);
    }

    boolean has(int id) {
        return group(id) != null;
    }

    /** Buffer {@code bid} of group {@code id} is free again. */
    void provide(int id, int bid) {
        Group g = group(id);
        if (g == null) {
            throw new IllegalStateException("buffer group " + id + " is not registered on ring fd " + ringFd);
        }
        put(g, bid);
        publish(g);
    }

    private Group group(int id) {
        Group g = last;
        if (g != null && g.id == id) {
            return g;
        }
        g = groups.get(id);
        if (g != null) {
            last = g;
        }
        return g;
    }

    private static void put(Group g, int bid) {
        int off = (g.tail & g.mask) * BUF_SIZE;
        ByteBuffer e = g.entries;
        e.putLong(off, g.addr[bid]);
        e.putInt(off + 8, g.len[bid]);
        e.putShort(off + 12, (short) bid);
        g.tail++;
    }

    private static void publish(Group g) {
        SHORT.setRelease(g.entries, BUF_RING_TAIL, (short) g.tail);
    }

    /** Unregisters a group; none of its ops is in flight. */
    void unregister(int id) {
        Group g = groups.remove(id);
        if (g == null) {
            return;
        }
        if (last == g) {
            last = null;
        }
        long reg = mem.allocate(BUF_REG_SIZE, "io_uring_buf_reg");
        try {
            ByteBuffer r = mem.view(reg, BUF_REG_SIZE);
            for (int i = 0; i < BUF_REG_SIZE; i += 8) {
                r.putLong(i, 0L);
            }
            r.putShort(12, (short) id);
            mem.syscalls().ioUringRegister(ringFd, UNREGISTER_PBUF_RING, reg, 1);
        } finally {
            mem.free(reg);
        }
        mem.free(g.allocation);
    }

    /** Frees every group's memory (the ring is closing; its registrations go with it). */
    void close() {
        for (Group g : groups.values()) {
            mem.free(g.allocation);
        }
        groups.clear();
        last = null;
    }
}
