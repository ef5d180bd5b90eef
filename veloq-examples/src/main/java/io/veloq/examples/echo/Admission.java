package io.veloq.examples.echo;

import java.net.SocketAddress;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The server-wide {@code --max-conns}: one count of open connections shared by all loops (an atomic add per
 * accept and per close, not per message), and the log of refusals, at most one line every
 * {@link #LOG_INTERVAL_NANOS} so that a flood of refused clients cannot flood the log.
 */
final class Admission {
    static final long LOG_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(5);
    private static final System.Logger LOG = System.getLogger("io.veloq.examples.echo");

    private final int max;
    private final AtomicInteger open = new AtomicInteger();
    private final AtomicLong refused = new AtomicLong();
    private final AtomicLong lastLogged = new AtomicLong();
    private final AtomicLong nextLogAt = new AtomicLong(System.nanoTime());

    Admission(int max) {
        this.max = max;
    }

    int max() {
        return max;
    }

    /** Takes a slot for a new connection; false when {@code max} are open. */
    boolean tryAdmit() {
        for (int n = open.get(); n < max; n = open.get()) {
            if (open.compareAndSet(n, n + 1)) {
                return true;
            }
        }
        return false;
    }

    /** Gives back the slot of a connection that has ended. */
    void release() {
        open.decrementAndGet();
    }

    /**
     * Counts a refused connection and logs it, unless a line went out less than
     * {@link #LOG_INTERVAL_NANOS} ago: the next line then says how many were refused meanwhile.
     */
    void refused(SocketAddress peer, String why) {
        long total = refused.incrementAndGet();
        long now = System.nanoTime();
        long at = nextLogAt.get();
        if (now - at < 0 || !nextLogAt.compareAndSet(at, now + LOG_INTERVAL_NANOS)) {
            return;
        }
        long since = total - lastLogged.getAndSet(total);
        LOG.log(System.Logger.Level.WARNING, "echo-server: refused the connection from " + peer + ": " + why
                + (since > 1 ? "; " + (since - 1) + " more refused since the last such line" : "")
                + " (" + total + " refused in all; at most one such line every "
                + TimeUnit.NANOSECONDS.toSeconds(LOG_INTERVAL_NANOS) + " s)");
    }
}
