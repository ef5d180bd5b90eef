package io.veloq.api;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Stops an application cleanly on {@code SIGTERM}, {@code SIGINT} (Ctrl-C) or {@code SIGHUP}, and makes the
 * process exit with status 0 after a clean stop instead of the JVM's 143/130/129.
 *
 * <pre>{@code
 * public static void main(String[] args) throws Exception {
 *     CleanExit exit = CleanExit.install();               // the shutdown hook, before anything else
 *     IoRuntime rt = exit.closing(IoRuntime.open());      // closed last
 *     TcpListener server = exit.closing(TcpListener.bind(rt, new InetSocketAddress(8080)));   // closed first
 *     serve(server);
 *     exit.awaitStop();                                   // parks main until a signal (or exit(code))
 * }                                                       // kill -TERM <pid>: server, then rt, closed; exit 0
 * }</pre>
 *
 * <p>When the main thread has its own way down (print a summary, drain connections), let it decide the status:
 * <pre>{@code
 * CleanExit exit = CleanExit.install();
 * Server s = Server.start(...);
 * int code = 1;
 * try {
 *     exit.awaitStop();           // returns when a signal arrives
 *     code = s.stop() ? 0 : 1;    // the hook waits for this thread, up to the timeout
 * } finally {
 *     exit.exit(code);            // the process exits with code, whatever the signal
 * }
 * }</pre>
 * Call {@code exit} in a {@code finally}: a thread that ends by an exception without calling it looks like
 * one that finished cleanly.
 *
 * <h2>How it works, and the trade-off</h2>
 * A JVM stopped by a signal runs its shutdown hooks and then exits with 128 + the signal number
 * (143 for {@code SIGTERM}); a hook cannot change that status. This class installs one hook that:
 * <ol>
 *   <li>completes {@link #stopRequested()}, waking {@link #awaitStop()};</li>
 *   <li>if a thread waits for the stop ({@code awaitStop()} or {@code stopRequested()}), waits until that
 *       thread calls {@link #exit(int)} or ends;</li>
 *   <li>closes the resources given to {@link #closing} in reverse order (last registered, first closed, as
 *       try-with-resources does);</li>
 *   <li>flushes {@code System.out}/{@code System.err} and ends the process with {@link Runtime#halt(int)}:
 *       the code given to {@code exit(code)}, else 0, or 1 if a close threw.</li>
 * </ol>
 * If all that takes longer than the timeout ({@link #install(Duration)}, 30 s by default), the process halts
 * with status 1 and says so on {@code System.err}.
 * <p>{@code halt} is the only way to choose the status of a signal-initiated exit, and it does not wait for
 * other shutdown hooks (a logging framework's flush, say) still running, nor delete
 * {@link java.io.File#deleteOnExit()} files. Close such things yourself with {@link #closing} (they close in
 * this hook, in order) or do not use this class. Exit through {@link #exit(int)}, not {@code System.exit}:
 * the hook cannot see the status {@code System.exit} was given and would exit with 0.
 *
 * @since 0.2
 */
public final class CleanExit {
    /** Exit status after a clean-up step threw, or the timeout passed. */
    public static final int FAILURE = 1;

    private final long timeoutNanos;
    private final Deque<AutoCloseable> resources = new ArrayDeque<>(); // guarded by this
    private final CompletableFuture<Void> stop = new CompletableFuture<>();
    private final Thread hook;
    private volatile Thread participant;
    private volatile Integer code;

    private CleanExit(Duration timeout) {
        this.timeoutNanos = timeout.toNanos();
        this.hook = new Thread(this::onShutdown, "veloq-clean-exit");
    }

    /** Installs the shutdown hook with a 30-second budget for the clean-up. */
    public static CleanExit install() {
        return install(Duration.ofSeconds(30));
    }

    /**
     * Installs the shutdown hook; {@code timeout} bounds the whole clean-up (the main thread's own way down
     * and the closes), after which the process halts with {@link #FAILURE}.
     *
     * @throws IllegalArgumentException if {@code timeout} is not positive
     * @throws IllegalStateException if the JVM is already shutting down
     */
    public static CleanExit install(Duration timeout) {
        Objects.requireNonNull(timeout, "timeout");
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("the clean-up timeout must be positive, got " + timeout);
        }
        CleanExit exit = new CleanExit(timeout);
        Runtime.getRuntime().addShutdownHook(exit.hook);
        return exit;
    }

    /**
     * Registers {@code resource} to be closed by the hook, after every resource registered later (reverse
     * order). Returns it, so that it can be registered where it is made.
     */
    public <T extends AutoCloseable> T closing(T resource) {
        Objects.requireNonNull(resource, "resource");
        synchronized (this) {
            resources.push(resource);
        }
        return resource;
    }

    /**
     * Completes when the stop begins (a signal, or {@link #exit(int)}). The calling thread becomes the one
     * the hook waits for: it should end, or call {@code exit(code)}, once it has stopped what it runs.
     */
    public CompletableFuture<Void> stopRequested() {
        participant = Thread.currentThread();
        return stop;
    }

    /** Parks the calling thread until the stop begins; the hook then waits for it (see {@link #stopRequested()}). */
    public void awaitStop() throws InterruptedException {
        try {
            stopRequested().get();
        } catch (java.util.concurrent.ExecutionException impossible) {
            throw new IllegalStateException(impossible);
        }
    }

    /** True once the stop has begun. */
    public boolean isStopping() {
        return stop.isDone();
    }

    /**
     * Ends the process with {@code status} after the clean-up: from the main thread's way down after a
     * signal, or to stop on the application's own initiative. Does not return.
     */
    public void exit(int status) {
        code = status;
        if (Thread.currentThread() == hook) {
            return;
        }
        System.exit(status); // runs the hook, which halts with this status; returns only if exiting already
        for (;;) {
            try {
                Thread.sleep(Long.MAX_VALUE); // the hook halts the JVM
            } catch (InterruptedException ignored) {
                // keep waiting: the process is going away
            }
        }
    }

    private void onShutdown() {
        long deadline = System.nanoTime() + timeoutNanos;
        Thread watchdog = new Thread(() -> {
            try {
                TimeUnit.NANOSECONDS.sleep(timeoutNanos);
            } catch (InterruptedException e) {
                return;
            }
            System.err.println("CleanExit: the clean-up did not finish within " + Duration.ofNanos(timeoutNanos)
                    + "; halting with status " + FAILURE);
            System.err.flush();
            Runtime.getRuntime().halt(FAILURE);
        }, "veloq-clean-exit-watchdog");
        watchdog.setDaemon(true);
        watchdog.start();

        stop.complete(null);
        Thread p = participant;
        while (p != null && p != Thread.currentThread() && code == null && p.isAlive() && System.nanoTime() < deadline) {
            try {
                p.join(10); // exit(code) does not end the thread: poll the code too
            } catch (InterruptedException e) {
                break;
            }
        }
        boolean failed = false;
        for (AutoCloseable r = next(); r != null; r = next()) {
            try {
                r.close();
            } catch (Exception | Error e) {
                failed = true;
                System.err.println("CleanExit: closing " + r + " failed: " + e);
            }
        }
        Integer c = code;
        int status = c != null ? c : failed ? FAILURE : 0;
        System.out.flush();
        System.err.flush();
        Runtime.getRuntime().halt(status);
    }

    private synchronized AutoCloseable next() {
        return resources.poll();
    }
}
