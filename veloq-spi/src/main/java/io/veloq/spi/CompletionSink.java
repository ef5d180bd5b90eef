package io.veloq.spi;

/**
 * Receives completions from {@link Driver#submitAndWait}. Called on the loop thread.
 *
 * <p>An op completes zero or more times with {@link #MORE} (intermediate completions: the items of a
 * multishot op, the result of a zero-copy send whose notification is still to come), then exactly once
 * without it (the final completion, which ends the op). The flags are Veloq's own, not a platform's bits.
 *
 * <pre>{@code
 * sink.complete(ud, fd, CompletionSink.MORE, 0);                       // multishot accept: one connection
 * sink.complete(ud, n, CompletionSink.MORE | CompletionSink.BUFFER, 3); // multishot recv: n bytes in buffer 3
 * sink.complete(ud, -ECANCELED, 0, 0);                                // the final completion
 * }</pre>
 *
 * @since 0.1
 */
@FunctionalInterface
public interface CompletionSink {
    /** More completions follow for this op: this one does not end it. @since 0.3 */
    int MORE = 1;
    /** {@code bufferId} names the provided buffer (of the op's {@code BufRing}) that holds the bytes. @since 0.3 */
    int BUFFER = 2;
    /**
     * A zero-copy send's notification: the kernel no longer reads the buffer. It is the op's final completion;
     * its result is ignored, the op ends with the result of its earlier {@link #MORE} completion. @since 0.3
     */
    int NOTIF = 4;

    /**
     * One op finished: its only, final completion.
     *
     * @param userData the value the host passed to {@link Driver#prepare}
     * @param result   the result (bytes, handle, 0) when {@code >= 0}; minus the platform error code when
     *                 {@code < 0} (e.g. {@code -104} for ECONNRESET, {@code -10054} for WSAECONNRESET)
     */
    void complete(long userData, long result);

    /**
     * One completion of an op, with flags: intermediate with {@link #MORE}, else final.
     *
     * @param userData the value the host passed to {@link Driver#prepare}
     * @param result   as in {@link #complete(long, long)}
     * @param flags    {@link #MORE}, {@link #BUFFER}, {@link #NOTIF}, or 0
     * @param bufferId the provided buffer's id when {@link #BUFFER} is set, else ignored
     * @implSpec The default passes a final completion to {@link #complete(long, long)} (for the final
     *     completion of a notification, the result of the preceding intermediate one is lost: a sink that
     *     runs zero-copy sends overrides this) and drops intermediate ones. The host's sink overrides it;
     *     sinks written before 0.3 never see ops that complete more than once.
     * @since 0.3
     */
    default void complete(long userData, long result, int flags, int bufferId) {
        if ((flags & MORE) == 0) {
            complete(userData, result);
        }
    }
}
