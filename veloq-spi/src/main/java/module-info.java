/**
 * What driver authors code against ({@link io.veloq.spi.DriverProvider}, {@link io.veloq.spi.Driver}) and the
 * driver-independent runtime host that runs a driver: event loop, op table, backlog, timers, cross-thread
 * submission. The host is in an unexported package; it is reached through the
 * {@link io.veloq.api.bootstrap.RuntimeFactory} service that {@code veloq.api} uses.
 */
module veloq.spi {
    requires transitive veloq.api;

    exports io.veloq.spi;
    exports io.veloq.spi.xdp;
    // The testkit drives the host directly (virtual time, manual mode); nobody else may.
    exports io.veloq.spi.internal.host to veloq.testkit;

    uses io.veloq.spi.DriverProvider;
    provides io.veloq.api.bootstrap.RuntimeFactory with io.veloq.spi.internal.host.HostRuntimeFactory;
    provides io.veloq.api.bootstrap.XdpFactory with io.veloq.spi.internal.xdp.HostXdpFactory;
}
