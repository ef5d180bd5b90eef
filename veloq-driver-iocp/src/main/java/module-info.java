/**
 * The Windows IOCP driver: a {@link io.veloq.spi.DriverProvider} with id {@code iocp}, talking to Windows
 * through jnr-ffi (kernel32, ws2_32 and the Winsock extension functions).
 *
 * <p>Exports only {@code io.veloq.driver.iocp.ffi}, the jnr-ffi library interfaces: jnr-ffi generates their
 * implementations in an unnamed module, which must be able to see them (see NATIVE.md, pitfall 2). Nothing
 * else is exported; the driver is reached through the service only. On an OS other than Windows the
 * provider reports itself unavailable without loading any native library.
 */
module veloq.driver.iocp {
    requires veloq.spi;
    requires org.jnrproject.ffi;
    requires org.jnrproject.jffi;
    // jnr-ffi generates its bindings with ASM; without this: NoClassDefFoundError: org/objectweb/asm/ClassVisitor.
    requires org.objectweb.asm;

    exports io.veloq.driver.iocp.ffi;

    provides io.veloq.spi.DriverProvider with io.veloq.driver.iocp.IocpDriverProvider;
}
