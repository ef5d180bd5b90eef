package io.veloq.bench.echo;

import java.lang.reflect.Constructor;
import java.lang.reflect.Method;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.function.Supplier;

/**
 * The registry of echo servers, by name.
 *
 * <p>Built in: {@code nio}, {@code netty-epoll}, {@code netty-uring}, {@code veloq-nio} (Veloq on its
 * pure-Java driver, filled by the same class as {@code veloq}). The {@code veloq} slot is filled by
 * one class: {@value #VELOQ_CLASS}, an {@link EchoServer} with a public no-argument constructor (and,
 * optionally, {@code public static String unavailableReason()} returning {@code null} when it can run).
 * Until that class is on the class path the slot reports {@value #VELOQ_NOT_YET}; no figure is ever made
 * up for it. Other servers can be plugged in through {@link ServiceLoader} with {@link Provider}.
 */
public final class EchoServers {

    public static final String NIO = "nio";
    public static final String NETTY_EPOLL = "netty-epoll";
    public static final String NETTY_URING = "netty-uring";
    public static final String VELOQ = "veloq";
    /** Veloq's echo server on the pure-Java nio driver. */
    public static final String VELOQ_NIO = "veloq-nio";

    /** Fully qualified name of the class that fills the {@code veloq} slot. */
    public static final String VELOQ_CLASS = "io.veloq.bench.echo.VeloqEchoServer";
    public static final String VELOQ_NOT_YET = "not available yet";

    /** Default order of the rows: the order servers are interleaved in each round. */
    public static final List<String> DEFAULT_ORDER = List.of(NIO, NETTY_EPOLL, NETTY_URING, VELOQ, VELOQ_NIO);

    /** A pluggable server (found with {@link ServiceLoader}). */
    public interface Provider {
        String name();

        /** {@code null} when the server can run here, else why not. */
        String unavailableReason();

        EchoServer create();
    }

    private EchoServers() {
    }

    /** Every server name known in this class path, built-ins first. */
    public static List<String> names() {
        Map<String, Boolean> names = new LinkedHashMap<>();
        for (String n : DEFAULT_ORDER) {
            names.put(n, Boolean.TRUE);
        }
        for (Provider p : ServiceLoader.load(Provider.class)) {
            names.put(p.name(), Boolean.TRUE);
        }
        return List.copyOf(names.keySet());
    }

    /** {@code null} when {@code name} can run on this machine, else a short reason for the report. */
    public static String unavailableReason(String name) {
        try {
            switch (name) {
                case NIO:
                    return null;
                case NETTY_EPOLL:
                    return NettyEchoServer.unavailableReason(NettyEchoServer.Transport.EPOLL);
                case NETTY_URING:
                    return NettyEchoServer.unavailableReason(NettyEchoServer.Transport.IO_URING);
                case VELOQ:
                    return veloqUnavailableReason();
                case VELOQ_NIO:
                    String why = veloqUnavailableReason();
                    return why != null ? why : VeloqLeanEchoServer.unavailableReason("nio");
                default:
                    Provider p = provider(name);
                    return p == null ? "unknown server" : p.unavailableReason();
            }
        } catch (Throwable t) {
            return t.getClass().getSimpleName() + ": " + t.getMessage();
        }
    }

    /** Creates (does not start) the server called {@code name}. */
    public static EchoServer create(String name) {
        switch (name) {
            case NIO:
                return new NioEchoServer();
            case NETTY_EPOLL:
                return new NettyEchoServer(NettyEchoServer.Transport.EPOLL);
            case NETTY_URING:
                return new NettyEchoServer(NettyEchoServer.Transport.IO_URING);
            case VELOQ:
                return createVeloq();
            case VELOQ_NIO:
                return VeloqEchoServer.nio();
            default:
                Provider p = provider(name);
                if (p == null) {
                    throw new IllegalArgumentException("unknown echo server '" + name + "', known: " + names());
                }
                return p.create();
        }
    }

    /** A registry of suppliers by name, for callers that want to iterate. */
    public static Map<String, Supplier<EchoServer>> suppliers() {
        Map<String, Supplier<EchoServer>> m = new LinkedHashMap<>();
        for (String n : names()) {
            m.put(n, () -> create(n));
        }
        return m;
    }

    private static Provider provider(String name) {
        for (Provider p : ServiceLoader.load(Provider.class)) {
            if (p.name().equals(name)) {
                return p;
            }
        }
        return null;
    }

    private static Class<?> veloqClass() {
        try {
            return Class.forName(VELOQ_CLASS, false, EchoServers.class.getClassLoader());
        } catch (ClassNotFoundException e) {
            return null;
        }
    }

    private static String veloqUnavailableReason() throws Exception {
        Class<?> c = veloqClass();
        if (c == null) {
            return VELOQ_NOT_YET;
        }
        if (!EchoServer.class.isAssignableFrom(c)) {
            return VELOQ_CLASS + " does not implement EchoServer";
        }
        try {
            Method m = c.getMethod("unavailableReason");
            Object r = m.invoke(null);
            return r == null ? null : r.toString();
        } catch (NoSuchMethodException e) {
            return null;
        }
    }

    private static EchoServer createVeloq() {
        Class<?> c = veloqClass();
        if (c == null) {
            throw new IllegalStateException("veloq: " + VELOQ_NOT_YET);
        }
        try {
            Constructor<?> k = c.getConstructor();
            return (EchoServer) k.newInstance();
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot create " + VELOQ_CLASS + ": " + e, e);
        }
    }
}
