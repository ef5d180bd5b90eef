/**
 * AF_XDP from Java: {@link io.veloq.api.xdp.XdpSocket} receives and sends raw frames on one queue of a
 * network interface through a UMEM of {@link io.veloq.api.buffer.FixedBuf} frames and four rings, past the
 * kernel's network stack, on the same event loop as Veloq's TCP/UDP ops.
 *
 * <pre>{@code
 * XdpSocket xsk = XdpSocket.open(loop, XdpConfig.builder("veth0").queue(0).udpPort(9000).build());
 * }</pre>
 *
 * Needs a driver reporting {@link io.veloq.api.Capability#XDP}. The testkit's fake driver simulates the
 * kernel side (frames in and out, full rings, an empty fill ring) so packet code can be unit-tested.
 */
package io.veloq.api.xdp;
