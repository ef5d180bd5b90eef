package io.veloq.api.net;

import io.veloq.api.Completer;
import io.veloq.api.Completion;
import io.veloq.api.EventLoop;
import io.veloq.api.IoFd;
import io.veloq.api.Op;
import io.veloq.api.VeloqIoException;
import io.veloq.api.op.Close;
import io.veloq.api.op.Connect;
import io.veloq.api.op.Socket;

import java.io.IOException;
import java.net.SocketAddress;
import java.net.SocketOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * How a socket comes to life, shared by the builders: a {@code Socket} op (so the driver may hand out a
 * registered file), the options, an optional {@code bind} and {@code listen}, and for streams a
 * {@code Connect} op. Each step exists in the blocking and the completer shape; futures are built on the
 * completer shape. Nothing here branches on the OS: the driver's lifecycles do the platform work.
 */
final class SocketSetup {
    record Setting<T>(SocketOption<T> key, T value) {
        void apply(EventLoop loop, IoFd fd) throws IOException {
            loop.setOption(fd, key, value);
        }

        void addTo(ListenerBuilder<?> builder) {
            builder.option(key, value);
        }
    }

    private final EventLoop loop;
    private final SocketType type;
    private final List<Setting<?>> settings = new ArrayList<>();
    private final List<Setting<?>> defaults = new ArrayList<>();
    private SocketAddress local;
    private int backlog = -1;
    private Duration deadline;

    SocketSetup(EventLoop loop, SocketType type) {
        this.loop = Objects.requireNonNull(loop, "loop must not be null");
        this.type = type;
    }

    EventLoop loop() {
        return loop;
    }

    <T> void option(SocketOption<T> key, T value) {
        Objects.requireNonNull(key, "option key must not be null");
        if (value != null && !key.type().isInstance(value)) {
            throw new IllegalArgumentException(key.name() + " takes a " + key.type().getSimpleName() + ", got "
                    + value.getClass().getSimpleName());
        }
        settings.removeIf(s -> s.key() == key);
        settings.add(new Setting<>(key, value));
    }

    /** An option applied before the user's, unless the user sets the same key. */
    <T> void defaultOption(SocketOption<T> key, T value) {
        defaults.removeIf(s -> s.key() == key);
        defaults.add(new Setting<>(key, value));
    }

    void local(SocketAddress address) {
        this.local = address;
    }

    void backlog(int n) {
        if (n < 0) {
            throw new IllegalArgumentException("listen backlog must be >= 0, got " + n);
        }
        this.backlog = n;
    }

    int backlog() {
        return backlog;
    }

    void deadline(Duration d) {
        if (d != null && d.isNegative()) {
            throw new IllegalArgumentException("connect deadline must not be negative, got " + d);
        }
        this.deadline = d;
    }

    /** Applies options, bind and listen to a fresh socket. Synchronous: these are not ops. */
    void configure(IoFd fd) throws IOException {
        for (Setting<?> d : defaults) {
            if (settings.stream().noneMatch(s -> s.key() == d.key())) {
                d.apply(loop, fd);
            }
        }
        for (Setting<?> s : settings) {
            s.apply(loop, fd);
        }
        if (local != null) {
            loop.bind(fd, local);
        }
        if (backlog >= 0) {
            loop.listen(fd, backlog);
        }
    }

    // ---- blocking shape ----

    /** Creates and configures a socket of {@code family}, waiting. The socket is closed on failure. */
    IoFd openAndWait(AddressFamily family) throws IOException {
        Completion<Socket> c = loop.call(new Socket(family, type));
        IoFd fd = IoFd.raw(c.valueOrThrow());
        try {
            configure(fd);
        } catch (VeloqIoException e) {
            closeQuietly(loop, fd);
            throw e.toJava(); // the blocking shape throws the java.net form (BindException...), like the others
        } catch (IOException | RuntimeException e) {
            closeQuietly(loop, fd);
            throw e;
        }
        return fd;
    }

    /** Connects {@code fd}, waiting (an interrupt cancels it); closes it on failure. */
    void connectAndWait(IoFd fd, SockAddrStorage remote) throws IOException {
        Op<Connect> op = Op.of(new Connect(fd, remote)).deadline(deadline);
        Completion<Connect> c = loop.call(op);
        if (!c.isSuccess()) {
            closeQuietly(loop, fd);
            throw c.error().toJava();
        }
    }

    // ---- completer shape ----

    /** Creates and configures a socket; {@code then} runs on the loop thread with the fd or the error. */
    void open(AddressFamily family, Completer.OfValue<IoFd> then) {
        loop.submit(Op.of(new Socket(family, type), op -> {
            if (!op.isSuccess()) {
                then.onComplete(null, op.error());
                return;
            }
            IoFd fd = IoFd.raw(op.result());
            Throwable failure = null;
            try {
                configure(fd);
            } catch (IOException | RuntimeException e) {
                closeQuietly(loop, fd);
                failure = e;
            }
            if (failure != null) {
                then.onComplete(null, failure);
            } else {
                then.onComplete(fd, null);
            }
        }));
    }

    /** Connects {@code fd}; {@code then} gets the fd or the error (the socket is closed then). */
    void connect(IoFd fd, SockAddrStorage remote, Completer.OfValue<IoFd> then) {
        Op<Connect> op = Op.of(new Connect(fd, remote), c -> {
            VeloqIoException e = c.error();
            if (e != null) {
                closeQuietly(loop, fd);
                then.onComplete(null, e);
            } else {
                then.onComplete(fd, null);
            }
        }).deadline(deadline);
        loop.submit(op);
    }

    /** Closes {@code fd} and waits (not on the loop thread). */
    static void closeAndWait(EventLoop loop, IoFd fd) throws IOException {
        loop.call(new Close(fd)).valueOrThrow();
    }

    /** Closes {@code fd} without waiting or reporting: the clean-up after a failed setup. */
    static void closeQuietly(EventLoop loop, IoFd fd) {
        try {
            loop.submit(Op.of(new Close(fd), op -> { }));
        } catch (IllegalStateException closedRuntime) {
            // The runtime is closed: no op can run any more, and the process is going away with it.
        }
    }
}
