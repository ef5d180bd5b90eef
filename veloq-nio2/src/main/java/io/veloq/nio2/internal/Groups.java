package io.veloq.nio2.internal;

import io.veloq.api.IoFd;
import io.veloq.api.IoRuntime;
import io.veloq.api.net.AddressFamily;
import io.veloq.api.net.SocketType;
import io.veloq.api.op.Close;
import io.veloq.api.op.Socket;

import java.io.IOException;
import java.nio.channels.AsynchronousChannelGroup;
import java.nio.channels.IllegalChannelGroupException;
import java.nio.channels.spi.AsynchronousChannelProvider;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

/**
 * What one provider shares between its groups: how loops are opened, the default group, the small runtime
 * that creates sockets (so opening a channel never blocks a loop thread on its own loop), and whether IPv6
 * works here (sockets are then dual-stack IPv6, like the JDK's).
 */
public final class Groups {
    private static final AtomicInteger THREADS = new AtomicInteger();

    private final AsynchronousChannelProvider provider;
    private final Function<IoRuntime.Builder, IoRuntime> opener;
    private final AtomicLong opened = new AtomicLong();
    private IoRuntime control;
    private AddressFamily family;
    private VeloqGroup defaultGroup;

    public Groups(AsynchronousChannelProvider provider, Function<IoRuntime.Builder, IoRuntime> opener) {
        this.provider = provider;
        this.opener = opener;
    }

    AsynchronousChannelProvider provider() {
        return provider;
    }

    /** A group whose loops run on {@code n} threads of {@code factory}; handlers run on them directly. */
    public AsynchronousChannelGroup fixed(int n, ThreadFactory factory) throws IOException {
        return VeloqGroup.start(this, n, factory, null, false);
    }

    /** A group that hands completions to {@code executor}; its loops run on threads of its own. */
    public AsynchronousChannelGroup executor(ExecutorService executor) throws IOException {
        return VeloqGroup.start(this, loopCount(), daemonThreads(), executor, false);
    }

    /** The group for {@code group}, the default one for null. */
    public VeloqGroup resolve(AsynchronousChannelGroup group) throws IOException {
        if (group == null) {
            return defaultGroup();
        }
        if (!(group instanceof VeloqGroup g) || g.provider() != provider) {
            throw new IllegalChannelGroupException();
        }
        return g;
    }

    private synchronized VeloqGroup defaultGroup() throws IOException {
        if (defaultGroup == null) {
            // As the JDK's: a cached pool of daemon threads runs the handlers.
            ExecutorService pool = Executors.newCachedThreadPool(daemonThreads());
            defaultGroup = VeloqGroup.start(this, loopCount(), daemonThreads(), pool, true);
        }
        return defaultGroup;
    }

    /** Loops of an executor group: {@code -Dveloq.nio2.loops}, else half the processors, at least one. */
    static int loopCount() {
        int n = Integer.getInteger("veloq.nio2.loops", Runtime.getRuntime().availableProcessors() / 2);
        return Math.max(1, n);
    }

    static ThreadFactory daemonThreads() {
        return r -> {
            Thread t = new Thread(r, "veloq-nio2-" + THREADS.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    public long channelsOpened() {
        return opened.get();
    }

    void countChannel() {
        opened.incrementAndGet();
    }

    Function<IoRuntime.Builder, IoRuntime> opener() {
        return opener;
    }

    /** A new stream socket of the family channels use. */
    IoFd newSocket() throws IOException {
        IoRuntime c = control();
        AddressFamily f = family();
        return IoFd.raw(c.loop().call(new Socket(f, SocketType.STREAM)).valueOrThrow());
    }

    /** INET6 (dual stack) when this machine has IPv6, else INET, decided once. */
    synchronized AddressFamily family() throws IOException {
        if (family == null) {
            IoRuntime c = control();
            var probe = c.loop().call(new Socket(AddressFamily.INET6, SocketType.STREAM));
            if (probe.isSuccess()) {
                c.loop().call(new Close(IoFd.raw(probe.value())));
                family = AddressFamily.INET6;
            } else {
                family = AddressFamily.INET;
            }
        }
        return family;
    }

    private synchronized IoRuntime control() {
        if (control == null) {
            control = opener.apply(IoRuntime.builder().threads(1).buffers(StagingBuffers.BUF_SIZE, 0));
        }
        return control;
    }
}
