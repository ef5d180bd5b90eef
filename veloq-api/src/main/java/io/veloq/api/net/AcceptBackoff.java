package io.veloq.api.net;

import io.veloq.api.IoErrorKind;
import io.veloq.api.VeloqIoException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Keeps a listener from spinning when accepts fail for want of resources. An accept that fails with
 * {@code EMFILE}/{@code ENFILE} (no descriptor for the new connection) or {@code ENOBUFS}/{@code ENOMEM}
 * leaves the connection in the listen backlog, so an accept re-armed at once fails again at once: a busy
 * loop that burns a core and starves the completers that would free descriptors. After such a failure the
 * listener's next accept waits: 5 ms, doubling per failure up to 1 s, back to none after the first success
 * (the delay Go's {@code net/http} server uses for the same errors).
 *
 * <p>Each episode logs one warning through {@link System.Logger} (logger {@code io.veloq.api.net}) naming the
 * error, the limit ({@code RLIMIT_NOFILE} from {@code /proc/self/limits} where there is one) and the fix. An
 * episode starts with such a failure and ends once accepts have gone {@link #QUIET} to twice that (checked
 * on the loop's clock) without one after a success: a server that hovers at its limit, each freed descriptor taken by the next
 * queued connection, stays in one episode instead of logging a line per connection. The end is logged at
 * DEBUG.
 *
 * <p>Outcomes are recorded on the loop thread (completers) or by blocking callers; the delay is read by
 * whoever calls {@code accept}. The success path costs one volatile read.
 */
final class AcceptBackoff {
    static final long FIRST_DELAY_NANOS = TimeUnit.MILLISECONDS.toNanos(5);
    static final long MAX_DELAY_NANOS = TimeUnit.SECONDS.toNanos(1);
    static final String LOGGER = "io.veloq.api.net";
    static final Duration QUIET = Duration.ofSeconds(2);
    private static final System.Logger LOG = System.getLogger(LOGGER);
    /** The limit when the first listener was made: at EMFILE, reading /proc itself may fail for want of a descriptor. */
    private static final String LIMIT_AT_START = openFileLimit();

    static {
        // The warning is logged when the process is out of descriptors, when a log backend cannot open a file.
        // The default java.util.logging format prints the date, whose first use loads the time-zone database
        // (lib/tzdb.dat): load it now, or that failure would poison java.time for the rest of the JVM's life.
        try {
            java.time.ZoneId.systemDefault().getRules();
        } catch (RuntimeException e) {
            // An unusual time-zone setup: nothing to prepare.
        }
    }

    private volatile long delayNanos;
    private long failures;
    private boolean inEpisode;
    private boolean endCheckPending;

    /** The wait before the next accept is submitted: 0 unless the last accept failed for want of resources. */
    long delayNanos() {
        return delayNanos;
    }

    /** Records the outcome of one accept of {@code listener}: {@code error} null for a connection. */
    void record(VeloqIoException error, NetSocket listener) {
        if (error == null) {
            if (delayNanos != 0) {
                succeeded(listener);
            }
            return;
        }
        if (isExhaustion(error)) {
            failed(error, listener);
        }
    }

    /** True for the errors that leave the connection queued until resources free up. */
    static boolean isExhaustion(VeloqIoException e) {
        return e.kind() == IoErrorKind.TOO_MANY_OPEN_FILES || e.kind() == IoErrorKind.NO_BUFFER_SPACE;
    }

    private synchronized void failed(VeloqIoException error, NetSocket listener) {
        failures++;
        long d = delayNanos;
        delayNanos = d == 0 ? FIRST_DELAY_NANOS : Math.min(MAX_DELAY_NANOS, d * 2);
        if (!inEpisode) {
            inEpisode = true;
            warn(episodeMessage(error, listener));
        }
    }

    /** A connection after failures: accept at once again, and end the episode if it stays quiet. */
    private synchronized void succeeded(NetSocket listener) {
        delayNanos = 0;
        scheduleEndCheck(listener);
    }

    private void scheduleEndCheck(NetSocket listener) {
        if (inEpisode && !endCheckPending) {
            endCheckPending = true;
            long mark = failures;
            try {
                listener.loop().schedule(() -> endIfQuiet(listener, mark), QUIET);
            } catch (IllegalStateException closed) {
                endCheckPending = false; // the loop is closing: no more accepts, no episode to end
            }
        }
    }

    private synchronized void endIfQuiet(NetSocket listener, long mark) {
        endCheckPending = false;
        if (failures == mark) {
            inEpisode = false;
            long n = failures;
            failures = 0;
            LOG.log(System.Logger.Level.DEBUG, () -> "accepts on " + listener + " work again after " + n + " failed");
        } else if (delayNanos == 0) {
            scheduleEndCheck(listener); // failed meanwhile, but the last accept succeeded: check again later
        }
    }

    /**
     * Logs the warning; if the log backend fails (it may need a descriptor too), prints it on stderr instead,
     * so that the completer waiting behind this call still runs and re-arms the accept.
     */
    private static void warn(String message) {
        try {
            LOG.log(System.Logger.Level.WARNING, message);
        } catch (RuntimeException | Error e) {
            if (e instanceof VirtualMachineError v) {
                throw v;
            }
            System.err.println("WARNING " + LOGGER + ": " + message + " (the logger failed: " + e + ")");
        }
    }

    /** The one line an episode logs: what failed, why, the limit, the fix. */
    static String episodeMessage(VeloqIoException error, NetSocket listener) {
        StringBuilder sb = new StringBuilder("accept on ").append(listener).append(" failed: ").append(error.getMessage())
                .append(". ");
        if (error.codeName().equals("ENFILE")) {
            sb.append("The system-wide table of open files is full").append(fileMax())
                    .append("; close descriptors elsewhere or raise it (sysctl fs.file-max)");
        } else if (error.kind() == IoErrorKind.TOO_MANY_OPEN_FILES) {
            String limit = openFileLimit();
            sb.append("The process has as many descriptors open as it may").append(limit.isEmpty() ? LIMIT_AT_START : limit)
                    .append("; raise the limit before starting (ulimit -n 65536, or LimitNOFILE= for a systemd"
                            + " service) or keep fewer connections open");
        } else {
            sb.append("The kernel is short of memory for sockets; check free memory and the socket memory limits"
                    + " (sysctl net.ipv4.tcp_mem, net.core.rmem_max)");
        }
        return sb.append(". New connections wait in the listen backlog meanwhile; accepts back off (")
                .append(TimeUnit.NANOSECONDS.toMillis(FIRST_DELAY_NANOS)).append(" ms doubling to ")
                .append(TimeUnit.NANOSECONDS.toMillis(MAX_DELAY_NANOS))
                .append(" ms) until one succeeds. Logged once per episode (it ends when accepts go ")
                .append(QUIET.toSeconds()).append(" s without failing).").toString();
    }

    /** " (RLIMIT_NOFILE soft 1024, hard 1048576)", or "" where {@code /proc/self/limits} cannot say. */
    static String openFileLimit() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/limits"))) {
                if (line.startsWith("Max open files")) {
                    String[] f = line.substring("Max open files".length()).trim().split("\\s+");
                    if (f.length >= 2) {
                        return " (RLIMIT_NOFILE soft " + f[0] + ", hard " + f[1] + ")";
                    }
                }
            }
        } catch (IOException | RuntimeException e) {
            // Not Linux, or /proc is not mounted: say nothing about the number.
        }
        return "";
    }

    private static String fileMax() {
        try {
            return " (fs.file-max " + Files.readString(Path.of("/proc/sys/fs/file-max")).trim() + ")";
        } catch (IOException | RuntimeException e) {
            return "";
        }
    }
}
