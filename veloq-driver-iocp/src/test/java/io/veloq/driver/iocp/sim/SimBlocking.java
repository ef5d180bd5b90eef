package io.veloq.driver.iocp.sim;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The calls that block the calling thread on Windows (FlushFileBuffers, CreateFileW, closesocket with
 * SO_LINGER on and a timeout): a test can hold them as long as it likes (at most 5 s each), and a call made
 * on a thread that waits on a completion port (a loop thread) is recorded as a failure, since the loop
 * stalls while it runs.
 */
final class SimBlocking {
    private static final long MAX_HOLD_NANOS = 5_000_000_000L;

    private final SimWin32 os;
    private final Set<Thread> loopThreads = ConcurrentHashMap.newKeySet();
    private boolean held;

    SimBlocking(SimWin32 os) {
        this.os = os;
    }

    /** {@code t} waits on a completion port: it is a loop thread. */
    void loopThread(Thread t) {
        loopThreads.add(t);
    }

    AutoCloseable hold() {
        synchronized (this) {
            held = true;
        }
        return () -> {
            synchronized (this) {
                held = false;
                notifyAll();
            }
        };
    }

    void enter(String what) {
        if (loopThreads.contains(Thread.currentThread())) {
            os.failure(what + " on " + Thread.currentThread().getName(), new IllegalStateException(
                    "a blocking call on a thread that waits on a completion port: the loop stalls while it runs"));
        }
        long deadline = System.nanoTime() + MAX_HOLD_NANOS;
        synchronized (this) {
            while (held && System.nanoTime() - deadline < 0) {
                try {
                    wait(50);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }
}
