package io.veloq.spi.xdp;

import java.nio.ByteBuffer;

/**
 * Where one AF_XDP ring lies in memory: the mapped region and the offsets the kernel reported
 * ({@code XDP_MMAP_OFFSETS}). The fill and completion rings hold 8-byte UMEM addresses; the RX and TX rings
 * hold 16-byte descriptors ({@code struct xdp_desc}: address, length, options). Producer and consumer are
 * free-running 32-bit counters read with acquire and written with release semantics.
 *
 * <pre>{@code
 * XdpRing rx = endpoint.rxRing();
 * int produced = (int) INT.getAcquire(rx.memory(), rx.producer());
 * }</pre>
 *
 * @param memory   the ring's memory, native order, covering {@code descs + size * entryBytes}
 * @param producer offset of the producer counter
 * @param consumer offset of the consumer counter
 * @param flags    offset of the flags word ({@link #NEED_WAKEUP})
 * @param descs    offset of the first entry
 * @param size     entries (a power of two)
 * @since 0.2
 */
public record XdpRing(ByteBuffer memory, int producer, int consumer, int flags, int descs, int size) {
    /** {@code XDP_RING_NEED_WAKEUP} in the flags word: the kernel waits for a kick. */
    public static final int NEED_WAKEUP = 1;
    /** Bytes of a fill or completion entry: one UMEM address. */
    public static final int ADDRESS_BYTES = 8;
    /** Bytes of an RX or TX descriptor. */
    public static final int DESC_BYTES = 16;

    public XdpRing {
        if (size <= 0 || Integer.bitCount(size) != 1) {
            throw new IllegalArgumentException("ring size must be a power of two, got " + size);
        }
    }
}
