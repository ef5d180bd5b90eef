package io.veloq.bench.files;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.Histogram;

/**
 * {@link FileChannel} positional I/O, either from the calling thread (one op in flight) or through a pool
 * of {@value #POOL_THREADS} threads (the usual way to get a queue depth out of blocking calls): a driver
 * thread keeps {@code queueDepth} reusable tasks in the pool and records each one's latency from
 * hand-off to completion seen by the driver.
 */
public final class FileChannelEngine implements FileEngine {

    public static final int POOL_THREADS = 32;

    private final boolean pool;

    public FileChannelEngine(boolean pool) {
        this.pool = pool;
    }

    @Override
    public String name() {
        return pool ? FileEngines.FC_POOL : FileEngines.FC_ONE_THREAD;
    }

    @Override
    public String unsupported(FileWorkload w) {
        if (!pool && !w.write() && w.queueDepth() > 1) {
            return "n/a: one thread doing blocking reads keeps only 1 op in flight";
        }
        return null;
    }

    @Override
    public Result run(FileWorkload w, Job job) throws Exception {
        if (w.write()) {
            return pool ? poolWrite(w, job) : singleWrite(w, job);
        }
        return pool ? poolRead(w, job) : singleRead(w, job);
    }

    /** xorshift64: a random 4 KiB-aligned offset below {@code blocks * bs}. */
    static long nextRandom(long x) {
        x ^= x << 13;
        x ^= x >>> 7;
        x ^= x << 17;
        return x;
    }

    private static void readFully(FileChannel ch, ByteBuffer b, long pos) throws IOException {
        b.clear();
        while (b.hasRemaining()) {
            int n = ch.read(b, pos + b.position());
            if (n < 0) {
                throw new IOException("unexpected end of file at " + (pos + b.position()));
            }
        }
    }

    private static boolean verify(ByteBuffer b, long pos, Result r) {
        long got = b.getLong(0);
        if (got != pos) {
            r.error("block at " + pos + " starts with " + got);
            return false;
        }
        return true;
    }

    private Result singleRead(FileWorkload w, Job job) throws IOException {
        Result r = new Result();
        int bs = w.blockSize();
        long blocks = job.readFileSize() / bs;
        ByteBuffer b = ByteBuffer.allocateDirect(bs);
        long rnd = 0x9E3779B97F4A7C15L;
        try (FileChannel ch = FileChannel.open(job.readFile(), StandardOpenOption.READ)) {
            long end = System.nanoTime() + job.warmupNanos();
            while (System.nanoTime() < end) {
                rnd = nextRandom(rnd);
                long pos = Long.remainderUnsigned(rnd, blocks) * bs;
                readFully(ch, b, pos);
                verify(b, pos, r);
            }
            job.window().begin();
            long t0 = System.nanoTime();
            long stop = t0 + job.measureNanos();
            long now = t0;
            long ops = 0;
            while (now < stop) {
                rnd = nextRandom(rnd);
                long pos = Long.remainderUnsigned(rnd, blocks) * bs;
                readFully(ch, b, pos);
                long t = System.nanoTime();
                r.latencyNanos.recordValue(t - now);
                now = t;
                verify(b, pos, r);
                ops++;
            }
            job.window().end();
            r.nanos = now - t0;
            r.ops = ops;
            r.bytes = ops * bs;
        }
        return r;
    }

    /** A reusable read task: one buffer, one offset, hands itself back to the driver when done. */
    private static final class ReadTask implements Runnable {
        final FileChannel ch;
        final ByteBuffer buf;
        final ArrayBlockingQueue<ReadTask> done;
        long pos;
        long submitted;
        IOException failure;

        ReadTask(FileChannel ch, int bs, ArrayBlockingQueue<ReadTask> done) {
            this.ch = ch;
            this.buf = ByteBuffer.allocateDirect(bs);
            this.done = done;
        }

        @Override
        public void run() {
            try {
                readFully(ch, buf, pos);
            } catch (IOException e) {
                failure = e;
            }
            done.add(this);
        }
    }

    private static ThreadPoolExecutor newPool() {
        ThreadPoolExecutor ex = new ThreadPoolExecutor(POOL_THREADS, POOL_THREADS, 0, TimeUnit.SECONDS,
                new ArrayBlockingQueue<>(256), r -> {
                    Thread t = new Thread(r, "fc-pool");
                    t.setDaemon(true);
                    return t;
                });
        ex.prestartAllCoreThreads();
        return ex;
    }

