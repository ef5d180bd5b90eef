package io.veloq.api;

import java.util.Map;
import java.util.Objects;

/**
 * How to open a {@link IoRuntime}; build one with {@link IoRuntime#builder()}.
 *
 * @param driver         driver id, or null to pick the best available (system property {@code veloq.driver} if set)
 * @param threads        event loops, each its own thread and driver instance
 * @param queueDepth     submission queue entries per loop
 * @param maxInFlight    in-flight budget per loop; beyond it {@link #backpressure} applies
 * @param backpressure   what a submit over budget does
 * @param bufferSize     size of each buffer in the loop's registered pool
 * @param bufferCount    the most buffers the loop's pool may hold: its cap (0: no pool). The pool starts with
 *                       {@code initialBuffers} and grows on demand, so a large cap costs nothing until used
 * @param initialBuffers buffers the loop's pool allocates when the loop opens (its first chunk), {@code 0..bufferCount}
 * @param registeredFiles size of the registered-file table (0: none)
 * @param manual         true: no loop thread; the caller drives with {@link EventLoop#runOnce}
 * @param options        driver-specific options
 * @param maxQueued      ops other threads may queue per loop beyond {@code maxInFlight}, waiting for the
 *                       budget; past it a submit from another thread is refused with a
 *                       {@link java.util.concurrent.RejectedExecutionException} ({@link BackpressurePolicy#QUEUE}).
 *                       {@link BackpressurePolicy#WAIT} never gets there: other threads wait for the budget
 * @param exceptionHandler what gets the exceptions completers and tasks throw on a loop
 * @since 0.1
 */
public record RuntimeConfig(String driver, int threads, int queueDepth, int maxInFlight,
                            BackpressurePolicy backpressure, int bufferSize, int bufferCount, int initialBuffers,
                            int registeredFiles, boolean manual, Map<String, String> options,
                            int maxQueued, LoopExceptionHandler exceptionHandler) {
    /** The default cap of a loop's pool: two buffers each for 1024 connections (32 MiB of 16 KiB buffers, when used). */
    public static final int DEFAULT_MAX_BUFFERS = 2048;
    /** The default first chunk of a loop's pool: 32 buffers (512 KiB of 16 KiB buffers). */
    public static final int DEFAULT_INITIAL_BUFFERS = 32;
    /** The default {@link #maxQueued}: enough for bursts, small enough that close drains it in well under a second. */
    public static final int DEFAULT_MAX_QUEUED = 65_536;

    public RuntimeConfig {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        }
        if (queueDepth < 1 || queueDepth > 32768) {
            throw new IllegalArgumentException("queueDepth must be in 1..32768, got " + queueDepth);
        }
        if (maxInFlight < 1) {
            throw new IllegalArgumentException("maxInFlight must be >= 1, got " + maxInFlight);
        }
        Objects.requireNonNull(backpressure, "backpressure");
        if (bufferCount < 0 || (bufferCount > 0 && bufferSize <= 0)) {
            throw new IllegalArgumentException("bufferCount must be >= 0 and bufferSize > 0, got "
                    + bufferCount + " x " + bufferSize);
        }
        if (initialBuffers < 0 || initialBuffers > bufferCount) {
            throw new IllegalArgumentException("initialBuffers must be in 0.." + bufferCount + " (bufferCount, the cap), got "
                    + initialBuffers);
        }
        if (registeredFiles < 0) {
            throw new IllegalArgumentException("registeredFiles must be >= 0, got " + registeredFiles);
        }
        if (manual && threads != 1) {
            throw new IllegalArgumentException("a manual runtime has exactly one loop, got threads=" + threads);
        }
        options = Map.copyOf(options);
        if (maxQueued < 0) {
            throw new IllegalArgumentException("maxQueued must be >= 0, got " + maxQueued);
        }
        if ((long) maxInFlight + maxQueued > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("maxInFlight + maxQueued must fit in an int, got " + maxInFlight
                    + " + " + maxQueued);
        }
        Objects.requireNonNull(exceptionHandler, "exceptionHandler");
    }

    /**
     * The same with {@link #DEFAULT_MAX_QUEUED} and {@link LoopExceptionHandler#logging()}.
     */
    public RuntimeConfig(String driver, int threads, int queueDepth, int maxInFlight, BackpressurePolicy backpressure,
                         int bufferSize, int bufferCount, int initialBuffers, int registeredFiles, boolean manual,
                         Map<String, String> options) {
        this(driver, threads, queueDepth, maxInFlight, backpressure, bufferSize, bufferCount, initialBuffers,
                registeredFiles, manual, options, DEFAULT_MAX_QUEUED, LoopExceptionHandler.logging());
    }

    /**
     * The same without {@code initialBuffers}: the pool starts with {@code min(bufferCount, }{@value
     * #DEFAULT_INITIAL_BUFFERS}{@code )} buffers.
     */
    public RuntimeConfig(String driver, int threads, int queueDepth, int maxInFlight, BackpressurePolicy backpressure,
                         int bufferSize, int bufferCount, int registeredFiles, boolean manual, Map<String, String> options) {
        this(driver, threads, queueDepth, maxInFlight, backpressure, bufferSize, bufferCount,
                Math.min(Math.max(0, bufferCount), DEFAULT_INITIAL_BUFFERS), registeredFiles, manual, options);
    }

    /**
     * Defaults: best driver, 1 loop, 256 SQ entries, 4096 in flight, QUEUE, a pool of 16 KiB buffers starting
     * with 32 and growing to 2048 per loop, 64 fixed files, 65,536 queued, exceptions logged.
     */
    public static RuntimeConfig defaults() {
        return new RuntimeConfig(null, 1, 256, 4096, BackpressurePolicy.QUEUE, 16 * 1024, DEFAULT_MAX_BUFFERS,
                DEFAULT_INITIAL_BUFFERS, 64, false, Map.of());
    }
}
