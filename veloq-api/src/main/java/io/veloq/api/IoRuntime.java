package io.veloq.api;

import io.veloq.api.bootstrap.RuntimeFactory;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.Set;

/**
 * The entry point: a set of event loops, thread-per-core and shared-nothing, each with its own driver.
 *
 * <pre>{@code
 * try (IoRuntime rt = IoRuntime.open()) {                // best driver: io_uring on Linux, IOCP on Windows
 *     EventLoop loop = rt.loop();                        // the only loop of a one-thread runtime
 *     Completion<Nop> c = loop.call(new Nop());
 *     System.out.println(rt.driverId() + " -> " + c.value());
 * }
 * try (IoRuntime rt = IoRuntime.builder().threads(4).open();
 *      TcpServer server = TcpServer.bind(rt, new InetSocketAddress("::", 7000),
 *              (stream, error) -> serve(stream))) {       // connections spread over the 4 loops
 *     ...
 * }
 * }</pre>
 *
 * <h2>A runtime is not a loop</h2>
 * A runtime owns its loops; ops, buffers, tasks and sockets belong to one loop, which the code names:
 * {@link #loop()} when the runtime has one loop (the default, {@code threads(1)}), {@link #loop(int)} or
 * {@link #next()} (round-robin) otherwise, and {@link io.veloq.api.net.TcpServer} for a server that uses them
 * all. Until 0.2 an {@code IoRuntime} was itself an {@link EventLoop} that forwarded to loop 0, so
 * {@code TcpListener.bind(rt, ...)} silently served every connection on one core of a four-loop runtime.
 * Naming the loop costs one call ({@code rt.loop().call(op)}) and makes that mistake impossible to write:
 * {@code loop()} on a runtime with several loops throws, naming them.
 *
 * <p>Driver choice, in order: the builder's {@link Builder#driver(String)}; else the system property
 * {@code veloq.driver}; else the available driver with the highest priority (the fake driver only when
 * named). When nothing fits, the error lists every driver found and why each was refused.
 *
 * <p>{@link #close()} completes every in-flight op with a {@link IoErrorKind#CANCELLED} error (buffers come
 * back), frees the drivers' native memory and joins the loop threads. Completers that resubmit during
 * close get their op back as cancelled, not an exception (see {@link EventLoop}). An exception thrown by a
 * completer or a task goes to the {@link LoopExceptionHandler} set with {@link Builder#exceptionHandler}.
 *
 * @since 0.1
 */
public interface IoRuntime extends AutoCloseable {

    /** The loops, index order. */
    List<EventLoop> loops();

    /** The loop with this index. */
    default EventLoop loop(int index) {
        return loops().get(index);
    }

    /**
     * The runtime's only loop: for the one-loop runtime ({@code threads(1)}, the default) that most
     * programs and tests use.
     *
     * @throws IllegalStateException if the runtime has several loops: say which one with {@link #loop(int)},
     *         {@link #next()}, or serve on all of them with {@link io.veloq.api.net.TcpServer}
     * @since 0.2
     */
    default EventLoop loop() {
        List<EventLoop> all = loops();
        if (all.size() != 1) {
            throw new IllegalStateException(this + " has " + all.size() + " loops: name one with loop(i) or next(), "
                    + "or serve on all of them with TcpServer.bind(rt, ...); loop() is for a one-loop runtime");
        }
        return all.get(0);
    }

    /** The next loop, round-robin: spreads connections over cores. Thread-safe. */
    EventLoop next();

    /** The id of the driver every loop runs ({@code uring}, {@code iocp}, {@code fake}, ...). */
    String driverId();

    /** The driver's capabilities (the same on every loop). */
    Set<Capability> capabilities();

    /** Ops in flight on all loops together (submitted and not yet completed). */
    int inFlight();

    /** True once {@link #close()} has started. */
    boolean isClosed();

    /**
     * Cancels everything in flight, waits for every op to complete, closes the networking API's sockets
     * that are still open, frees native memory, joins threads. Every call returns only once that is done, a
     * second call racing the first included, with one exception: called on one of this runtime's loop
     * threads (from a completer or a task), it starts the shutdown and returns at once, since that thread
     * cannot wait for its own loop; the loop finishes closing after the callback returns. Idempotent.
     *
     * <p>Descriptors: a {@link io.veloq.api.net.NetSocket} ({@code TcpStream}, {@code TcpListener},
     * {@code UdpSocket}, ...) belongs to the networking layer, so the runtime closes those the application
     * left open (their ops cancelled first), as a Netty event loop group's shutdown closes its channels;
     * {@code close()} on such a socket afterwards does nothing. A descriptor the application made itself
     * with a {@link io.veloq.api.op.Socket} op (or got from an {@code Accept} op it submitted) is the
     * application's: the runtime leaves it open, and the application closes it.
     */
    @Override
    void close();

    /** Opens a runtime with {@link RuntimeConfig#defaults()}. */
    static IoRuntime open() {
        return open(RuntimeConfig.defaults());
    }

    /** Opens a runtime with {@code config}. */
    static IoRuntime open(RuntimeConfig config) {
        Objects.requireNonNull(config, "config");
        return factory().open(config);
    }

    /** Every driver found on the module path (or class path), available or not, with the reason. */
    static List<DriverDescription> drivers() {
        return factory().drivers();
    }

    /** A builder starting from {@link RuntimeConfig#defaults()}. */
    static Builder builder() {
        return new Builder();
    }

