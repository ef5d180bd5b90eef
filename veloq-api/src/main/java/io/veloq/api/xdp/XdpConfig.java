package io.veloq.api.xdp;

import java.util.Objects;

/**
 * What an {@link XdpSocket} binds to and how: the interface and receive queue, the UMEM (frame size and
 * count), the four ring sizes, the bind mode, where the XDP program runs and what it redirects.
 * Invalid values are refused here, before any system call, with what was wrong and what is allowed.
 *
 * <pre>{@code
 * XdpConfig c = XdpConfig.builder("veth0")
 *         .queue(0)
 *         .frames(4096, 2048)       // 2048 frames of 4 KiB: an 8 MiB UMEM
 *         .udpPort(9000)            // redirect only UDP to port 9000; everything else goes to the stack
 *         .build();
 * }</pre>
 *
 * @param iface              the network interface, e.g. {@code eth0}
 * @param queue              the receive queue id to bind to
 * @param frameSize          bytes per UMEM frame (chunk): a power of two from 2048 to 4096
 * @param frameCount         frames in the UMEM
 * @param headroom           bytes the kernel leaves free before each received packet
 * @param fillRingSize       entries of the fill ring (power of two)
 * @param completionRingSize entries of the completion ring (power of two)
 * @param rxRingSize         entries of the RX ring (power of two)
 * @param txRingSize         entries of the TX ring (power of two)
 * @param mode               copy or zero-copy
 * @param attach             where the XDP program runs, or {@link XdpAttach#NONE}
 * @param udpPort            redirect only UDP (IPv4 and IPv6) to this destination port; 0 redirects every packet
 * @param needWakeup         {@code XDP_USE_NEED_WAKEUP}: kick the kernel only when it asks (saves system calls)
 * @param busyPoll           wait for readiness by polling the rings on every loop turn instead of sleeping
 *                           in the kernel: lowest latency, one core always busy
 * @param sharedUmem         share this socket's UMEM ({@code XDP_SHARED_UMEM}); null for a UMEM of its own
 * @since 0.2
 */
