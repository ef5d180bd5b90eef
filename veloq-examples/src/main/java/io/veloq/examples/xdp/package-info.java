/**
 * The AF_XDP example: {@code ./veloq xdp-reflect}, a UDP reflector ({@link io.veloq.examples.xdp.XdpReflector})
 * on an {@link io.veloq.api.xdp.XdpSocket}.
 */
package io.veloq.examples.xdp;
