package io.veloq.driver.iocp.sim;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.HashSet;
import java.util.Set;

/**
 * A simulated file handle opened with FILE_FLAG_OVERLAPPED over a real {@link FileChannel}: ReadFile and
 * WriteFile take their offset from the OVERLAPPED (0xFFFFFFFF/0xFFFFFFFF writes at the end), a read at or
 * past the end fails at once with ERROR_HANDLE_EOF. Otherwise the call completes at once when the simulator
 * says so (cached reads and extending writes do on Windows: the OVERLAPPED is filled, and a packet is queued
 * unless the handle skips the port on success), else it is pending, finished by the reactor, and CancelIoEx
 * aborts it if it has not run yet.
 */
final class SimFile extends SimHandle {
    private final FileChannel channel;
    private final boolean readable;
    private final boolean writable;
    private final Set<SimOp> pending = new HashSet<>();
    private boolean closed;

    SimFile(SimWin32 os, long value, FileChannel channel, boolean readable, boolean writable) {
        super(os, value);
        this.channel = channel;
        this.readable = readable;
        this.writable = writable;
    }

    /** True if it completed at once; false if pending; throws {@link SimError} if it failed at once. */
    synchronized boolean start(SimOp op, boolean atOnce) {
        if (closed) {
            throw new SimError(6);
        }
        boolean write = op.kind == SimOp.Kind.WRITE_FILE;
        if (write ? !writable : !readable) {
            throw new SimError(5); // ERROR_ACCESS_DENIED
        }
        try {
            if (!write && op.fileOffset >= channel.size()) {
                throw new SimError(38); // ERROR_HANDLE_EOF
            }
        } catch (IOException e) {
            throw new SimError(31);
        }
        SimMemory.putLong(op.overlapped, SimSocket.STATUS_PENDING);
        if (atOnce) {
            transfer(op);
            if (op.status < 0 && (op.status & 0xC0000000) == 0xC0000000) {
                throw new SimError(os.rtlNtStatusToDosError(op.status)); // NT_ERROR at once: no packet
            }
            os.stats.fileAtOnce.incrementAndGet();
            complete(op, true);
            return true;
        }
        pending.add(op);
        os.stats.pended.incrementAndGet();
        os.stats.filePended.incrementAndGet();
        os.reactor.execute(() -> run(op));
        return false;
    }

    private void run(SimOp op) {
        synchronized (this) {
            if (!pending.remove(op)) {
                return; // cancelled or closed meanwhile
            }
        }
        transfer(op);
        complete(op, false);
    }

    /** Moves the bytes (or fails with an injected status); the outcome is left in {@code op}. */
    private void transfer(SimOp op) {
        int injected = takeInjectedStatus();
        if (injected != 0) {
            op.fail(injected, os.rtlNtStatusToDosError(injected));
            return;
        }
        try {
            ByteBuffer b = op.length == 0 ? ByteBuffer.allocate(0) : SimMemory.view(op.bufferAddress, op.length);
            if (op.kind == SimOp.Kind.WRITE_FILE) {
                long at = op.fileOffset == -1 ? channel.size() : op.fileOffset;
                long n = 0;
                while (b.hasRemaining()) {
                    n += channel.write(b, at + n);
                }
                op.succeed(n);
            } else {
                int n = channel.read(b, op.fileOffset);
                if (n < 0) {
                    op.fail(0xC0000011, 38); // STATUS_END_OF_FILE
                } else {
                    op.succeed(n);
                }
            }
        } catch (IOException e) {
            op.fail(0xC0000185, 1117); // STATUS_IO_DEVICE_ERROR
        }
    }

    synchronized boolean cancel(long overlapped) {
        boolean any = false;
        for (java.util.Iterator<SimOp> it = pending.iterator(); it.hasNext(); ) {
            SimOp op = it.next();
            if (overlapped == 0 || op.overlapped == overlapped) {
                it.remove();
                op.fail(SimFailure.CANCELLED);
                os.stats.cancelled.incrementAndGet();
                complete(op, false);
                any = true;
            }
        }
        return any;
    }

    synchronized void flush() {
        if (!writable) {
            throw new SimError(5);
        }
        try {
            channel.force(true);
        } catch (IOException e) {
            throw new SimError(31);
        }
    }

    synchronized void close() {
        if (closed) {
            return;
        }
        cancel(0);
        closed = true;
        try {
            channel.close();
        } catch (IOException e) {
            os.failure("closing simulated file 0x" + Long.toHexString(value), e);
        }
    }
}
