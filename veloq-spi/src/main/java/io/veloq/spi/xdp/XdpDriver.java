package io.veloq.spi.xdp;

import io.veloq.api.VeloqIoException;
import io.veloq.api.xdp.XdpConfig;

/**
 * The AF_XDP facet of a driver reporting {@link io.veloq.api.Capability#XDP}, obtained with
 * {@code driver.facet(XdpDriver.class)}. The host builds {@link io.veloq.api.xdp.XdpSocket} on it: the
 * ring protocol (producer/consumer counters, frame bookkeeping) is the host's and the same for every
 * driver; the driver does the kernel's part, creating the socket, the UMEM, the rings and the program,
 * kicking the kernel and waiting for readiness on its loop.
 *
 * <pre>{@code
 * XdpDriver xdp = driver.facet(XdpDriver.class);
 * XdpEndpoint ep = xdp.open(config, null);          // a socket with a UMEM of its own
 * }</pre>
 *
 * <h2>Threading</h2>
 * {@link #open} may be called from any thread and must be thread-safe. {@link XdpEndpoint}'s methods follow
 * their own Javadoc.
 *
 * @since 0.2
 */
public interface XdpDriver {
    /**
     * Creates and binds one AF_XDP socket: registers a new UMEM (or shares {@code sharedWith}'s), creates and
     * maps its rings, binds it to {@code config.iface()} queue {@code config.queue()} in the requested mode,
     * and attaches the redirect program unless {@link io.veloq.api.xdp.XdpAttach#NONE}. On failure nothing is
     * left behind.
     *
     * @param sharedWith the endpoint whose UMEM to share ({@code XDP_SHARED_UMEM}), or null
     * @throws VeloqIoException with the errno, naming the step that failed and the fix
     */
    XdpEndpoint open(XdpConfig config, XdpEndpoint sharedWith) throws VeloqIoException;
}
