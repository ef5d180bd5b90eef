package io.veloq.api.xdp;

/**
 * The kernel's counters for one socket ({@code getsockopt(SOL_XDP, XDP_STATISTICS)}), cumulative since it
 * was bound.
 *
 * <pre>{@code
 * XdpStatistics s = xsk.statistics();
 * if (s.fillRingEmpty() > 0) System.err.println("give the fill ring more frames");
 * }</pre>
 *
 * @param rxDropped      packets dropped for lack of room (no free frame, or the RX ring full)
 * @param rxInvalid      RX descriptors the kernel found invalid
 * @param txInvalid      TX descriptors the kernel refused (address or length outside the UMEM frame)
 * @param rxRingFull     packets dropped because the RX ring was full
 * @param fillRingEmpty  times the kernel found the fill ring empty when a packet arrived
 * @param txRingEmpty    times the kernel looked for packets to send and found the TX ring empty
 * @since 0.2
 */
public record XdpStatistics(long rxDropped, long rxInvalid, long txInvalid, long rxRingFull, long fillRingEmpty,
                            long txRingEmpty) {
}
