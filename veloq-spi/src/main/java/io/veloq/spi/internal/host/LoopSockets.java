package io.veloq.spi.internal.host;

import io.veloq.api.IoFd;
import io.veloq.api.Op;
import io.veloq.api.bootstrap.ApiAccess;
import io.veloq.api.bootstrap.SocketLifetime;
import io.veloq.api.net.AddressLayout;
import io.veloq.api.net.SockAddrStorage;
import io.veloq.api.op.Close;
import io.veloq.spi.Driver;

import java.io.IOException;
import java.net.SocketAddress;
import java.net.SocketOption;
import java.nio.channels.ClosedChannelException;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A loop's side of the networking API's sockets: the register of those made on the loop and not yet
 * closed, which closing the loop closes, and the synchronous socket calls.
 *
 * <p>The synchronous calls run on the caller's thread. On a net socket's handle each runs inside the
 * socket's lifetime ({@link SocketLifetime#enterCall()}): after close it fails with
 * {@link ClosedChannelException}, and the socket's {@code Close} waits for the calls in progress, so a call
 * never reaches a socket that reused the descriptor number. Nothing is allocated for that.
 *
 * <p>Threading: sockets are registered from any thread and forgotten on the loop thread; the close-time
 * methods are the loop thread's.
 */
final class LoopSockets {
    private static final ApiAccess.Ops OPS = ApiAccess.ops();
    private static final ApiAccess.Fds FDS = ApiAccess.fds();

    private final LoopHost loop;
    private final Inbox inbox;
    private final OpDispatch ops;
    /* The net sockets made on this loop and not yet closed: any thread adds, the loop removes. */
    private final ConcurrentHashMap<SocketLifetime, IoFd.Raw> open = new ConcurrentHashMap<>();
    private boolean sealed; // guarded by open: the loop's last sweep has begun
    // Set on the loop thread when the driver opens, before the loop's start() returns to other threads.
    private Driver driver;
    private AddressLayout layout;

    LoopSockets(LoopHost loop, Inbox inbox, OpDispatch ops) {
        this.loop = loop;
        this.inbox = inbox;
        this.ops = ops;
    }

    void attach(Driver d) {
        this.driver = d;
        this.layout = d.addressLayout();
    }

    // ---- the register ----

    /** A net socket was made on this loop (any thread): closing the loop closes it if it is still open. */
    void opened(SocketLifetime lifetime, IoFd.Raw fd) {
        Objects.requireNonNull(fd, "fd");
        if (!lifetime.bindTo(loop)) {
            throw new IllegalStateException(fd + " is bound to " + lifetime.boundLoop() + ", not " + loop);
        }
        synchronized (open) {
            if (!sealed) {
                open.put(lifetime, fd);
                return;
            }
        }
        // Made from a descriptor an op returned before close, after close ended: no driver is left to close it.
        LoopHost.report("a socket on " + fd + " was made after " + loop + " closed; its descriptor is left open", null);
    }

    /** The socket's {@code Close} has been admitted: closing the loop need not close it any more. */
    void forget(SocketLifetime lifetime) {
        open.remove(lifetime);
    }

    boolean anyOpen() {
        return !open.isEmpty();
    }

    /** No socket is registered from now on (loop thread, closing). */
    void seal() {
        synchronized (open) {
            sealed = true;
        }
    }

    /**
     * Closes the sockets still open (loop thread, closing), each through a {@code Close} op bound to its
     * lifetime: it cancels the socket's ops and waits for them and for its calls before the descriptor goes.
     */
    void closeAll() {
        if (open.isEmpty()) {
            return;
        }
        for (IoFd.Raw fd : open.values()) {
            Op<Close> op = Op.of(new Close(fd), LoopSockets::closedOnShutdown);
            OPS.markSubmitted(op, loop);
            inbox.submittedOnLoop();
            ops.admit(op, false); // forgets the socket
        }
    }

    private static void closedOnShutdown(Op<Close> op) {
        if (!op.isSuccess()) {
            LoopHost.report("closing " + op.payload().fd() + ", a socket left open when its runtime closed", op.error());
        }
    }

    // ---- synchronous calls ----

    void bind(IoFd fd, SocketAddress local) throws IOException {
        SockAddrStorage addr = SockAddrStorage.of(local, layout);
        SocketLifetime lt = enterCall(fd);
        try {
            driver.bind(fd, addr);
        } finally {
            exitCall(lt);
        }
    }

    void listen(IoFd fd, int backlog) throws IOException {
        if (backlog < 0) {
            throw new IllegalArgumentException("listen backlog must be >= 0, got " + backlog + " for " + fd);
        }
        SocketLifetime lt = enterCall(fd);
        try {
            driver.listen(fd, backlog);
        } finally {
            exitCall(lt);
        }
    }

    SocketAddress localAddress(IoFd fd) throws IOException {
        SockAddrStorage s = SockAddrStorage.allocate(layout).prepareForReceive();
        SocketLifetime lt = enterCall(fd);
        try {
            driver.localAddress(fd, s);
        } finally {
            exitCall(lt);
        }
        return s.toSocketAddress();
    }

    SocketAddress remoteAddress(IoFd fd) throws IOException {
        SockAddrStorage s = SockAddrStorage.allocate(layout).prepareForReceive();
        SocketLifetime lt = enterCall(fd);
        try {
            driver.remoteAddress(fd, s);
        } finally {
            exitCall(lt);
        }
        return s.toSocketAddress();
    }

    <T> void setOption(IoFd fd, SocketOption<T> option, T value) throws IOException {
        SocketOptionRules.validate(option, value, fd);
        SocketLifetime lt = enterCall(fd);
        try {
            driver.setOption(fd, option, value);
        } finally {
            exitCall(lt);
        }
    }

    <T> T getOption(IoFd fd, SocketOption<T> option) throws IOException {
        Objects.requireNonNull(option, "option must not be null");
        SocketLifetime lt = enterCall(fd);
        try {
            return driver.getOption(fd, option);
        } finally {
            exitCall(lt);
        }
    }

    /** Enters the lifetime of the socket {@code fd} belongs to (null for a user's raw handle); closed: throws. */
    private static SocketLifetime enterCall(IoFd fd) throws ClosedChannelException {
        SocketLifetime lt = fd instanceof IoFd.Raw r ? FDS.owner(r) : null;
        if (lt != null && !lt.enterCall()) {
            throw new ClosedChannelException(); // the socket is closed: the number may be another socket's
        }
        return lt;
    }

    private static void exitCall(SocketLifetime lt) {
        if (lt != null && lt.exitCall() && lt.boundLoop() instanceof LoopHost owner) {
            owner.callsEnded(lt); // the loop holding the socket's Close
        }
    }
}
