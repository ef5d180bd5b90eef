package io.veloq.spi.internal.xdp;

import io.veloq.spi.xdp.XdpRing;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The user side of one AF_XDP ring: cached producer and consumer counters over the shared memory, so the
 * kernel's counters are read (acquire) only when the cache says the ring is full or empty, and written
 * (release) once per batch. One class for both directions: a producer ring (fill, TX) calls
 * {@link #reserve}/{@link #submit}, a consumer ring (RX, completion) {@link #peek}/{@link #release}.
 * Single-threaded: the loop thread owns it.
 */
final class RingCursor {
    private static final VarHandle INT = MethodHandles.byteBufferViewVarHandle(int[].class, ByteOrder.nativeOrder());

    final XdpRing ring;
    private final ByteBuffer mem;
    private final int mask;
    private final int size;
    private final int entryBytes;
    private int cachedProducer;
    private int cachedConsumer;

    RingCursor(XdpRing ring, int entryBytes) {
        this.ring = ring;
        this.mem = ring.memory();
        this.size = ring.size();
        this.mask = size - 1;
        this.entryBytes = entryBytes;
        this.cachedProducer = (int) INT.getAcquire(mem, ring.producer());
        this.cachedConsumer = (int) INT.getAcquire(mem, ring.consumer());
    }

    // ---- producer side (fill, TX) ----

    /** How many of {@code n} entries may be written now, from {@link #producerIndex()} on. */
    int reserve(int n) {
        int free = size - (cachedProducer - cachedConsumer);
        if (free < n) {
            cachedConsumer = (int) INT.getAcquire(mem, ring.consumer());
            free = size - (cachedProducer - cachedConsumer);
        }
        return Math.min(n, free);
    }

    /** Byte offset of entry {@code i} after the current producer. */
    int producerSlot(int i) {
        return ring.descs() + ((cachedProducer + i) & mask) * entryBytes;
    }

    /**
     * Publishes {@code n} written entries. Volatile when the caller will read the need-wakeup flag next:
     * a release store may pass a later load, and the kernel sets the flag only after checking the ring.
     */
    void submit(int n, boolean thenReadFlags) {
        cachedProducer += n;
        if (thenReadFlags) {
            INT.setVolatile(mem, ring.producer(), cachedProducer);
        } else {
            INT.setRelease(mem, ring.producer(), cachedProducer);
        }
    }

    /** Entries written and not yet consumed by the kernel (reads the kernel's consumer). */
    int outstanding() {
        cachedConsumer = (int) INT.getAcquire(mem, ring.consumer());
        return cachedProducer - cachedConsumer;
    }

    /** The kernel's consumer counter, fresh. */
    int kernelConsumer() {
        return (int) INT.getAcquire(mem, ring.consumer());
    }

    // ---- consumer side (RX, completion) ----

    /** How many of {@code n} entries are ready to read, from {@link #consumerSlot(int)} 0 on. */
    int peek(int n) {
        int avail = cachedProducer - cachedConsumer;
        if (avail < n) {
            cachedProducer = (int) INT.getAcquire(mem, ring.producer());
            avail = cachedProducer - cachedConsumer;
        }
        return Math.min(n, avail);
    }

    /** Byte offset of entry {@code i} after the current consumer. */
    int consumerSlot(int i) {
        return ring.descs() + ((cachedConsumer + i) & mask) * entryBytes;
    }

    /** Gives {@code n} read entries back to the kernel. */
    void release(int n) {
        cachedConsumer += n;
        INT.setRelease(mem, ring.consumer(), cachedConsumer);
    }

    /** True when the kernel set {@code XDP_RING_NEED_WAKEUP}. */
    boolean needsWakeup() {
        return ((int) INT.getVolatile(mem, ring.flags()) & XdpRing.NEED_WAKEUP) != 0;
    }

    ByteBuffer memory() {
        return mem;
    }

    int size() {
        return size;
    }
}
