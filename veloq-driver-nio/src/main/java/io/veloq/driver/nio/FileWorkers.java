package io.veloq.driver.nio;

import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The few threads of a runtime that do its file ops, so that no loop ever waits for a disk. Bounded
 * ({@link #THREADS}); idle threads end after a while, and all of them when the runtime closes. The ops
 * queue in submission order; each hands its slot back to the loop that submitted it.
 */
final class FileWorkers {
    /** Enough to overlap a few slow disk calls; file I/O is not the nio driver's strength. */
    static final int THREADS = Math.max(2, Math.min(4, Runtime.getRuntime().availableProcessors()));

    private final ThreadPoolExecutor pool;

    FileWorkers(String name) {
        AtomicInteger n = new AtomicInteger();
        pool = new ThreadPoolExecutor(THREADS, THREADS, 30, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), r -> {
            Thread t = new Thread(r, name + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        pool.allowCoreThreadTimeOut(true);
    }

    void execute(OpSlot s) {
        pool.execute(s);
    }

    /** Lets queued ops finish, then ends the threads. Never interrupts one (a FileChannel would close). */
    void shutdown() {
        pool.shutdown();
    }
}