    private static RuntimeFactory factory() {
        List<String> problems = new ArrayList<>();
        Iterator<RuntimeFactory> it = ServiceLoader.load(RuntimeFactory.class, IoRuntime.class.getClassLoader()).iterator();
        while (true) {
            try {
                if (!it.hasNext()) {
                    break;
                }
                return it.next();
            } catch (ServiceConfigurationError e) {
                problems.add(String.valueOf(e.getMessage()));
            }
        }
        throw new IllegalStateException("no Veloq runtime found: put veloq-spi and a driver jar "
                + "(veloq-driver-uring, veloq-driver-iocp or veloq-testkit) on the module path"
                + (problems.isEmpty() ? "" : "; loading failed: " + problems));
    }

    /**
     * Builds a {@link RuntimeConfig} and opens the runtime.
     *
     * <pre>{@code IoRuntime rt = IoRuntime.builder().driver("fake").queueDepth(64).maxInFlight(1000).open();}</pre>
     */
    final class Builder {
        private String driver;
        private int threads = 1;
        private int queueDepth = 256;
        private int maxInFlight = 4096;
        private BackpressurePolicy backpressure = BackpressurePolicy.QUEUE;
        private int bufferSize = 16 * 1024;
        private int bufferCount = RuntimeConfig.DEFAULT_MAX_BUFFERS;
        private int initialBuffers = -1; // -1: min(cap, DEFAULT_INITIAL_BUFFERS)
        private int registeredFiles = 64;
        private boolean manual;
        private final Map<String, String> options = new HashMap<>();
        private int maxQueued = RuntimeConfig.DEFAULT_MAX_QUEUED;
        private LoopExceptionHandler exceptionHandler = LoopExceptionHandler.logging();

        Builder() {
        }

        /** Names the driver ({@code uring}, {@code iocp}, {@code fake}); null picks the best available. */
        public Builder driver(String id) {
            this.driver = id;
            return this;
        }

        public Builder threads(int n) {
            this.threads = n;
            return this;
        }

        public Builder queueDepth(int entries) {
            this.queueDepth = entries;
            return this;
        }

        public Builder maxInFlight(int ops) {
            this.maxInFlight = ops;
            return this;
        }

        /** What a submit over the in-flight budget does; see {@link BackpressurePolicy}. */
        public Builder backpressure(BackpressurePolicy policy) {
            this.backpressure = policy;
            return this;
        }

        /**
         * How many ops other threads may queue on each loop beyond its {@link #maxInFlight} budget (default
         * {@value RuntimeConfig#DEFAULT_MAX_QUEUED}). With {@link BackpressurePolicy#QUEUE}, a submit from another
         * thread past that is refused with a {@link java.util.concurrent.RejectedExecutionException} naming
         * the loop and this setting, and the op stays the caller's; the loop thread's own submits are never
         * refused. It keeps a burst of submitters from queuing millions of ops that {@link IoRuntime#close()} would
         * then have to drain. Tasks other threads hand over ({@link EventLoop#execute}, {@link EventLoop#schedule})
         * meet a bound of the same size, {@code maxInFlight + maxQueued} tasks not yet run per loop, under the
         * same policy ({@code QUEUE} refuses, {@code WAIT} waits); a scheduled task counts until it runs or is
         * cancelled.
         */
        public Builder maxQueued(int ops) {
            this.maxQueued = ops;
            return this;
        }

        /**
         * What gets the exceptions that completers and tasks throw on a loop (default
         * {@link LoopExceptionHandler#logging()}). The loop always goes on.
         */
        public Builder exceptionHandler(LoopExceptionHandler handler) {
            this.exceptionHandler = Objects.requireNonNull(handler, "handler");
            return this;
        }

        /**
         * Each loop's registered buffer pool: buffers of {@code size} bytes, at most {@code max} of them (its
         * cap; 0: no pool). The pool starts with {@code min(max, 32)} and grows on demand, so size the cap for
         * the most buffers a loop may hold at once (say two per connection), not for memory: unused capacity
         * costs nothing. Beyond the cap {@code lease()} throws and {@code tryLease()} returns null. Default:
         * 16 KiB, up to 2048 per loop.
         *
         * <pre>{@code IoRuntime.builder().threads(4).buffers(16 * 1024, 2 * maxConnectionsPerLoop).open();}</pre>
         */
        public Builder buffers(int size, int max) {
            this.bufferSize = size;
            this.bufferCount = max;
            return this;
        }

        /**
         * Each loop's buffer pool with an explicit first chunk: {@code initial} buffers allocated when the
         * loop opens, growing on demand to {@code max}. {@code initial == max} pre-allocates the whole pool.
         *
         * @since 0.2
         */
        public Builder buffers(int size, int initial, int max) {
            buffers(size, max);
            this.initialBuffers = initial;
            return this;
        }

        public Builder registeredFiles(int n) {
            this.registeredFiles = n;
            return this;
        }

        /** No loop thread: the caller drives the single loop ({@link IoRuntime#loop()}) with {@link EventLoop#runOnce}. */
        public Builder manual() {
            this.manual = true;
            return this;
        }

        /** A driver-specific option. */
        public Builder option(String key, String value) {
            options.put(Objects.requireNonNull(key), Objects.requireNonNull(value));
            return this;
        }

        public RuntimeConfig config() {
            int initial = initialBuffers >= 0 ? initialBuffers
                    : Math.min(Math.max(0, bufferCount), RuntimeConfig.DEFAULT_INITIAL_BUFFERS);
            return new RuntimeConfig(driver, threads, queueDepth, maxInFlight, backpressure, bufferSize, bufferCount,
                    initial, registeredFiles, manual, options, maxQueued, exceptionHandler);
        }

        public IoRuntime open() {
            return IoRuntime.open(config());
        }
    }
}
