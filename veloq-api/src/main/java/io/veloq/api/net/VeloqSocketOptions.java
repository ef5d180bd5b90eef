package io.veloq.api.net;

import java.net.SocketOption;
import java.util.Objects;

/**
 * Socket options the JDK's {@link java.net.StandardSocketOptions} lacks, as type-safe
 * {@link SocketOption} keys for {@link io.veloq.api.EventLoop#setOption} and the {@code setOption}/
 * {@code getOption} methods of Veloq's sockets. Each driver maps a key to its OS's level and name; a key
 * the platform lacks is refused with an {@link UnsupportedOperationException} that names the key and the
 * OS. Values are checked before any native call ({@link IllegalArgumentException} for a value out of
 * range).
 *
 * <pre>{@code
 * stream.setOption(StandardSocketOptions.TCP_NODELAY, true);       // a JDK key
 * stream.setOption(VeloqSocketOptions.TCP_KEEPIDLE, 30);            // one of these
 * int idle = stream.getOption(VeloqSocketOptions.TCP_KEEPIDLE);     // read back from the kernel
 * }</pre>
 *
 * <table>
 *   <caption>Keys, units and their native names</caption>
 *   <tr><th>Key</th><th>Type, unit, range</th><th>Linux</th><th>BSD / macOS</th><th>Windows</th></tr>
 *   <tr><td>{@link #TCP_KEEPIDLE}</td><td>Integer, seconds, 1..32767</td><td>TCP_KEEPIDLE</td>
 *       <td>TCP_KEEPALIVE (macOS), TCP_KEEPIDLE (FreeBSD)</td><td>TCP_KEEPIDLE</td></tr>
 *   <tr><td>{@link #TCP_KEEPINTVL}</td><td>Integer, seconds, 1..32767</td><td>TCP_KEEPINTVL</td>
 *       <td>TCP_KEEPINTVL</td><td>TCP_KEEPINTVL</td></tr>
 *   <tr><td>{@link #TCP_KEEPCNT}</td><td>Integer, probes, 1..127</td><td>TCP_KEEPCNT</td>
 *       <td>TCP_KEEPCNT</td><td>TCP_KEEPCNT</td></tr>
 *   <tr><td>{@link #TCP_QUICKACK}</td><td>Boolean</td><td>TCP_QUICKACK</td><td>-</td><td>-</td></tr>
 *   <tr><td>{@link #TCP_CORK}</td><td>Boolean</td><td>TCP_CORK</td><td>TCP_NOPUSH</td><td>-</td></tr>
 *   <tr><td>{@link #SO_BUSY_POLL}</td><td>Integer, microseconds, &gt;= 0</td><td>SO_BUSY_POLL</td>
 *       <td>-</td><td>-</td></tr>
 *   <tr><td>{@link #TCP_FASTOPEN}</td><td>Integer, pending-queue length, &gt;= 0</td><td>TCP_FASTOPEN</td>
 *       <td>TCP_FASTOPEN</td><td>TCP_FASTOPEN</td></tr>
 *   <tr><td>{@link #IPV6_V6ONLY}</td><td>Boolean</td><td>IPV6_V6ONLY</td><td>IPV6_V6ONLY</td>
 *       <td>IPV6_V6ONLY</td></tr>
 * </table>
 *
 * @since 0.1
 */
public final class VeloqSocketOptions {
    private VeloqSocketOptions() {
    }

    /** Seconds a connection is idle before the first keep-alive probe (needs {@code SO_KEEPALIVE}). */
    public static final SocketOption<Integer> TCP_KEEPIDLE = new Key<>("TCP_KEEPIDLE", Integer.class);

    /** Seconds between keep-alive probes. */
    public static final SocketOption<Integer> TCP_KEEPINTVL = new Key<>("TCP_KEEPINTVL", Integer.class);

    /** Unanswered keep-alive probes before the connection is dropped. */
    public static final SocketOption<Integer> TCP_KEEPCNT = new Key<>("TCP_KEEPCNT", Integer.class);

    /**
     * Linux quick-ack mode: acknowledge at once instead of delaying. The kernel may leave the mode by
     * itself later, so reading it back reports the current mode.
     */
    public static final SocketOption<Boolean> TCP_QUICKACK = new Key<>("TCP_QUICKACK", Boolean.class);

    /**
     * Hold back partial frames until the option is cleared (or 200 ms pass), to coalesce writes. The BSDs
     * and macOS call the same idea {@code TCP_NOPUSH}; a driver for those maps this key to it.
     */
    public static final SocketOption<Boolean> TCP_CORK = new Key<>("TCP_CORK", Boolean.class);

    /**
     * Microseconds to busy-poll the device queue on a blocking receive (Linux). Raising it above the
     * current value needs {@code CAP_NET_ADMIN}; otherwise the kernel refuses with {@code EPERM}.
     */
    public static final SocketOption<Integer> SO_BUSY_POLL = new Key<>("SO_BUSY_POLL", Integer.class);

    /**
     * TCP Fast Open on a listening socket: the length of the queue of pending fast-open requests (0
     * disables). Set it before {@code listen}.
     */
    public static final SocketOption<Integer> TCP_FASTOPEN = new Key<>("TCP_FASTOPEN", Integer.class);

    /**
     * IPv6 sockets only: refuse IPv4-mapped traffic. The JDK has no standard key for it. Veloq's
     * listeners bound to {@code ::} set it to {@code false} (dual stack) unless told otherwise.
     */
    public static final SocketOption<Boolean> IPV6_V6ONLY = new Key<>("IPV6_V6ONLY", Boolean.class);

    /** A Veloq option key: identity matters (drivers look keys up by identity), the name is for messages. */
    private static final class Key<T> implements SocketOption<T> {
        private final String name;
        private final Class<T> type;

        Key(String name, Class<T> type) {
            this.name = Objects.requireNonNull(name);
            this.type = Objects.requireNonNull(type);
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public Class<T> type() {
            return type;
        }

        @Override
        public String toString() {
            return name;
        }
    }
}
