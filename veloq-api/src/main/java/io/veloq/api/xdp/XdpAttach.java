package io.veloq.api.xdp;

/**
 * Where Veloq's XDP program (redirect to the socket by receive queue, pass everything else) runs, or
 * whether to load one at all.
 *
 * <pre>{@code XdpConfig.builder("veth0").attach(XdpAttach.NATIVE).build();}</pre>
 *
 * @since 0.2
 */
public enum XdpAttach {
    /** Generic (SKB) mode, {@code XDP_FLAGS_SKB_MODE}: any interface, after the kernel built an skb. */
    GENERIC,
    /** Native (driver) mode, {@code XDP_FLAGS_DRV_MODE}: in the driver's receive path; fails if the driver lacks it. */
    NATIVE,
    /**
     * No program: the socket only transmits, or another socket of the process on the same interface already
     * attached one that redirects to this queue (a TX-only traffic generator uses this).
     */
    NONE
}
