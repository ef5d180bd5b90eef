package io.veloq.api.tls;

import io.veloq.api.buffer.BufPool;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * What every {@link TlsStream} made with it shares: the JDK {@link SSLContext} (keys, trust, protocols), the
 * ALPN protocols to offer or accept, a hook to adjust the {@link SSLParameters}, where the
 * {@code SSLEngine}'s delegated tasks run, and where the streams' record buffers come from. Immutable and
 * thread-safe: build one per server or client and use it for every connection.
 *
 * <pre>{@code
 * TlsConfig server = TlsConfig.builder(sslContext)
 *         .applicationProtocols("h2", "http/1.1")         // ALPN: what this side accepts, in preference order
 *         .parameters(p -> p.setNeedClientAuth(true))    // anything else SSLParameters can say
 *         .build();
 * }</pre>
 *
 * <h2>Record buffers</h2>
 * A TLS record is up to 16 KiB of plaintext and about 16.3 KiB on the wire, more than a default pool buffer,
 * and the engine needs a whole record in one contiguous buffer. So each stream holds two buffers of
 * {@link Builder#recordBufferSize} bytes (32 KiB by default: received ciphertext, ciphertext to send) and
 * briefly a third when a record's plaintext does not fit the caller's buffer. They come from the
 * {@link Builder#recordBuffers(BufPool) pool you give}, else from a pool this config makes on first use, which
 * grows on demand to {@link Builder#maxRecordBuffers} buffers and is freed when the config is unreachable.
 * Plaintext goes straight into (and out of) the caller's {@code FixedBuf}s: {@code SSLEngine} reads and writes
 * views of them, with no copy in between.
 *
 * <h2>Delegated tasks</h2>
 * The {@code SSLEngine} hands out handshake work (certificate checks, key exchange) as tasks that may block or
 * take milliseconds: they run on {@link Builder#delegatedTasks(Executor)} (by default a small shared pool of
 * daemon threads, "veloq-tls-task"), never on the event loop, and the handshake resumes on the loop after them.
 *
 * @since 0.2
 */
public final class TlsConfig {
    /** The default size of a record buffer: two full records. */
    public static final int DEFAULT_RECORD_BUFFER_SIZE = 32 * 1024;
    /** The smallest record buffer: the largest TLS record a JDK engine reads or writes (16709 bytes), rounded up. */
    public static final int MIN_RECORD_BUFFER_SIZE = 17 * 1024;

    private static volatile Executor sharedTasks;

    private final SSLContext context;
    private final List<String> applicationProtocols;
    private final Consumer<SSLParameters> parameters;
    private final Executor tasks;
    private final BufPool givenPool;
    private final int recordBufferSize;
    private final int maxRecordBuffers;
    private final Duration closeTimeout;
    private volatile BufPool ownPool;

    private TlsConfig(Builder b) {
        this.context = b.context;
        this.applicationProtocols = List.copyOf(b.applicationProtocols);
        this.parameters = b.parameters;
        this.tasks = b.tasks;
        this.givenPool = b.pool;
        this.recordBufferSize = b.pool != null ? b.pool.bufferSize() : b.recordBufferSize;
        this.maxRecordBuffers = b.maxRecordBuffers;
        this.closeTimeout = b.closeTimeout;
    }

    /** A builder over {@code context} (e.g. from {@code SSLContext.getInstance("TLS")} after {@code init}). */
    public static Builder builder(SSLContext context) {
        return new Builder(context);
    }

    /** A config with every default over {@code context}. */
    public static TlsConfig of(SSLContext context) {
        return builder(context).build();
    }

    public SSLContext context() {
        return context;
    }

    /** The ALPN protocols, in preference order; empty when ALPN is not used. */
    public List<String> applicationProtocols() {
        return applicationProtocols;
    }

    /** How long {@code close()} may spend sending close_notify before it closes the socket regardless. */
    public Duration closeTimeout() {
        return closeTimeout;
    }

    /** The size of each record buffer. */
    public int recordBufferSize() {
        return recordBufferSize;
    }

    Executor tasks() {
        if (tasks != null) {
            return tasks;
        }
        Executor e = sharedTasks;
        if (e == null) {
            synchronized (TlsConfig.class) {
                e = sharedTasks;
                if (e == null) {
                    ThreadPoolExecutor pool = new ThreadPoolExecutor(2, 2, 30, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), r -> {
                        Thread t = new Thread(r, "veloq-tls-task");
                        t.setDaemon(true);
                        return t;
                    });
                    pool.allowCoreThreadTimeOut(true);
                    sharedTasks = e = pool;
                }
            }
        }
        return e;
    }

    BufPool recordBuffers() {
        if (givenPool != null) {
            return givenPool;
        }
        BufPool p = ownPool;
        if (p == null) {
            synchronized (this) {
                p = ownPool;
                if (p == null) {
                    ownPool = p = BufPool.allocate(recordBufferSize, 0, maxRecordBuffers);
                }
            }
        }
        return p;
    }

    void adjust(SSLParameters p) {
        if (!applicationProtocols.isEmpty()) {
            p.setApplicationProtocols(applicationProtocols.toArray(new String[0]));
        }
        if (parameters != null) {
            parameters.accept(p);
        }
    }

    /** Builds a {@link TlsConfig}. */
    public static final class Builder {
        private final SSLContext context;
        private List<String> applicationProtocols = List.of();
        private Consumer<SSLParameters> parameters;
        private Executor tasks;
        private BufPool pool;
        private int recordBufferSize = DEFAULT_RECORD_BUFFER_SIZE;
        private int maxRecordBuffers = 8192;
        private Duration closeTimeout = Duration.ofSeconds(5);

        private Builder(SSLContext context) {
            this.context = Objects.requireNonNull(context, "SSLContext");
        }

        /**
         * ALPN ({@link SSLParameters#setApplicationProtocols}): a client offers these, a server picks the first
         * of these that the client offered. {@code TlsStream.applicationProtocol()} tells the outcome.
         */
        public Builder applicationProtocols(String... protocols) {
            for (String p : protocols) {
                if (p == null || p.isEmpty()) {
                    throw new IllegalArgumentException("an ALPN protocol name must not be empty: " + List.of(protocols));
                }
            }
            this.applicationProtocols = List.of(protocols);
            return this;
        }

        /**
         * Adjusts each engine's {@link SSLParameters} (cipher suites, protocols, client authentication,
         * SNI matchers, endpoint identification) after the ALPN protocols are set.
         */
        public Builder parameters(Consumer<SSLParameters> adjust) {
            this.parameters = adjust;
            return this;
        }

        /**
         * Where delegated tasks run. {@code Runnable::run} runs them on the loop thread: only for tests
         * (a deterministic {@code Simulation}), since a task may block.
         */
        public Builder delegatedTasks(Executor executor) {
            this.tasks = Objects.requireNonNull(executor, "executor");
            return this;
        }

        /** The pool the record buffers come from; its buffers must hold {@link #MIN_RECORD_BUFFER_SIZE} bytes. */
        public Builder recordBuffers(BufPool pool) {
            if (pool.bufferSize() < MIN_RECORD_BUFFER_SIZE) {
                throw new IllegalArgumentException("TLS record buffers must hold at least " + MIN_RECORD_BUFFER_SIZE
                        + " bytes (a whole record), " + pool + " has " + pool.bufferSize());
            }
            this.pool = pool;
            return this;
        }

        /** The size of the record buffers of the config's own pool (default 32 KiB). */
        public Builder recordBufferSize(int bytes) {
            if (bytes < MIN_RECORD_BUFFER_SIZE) {
                throw new IllegalArgumentException("TLS record buffers must hold at least " + MIN_RECORD_BUFFER_SIZE
                        + " bytes (a whole record), got " + bytes);
            }
            this.recordBufferSize = bytes;
            return this;
        }

        /** The cap of the config's own pool (default 8192 buffers, two per stream); it grows on demand. */
        public Builder maxRecordBuffers(int count) {
            if (count < 2) {
                throw new IllegalArgumentException("a TLS stream needs at least 2 record buffers, got " + count);
            }
            this.maxRecordBuffers = count;
            return this;
        }

        /** How long {@code close()} may spend sending close_notify (default 5 s). */
        public Builder closeTimeout(Duration timeout) {
            if (timeout.isNegative()) {
                throw new IllegalArgumentException("close timeout must not be negative: " + timeout);
            }
            this.closeTimeout = timeout;
            return this;
        }

        public TlsConfig build() {
            return new TlsConfig(this);
        }
    }
}
