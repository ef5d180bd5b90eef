/**
 * The Linux io_uring driver: {@code Runtime.builder().driver("uring")}, chosen by default on Linux.
 * Pure Java over jnr-ffi: rings, SQEs and CQEs are plain memory accesses, the three io_uring syscalls
 * go through libc's {@code syscall}.
 *
 * <p>The only exported package, {@code io.veloq.driver.uring.ffi}, holds the jnr-ffi binding interfaces:
 * jnr-ffi generates their implementations in an unnamed module, which can only implement an interface
 * exported without qualification. It is internal: applications never use it.
 */
module veloq.driver.uring {
    requires veloq.spi;
    requires org.jnrproject.ffi;
    requires org.jnrproject.jffi;
    // jnr-ffi generates its bindings with ASM; without this the module graph lacks it at run time.
    requires org.objectweb.asm;

    exports io.veloq.driver.uring.ffi;

    provides io.veloq.spi.DriverProvider with io.veloq.driver.uring.UringProvider;
}
