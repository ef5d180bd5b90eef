package io.veloq.driver.uring;

import io.veloq.api.VeloqIoException;
import io.veloq.spi.LinuxErrno;

/** Builds the AF_XDP exceptions: the errno as usual, plus the fix when one is known. */
final class XdpErrors {
    private XdpErrors() {
    }

    static VeloqIoException exception(int errno, String what, String fix) {
        String detail = LinuxErrno.TABLE.describe(errno) + (fix == null ? "" : "; " + fix);
        return new VeloqIoException(LinuxErrno.TABLE.kind(errno), errno, LinuxErrno.TABLE.name(errno), what, detail);
    }
}
