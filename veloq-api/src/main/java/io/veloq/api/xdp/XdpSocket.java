package io.veloq.api.xdp;

import io.veloq.api.EventLoop;
import io.veloq.api.IoRuntime;
import io.veloq.api.bootstrap.XdpFactory;
import io.veloq.api.buffer.FixedBuf;

import java.io.IOException;
import java.util.ServiceLoader;

/**
 * An AF_XDP socket: raw frames straight from one receive queue of a network interface, past the kernel's
 * network stack, into a UMEM of {@link FixedBuf} frames that user code and the kernel pass back and forth
 * through four rings. Veloq loads a small XDP program that redirects the queue's packets (optionally only
 * UDP to one port) to the socket and passes everything else to the stack; it is detached when the socket
 * closes, and by the kernel if the process dies.
 *
 * <h2>Frames and rings</h2>
 * Every frame is in exactly one place: free (the socket's stack of spare frames), yours, or the kernel's.
 * <ul>
 *   <li>{@link #fill} gives frames to the kernel to receive into (the fill ring);</li>
 *   <li>{@link #receive} takes received packets (the RX ring): each frame's readable bytes are the packet;</li>
 *   <li>{@link #transmit} hands frames to send (the TX ring): each frame's readable bytes are sent;</li>
 *   <li>{@link #reclaim} takes back frames whose transmission completed (the completion ring);</li>
 *   <li>{@link #allocate} / {@link #free} move frames between the free stack and you.</li>
 * </ul>
 * A frame the kernel holds cannot be read or written ({@link IllegalStateException} naming the socket),
 * and a frame handed to a ring twice is refused. Every batch call moves as many frames as the ring allows
 * and returns the count; none allocates.
 *
 * <h2>Threading and waiting</h2>
 * A socket belongs to the {@link EventLoop} it was opened on: call it on that loop's thread (from a
 * completer, a task, or {@link #awaitReady}'s handler), or from one other thread when the loop does not
 * use it. {@link #awaitReady} waits through the loop (an io_uring poll on the socket, or busy polling when
 * {@link XdpConfig#busyPoll()} is set), so AF_XDP and TCP/UDP ops share one thread.
 *
 * <pre>{@code
 * try (IoRuntime rt = IoRuntime.open();
 *      XdpSocket xsk = XdpSocket.open(rt.loop(), XdpConfig.builder("veth0").udpPort(9000).build())) {
 *     FixedBuf[] batch = new FixedBuf[64];
 *     xsk.fill(xsk.frameCount() / 2);                 // frames for the kernel to receive into
 *     xsk.awaitReady(XdpSocket.RX, new XdpSocket.ReadyHandler() {
 *         public void ready(XdpSocket s, int events) {
 *             int n = s.receive(batch, 0, batch.length);
 *             for (int i = 0; i < n; i++) swapAddresses(batch[i]);
 *             int sent = s.transmit(batch, 0, n);
 *             s.free(batch, sent, n - sent);          // TX ring full: drop the rest
 *             int done = s.reclaim(batch, 0, batch.length);
 *             s.fill(batch, 0, done);                 // completed frames go back to the fill ring
 *             s.awaitReady(XdpSocket.RX, this);
 *         }
 *     });
 *     ...
 * }
 * }</pre>
 *
 * <p>Requires a driver with {@link io.veloq.api.Capability#XDP} (io_uring on Linux, and the testkit's fake,
 * which simulates the kernel side), and {@code CAP_NET_RAW}, {@code CAP_NET_ADMIN} and {@code CAP_BPF}
 * (or root). Failures name the fix: a missing interface or queue, missing privileges, a locked-memory limit
 * too low for the UMEM, zero-copy the driver lacks, an interface that already has another XDP program.
 *
 * @since 0.2
 */
public interface XdpSocket extends AutoCloseable {
    /** {@link #awaitReady} event: the RX ring holds packets. */
    int RX = 1;
    /** {@link #awaitReady} event: the TX ring has room or the completion ring holds finished frames. */
    int TX = 2;

