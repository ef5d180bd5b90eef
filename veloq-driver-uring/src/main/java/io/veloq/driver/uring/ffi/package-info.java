/**
 * Internal: the driver's only contact with native code. {@link io.veloq.driver.uring.ffi.LibC} is the
 * jnr-ffi binding; {@link io.veloq.driver.uring.ffi.Syscalls} is the narrow view the rest of the driver
 * uses. Exported only because jnr-ffi implements the binding in an unnamed module.
 */
package io.veloq.driver.uring.ffi;
