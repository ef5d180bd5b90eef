/**
 * The AF_XDP facet of the driver SPI: a driver reporting {@link io.veloq.api.Capability#XDP} returns an
 * {@link io.veloq.spi.xdp.XdpDriver} from {@code Driver.facet(XdpDriver.class)}; the host builds
 * {@link io.veloq.api.xdp.XdpSocket} (rings, frames) on the {@link io.veloq.spi.xdp.XdpEndpoint}s it opens.
 *
 * @since 0.2
 */
package io.veloq.spi.xdp;