    /**
     * Opens a socket on {@code loop} (a runtime means its first loop): creates the UMEM and rings, binds to
     * {@link XdpConfig#iface()} queue {@link XdpConfig#queue()}, and attaches the XDP program. Any thread.
     *
     * @throws IOException ({@link io.veloq.api.VeloqIoException} with the errno) naming what failed and the fix
     * @throws UnsupportedOperationException when the loop's driver lacks {@link io.veloq.api.Capability#XDP}
     */
    static XdpSocket open(EventLoop loop, XdpConfig config) throws IOException {
        return factory().open(loop, config);
    }

    private static XdpFactory factory() {
        for (XdpFactory f : ServiceLoader.load(XdpFactory.class, IoRuntime.class.getClassLoader())) {
            return f;
        }
        throw new IllegalStateException("no AF_XDP support found: put veloq-spi on the module path");
    }

    /** The configuration it was opened with. */
    XdpConfig config();

    /** The mode actually bound: {@link XdpMode#COPY} or {@link XdpMode#ZERO_COPY}. */
    XdpMode mode();

    /** Whether the kernel honours {@code XDP_USE_NEED_WAKEUP} for this socket. */
    boolean needWakeup();

    /** The loop it belongs to. */
    EventLoop loop();

    /** Frames in the UMEM (shared with the owner for a shared UMEM). */
    int frameCount();

    /** Bytes per frame. */
    int frameSize();

    /** Frames on the free stack now. */
    int freeFrames();

    /**
     * Moves up to {@code count} free frames into {@code out[offset..]}, cleared (empty, indices at 0).
     *
     * @return how many were moved (fewer when the free stack runs out)
     */
    int allocate(FixedBuf[] out, int offset, int count);

    /** Returns {@code count} frames of yours to the free stack. */
    void free(FixedBuf[] frames, int offset, int count);

    /** Returns one frame of yours to the free stack. */
    void free(FixedBuf frame);

    /**
     * Gives up to {@code count} of your frames to the kernel to receive into (the fill ring); the ones
     * that do not fit stay yours.
     *
     * @return how many the ring took, from {@code frames[offset]} on
     */
    int fill(FixedBuf[] frames, int offset, int count);

    /** Moves up to {@code count} free frames into the fill ring; returns how many. */
    int fill(int count);

    /**
     * Takes up to {@code max} received packets from the RX ring into {@code out[offset..]}: each frame's
     * readable bytes are one packet (its reader index is where the packet starts in the frame).
     *
     * @return how many packets (0 when the ring is empty)
     */
    int receive(FixedBuf[] out, int offset, int max);

    /**
     * Hands up to {@code count} frames to the kernel to send (the TX ring); each frame's readable bytes are
     * one packet. Kicks the kernel when it asks for it ({@code sendto}).
     *
     * @return how many the ring took, from {@code frames[offset]} on; the rest stay yours (ring full)
     * @throws IllegalArgumentException if a frame is empty
     */
    int transmit(FixedBuf[] frames, int offset, int count);

    /**
     * Takes up to {@code max} frames whose transmission completed (the completion ring), cleared, into
     * {@code out[offset..]}.
     *
     * @return how many (0 when none completed)
     */
    int reclaim(FixedBuf[] out, int offset, int max);

    /** Frames sent but not yet reclaimed (in the TX ring, on the wire, or in the completion ring). */
    int transmitting();

    /** Frames given to the kernel for receiving and not yet received. */
    int filled();

    /**
     * Calls {@code handler} once on the loop thread when any of {@code events} ({@link #RX}, {@link #TX})
     * is ready, possibly at once; arm again from the handler to keep waiting. One handler at a time:
     * arming replaces the previous one. Loop thread (or the thread driving a manual loop) only.
     */
    void awaitReady(int events, ReadyHandler handler);

    /** Stops waiting: the handler armed by {@link #awaitReady} is not called. */
    void cancelReady();

    /** The kernel's drop and error counters for this socket. */
    XdpStatistics statistics() throws IOException;

    /**
     * Detaches the program (when this is the last socket of the process on the interface), unmaps the rings,
     * closes the socket and frees the UMEM (when no socket shares it any more). Frames still held by the
     * kernel or by you are simply forgotten: the memory is the socket's. Idempotent.
     */
    @Override
    void close();

    /**
     * Called when an awaited event is ready.
     *
     * @since 0.2
     */
    @FunctionalInterface
    interface ReadyHandler {
        /** {@code events}: the ready events among those awaited. Runs on the loop thread. */
        void ready(XdpSocket socket, int events);
    }
}
