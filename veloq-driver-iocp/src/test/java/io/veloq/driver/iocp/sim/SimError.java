package io.veloq.driver.iocp.sim;

/** A simulated call failing at once with a Win32/Winsock error code (what GetLastError then returns). */
final class SimError extends RuntimeException {
    private static final long serialVersionUID = 1L;

    final int code;

    SimError(int code) {
        super("Win32 error " + code, null, false, false);
        this.code = code;
    }
}
