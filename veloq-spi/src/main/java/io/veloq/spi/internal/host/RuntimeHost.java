package io.veloq.spi.internal.host;

import io.veloq.api.Capability;
import io.veloq.api.Completion;
import io.veloq.api.EventLoop;
import io.veloq.api.IoFd;
import io.veloq.api.Op;
import io.veloq.api.IoRuntime;
import io.veloq.api.RuntimeConfig;
import io.veloq.api.bootstrap.OpenSockets;
import io.veloq.api.bootstrap.SocketLifetime;
import io.veloq.api.buffer.BufPool;
import io.veloq.api.buffer.BufRing;
import io.veloq.api.net.AddressLayout;
import io.veloq.api.op.OpPayload;
import io.veloq.spi.DriverProvider;

import java.io.IOException;
import java.net.SocketAddress;
import java.net.SocketOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/** A runtime: its loops, each with its own driver instance; delegates the {@link EventLoop} calls to loop 0. */
public final class RuntimeHost implements IoRuntime, OpenSockets {
    private final List<LoopHost> loops;
    private final List<EventLoop> view;
    private final LoopHost first;
    private final AtomicInteger next = new AtomicInteger();
    private final AtomicBoolean closed = new AtomicBoolean();

    private RuntimeHost(List<LoopHost> loops) {
        this.loops = loops;
        this.view = List.copyOf(loops);
        this.first = loops.get(0);
    }

    /** Opens one loop per configured thread on {@code provider}'s driver. */
    public static RuntimeHost open(RuntimeConfig config, DriverProvider provider) {
        List<LoopHost> loops = new ArrayList<>();
        try {
            for (int i = 0; i < config.threads(); i++) {
                LoopHost loop = new LoopHost(i, config, provider);
                loop.start();
                loops.add(loop);
            }
        } catch (RuntimeException e) {
            for (LoopHost l : loops) {
                l.initiateClose();
                l.awaitTermination();
            }
            throw e;
        }
        return new RuntimeHost(loops);
    }

    /** The loops as the host sees them (testkit). */
    public List<LoopHost> loopHosts() {
        return loops;
    }

    @Override
    public List<EventLoop> loops() {
        return view;
    }

    @Override
    public EventLoop next() {
        return loops.get(Math.floorMod(next.getAndIncrement(), loops.size()));
    }

    @Override
    public boolean isClosed() {
        return closed.get();
    }

    /**
     * Every caller returns only once shutdown is complete, a second concurrent one included; except on one
     * of this runtime's loop threads, which cannot wait for its own loop (nor for another loop, which may be
     * waiting for it): there close starts the shutdown and returns.
     */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            for (LoopHost l : loops) {
                l.initiateClose();
            }
        }
        for (LoopHost l : loops) {
            if (l.inLoop() && !l.isManual()) {
                return;
            }
        }
        for (LoopHost l : loops) {
            l.awaitTermination();
        }
    }

    @Override
    public int index() {
        return first.index();
    }

    @Override
    public String driverId() {
        return first.driverId();
    }

    @Override
    public Set<Capability> capabilities() {
        return first.capabilities();
    }

    @Override
    public AddressLayout addressLayout() {
        return first.addressLayout();
    }

    @Override
    public <P extends OpPayload> void submit(Op<P> op) {
        first.submit(op);
    }

    @Override
    public <P extends OpPayload> CompletableFuture<Completion<P>> submitAsync(P payload) {
        return first.submitAsync(payload);
    }

    @Override
    public <P extends OpPayload> CompletableFuture<Completion<P>> submitAsync(Op<P> op) {
        return first.submitAsync(op);
    }

    @Override
    public <P extends OpPayload> Completion<P> call(P payload) {
        return first.call(payload);
    }

    @Override
    public <P extends OpPayload> Completion<P> call(Op<P> op) {
        return first.call(op);
    }

    @Override
    public boolean cancel(Op<?> op) {
        for (LoopHost l : loops) {
            if (l.cancel(op)) {
                return true;
            }
        }
        return false;
    }

    @Override
    public void execute(Runnable task) {
        first.execute(task);
    }

    @Override
    public Scheduled schedule(Runnable task, Duration delay) {
        return first.schedule(task, delay);
    }

    @Override
    public boolean inLoop() {
        return first.inLoop();
    }

    @Override
    public int inFlight() {
        int n = 0;
        for (LoopHost l : loops) {
            n += l.inFlight();
        }
        return n;
    }

    @Override
    public BufPool bufPool() {
        return first.bufPool();
    }

    @Override
    public long nanoTime() {
        return first.nanoTime();
    }

    @Override
    public BufRing openBufRing(int buffers) {
        return first.openBufRing(buffers);
    }

    @Override
    public IoFd.Fixed registerFile(IoFd.Raw fd) throws IOException {
        return first.registerFile(fd);
    }

    @Override
    public void unregisterFile(IoFd.Fixed fd) throws IOException {
        first.unregisterFile(fd);
    }

    @Override
    public void bind(IoFd fd, SocketAddress local) throws IOException {
        first.bind(fd, local);
    }

    @Override
    public void listen(IoFd fd, int backlog) throws IOException {
        first.listen(fd, backlog);
    }

    @Override
    public SocketAddress localAddress(IoFd fd) throws IOException {
        return first.localAddress(fd);
    }

    @Override
    public SocketAddress remoteAddress(IoFd fd) throws IOException {
        return first.remoteAddress(fd);
    }

    @Override
    public <T> void setOption(IoFd fd, SocketOption<T> option, T value) throws IOException {
        first.setOption(fd, option, value);
    }

    @Override
    public <T> T getOption(IoFd fd, SocketOption<T> option) throws IOException {
        return first.getOption(fd, option);
    }

    /** A net socket made on the runtime itself lives on loop 0, like the ops submitted to the runtime. */
    @Override
    public void opened(SocketLifetime lifetime, IoFd.Raw fd) {
        first.opened(lifetime, fd);
    }

    @Override
    public int runOnce(Duration maxWait) {
        return first.runOnce(maxWait);
    }

    @Override
    public String toString() {
        return "IoRuntime(" + first.driverId() + ", " + loops.size() + " loop" + (loops.size() == 1 ? "" : "s") + ")";
    }
}
