package io.veloq.spi.internal.host;

import io.veloq.api.Capability;
import io.veloq.api.EventLoop;
import io.veloq.api.IoRuntime;
import io.veloq.api.RuntimeConfig;
import io.veloq.spi.DriverProvider;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/** A runtime: its loops, each with its own driver instance. It is not itself a loop (see {@link IoRuntime}). */
public final class RuntimeHost implements IoRuntime {
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
    public String driverId() {
        return first.driverId();
    }

    @Override
    public Set<Capability> capabilities() {
        return first.capabilities();
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
    public String toString() {
        return "IoRuntime(" + first.driverId() + ", " + loops.size() + " loop" + (loops.size() == 1 ? "" : "s") + ")";
    }
}
