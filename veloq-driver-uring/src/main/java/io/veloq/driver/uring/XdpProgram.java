package io.veloq.driver.uring;

/**
 * Veloq's XDP program, assembled here instead of compiled from C: redirect a packet to the AF_XDP socket
 * registered for its receive queue ({@code bpf_redirect_map(&xsks, ctx->rx_queue_index, XDP_PASS)}), pass
 * it to the stack when no socket is there, and, with a UDP port, redirect only UDP (IPv4 without fragments,
 * or IPv6 without extension headers) to that destination port.
 *
 * <pre>{@code byte[] insns = XdpProgram.redirect(mapFd, 9000);}</pre>
 */
final class XdpProgram {
    static final int XDP_PASS = 2;
    /** {@code BPF_FUNC_redirect_map}. */
    private static final int REDIRECT_MAP = 51;
    // struct xdp_md
    private static final int MD_DATA = 0;
    private static final int MD_DATA_END = 4;
    private static final int MD_RX_QUEUE_INDEX = 16;
    private static final int ETH_HLEN = 14;
    private static final int IPV4_MIN = 20;
    private static final int IPV6_HLEN = 40;
    private static final int UDP_HLEN = 8;
    private static final int IPPROTO_UDP = 17;

    private XdpProgram() {
    }

    /** The program's instructions for an XSKMAP descriptor; {@code udpPort} 0 redirects everything. */
    static byte[] redirect(int mapFd, int udpPort) {
        BpfAssembler a = new BpfAssembler();
        int r1 = BpfAssembler.R1, r2 = BpfAssembler.R2, r3 = BpfAssembler.R3, r4 = BpfAssembler.R4;
        int r5 = BpfAssembler.R5, r6 = BpfAssembler.R6, r0 = BpfAssembler.R0;
        a.mov(r6, r1);
        if (udpPort != 0) {
            // Ports and ether types are big-endian on the wire; 16-bit loads read them byte-swapped.
            int port = swap16(udpPort);
            a.loadWord(r2, r6, MD_DATA)
                    .loadWord(r3, r6, MD_DATA_END)
                    .mov(r4, r2).addImm(r4, ETH_HLEN).jumpIfGreater(r4, r3, "pass")
                    .loadHalf(r5, r2, 12)
                    .jumpIfEqual(r5, swap16(0x0800), "ipv4")
                    .jumpIfEqual(r5, swap16(0x86DD), "ipv6")
                    .jump("pass")
                    .label("ipv4")
                    .mov(r4, r2).addImm(r4, ETH_HLEN + IPV4_MIN).jumpIfGreater(r4, r3, "pass")
                    .loadByte(r5, r2, ETH_HLEN + 9).jumpIfNotEqual(r5, IPPROTO_UDP, "pass")
                    // More-fragments flag or a fragment offset: not a whole datagram, leave it to the stack.
                    .loadHalf(r5, r2, ETH_HLEN + 6).jumpIfAnySet(r5, 0xff3f, "pass")
                    .loadByte(r5, r2, ETH_HLEN).andImm(r5, 0x0f).lshImm(r5, 2)
                    .jumpIfLess(r5, IPV4_MIN, "pass")
                    .addReg(r2, r5)
                    .mov(r4, r2).addImm(r4, ETH_HLEN + UDP_HLEN).jumpIfGreater(r4, r3, "pass")
                    .loadHalf(r5, r2, ETH_HLEN + 2).jumpIfNotEqual(r5, port, "pass")
                    .jump("redirect")
                    .label("ipv6")
                    .mov(r4, r2).addImm(r4, ETH_HLEN + IPV6_HLEN + UDP_HLEN).jumpIfGreater(r4, r3, "pass")
                    .loadByte(r5, r2, ETH_HLEN + 6).jumpIfNotEqual(r5, IPPROTO_UDP, "pass")
                    .loadHalf(r5, r2, ETH_HLEN + IPV6_HLEN + 2).jumpIfNotEqual(r5, port, "pass")
                    .label("redirect");
        }
        a.loadWord(r2, r6, MD_RX_QUEUE_INDEX)
                .loadMapFd(r1, mapFd)
                .movImm(r3, XDP_PASS) // the action when no socket sits at that index
                .call(REDIRECT_MAP)
                .exit();
        if (udpPort != 0) {
            a.label("pass").movImm(r0, XDP_PASS).exit();
        }
        return a.assemble();
    }

    private static int swap16(int v) {
        return ((v & 0xff) << 8) | ((v >>> 8) & 0xff);
    }
}
