package io.veloq.api.buffer;

import io.veloq.api.bootstrap.ApiAccess;
import io.veloq.api.bootstrap.RingHost;

import java.util.ArrayList;
import java.util.List;

/** A host whose "loop" is the thread that created it; records what it gives back to the driver. */
public final class ManualRingHost implements RingHost {
    final Thread loop = Thread.currentThread();
    final List<Integer> provided = new ArrayList<>();
    final List<Runnable> tasks = new ArrayList<>();
    BufRing closed;

    @Override
    public boolean inLoop() {
        return Thread.currentThread() == loop;
    }

    @Override
    public synchronized void execute(Runnable task) {
        tasks.add(task);
    }

    @Override
    public void provide(BufRing ring, int id) {
        provided.add(id);
    }

    @Override
    public void close(BufRing ring) {
        closed = ring;
        ApiAccess.bufs().ringClosed(ring);
    }

    synchronized void runTasks() {
        tasks.forEach(Runnable::run);
        tasks.clear();
    }
}

