package io.veloq.driver.iocp.sim;

/**
 * A kernel object of the simulated Windows: a completion port, a socket or a file, with the completion
 * port it is associated with (at most one, for good) and its completion notification mode.
 */
abstract class SimHandle {
    final long value;
    final SimWin32 os;
    private SimPort port;
    private long key;
    private boolean skipOnSuccess;
    private int injectedStatus;

    SimHandle(SimWin32 os, long value) {
        this.os = os;
        this.value = value;
    }

    /** CreateIoCompletionPort(handle, port, key): false if already associated. */
    synchronized boolean associate(SimPort p, long completionKey) {
        if (port != null) {
            return false;
        }
        port = p;
        key = completionKey;
        return true;
    }

    synchronized void skipOnSuccess(boolean skip) {
        skipOnSuccess = skip;
    }

    synchronized boolean skipsOnSuccess() {
        return skipOnSuccess;
    }

    synchronized SimPort port() {
        return port;
    }

    /** The next completion ends with {@code status} (a test's fault). */
    synchronized void injectStatus(int status) {
        injectedStatus = status;
    }

    /** The injected status, once; 0 when none. */
    synchronized int takeInjectedStatus() {
        int s = injectedStatus;
        injectedStatus = 0;
        return s;
    }

    /**
     * Records the outcome in the OVERLAPPED (Internal = status, InternalHigh = bytes) and queues the packet
     * to the associated port: always for an operation that was pending, and for one that completed at once
     * unless FILE_SKIP_COMPLETION_PORT_ON_SUCCESS is set and the status is NT_SUCCESS (a warning such as
     * STATUS_BUFFER_OVERFLOW is not, so its packet is queued all the same). No port, no packet. The caller
     * never calls this for an NT_ERROR status at once: such a call fails and queues nothing.
     */
    void complete(SimOp op, boolean atOnce) {
        SimMemory.putLong(op.overlapped + 0, Integer.toUnsignedLong(op.status));
        SimMemory.putLong(op.overlapped + 8, op.bytes);
        SimPort p;
        long k;
        boolean skip;
        synchronized (this) {
            p = port;
            k = key;
            skip = skipOnSuccess;
        }
        if (atOnce && skip && op.status >= 0) {
            os.stats.skippedPackets.incrementAndGet();
            return;
        }
        if (p != null) {
            p.post(k, op.overlapped, op.bytes, op.status, true);
        }
    }
}
