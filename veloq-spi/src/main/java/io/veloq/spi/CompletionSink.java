package io.veloq.spi;

/**
 * Receives completions from {@link Driver#submitAndWait}. Called on the loop thread.
 *
 * @since 0.1
 */
@FunctionalInterface
public interface CompletionSink {
    /**
     * One op finished.
     *
     * @param userData the value the host passed to {@link Driver#prepare}
     * @param result   the result (bytes, handle, 0) when {@code >= 0}; minus the platform error code when
     *                 {@code < 0} (e.g. {@code -104} for ECONNRESET, {@code -10054} for WSAECONNRESET)
     */
    void complete(long userData, long result);
}
