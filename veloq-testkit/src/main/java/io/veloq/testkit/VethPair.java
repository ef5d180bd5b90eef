package io.veloq.testkit;

import io.veloq.testkit.internal.UdpProbe;

import java.io.IOException;
import java.net.InetAddress;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A real-kernel fixture for packet code (AF_XDP): a veth pair whose one end ({@link #hostIface()}) stays in
 * this network namespace, without an address, and whose other end ({@link #peerIface()}) lives in a fresh
 * namespace with address {@link #peerAddress()} and a permanent neighbour entry for {@link #hostAddress()}
 * (so nothing needs ARP). {@link #udpExchange} sends datagrams from inside the namespace with a plain JDK
 * {@code DatagramSocket} in a child JVM ({@code ip netns exec}) and checks every reply byte.
 * Names are unique and contain "xdp"; {@link #close()} removes both (also at JVM exit if a test forgot).
 *
 * <pre>{@code
 * assumeTrue(VethPair.missingPrivileges() == null, VethPair.missingPrivileges());
 * try (VethPair veth = VethPair.create(1)) {
 *     // bind an XdpSocket to veth.hostIface(), then:
 *     VethPair.Exchange r = veth.udpExchange(5000, 9000, 100, 64, Duration.ofSeconds(10));
 *     assertEquals(100, r.received());
 * }
 * }</pre>
 *
 * Needs {@code ip} (iproute2) and CAP_NET_ADMIN + CAP_SYS_ADMIN (root).
 *
 * @since 0.2
 */
public final class VethPair implements AutoCloseable {
    private static final AtomicInteger COUNTER = new AtomicInteger();
    private static final long PID = ProcessHandle.current().pid();

    private final String namespace;
    private final String hostIface;
    private final String peerIface;
    private final String hostMac;
    private final String peerMac;
    private final InetAddress hostAddress;
    private final InetAddress peerAddress;
    private final Thread cleanup;
    private boolean closed;

    private VethPair(String namespace, String hostIface, String peerIface, String hostMac, String peerMac,
                     InetAddress hostAddress, InetAddress peerAddress) {
        this.namespace = namespace;
        this.hostIface = hostIface;
        this.peerIface = peerIface;
        this.hostMac = hostMac;
        this.peerMac = peerMac;
        this.hostAddress = hostAddress;
        this.peerAddress = peerAddress;
        this.cleanup = new Thread(this::remove, "veth cleanup " + hostIface);
        Runtime.getRuntime().addShutdownHook(cleanup);
    }

    /**
     * Null when this process may create namespaces, veth pairs and AF_XDP sockets; else which capabilities
     * are missing, for a test's skip message.
     */
    public static String missingPrivileges() {
        long eff;
        try {
            eff = Files.readAllLines(Path.of("/proc/self/status")).stream().filter(l -> l.startsWith("CapEff:"))
                    .map(l -> Long.parseUnsignedLong(l.substring(7).trim(), 16)).findFirst().orElse(0L);
        } catch (IOException | RuntimeException e) {
            return "cannot read /proc/self/status (not Linux?): " + e;
        }
        List<String> missing = new ArrayList<>();
        if ((eff & (1L << 12)) == 0) {
            missing.add("CAP_NET_ADMIN");
        }
        if ((eff & (1L << 13)) == 0) {
            missing.add("CAP_NET_RAW");
        }
        if ((eff & (1L << 21)) == 0) {
            missing.add("CAP_SYS_ADMIN (network namespaces)");
        }
        if ((eff & (1L << 39)) == 0 && (eff & (1L << 21)) == 0) {
            missing.add("CAP_BPF");
        }
        return missing.isEmpty() ? null
                : "AF_XDP tests on a veth pair need root (missing " + String.join(", ", missing) + "); run them as root";
    }

    /** A pair with one RX/TX queue per end. */
    public static VethPair create() {
        return create(1);
    }

    /** A pair with {@code queues} RX and TX queues per end. @throws IllegalStateException if {@code ip} fails */
    public static VethPair create(int queues) {
        int n = (int) ((PID * 31 + COUNTER.incrementAndGet()) % 100_000);
        String ns = "veloq-xdp-" + PID + "-" + n;
        String a = "xdp" + n + "a";
        String b = "xdp" + n + "b";
        int subnet = n % 250 + 1;
        String q = String.valueOf(queues);
        boolean made = false;
        try {
            ip("netns", "add", ns);
            ip("link", "add", a, "numrxqueues", q, "numtxqueues", q, "type", "veth", "peer", "name", b,
                    "numrxqueues", q, "numtxqueues", q);
            made = true;
            ip("link", "set", b, "netns", ns);
            disableIpv6(Path.of("/proc/sys/net/ipv6/conf", a, "disable_ipv6"));
            ip("link", "set", a, "up");
            String hostIp = "10.213." + subnet + ".1";
            String peerIp = "10.213." + subnet + ".2";
            ip("netns", "exec", ns, "sh", "-c", "echo 1 > /proc/sys/net/ipv6/conf/" + b + "/disable_ipv6 || true");
            ip("-n", ns, "link", "set", "lo", "up");
            ip("-n", ns, "link", "set", b, "up");
            ip("-n", ns, "addr", "add", peerIp + "/24", "dev", b);
            String hostMac = Files.readString(Path.of("/sys/class/net", a, "address")).trim();
            String peerMac = mac(ip("-n", ns, "-o", "link", "show", b));
            ip("-n", ns, "neigh", "replace", hostIp, "lladdr", hostMac, "dev", b, "nud", "permanent");
            return new VethPair(ns, a, b, hostMac, peerMac, InetAddress.getByName(hostIp), InetAddress.getByName(peerIp));
        } catch (IOException | RuntimeException e) {
            if (made) {
                ipQuiet("link", "del", a);
            }
            ipQuiet("netns", "del", ns);
            throw e instanceof RuntimeException re ? re : new IllegalStateException("creating veth pair " + a + "/" + b
                    + " with namespace " + ns + " failed: " + e.getMessage(), e);
        }
    }

    private static void disableIpv6(Path p) {
        try {
            Files.writeString(p, "1");
        } catch (IOException | RuntimeException e) {
            // IPv6 may be off already; its chatter would only be passed to the stack
        }
    }

    private static String mac(String linkShow) {
        int i = linkShow.indexOf("link/ether ");
        if (i < 0) {
            throw new IllegalStateException("no MAC address in: " + linkShow);
        }
        return linkShow.substring(i + 11, i + 28);
    }

    /** The end in this namespace (bind the XdpSocket here). */
    public String hostIface() {
        return hostIface;
    }

    /** The end inside {@link #namespace()}. */
    public String peerIface() {
        return peerIface;
    }

    public String namespace() {
        return namespace;
    }

    /** The host end's MAC, {@code aa:bb:...}. */
    public String hostMac() {
        return hostMac;
    }

    public String peerMac() {
        return peerMac;
    }

    /** The address the peer sends to (not configured on the host end: the XDP program answers for it). */
    public InetAddress hostAddress() {
        return hostAddress;
    }

    public InetAddress peerAddress() {
        return peerAddress;
    }

    /**
     * The result of {@link #udpExchange}: how many datagrams came back intact and how many were wrong, with
     * the probe's output.
     *
     * @since 0.2
     */
    public record Exchange(int sent, int received, int bad, List<String> lines) {
    }

    /**
     * From inside the namespace, sends {@code count} seeded datagrams of {@code size} bytes from
     * {@code peerAddress():srcPort} to {@code hostAddress():dstPort} and waits up to {@code timeout} for each
     * to come back from there, byte for byte.
     */
    public Exchange udpExchange(int srcPort, int dstPort, int count, int size, Duration timeout) {
        return udpExchange(srcPort, dstPort, count, size, 42, timeout, 0);
    }

    /**
     * {@link #udpExchange(int, int, int, int, Duration)} with a seed and a window: at most {@code window} datagrams
     * unanswered at a time (after each {@code window} sends the probe waits, up to {@code timeout}, for their
     * replies), so the exchange paces itself to the reflector instead of overrunning its rings when a busy machine
     * runs it late. 0: send all, then wait (for tests of drops, where nothing answers).
     */
    public Exchange udpExchange(int srcPort, int dstPort, int count, int size, long seed, Duration timeout, int window) {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = List.of("ip", "netns", "exec", namespace, java, "-Xshare:auto", "-XX:TieredStopAtLevel=1",
                "-cp", probeClassPath(), UdpProbe.class.getName(), peerAddress.getHostAddress(), String.valueOf(srcPort),
                hostAddress.getHostAddress(), String.valueOf(dstPort), String.valueOf(count), String.valueOf(size),
                String.valueOf(seed), String.valueOf(timeout.toMillis()), String.valueOf(window));
        String out = run(cmd, timeout.plusSeconds(60));
        List<String> lines = out.lines().toList();
        String summary = lines.stream().filter(l -> l.startsWith("SUMMARY")).findFirst()
                .orElseThrow(() -> new IllegalStateException("the UDP probe printed no summary:\n" + out));
        String[] f = summary.split(" ");
        return new Exchange(Integer.parseInt(f[1].substring(5)), Integer.parseInt(f[2].substring(9)),
                Integer.parseInt(f[3].substring(4)), lines);
    }

    /** The payload {@link #udpExchange} sends as datagram {@code index}. */
    public static byte[] payload(long seed, int index, int size) {
        return UdpProbe.payload(seed, index, size);
    }

    private static String probeClassPath() {
        try {
            return Path.of(UdpProbe.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
        } catch (URISyntaxException | RuntimeException e) {
            throw new IllegalStateException("cannot locate the testkit's classes for the UDP probe: " + e, e);
        }
    }

    /** Runs a command inside the namespace; returns its output. */
    public String execInNamespace(String... command) {
        List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", namespace));
        cmd.addAll(List.of(command));
        return run(cmd, Duration.ofSeconds(60));
    }

    /** {@code ip -d link show dev <host end>}: shows an attached XDP program ("prog/xdp id N"). */
    public String hostLinkDetails() {
        return ip("-d", "link", "show", "dev", hostIface);
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        remove();
        try {
            Runtime.getRuntime().removeShutdownHook(cleanup);
        } catch (IllegalStateException shuttingDown) {
            // the hook is running or about to
        }
    }

    private void remove() {
        ipQuiet("link", "del", hostIface);
        ipQuiet("netns", "del", namespace);
    }

    private static String ip(String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add("ip");
        cmd.addAll(List.of(args));
        return run(cmd, Duration.ofSeconds(60));
    }

    private static void ipQuiet(String... args) {
        try {
            ip(args);
        } catch (RuntimeException e) {
            // already gone
        }
    }

    private static String run(List<String> cmd, Duration timeout) {
        Process p;
        try {
            p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        } catch (IOException e) {
            if (cmd.get(0).equals("ip")) {
                throw new IllegalStateException("`ip` (iproute2) is not installed: apt-get install iproute2 ("
                        + e.getMessage() + ")", e);
            }
            throw new IllegalStateException("cannot run " + cmd + ": " + e.getMessage(), e);
        }
        try {
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException(cmd + " did not finish within " + timeout);
            }
            String text = new String(out, StandardCharsets.UTF_8);
            if (p.exitValue() != 0) {
                throw new IllegalStateException(String.join(" ", cmd) + " failed with exit code " + p.exitValue() + ": " + text.strip());
            }
            return text;
        } catch (IOException e) {
            throw new IllegalStateException("reading the output of " + cmd + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            p.destroyForcibly();
            throw new IllegalStateException("interrupted while running " + cmd, e);
        }
    }
}
