package io.veloq.driver.nio;

import io.veloq.api.Capability;
import io.veloq.spi.Availability;
import io.veloq.spi.Driver;
import io.veloq.spi.DriverConfig;
import io.veloq.spi.DriverProvider;

import java.io.IOException;
import java.nio.channels.spi.SelectorProvider;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * The pure-Java driver's provider: id {@code nio}, priority 50, below the kernel drivers ({@code uring},
 * {@code iocp}: 100) and above the testkit's {@code fake}. It runs wherever a JDK does (Linux, macOS,
 * Windows, a container whose seccomp profile blocks io_uring), so {@code IoRuntime.open()} picks it when no
 * kernel driver can run.
 *
 * <pre>{@code
 * try (IoRuntime rt = IoRuntime.builder().driver("nio").open()) { ... }
 * }</pre>
 *
 * <p>The loops of one runtime share one handle table and one small pool of file threads: a provider
 * instance serves one runtime at a time (the host loads providers afresh for each runtime), and when its
 * last driver closes, sockets and files the application left open are closed.
 *
 * @since 0.1
 */
public final class NioProvider implements DriverProvider {
    /** The driver id. */
    public static final String ID = "nio";
    /** Its priority: below the kernel drivers' 100. */
    public static final int PRIORITY = 50;

    private LoopGroup group;

    /** For {@link java.util.ServiceLoader}. */
    public NioProvider() {
    }

    @Override
    public String id() {
        return ID;
    }

    @Override
    public int priority() {
        return PRIORITY;
    }

    @Override
    public Availability availability() {
        return Availability.available("java.nio on " + System.getProperty("os.name", "?") + " (pure Java: "
                + selectorName() + " selector, file ops on " + FileWorkers.THREADS + " threads)");
    }

    @Override
    public Set<Capability> capabilities() {
        return CAPABILITIES;
    }

    /**
     * What every nio driver supports; {@code LINKED_TIMEOUTS}: per-op deadlines run in the driver's own timer
     * heap, so a deadline costs no allocation. Not: registered buffers or files, multishot, zero-copy send, Unix
     * datagram sockets and abstract names, recv/send flags, IPV6_V6ONLY (java.nio has none of them).
     */
    static final Set<Capability> CAPABILITIES = Set.copyOf(EnumSet.of(Capability.FILE_IO, Capability.UNIX_SOCKETS,
            Capability.SOCKET_OPTIONS, Capability.DATAGRAM_SOCKETS, Capability.LINKED_TIMEOUTS,
            Capability.SEND_FILE));

    @Override
    public Map<String, String> details() {
        Map<String, String> d = new LinkedHashMap<>();
        d.put("selector", SelectorProvider.provider().getClass().getName());
        d.put("file-threads", String.valueOf(FileWorkers.THREADS));
        d.put("handles", "driver-issued, shared by the runtime's loops");
        return d;
    }

    private static String selectorName() {
        String n = SelectorProvider.provider().getClass().getSimpleName();
        return n.endsWith("SelectorProvider") ? n.substring(0, n.length() - "SelectorProvider".length()) : n;
    }

    @Override
    public Driver open(DriverConfig config) throws IOException {
        LoopGroup g;
        synchronized (this) {
            if (group == null || !group.opened()) {
                group = new LoopGroup();
                group.opened();
            }
            g = group;
        }
        try {
            return new NioDriver(config, g, CAPABILITIES);
        } catch (IOException | RuntimeException e) {
            g.release(null);
            throw e;
        }
    }

    @Override
    public String toString() {
        return "NioProvider(" + selectorName() + ")";
    }
}
