package io.veloq.bench.load;

import java.io.IOException;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.HdrHistogram.Histogram;

/**
 * Closed-loop echo load over NIO: each client thread runs one {@link Selector} over its share of the
 * connections. Each connection keeps {@code depth} messages in flight: when one comes back (all its bytes,
 * verified against {@link Pattern}), the next is queued. Sending and verifying use slices of one direct
 * pattern buffer, reading uses one direct buffer per thread: the steady state allocates nothing per
 * message.
 *
 * <p>Use: {@link #start()} (connects, load runs: warm-up), {@link #beginMeasure()}, {@link #endMeasure()}
 * (returns the window's figures; load keeps running until {@link #close()}).
 */
public final class LoadGenerator implements AutoCloseable {

    static final int WARMUP = 0;
    static final int MEASURE = 1;
    static final int ENDED = 2;
    /** Latencies above this are recorded as this (ns). */
    static final long HIGHEST_LATENCY = TimeUnit.SECONDS.toNanos(60);

    private final LoadConfig config;
    private final Worker[] workers;
    private final Thread[] threads;
    private volatile int phase = WARMUP;
    private volatile CountDownLatch ack;
    private volatile boolean stop;
    private boolean started;

    public LoadGenerator(LoadConfig config) {
        this.config = config;
        this.workers = new Worker[config.threads()];
        this.threads = new Thread[config.threads()];
    }

    public LoadConfig config() {
        return config;
    }

    /** Opens the connections and starts the load (not measured yet). */
    public synchronized void start() throws IOException {
        if (started) {
            throw new IllegalStateException("already started");
        }
        started = true;
        int n = workers.length;
        for (int i = 0; i < n; i++) {
            int share = config.connections() / n + (i < config.connections() % n ? 1 : 0);
            workers[i] = new Worker(i, share);
        }
        try {
            for (Worker w : workers) {
                w.open();
            }
        } catch (IOException | RuntimeException e) {
            for (Worker w : workers) {
                w.closeAll();
            }
            throw e;
        }
        for (int i = 0; i < n; i++) {
            threads[i] = new Thread(workers[i], "load-" + i);
            threads[i].setDaemon(true);
            threads[i].start();
        }
    }

    /** Starts the measured window (resets counters and histograms on every client thread). */
    public void beginMeasure() throws InterruptedException {
        transition(MEASURE);
    }

    /** Ends the measured window and returns its figures; the load keeps running until {@link #close()}. */
    public LoadResult endMeasure() throws InterruptedException {
        transition(ENDED);
        Histogram h = new Histogram(HIGHEST_LATENCY, 3);
        long msgs = 0;
        long bytes = 0;
        long nanos = 0;
        long errors = 0;
        long connectErrors = 0;
        long conns = 0;
        String first = null;
        for (Worker w : workers) {
            h.add(w.histogram);
            msgs += w.mMessages;
            bytes += w.mBytes;
            nanos = Math.max(nanos, w.mEnd - w.mStart);
            errors += w.errors;
            connectErrors += w.mConnectErrors;
            conns += w.mConnections;
            if (first == null) {
                first = w.firstError;
            }
        }
        return new LoadResult(msgs, bytes, nanos, h, errors, connectErrors, conns, first);
    }

    private void transition(int p) throws InterruptedException {
        CountDownLatch l = new CountDownLatch(workers.length);
        ack = l;
        phase = p;
        for (Worker w : workers) {
            w.selector.wakeup();
        }
        while (!l.await(100, TimeUnit.MILLISECONDS)) {
            for (int i = 0; i < workers.length; i++) {
                if (!threads[i].isAlive()) {
                    throw new IllegalStateException("client thread " + i + " died: " + workers[i].firstError);
                }
            }
        }
    }

    /** Errors so far (all threads, whole run). */
    public long errorsSoFar() {
        long e = 0;
        for (Worker w : workers) {
            if (w != null) {
                e += w.errors;
            }
        }
        return e;
    }

