package io.veloq.bench.jmh;

import io.veloq.api.Capability;
import io.veloq.api.IoFd;
import io.veloq.api.VeloqIoException;
import io.veloq.api.net.AddressLayout;
import io.veloq.api.net.SockAddrStorage;
import io.veloq.api.op.OpKind;
import io.veloq.api.op.OpPayload;
import io.veloq.spi.Availability;
import io.veloq.spi.CompletionSink;
import io.veloq.spi.Driver;
import io.veloq.spi.DriverConfig;
import io.veloq.spi.DriverProvider;
import io.veloq.spi.ErrorTable;
import io.veloq.spi.LinuxErrno;
import java.net.SocketOption;
import java.util.Set;
import java.util.concurrent.locks.LockSupport;

/**
 * A driver that does nothing: it completes every {@code Nop} with 0 at the next {@code submitAndWait},
 * without a syscall and without allocating. Under a runtime it isolates the host's own cost per op (op state
 * machine, op table, budget, completer call). Only {@code Nop}; used only when named ({@code "null"}), so it
 * never competes with real drivers. Loop thread only, except {@link Driver#wakeup()}.
 */
public final class NullDriverProvider implements DriverProvider {

    public static final String ID = "null";

    @Override
    public String id() {
        return ID;
    }

    @Override
    public int priority() {
        return 0;
    }

    @Override
    public boolean explicitOnly() {
        return true;
    }

    @Override
    public Availability availability() {
        return Availability.available("benchmark driver: completes Nops in memory");
    }

    @Override
    public Set<Capability> capabilities() {
        return Set.of();
    }

    @Override
    public Driver open(DriverConfig config) {
        return new NullDriver(config.maxInFlight() + config.queueDepth());
    }

    private static final class NullDriver implements Driver {
        private long[] queued;
        private long[] delivering;
        private int count;
        private final Thread owner = Thread.currentThread();
        private volatile boolean woken;

        NullDriver(int capacity) {
            queued = new long[capacity];
            delivering = new long[capacity];
        }

        @Override
        public String id() {
            return ID;
        }

        @Override
        public Set<Capability> capabilities() {
            return Set.of();
        }

        @Override
        public AddressLayout addressLayout() {
            return AddressLayout.LINUX;
        }

        @Override
        public ErrorTable errors() {
            return LinuxErrno.TABLE;
        }

        @Override
        public int prepare(long userData, OpPayload payload, long preAllocated, long deadlineNanos) {
            if (payload.kind() != OpKind.NOP) {
                return -LinuxErrno.EOPNOTSUPP.code();
            }
            if (count == queued.length) {
                return 0;
            }
            queued[count++] = userData;
            return 1;
        }

        @Override
        public boolean prepareCancel(long userData) {
            return true; // every op completes at the next submitAndWait anyway
        }

        @Override
        public int submitAndWait(long timeoutNanos, CompletionSink sink) {
            if (count == 0 && timeoutNanos != 0 && !woken) {
                if (timeoutNanos < 0) {
                    LockSupport.park(this);
                } else {
                    LockSupport.parkNanos(this, timeoutNanos);
                }
            }
            woken = false;
            int n = count;
            count = 0;
            // A completer may prepare again while we deliver: those go to the other array, for the next call.
            long[] batch = queued;
            queued = delivering;
            delivering = batch;
            for (int i = 0; i < n; i++) {
                sink.complete(batch[i], 0);
            }
            return n;
        }

        @Override
        public void wakeup() {
            woken = true;
            LockSupport.unpark(owner);
        }

        private static UnsupportedOperationException noSockets() {
            return new UnsupportedOperationException("the null benchmark driver has no sockets");
        }

        @Override
        public void bind(IoFd fd, SockAddrStorage local) {
            throw noSockets();
        }

        @Override
        public void listen(IoFd fd, int backlog) {
            throw noSockets();
        }

        @Override
        public void localAddress(IoFd fd, SockAddrStorage out) {
            throw noSockets();
        }

        @Override
        public void remoteAddress(IoFd fd, SockAddrStorage out) {
            throw noSockets();
        }

        @Override
        public <T> void setOption(IoFd fd, SocketOption<T> option, T value) {
            throw noSockets();
        }

        @Override
        public <T> T getOption(IoFd fd, SocketOption<T> option) {
            throw noSockets();
        }

        @Override
        public void close() {
            count = 0;
        }
    }
}
