/**
 * Veloq's application API: operations ({@link io.veloq.api.Op}), payloads, buffers, addresses and the
 * {@link io.veloq.api.IoRuntime} entry point. Depends on nothing but {@code java.base}.
 *
 * <p>The runtime itself lives in {@code veloq.spi}; this module finds it through the
 * {@link io.veloq.api.bootstrap.RuntimeFactory} service, so an application that declares only
 * {@code requires veloq.api;} gets the host and the drivers by service binding.
 */
module veloq.api {
    exports io.veloq.api;
    exports io.veloq.api.op;
    exports io.veloq.api.buffer;
    exports io.veloq.api.net;
    exports io.veloq.api.tls;
    exports io.veloq.api.xdp;
    // Internal bridge for the runtime host only; see MODULES.md ("module-info notes").
    exports io.veloq.api.bootstrap to veloq.spi;

    uses io.veloq.api.bootstrap.RuntimeFactory;
    uses io.veloq.api.bootstrap.XdpFactory;
}
