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

    /**
     * Records the outcome in the OVERLAPPED (Internal = status, InternalHigh = bytes) and queues the packet
     * to the associated port: always for an operation that was pending, and for one that succeeded at once
     * unless FILE_SKIP_COMPLETION_PORT_ON_SUCCESS is set. No port, no packet.
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
        if (atOnce && skip) {
            os.stats.skippedPackets.incrementAndGet();
            return;
        }
        if (p != null) {
            p.post(k, op.overlapped, op.bytes, op.status);
        }
    }
}
