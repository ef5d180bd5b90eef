package io.veloq.examples.http;

import java.time.Duration;

/**
 * The HTTP server's counters, summed over its loops.
 *
 * @param loops              event loops (one listener each)
 * @param accepted           connections accepted
 * @param open               connections open now
 * @param refused            connections closed at once because the loop had no buffers left
 * @param requests           request heads parsed (well-formed or not)
 * @param responses          responses written, every status
 * @param errorResponses     of those, responses with a 4xx/5xx status
 * @param timeouts           connections closed by the idle timeout
 * @param connectionErrors   connections that ended with an error (reset by peer, broken pipe)
 * @param fileErrors         file reads that failed (the connection was closed mid-body)
 * @param buffersOutstanding pooled buffers leased now: two per open connection, 0 after shutdown
 * @param openFiles          file descriptors the catalog holds open; 0 after shutdown
 * @param uptime             time since start
 */
public record HttpStats(int loops, long accepted, long open, long refused, long requests, long responses,
                        long errorResponses, long timeouts, long connectionErrors, long fileErrors,
                        long buffersOutstanding, int openFiles, Duration uptime) {

    /** The one-line summary printed at shutdown. */
    public String summary() {
        return String.format("http-server: stopped after %.1f s: %d connections on %d loops, %d requests, "
                        + "%d responses (%d errors), %d idle timeouts, %d connection errors, %d refused, "
                        + "%d buffers outstanding, %d files open",
                uptime.toMillis() / 1000.0, accepted, loops, requests, responses, errorResponses, timeouts,
                connectionErrors, refused, buffersOutstanding, openFiles);
    }
}
