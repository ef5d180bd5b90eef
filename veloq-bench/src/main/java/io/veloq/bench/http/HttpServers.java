package io.veloq.bench.http;

import io.veloq.bench.echo.EchoServer;
import io.veloq.bench.echo.NettyEchoServer;
import java.nio.file.Path;
import java.util.List;

/**
 * The static-file HTTP servers the {@code http} part compares, by name. Each serves the directory named by
 * the system property {@value #DIR_PROPERTY} from one event-loop (or dispatcher) thread on 127.0.0.1, in its
 * own JVM ({@link io.veloq.bench.ServerMain} with the name prefixed {@value #PREFIX}). They implement the
 * bench's server lifecycle ({@link EchoServer}: start, stop, loop threads), not echo.
 */
public final class HttpServers {
    public static final String PREFIX = "http-";
    public static final String DIR_PROPERTY = "veloq.bench.http.dir";
    public static final String VELOQ = "veloq";
    public static final String NETTY_EPOLL = "netty-epoll";
    public static final String NETTY_URING = "netty-uring";
    public static final String JDK = "jdk";
    /** Rows in interleaving order; ratios are against Netty epoll. */
    public static final List<String> DEFAULT_ORDER = List.of(JDK, NETTY_EPOLL, VELOQ);
    public static final List<String> NAMES = List.of(JDK, NETTY_EPOLL, NETTY_URING, VELOQ);

    private HttpServers() {
    }

    public static boolean isHttp(String processName) {
        return processName.startsWith(PREFIX);
    }

    static Path dir() {
        String d = System.getProperty(DIR_PROPERTY);
        if (d == null) {
            throw new IllegalStateException("-D" + DIR_PROPERTY + "=DIR is not set: the directory to serve");
        }
        return Path.of(d);
    }

    /** {@code null} when {@code name} can run here, else why not. */
    public static String unavailableReason(String name) {
        switch (name) {
            case VELOQ:
                return io.veloq.bench.echo.VeloqEchoServer.unavailableReason();
            case NETTY_EPOLL:
            case NETTY_URING:
                return NettyHttpServer.unavailableReason(transport(name));
            case JDK:
                return null;
            default:
                return "unknown http server '" + name + "', known: " + NAMES;
        }
    }

    /** Creates (does not start) the server called {@code name}. */
    public static EchoServer create(String name) {
        switch (name) {
            case VELOQ:
                return new VeloqHttpServer();
            case NETTY_EPOLL:
            case NETTY_URING:
                return new NettyHttpServer(transport(name));
            case JDK:
                return new JdkHttpServer();
            default:
                throw new IllegalArgumentException("unknown http server '" + name + "', known: " + NAMES);
        }
    }

    private static NettyEchoServer.Transport transport(String name) {
        return name.equals(NETTY_EPOLL) ? NettyEchoServer.Transport.EPOLL : NettyEchoServer.Transport.IO_URING;
    }
}
