package io.veloq.api;

import java.lang.System.Logger.Level;

/**
 * Receives what application code running on an event loop throws: a {@link Completer}, a task given to
 * {@link EventLoop#execute} or a task given to {@link EventLoop#schedule}. The loop catches the exception,
 * hands it here and goes on with its next piece of work: one bad callback never stops the loop or the
 * other connections on it. Set it with {@link IoRuntime.Builder#exceptionHandler}; the default,
 * {@link #logging()}, logs through {@link System.Logger}.
 *
 * <pre>{@code
 * IoRuntime rt = IoRuntime.builder()
 *         .exceptionHandler((loop, source, error) -> {
 *             if (source instanceof Op<?> op) metrics.completerFailed(op.payload().kind());
 *             LOG.error("on " + loop + ", " + source + " threw", error);
 *         })
 *         .open();
 * }</pre>
 *
 * <p>It runs on the loop thread, right after the failing callback, so it must not block. An exception it
 * throws itself is logged through {@link System.Logger} and otherwise ignored.
 *
 * @since 0.2
 */
@FunctionalInterface
public interface LoopExceptionHandler {

    /**
     * Called on {@code loop}'s thread when application code threw.
     *
     * @param loop   the loop the code ran on
     * @param source what threw: the {@link Op} whose completer threw (already {@link OpState#COMPLETED}, its
     *               outcome readable), or the {@link Runnable} task
     * @param error  what it threw
     */
    void uncaught(EventLoop loop, Object source, Throwable error);

    /**
     * The default: logs each exception at {@code ERROR} level, with its stack trace, to the
     * {@link System.Logger} named {@code io.veloq} (which goes to {@code java.util.logging} unless the
     * application installs another {@code System.LoggerFinder}).
     */
    static LoopExceptionHandler logging() {
        return LoopExceptionHandler::log; // non-capturing: one shared instance
    }

    private static void log(EventLoop loop, Object source, Throwable error) {
        String what = source instanceof Op<?> ? "the completer of " + source : "task " + source;
        System.getLogger("io.veloq").log(Level.ERROR, "on " + loop + ", " + what + " threw " + error
                + "; the loop goes on", error);
    }
}