    private Result poolRead(FileWorkload w, Job job) throws Exception {
        Result r = new Result();
        int bs = w.blockSize();
        int qd = w.queueDepth();
        long blocks = job.readFileSize() / bs;
        ThreadPoolExecutor ex = newPool();
        ArrayBlockingQueue<ReadTask> done = new ArrayBlockingQueue<>(qd);
        long rnd = 0x2545F4914F6CDD1DL;
        try (FileChannel ch = FileChannel.open(job.readFile(), StandardOpenOption.READ)) {
            long start = System.nanoTime();
            for (int i = 0; i < qd; i++) {
                ReadTask t = new ReadTask(ch, bs, done);
                rnd = nextRandom(rnd);
                t.pos = Long.remainderUnsigned(rnd, blocks) * bs;
                t.submitted = start;
                ex.execute(t);
            }
            long warmEnd = start + job.warmupNanos();
            boolean measuring = false;
            long t0 = 0;
            long stop = Long.MAX_VALUE;
            long ops = 0;
            int inFlight = qd;
            while (inFlight > 0) {
                ReadTask t = done.take();
                inFlight--;
                long now = System.nanoTime();
                if (t.failure != null) {
                    r.error(t.failure.toString());
                } else {
                    verify(t.buf, t.pos, r);
                }
                if (measuring) {
                    if (r.nanos == 0 && t.submitted >= t0) {
                        r.latencyNanos.recordValue(now - t.submitted);
                        ops++;
                    }
                } else if (now >= warmEnd) {
                    job.window().begin();
                    measuring = true;
                    t0 = System.nanoTime();
                    now = t0;
                    stop = t0 + job.measureNanos();
                }
                if (now < stop) {
                    rnd = nextRandom(rnd);
                    t.pos = Long.remainderUnsigned(rnd, blocks) * bs;
                    t.submitted = now;
                    inFlight++;
                    ex.execute(t);
                } else if (r.nanos == 0) {
                    // window over: stop measuring at the first completion past the deadline
                    job.window().end();
                    r.nanos = now - t0;
                }
            }
            if (r.nanos == 0) {
                job.window().end();
                r.nanos = System.nanoTime() - t0;
            }
            r.ops = ops;
            r.bytes = ops * bs;
            r.note = "latency = hand-off to the pool until the driver sees the completion";
        } finally {
            ex.shutdownNow();
            ex.awaitTermination(5, TimeUnit.SECONDS);
        }
        return r;
    }

    private static ByteBuffer writeBuffer(int bs) {
        ByteBuffer b = ByteBuffer.allocateDirect(bs);
        for (int i = 0; i < bs; i += 8) {
            b.putLong(i, 0x5EED5EED00000000L + i);
        }
        return b;
    }

    private static void writeFully(FileChannel ch, ByteBuffer b, long pos) throws IOException {
        b.clear();
        while (b.hasRemaining()) {
            ch.write(b, pos + b.position());
        }
    }

    /** Writes {@code min(16 MiB, bytes)} and fsyncs, then truncates: warms the JIT and the file system. */
    private static void warmWrite(FileChannel ch, ByteBuffer b, long bytes) throws IOException {
        long n = Math.min(16L << 20, bytes);
        for (long pos = 0; pos < n; pos += b.capacity()) {
            writeFully(ch, b, pos);
        }
        ch.force(true);
        ch.truncate(0);
        ch.force(true);
    }

    private Result singleWrite(FileWorkload w, Job job) throws IOException {
        Result r = new Result();
        int bs = w.blockSize();
        long n = job.writeBytes() / bs;
        ByteBuffer b = writeBuffer(bs);
        try (FileChannel ch = FileChannel.open(job.writeFile(), StandardOpenOption.CREATE,
                StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
            warmWrite(ch, b, job.writeBytes());
            job.window().begin();
            long t0 = System.nanoTime();
            long now = t0;
            for (long i = 0; i < n; i++) {
                writeFully(ch, b, i * bs);
                long t = System.nanoTime();
                r.latencyNanos.recordValue(t - now);
                now = t;
            }
            ch.force(true);
            long end = System.nanoTime();
            job.window().end();
            r.nanos = end - t0;
            r.ops = n;
            r.bytes = n * bs;
            r.note = String.format(java.util.Locale.ROOT, "1 in flight; fsync %.0f ms", (end - now) / 1e6);
        }
        return r;
    }

    private Result poolWrite(FileWorkload w, Job job) throws Exception {
        Result r = new Result();
        int bs = w.blockSize();
        long n = job.writeBytes() / bs;
        int writers = Math.min(w.queueDepth(), POOL_THREADS);
        try (FileChannel ch = FileChannel.open(job.writeFile(), StandardOpenOption.CREATE,
                StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
            warmWrite(ch, writeBuffer(bs), job.writeBytes());
            ThreadPoolExecutor ex = newPool();
            AtomicLong next = new AtomicLong();
            Histogram[] hs = new Histogram[writers];
            String[] errs = new String[writers];
            java.util.concurrent.CountDownLatch finished = new java.util.concurrent.CountDownLatch(writers);
            job.window().begin();
            long t0 = System.nanoTime();
            for (int k = 0; k < writers; k++) {
                final int id = k;
                hs[k] = new Histogram(60_000_000_000L, 3);
                ByteBuffer b = writeBuffer(bs);
                ex.execute(() -> {
                    try {
                        long i;
                        while ((i = next.getAndIncrement()) < n) {
                            long s = System.nanoTime();
                            writeFully(ch, b, i * bs);
                            hs[id].recordValue(System.nanoTime() - s);
                        }
                    } catch (IOException e) {
                        errs[id] = e.toString();
                    } finally {
                        finished.countDown();
                    }
                });
            }
            finished.await();
            long beforeSync = System.nanoTime();
            ch.force(true);
            long end = System.nanoTime();
            job.window().end();
            ex.shutdown();
            for (int k = 0; k < writers; k++) {
                r.latencyNanos.add(hs[k]);
                if (errs[k] != null) {
                    r.error(errs[k]);
                }
            }
            r.nanos = end - t0;
            r.ops = n;
            r.bytes = n * bs;
            r.note = String.format(java.util.Locale.ROOT, "%d in flight; fsync %.0f ms", writers,
                    (end - beforeSync) / 1e6);
        }
        return r;
    }
}
