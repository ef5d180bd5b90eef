package io.veloq.api.bootstrap;

import io.veloq.api.EventLoop;
import io.veloq.api.xdp.XdpConfig;
import io.veloq.api.xdp.XdpSocket;

import java.io.IOException;

/**
 * The service behind {@link XdpSocket#open}: implemented by {@code veloq.spi}'s host, which reaches the
 * loop's driver through the SPI's XDP facet. Found with {@link java.util.ServiceLoader}, like
 * {@link RuntimeFactory}.
 */
public interface XdpFactory {
    /** Opens a socket on {@code loop}'s driver. */
    XdpSocket open(EventLoop loop, XdpConfig config) throws IOException;
}
