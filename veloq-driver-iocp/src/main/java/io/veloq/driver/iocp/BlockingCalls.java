package io.veloq.driver.iocp;

import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.function.LongConsumer;
import java.util.function.LongSupplier;

/**
 * Win32 calls that block the calling thread, run off the loop: CreateFileW (a network share, an antivirus
 * scan), FlushFileBuffers (the disk), closesocket with SO_LINGER on and a timeout (the peer). A small
 * bounded pool runs each; its result goes into the op's slot and a packet with {@link IocpDriver#BLOCKING_KEY}
 * naming the slot's current OVERLAPPED wakes the loop, which completes the op as it completes any other
 * (the OVERLAPPED is only a name here: the worker never touches it).
 *
 * <p>Threads are created on demand, at most {@code threads}, daemon, and leave after 30 s idle. A call cannot
 * be cancelled: Cancel leaves it to finish with its own result. If the driver closed while a call ran, its
 * result is handed to the caller's orphan handler instead (a handle CreateFileW opened is closed there).
 */
final class BlockingCalls {
    /** Posts the wake-up packet for {@code overlapped}; false if the driver is closed (the port is gone). */
    interface Poster {
        boolean post(long overlapped);
    }

    private final ThreadPoolExecutor pool;
    private final AtomicLongArray results;
    private final Poster poster;

    BlockingCalls(String name, int threads, int slots, Poster poster) {
        this.results = new AtomicLongArray(slots);
        this.poster = poster;
        AtomicInteger n = new AtomicInteger();
        this.pool = new ThreadPoolExecutor(threads, threads, 30, TimeUnit.SECONDS, new ArrayBlockingQueue<>(slots),
                r -> {
                    Thread t = new Thread(r, name + "-blocking-" + n.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                });
        pool.allowCoreThreadTimeOut(true);
    }

    /**
     * Runs {@code call} on the pool for the op in {@code slot}, started with {@code overlapped}. Loop thread.
     *
     * @return false if the pool refused it (it is shut down)
     */
    boolean start(int slot, long overlapped, LongSupplier call, LongConsumer orphan) {
        try {
            pool.execute(() -> {
                long r = call.getAsLong();
                results.set(slot, r);
                if (!poster.post(overlapped)) {
                    orphan.accept(r);
                }
            });
            return true;
        } catch (RejectedExecutionException e) {
            return false;
        }
    }

    /** The result of the call for {@code slot}, once its packet arrived. Loop thread. */
    long result(int slot) {
        return results.get(slot);
    }

    /** Stops taking calls; calls still running finish on their own (their packets are then not posted). */
    void close() {
        pool.shutdown();
    }
}
