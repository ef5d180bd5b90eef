package io.veloq.examples.echo;

import java.time.Duration;

/**
 * The echo server's counters, summed over its loops.
 *
 * @param loops              event loops (one listener each)
 * @param accepted           connections accepted
 * @param open               connections open now
 * @param refused            connections closed at once: {@code --max-conns} reached, or no buffer left
 * @param bytesEchoed        bytes received and sent back
 * @param connectionErrors   connections that ended with an error (reset by peer, broken pipe)
 * @param idleClosed         connections closed by the idle timeout
 * @param acceptErrors       accepts that failed (EMFILE: out of descriptors; ECONNABORTED ...)
 * @param buffersOutstanding pooled buffers leased now: one per open connection, 0 after shutdown
 * @param uptime             time since start
 */
public record EchoStats(int loops, long accepted, long open, long refused, long bytesEchoed, long connectionErrors,
                        long idleClosed, long acceptErrors, long buffersOutstanding, Duration uptime) {

    /** The one-line summary printed at shutdown. */
    public String summary() {
        return String.format("echo-server: stopped after %.1f s: %d connections on %d loops, %d open, %s echoed, "
                        + "%d ended by errors (resets), %d closed idle, %d refused, %d accept errors, "
                        + "%d buffers outstanding",
                uptime.toMillis() / 1000.0, accepted, loops, open, bytes(bytesEchoed), connectionErrors, idleClosed,
                refused, acceptErrors, buffersOutstanding);
    }

    static String bytes(long n) {
        if (n < 1024) {
            return n + " B";
        }
        if (n < 1024 * 1024) {
            return String.format("%.1f KiB", n / 1024.0);
        }
        if (n < 1024L * 1024 * 1024) {
            return String.format("%.1f MiB", n / (1024.0 * 1024));
        }
        return String.format("%.2f GiB", n / (1024.0 * 1024 * 1024));
    }
}