public record XdpConfig(String iface, int queue, int frameSize, int frameCount, int headroom, int fillRingSize,
                        int completionRingSize, int rxRingSize, int txRingSize, XdpMode mode, XdpAttach attach,
                        int udpPort, boolean needWakeup, boolean busyPoll, XdpSocket sharedUmem) {
    /** The smallest frame the kernel accepts ({@code XDP_UMEM_MIN_CHUNK_SIZE}). */
    public static final int MIN_FRAME_SIZE = 2048;
    /** The largest frame in aligned mode: the page size. */
    public static final int MAX_FRAME_SIZE = 4096;
    /** The largest UMEM Veloq maps: one registered region. */
    public static final long MAX_UMEM_BYTES = 64L << 20;
    /** Room the kernel reserves in front of each packet in a frame ({@code XDP_PACKET_HEADROOM}). */
    public static final int KERNEL_HEADROOM = 256;

    public XdpConfig {
        Objects.requireNonNull(iface, "XdpConfig needs an interface name");
        Objects.requireNonNull(mode, "mode");
        Objects.requireNonNull(attach, "attach");
        if (iface.isEmpty() || iface.length() > 15 || iface.indexOf('/') >= 0 || iface.indexOf(' ') >= 0) {
            throw new IllegalArgumentException("\"" + iface + "\" is not an interface name (1 to 15 characters, "
                    + "no '/' or space); `ip link` lists them");
        }
        if (queue < 0) {
            throw new IllegalArgumentException("queue id must be >= 0, got " + queue);
        }
        if (frameSize < MIN_FRAME_SIZE || frameSize > MAX_FRAME_SIZE || Integer.bitCount(frameSize) != 1) {
            throw new IllegalArgumentException("frame size " + frameSize + " is "
                    + (Integer.bitCount(frameSize) != 1 ? "not a power of two" : "out of range")
                    + ": XDP frames (UMEM chunks) must be a power of two from " + MIN_FRAME_SIZE + " to "
                    + MAX_FRAME_SIZE + " bytes (2048 or 4096)");
        }
        if (frameCount <= 0) {
            throw new IllegalArgumentException("frame count must be positive, got " + frameCount);
        }
        if ((long) frameSize * frameCount > MAX_UMEM_BYTES) {
            throw new IllegalArgumentException("UMEM of " + frameCount + " frames x " + frameSize + " bytes = "
                    + (long) frameSize * frameCount + " bytes exceeds " + MAX_UMEM_BYTES + " bytes; use fewer frames");
        }
        if (headroom < 0 || headroom > frameSize - KERNEL_HEADROOM - 128) {
            throw new IllegalArgumentException("headroom " + headroom + " must be within [0, "
                    + (frameSize - KERNEL_HEADROOM - 128) + "] for " + frameSize + "-byte frames");
        }
        ring("fill", fillRingSize);
        ring("completion", completionRingSize);
        ring("RX", rxRingSize);
        ring("TX", txRingSize);
        if (udpPort < 0 || udpPort > 65535) {
            throw new IllegalArgumentException("UDP port must be within [0, 65535] (0: every packet), got " + udpPort);
        }
    }

    private static void ring(String name, int size) {
        if (size <= 0 || Integer.bitCount(size) != 1) {
            throw new IllegalArgumentException(name + " ring size must be a positive power of two, got " + size);
        }
    }

    /** A builder for interface {@code iface}, with defaults: queue 0, 4096 frames of 4 KiB, rings of 2048, copy mode, generic attach. */
    public static Builder builder(String iface) {
        return new Builder(iface);
    }

    /**
     * Builds an {@link XdpConfig}.
     *
     * <pre>{@code XdpConfig.builder("eth0").queue(2).mode(XdpMode.ZERO_COPY).attach(XdpAttach.NATIVE).build()}</pre>
     */
    public static final class Builder {
        private final String iface;
        private int queue;
        private int frameSize = 4096;
        private int frameCount = 4096;
        private int headroom;
        private int fillRing = 2048;
        private int completionRing = 2048;
        private int rxRing = 2048;
        private int txRing = 2048;
        private XdpMode mode = XdpMode.COPY;
        private XdpAttach attach = XdpAttach.GENERIC;
        private int udpPort;
        private boolean needWakeup = true;
        private boolean busyPoll;
        private XdpSocket sharedUmem;

        Builder(String iface) {
            this.iface = iface;
        }

        public Builder queue(int id) {
            this.queue = id;
            return this;
        }

        /** The UMEM: {@code count} frames of {@code size} bytes. */
        public Builder frames(int size, int count) {
            this.frameSize = size;
            this.frameCount = count;
            return this;
        }

        public Builder headroom(int bytes) {
            this.headroom = bytes;
            return this;
        }

        /** All four rings the same size. */
        public Builder rings(int entries) {
            return rings(entries, entries, entries, entries);
        }

        public Builder rings(int fill, int completion, int rx, int tx) {
            this.fillRing = fill;
            this.completionRing = completion;
            this.rxRing = rx;
            this.txRing = tx;
            return this;
        }

        public Builder mode(XdpMode m) {
            this.mode = m;
            return this;
        }

        public Builder attach(XdpAttach a) {
            this.attach = a;
            return this;
        }

        /** Redirect only UDP to this port (0: everything). */
        public Builder udpPort(int port) {
            this.udpPort = port;
            return this;
        }

        public Builder needWakeup(boolean on) {
            this.needWakeup = on;
            return this;
        }

        public Builder busyPoll(boolean on) {
            this.busyPoll = on;
            return this;
        }

        /** Share {@code owner}'s UMEM (its frames, and its fill/completion rings when on the same queue). */
        public Builder sharedUmem(XdpSocket owner) {
            this.sharedUmem = owner;
            return this;
        }

        public XdpConfig build() {
            return new XdpConfig(iface, queue, frameSize, frameCount, headroom, fillRing, completionRing, rxRing,
                    txRing, mode, attach, udpPort, needWakeup, busyPoll, sharedUmem);
        }
    }
}
