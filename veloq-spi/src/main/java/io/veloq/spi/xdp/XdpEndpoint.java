package io.veloq.spi.xdp;

import io.veloq.api.VeloqIoException;
import io.veloq.api.xdp.XdpMode;
import io.veloq.api.xdp.XdpStatistics;

import java.nio.ByteBuffer;

/**
 * One AF_XDP socket as a driver made it: the UMEM, the four rings, and the kernel calls the host needs
 * around the ring protocol.
 *
 * <h2>Ownership and threading</h2>
 * The host is the only user of the rings (user side) and calls {@link #kickTx}, {@link #kickFill},
 * {@link #arm}, {@link #disarm} and {@link #close} on the loop thread of the driver that made it;
 * {@link #statistics} from any thread. The UMEM memory stays valid until every endpoint sharing it is
 * closed.
 *
 * <pre>{@code
 * endpoint.arm(XdpEndpoint.RX, events -> onReady(events));   // loop thread; called back once
 * }</pre>
 *
 * @since 0.2
 */
public interface XdpEndpoint extends AutoCloseable {
    /** {@link #arm} event: the RX ring is not empty ({@code POLLIN}). */
    int RX = 1;
    /** {@link #arm} event: the TX ring has room ({@code POLLOUT}). */
    int TX = 2;

    /** The socket descriptor (or a simulated number), for messages. */
    int fd();

    /** The whole UMEM: native order, page-aligned, {@code frameSize * frameCount} bytes; shared when the UMEM is. */
    ByteBuffer umem();

    /**
     * The fill ring; for a socket sharing another's UMEM on the same interface and queue, the owner's
     * (the kernel allows one fill ring per UMEM and queue).
     */
    XdpRing fillRing();

    /** The completion ring; shared like {@link #fillRing()}. */
    XdpRing completionRing();

    XdpRing rxRing();

    XdpRing txRing();

    /** True when {@link #fillRing()} and {@link #completionRing()} are another endpoint's. */
    boolean sharesRings();

    /** The mode bound: {@link XdpMode#COPY} or {@link XdpMode#ZERO_COPY}. */
    XdpMode mode();

    /** Whether the rings' {@link XdpRing#NEED_WAKEUP} flag is maintained by the kernel. */
    boolean needWakeup();

    /**
     * Tells the kernel the TX ring has work ({@code sendto(fd, NULL, 0, MSG_DONTWAIT)}).
     *
     * @return 0, or minus the errno: {@code EAGAIN} when the kernel sent a batch and more wait (or the
     *     completion ring is full), {@code ENOBUFS}/{@code EBUSY} when the device is busy; the host retries
     */
    int kickTx();

    /** Tells the kernel the fill ring was refilled ({@code recvfrom(fd, NULL, 0, MSG_DONTWAIT)}). */
    void kickFill();

    /**
     * Arms a one-shot readiness wait on the loop: {@code ready} is called on the loop thread, from inside
     * the driver's {@code submitAndWait}, once any of {@code events} holds (at once if one already does).
     * In busy-poll mode the driver does not sleep while armed and calls back on the next turn. Arming again
     * replaces the previous wait.
     */
    void arm(int events, Readiness ready);

    /** Cancels the armed wait, if any; its callback will not run. */
    void disarm();

    /** The kernel's counters. */
    XdpStatistics statistics() throws VeloqIoException;

    /**
     * Detaches the program when this was the last socket on its interface, unmaps the rings, closes the
     * socket, and unmaps the UMEM when no endpoint shares it any more. Loop thread; idempotent.
     */
    @Override
    void close();

    /**
     * The callback of {@link #arm}.
     *
     * @since 0.2
     */
    @FunctionalInterface
    interface Readiness {
        /** {@code events}: which of the armed events hold, or 0 when it cannot tell (a busy-poll turn). */
        void ready(int events);
    }
}