    @Override
    public void close() {
        stop = true;
        for (int i = 0; i < workers.length; i++) {
            if (workers[i] != null) {
                workers[i].selector.wakeup();
            }
        }
        for (Thread t : threads) {
            if (t != null) {
                try {
                    t.join(5000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }
        for (Worker w : workers) {
            if (w != null) {
                w.closeAll();
            }
        }
    }

    /** One connection (for churn: one slot that is reconnected after each echo). */
    private static final class Conn {
        SocketChannel ch;
        SelectionKey key;
        long base;
        long sent;
        long target;
        long received;
        long done;
        boolean writeInterest;
        final long[] queuedAt;

        Conn(int depth) {
            queuedAt = new long[depth];
        }

        void reset(SocketChannel ch, long base) {
            this.ch = ch;
            this.key = null;
            this.base = base;
            sent = 0;
            target = 0;
            received = 0;
            done = 0;
            writeInterest = false;
        }
    }

    private final class Worker implements Runnable {
        final int index;
        final Conn[] conns;
        final Selector selector;
        final ByteBuffer sendView;
        final ByteBuffer checkView;
        final ByteBuffer readBuf = ByteBuffer.allocateDirect(Pattern.MAX_CHUNK);
        final Histogram histogram = new Histogram(HIGHEST_LATENCY, 3);
        final Consumer<SelectionKey> onKey = this::onKey;
        final int size = config.messageSize();
        final int depth = config.depth();
        final boolean churn = config.churn();
        int phaseSeen = WARMUP;
        boolean recording;
        long nextBase;

        // running counters (whole run)
        long messages;
        long bytes;
        long errors;
        long connectErrors;
        long connections;
        String firstError;

        // window
        long mStart;
        long mEnd;
        long mMessages;
        long mBytes;
        long mConnectErrors;
        long mConnections;
        private long sMessages;
        private long sBytes;
        private long sConnectErrors;
        private long sConnections;

        Worker(int index, int connections) throws IOException {
            this.index = index;
            this.conns = new Conn[connections];
            this.selector = Selector.open();
            ByteBuffer pattern = Pattern.newBuffer();
            this.sendView = pattern.duplicate();
            this.checkView = pattern.duplicate();
            this.nextBase = index * 7919L;
        }

        void open() throws IOException {
            for (int i = 0; i < conns.length; i++) {
                conns[i] = new Conn(depth);
                if (!churn) {
                    SocketChannel ch = SocketChannel.open();
                    try {
                        ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
                        ch.connect(config.address());
                        ch.configureBlocking(false);
                    } catch (IOException e) {
                        ch.close();
                        throw e;
                    }
                    conns[i].reset(ch, base());
                    conns[i].key = ch.register(selector, SelectionKey.OP_READ, conns[i]);
                }
            }
        }

        private long base() {
            long b = nextBase;
            nextBase += 4099;
            return b;
        }

        @Override
        public void run() {
            try {
                long now = System.nanoTime();
                for (Conn c : conns) {
                    if (churn) {
                        connect(c);
                    } else {
                        for (int k = 0; k < depth; k++) {
                            c.queuedAt[k] = now;
                        }
                        c.target = (long) depth * size;
                        flush(c);
                    }
                }
                while (!stop) {
                    selector.select(onKey, 200);
                    int p = phase;
                    if (p != phaseSeen) {
                        onPhase(p);
                    }
                }
            } catch (Throwable t) {
                error("client thread failed: " + t);
            }
        }

        private void onPhase(int p) {
            long now = System.nanoTime();
            if (p == MEASURE) {
                histogram.reset();
                sMessages = messages;
                sBytes = bytes;
                sConnectErrors = connectErrors;
                sConnections = connections;
                mStart = now;
                recording = true;
            } else if (p == ENDED) {
                recording = false;
                mEnd = now;
                mMessages = messages - sMessages;
                mBytes = bytes - sBytes;
                mConnectErrors = connectErrors - sConnectErrors;
                mConnections = connections - sConnections;
            }
            phaseSeen = p;
            ack.countDown();
        }

        private void onKey(SelectionKey key) {
            Conn c = (Conn) key.attachment();
            if (!key.isValid()) {
                return;
            }
            int ready = key.readyOps();
            if ((ready & SelectionKey.OP_CONNECT) != 0) {
                onConnectable(c);
                return;
            }
            if ((ready & SelectionKey.OP_READ) != 0) {
                onReadable(c);
            }
            if (c.key == key && key.isValid() && (ready & SelectionKey.OP_WRITE) != 0) {
                flush(c);
            }
        }

        private void connect(Conn c) {
            SocketChannel ch = null;
            try {
                ch = SocketChannel.open();
                ch.configureBlocking(false);
                ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
                ch.setOption(StandardSocketOptions.SO_LINGER, 0);
                c.reset(ch, base());
                c.queuedAt[0] = System.nanoTime();
                connections++;
                if (ch.connect(config.address())) {
                    c.key = ch.register(selector, SelectionKey.OP_READ, c);
                    sendOne(c);
                } else {
                    c.key = ch.register(selector, SelectionKey.OP_CONNECT, c);
                }
            } catch (IOException e) {
                connectErrors++;
                closeQuietly(ch);
                if (!stop && connectErrors > 1000 && messages == 0) {
                    throw new IllegalStateException("cannot connect to " + config.address() + ": " + e, e);
                }
                // try again on the next round of the loop: keep the slot busy
                c.ch = null;
                retryLater(c);
            }
        }

        private void retryLater(Conn c) {
            // simplest back-off without allocation: a blocking 1 ms pause, then reconnect
            try {
                Thread.sleep(1);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            if (!stop) {
                connect(c);
            }
        }

        private void onConnectable(Conn c) {
            try {
                if (!c.ch.finishConnect()) {
                    return;
                }
                c.key.interestOps(SelectionKey.OP_READ);
                sendOne(c);
            } catch (IOException e) {
                connectErrors++;
                closeQuietly(c.ch);
                connect(c);
            }
        }

        private void sendOne(Conn c) {
            c.target = size;
            flush(c);
        }

        private void onReadable(Conn c) {
            ByteBuffer b = readBuf;
            b.clear();
            int n;
            try {
                n = c.ch.read(b);
            } catch (IOException e) {
                fail(c, "read failed after " + c.received + " bytes: " + e);
                return;
            }
            if (n <= 0) {
                if (n < 0) {
                    fail(c, "server closed the connection after " + c.received + " of " + c.sent + " bytes");
                }
                return;
            }
            long now = System.nanoTime();
            if (c.received + n > c.sent) {
                fail(c, "received " + (c.received + n) + " bytes but only " + c.sent + " were sent");
                return;
            }
            b.flip();
            int at = b.mismatch(Pattern.slice(checkView, c.base + c.received, n));
            if (at >= 0) {
                fail(c, "echoed byte differs at stream offset " + (c.received + at) + ": got "
                        + (b.get(at) & 0xff) + ", sent " + (Pattern.at(c.base + c.received + at) & 0xff));
                return;
            }
            c.received += n;
            bytes += n;
            long complete = c.received / size;
            if (complete == c.done) {
                return;
            }
            while (c.done < complete) {
                int slot = (int) (c.done % depth);
                if (recording) {
                    long lat = now - c.queuedAt[slot];
                    histogram.recordValue(lat < HIGHEST_LATENCY ? lat : HIGHEST_LATENCY);
                }
                c.done++;
                messages++;
                if (!churn) {
                    c.queuedAt[slot] = now;
                    c.target += size;
                }
            }
            if (churn) {
                closeQuietly(c.ch);
                connect(c);
            } else {
                flush(c);
            }
        }

        private void flush(Conn c) {
            try {
                while (c.sent < c.target) {
                    int len = (int) Math.min(c.target - c.sent, Pattern.MAX_CHUNK);
                    int n = c.ch.write(Pattern.slice(sendView, c.base + c.sent, len));
                    c.sent += n;
                    if (n < len) {
                        if (!c.writeInterest) {
                            c.key.interestOps(SelectionKey.OP_READ | SelectionKey.OP_WRITE);
                            c.writeInterest = true;
                        }
                        return;
                    }
                }
                if (c.writeInterest) {
                    c.key.interestOps(SelectionKey.OP_READ);
                    c.writeInterest = false;
                }
            } catch (IOException e) {
                fail(c, "write failed: " + e);
            }
        }

        private void fail(Conn c, String what) {
            error(what);
            if (c.key != null) {
                c.key.cancel();
            }
            closeQuietly(c.ch);
            if (churn && !stop) {
                connect(c);
            }
        }

        private void error(String what) {
            errors++;
            if (firstError == null) {
                firstError = what;
            }
        }

        void closeAll() {
            for (Conn c : conns) {
                if (c != null) {
                    closeQuietly(c.ch);
                }
            }
            try {
                selector.close();
            } catch (IOException ignored) {
                // closing anyway
            }
        }
    }

    private static void closeQuietly(SocketChannel ch) {
        if (ch != null) {
            try {
                ch.close();
            } catch (IOException ignored) {
                // nothing to do
            }
        }
    }
}
