package io.veloq.bench;

import io.veloq.bench.echo.EchoServer;
import io.veloq.bench.echo.EchoServers;
import io.veloq.bench.http.HttpServers;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Entry point of a server process: {@code ServerMain NAME [PORT]}: an echo server, or with the prefix
 * {@code http-} an HTTP static-file server ({@link HttpServers}).
 *
 * <p>Starts the echo server, prints {@code READY port=P pid=PID} then {@code INFO ...} on stdout, and
 * answers commands read from stdin, one per line:
 * <ul>
 *   <li>{@code stats}: {@code STATS <bytes allocated by the loop threads> <bytes allocated by all threads>
 *   <loop threads' CPU ns>}</li>
 *   <li>{@code stop} or end of input: stops the server and exits 0.</li>
 * </ul>
 * On failure it prints {@code FAILED reason} and exits 2.
 */
public final class ServerMain {

    private ServerMain() {
    }

    public static void main(String[] args) throws Exception {
        PrintStream out = new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), true,
                StandardCharsets.UTF_8);
        if (args.length < 1) {
            out.println("FAILED usage: ServerMain NAME [PORT]");
            System.exit(2);
        }
        String name = args[0];
        int port = args.length > 1 ? Integer.parseInt(args[1]) : 0;
        EchoServer server;
        int bound;
        try {
            boolean http = HttpServers.isHttp(name);
            String id = http ? name.substring(HttpServers.PREFIX.length()) : name;
            String reason = http ? HttpServers.unavailableReason(id) : EchoServers.unavailableReason(name);
            if (reason != null) {
                out.println("FAILED " + reason);
                System.exit(2);
                return;
            }
            server = http ? HttpServers.create(id) : EchoServers.create(name);
            bound = server.start(port);
        } catch (Throwable t) {
            out.println("FAILED " + t.toString().replace('\n', ' '));
            System.exit(2);
            return;
        }
        ThreadCounters counters = new ThreadCounters();
        counters.sample(server.loopThreads()); // warm the MXBean before the first measured window
        out.println("READY port=" + bound + " pid=" + ProcessHandle.current().pid());
        out.println("INFO " + server.describe().replace('\n', ' '));
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        String line;
        while ((line = in.readLine()) != null) {
            line = line.trim();
            if (line.equals("stats")) {
                long[] s = counters.sample(server.loopThreads());
                out.println("STATS " + s[0] + " " + s[1] + " " + s[2]);
            } else if (line.equals("stop")) {
                break;
            }
        }
        server.stop();
        out.println("STOPPED");
        System.exit(0);
    }

    /** Per-thread allocation and CPU counters (HotSpot's {@code com.sun.management.ThreadMXBean}). */
    static final class ThreadCounters {
        private final java.lang.management.ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        private final com.sun.management.ThreadMXBean hs =
                mx instanceof com.sun.management.ThreadMXBean ? (com.sun.management.ThreadMXBean) mx : null;

        ThreadCounters() {
            if (hs != null && hs.isThreadAllocatedMemorySupported()) {
                hs.setThreadAllocatedMemoryEnabled(true);
            }
        }

        /** {loop threads' allocated bytes, all threads' allocated bytes, loop threads' CPU ns}; -1 if unknown. */
        long[] sample(List<Thread> loops) {
            long loopAlloc = 0;
            long loopCpu = 0;
            if (hs == null) {
                return new long[] {-1, -1, -1};
            }
            for (Thread t : loops) {
                @SuppressWarnings("deprecation")
                long id = t.getId();
                loopAlloc += hs.getThreadAllocatedBytes(id);
                loopCpu += hs.getThreadCpuTime(id);
            }
            // Live threads' sum: getTotalThreadAllocatedBytes() is not in the Java 17 API that --release 17
            // compiles against on JDK 21+ (JDK 17 updates have it as a backport), so javac 25 refuses it.
            long total = 0;
            for (long b : hs.getThreadAllocatedBytes(hs.getAllThreadIds())) {
                total += Math.max(0, b);
            }
            return new long[] {loopAlloc, total, loopCpu};
        }
    }
}
