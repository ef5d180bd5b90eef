package io.veloq.api.xdp;

/**
 * How an {@link XdpSocket} binds to its queue: the kernel copies packets between the driver's buffers and
 * the UMEM ({@code XDP_COPY}, works on every interface), or the NIC DMAs straight into the UMEM
 * ({@code XDP_ZEROCOPY}, only where the network driver implements it).
 *
 * <pre>{@code XdpConfig.builder("eth0").mode(XdpMode.PREFER_ZERO_COPY).build();}</pre>
 *
 * @since 0.2
 */
public enum XdpMode {
    /** {@code XDP_COPY}: always works. */
    COPY,
    /**
     * {@code XDP_ZEROCOPY}: fails, naming the interface's driver and the fix, when the driver cannot do it;
     * never falls back silently.
     */
    ZERO_COPY,
    /** Zero-copy when the driver can, copy otherwise; {@link XdpSocket#mode()} says which one was bound. */
    PREFER_ZERO_COPY
}
