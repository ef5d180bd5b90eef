package io.veloq.api.net;

import io.veloq.api.EventLoop;
import io.veloq.api.Op;
import io.veloq.api.OpState;

/**
 * The ops a socket has started, so that closing the socket can cancel the ones still in flight: with
 * io_uring a pending receive keeps the socket alive after its descriptor is closed, and would otherwise
 * wait for data that never comes.
 *
 * <p>Reusable ops (made by the {@code ...Op} factories) stay until the socket closes. One-shot ops are
 * dropped lazily once completed, when the array would otherwise grow, so tracking allocates nothing in
 * the steady state.
 */
final class OpRoster {
    private Op<?>[] ops = new Op<?>[8];
    private boolean[] oneShot = new boolean[8];
    private int size;

    /** Tracks a reusable op until the socket closes. */
    synchronized void keep(Op<?> op) {
        add(op, false);
    }

    /** Tracks a one-shot op until it has completed. */
    synchronized void track(Op<?> op) {
        add(op, true);
    }

    private void add(Op<?> op, boolean once) {
        if (size == ops.length) {
            prune();
            if (size == ops.length) {
                ops = java.util.Arrays.copyOf(ops, size * 2);
                oneShot = java.util.Arrays.copyOf(oneShot, size * 2);
            }
        }
        ops[size] = op;
        oneShot[size] = once;
        size++;
    }

    private void prune() {
        int kept = 0;
        for (int i = 0; i < size; i++) {
            if (oneShot[i] && ops[i].state() != OpState.SUBMITTED) {
                continue;
            }
            ops[kept] = ops[i];
            oneShot[kept] = oneShot[i];
            kept++;
        }
        for (int i = kept; i < size; i++) {
            ops[i] = null;
        }
        size = kept;
    }

    /** Asks {@code loop} to cancel every tracked op still in flight; returns how many were. */
    int cancelInFlight(EventLoop loop) {
        Op<?>[] snapshot;
        int n;
        synchronized (this) {
            snapshot = ops.clone();
            n = size;
            java.util.Arrays.fill(ops, null);
            size = 0;
        }
        int cancelled = 0;
        for (int i = 0; i < n; i++) {
            if (snapshot[i].state() == OpState.SUBMITTED && loop.cancel(snapshot[i])) {
                cancelled++;
            }
        }
        return cancelled;
    }

    /** Tracked ops (for tests of the pruning). */
    synchronized int size() {
        return size;
    }
}
