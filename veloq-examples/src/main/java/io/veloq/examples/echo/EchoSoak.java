package io.veloq.examples.echo;

import io.veloq.api.EventLoop;
import io.veloq.api.IoRuntime;
import io.veloq.api.buffer.BufPool;
import io.veloq.api.buffer.FixedBuf;
import io.veloq.api.net.TcpStream;

import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The echo client's soak mode ({@code --rate}): opens {@code conns} connections at {@code rate} per second,
 * keeps every one open until the end, each sending a message every {@code interval} and checking every
 * echoed byte, and prints a progress line every {@code reportEvery}: connections, messages verified, errors,
 * and the RSS, descriptors and threads of this process and of the server ({@code --server-pid}). A server
 * that holds flat under it does not leak per connection or per message.
 *
 * <pre>
 * ./veloq echo-server --threads 2 &amp;
 * ./veloq echo-client --conns 10000 --rate 500 --seconds 480 --server-pid $!
 * </pre>
 *
 * <p>The run passes when every connection was opened, none failed or was dropped, and every byte matched.
 */
public final class EchoSoak {
    private static final Duration CONNECT_WAIT = Duration.ofSeconds(10);
    private static final Duration DRAIN_SLACK = Duration.ofSeconds(10);

    private final EchoClientOptions o;
    private final EchoClientOptions.Soak soak;
    private final InetSocketAddress target;
    private final PrintStream out;
    private final EchoLoad load = new EchoLoad();
    private final List<LoadLoop> loops = new ArrayList<>();
    private final List<String> problems = new ArrayList<>();
    private final long start = System.nanoTime();
    private final Trend self = new Trend();
    private final Trend server = new Trend();

    /** A process's samples: the first taken with every connection open (else the very first), the last, the peak RSS. */
    private static final class Trend {
        ProcessSample first;
        ProcessSample last;
        boolean firstIsSteady;
        long maxRss;

        void add(ProcessSample s, boolean steady) {
            if (s == null) {
                return;
            }
            if (first == null || steady && !firstIsSteady) {
                first = s;
                firstIsSteady = steady;
            }
            last = s;
            maxRss = Math.max(maxRss, s.rssBytes());
        }

        @Override
        public String toString() {
            return "rss " + EchoStats.bytes(first.rssBytes()) + " -> " + EchoStats.bytes(last.rssBytes()) + " (max "
                    + EchoStats.bytes(maxRss) + "), fds " + first.fds() + " -> " + last.fds() + ", threads "
                    + first.threads() + " -> " + last.threads();
        }
    }

    private EchoSoak(EchoClientOptions o, InetSocketAddress target, PrintStream out) {
        this.o = o;
        this.soak = o.soak();
        this.target = target;
        this.out = out;
    }

    /** Opens a client runtime sized for the soak, runs it, closes the runtime. Returns true if it passed. */
    public static boolean run(EchoClientOptions o, PrintStream out) throws IOException, InterruptedException {
        InetSocketAddress target = new InetSocketAddress(InetAddress.getByName(o.host()), o.port());
        int perLoop = (o.conns() + o.threads() - 1) / o.threads();
        try (IoRuntime rt = IoRuntime.builder()
                .driver(o.driver())
                .threads(o.threads())
                .buffers(Math.max(64, o.size() * o.depth()), 2 * perLoop + 4)
                .maxInFlight(Math.max(4096, 4 * perLoop + 64))
                .open()) {
            return run(rt, o, target, out);
        }
    }

    /**
     * Runs the soak on an open runtime (each loop's pool must hold two buffers of {@code size * depth} bytes
     * per connection it serves). The runtime stays open. Returns true if it passed.
     */
    public static boolean run(IoRuntime rt, EchoClientOptions o, InetSocketAddress target, PrintStream out)
            throws InterruptedException {
        if (o.soak() == null) {
            throw new IllegalArgumentException("not a soak: set EchoClientOptions.soak (--rate)");
        }
        return new EchoSoak(o, target, out).run(rt);
    }

    private boolean run(IoRuntime rt) throws InterruptedException {
        int n = Math.min(o.threads(), rt.loops().size());
        for (int i = 0; i < n; i++) {
            EventLoop loop = rt.loops().get(i);
            BufPool pool = loop.bufPool();
            int conns = o.conns() / n + (i < o.conns() % n ? 1 : 0);
            if (pool == null || pool.bufferSize() < o.size() * o.depth() || pool.maxCapacity() < 2 * conns) {
                throw new IllegalArgumentException("loop " + i + " needs a pool of " + 2 * conns + " buffers of at least "
                        + o.size() * o.depth() + " bytes (IoRuntime.builder().buffers(size, count))");
            }
            loops.add(new LoadLoop(loop, load, conns));
        }
        out.printf("echo-client soak: %d connections to %s at %.1f/s, one %d-byte message each every %s, for %.1f s%n",
                o.conns(), target, soak.rate(), o.size(), seconds(soak.interval()), o.duration().toNanos() / 1e9);
        long end = start + o.duration().toNanos();
        long nextReport = start + soak.reportEvery().toNanos();
        int opened = 0;
        for (long now = System.nanoTime(); now - end < 0; now = System.nanoTime()) {
            while (opened < o.conns() && now - dueAt(opened) >= 0) {
                open(opened++);
            }
            if (now - nextReport >= 0) {
                report(now, opened);
                nextReport += soak.reportEvery().toNanos();
            }
            long wake = Math.min(end - now, nextReport - now);
            if (opened < o.conns()) {
                wake = Math.min(wake, dueAt(opened) - now);
            }
            TimeUnit.NANOSECONDS.sleep(Math.max(0, Math.min(wake, TimeUnit.MILLISECONDS.toNanos(100))));
        }
        if (opened < o.conns()) {
            problems.add("only " + opened + " of " + o.conns() + " connections were opened in " + seconds(o.duration())
                    + " at " + soak.rate() + "/s: raise --seconds or --rate");
            for (int c = opened; c < o.conns(); c++) {
                LoadLoop ll = loops.get(c % loops.size());
                ll.loop().execute(() -> ll.neverOpened(1));
            }
        }
        long[] last = report(System.nanoTime(), opened);
        load.stop();
        Duration drain = soak.interval().plus(DRAIN_SLACK);
        for (LoadLoop ll : loops) {
            if (!ll.drained().await(drain.toMillis(), TimeUnit.MILLISECONDS)) {
                problems.add(ll.drained().getCount() + " connections on loop " + ll.loop().index()
                        + " did not finish within " + seconds(drain) + " after the run");
            }
        }
        long[] fin = counts();
        List<String> errors = new ArrayList<>(problems);
        for (LoadLoop ll : loops) {
            errors.addAll(ll.errors()); // final: every connection has drained, the latches order the reads
        }
        if (errors.isEmpty() && last[1] < o.conns()) {
            errors.add("only " + last[1] + " of " + o.conns() + " connections were open at the end");
        }
        summarize(fin, last, errors);
        return errors.isEmpty();
    }

    /** When connection {@code c} is due: connections go out evenly at the rate. */
    private long dueAt(int c) {
        return start + (long) (c * 1e9 / soak.rate());
    }

    private void open(int id) {
        LoadLoop ll = loops.get(id % loops.size());
        TcpStream.connector(ll.loop())
                .option(StandardSocketOptions.TCP_NODELAY, true)
                .deadline(CONNECT_WAIT)
                .connect(target, (stream, error) -> connected(ll, id, stream, error));
    }

    /** On the loop thread: start the connection's traffic, or count the failure. */
    private void connected(LoadLoop ll, int id, TcpStream stream, Throwable error) {
        if (error != null) {
            ll.connectFailed("connection " + id + " to " + target + " failed: " + error.getMessage());
            return;
        }
        if (!ll.running()) {
            ll.closeSocket(stream);
            ll.neverOpened(1);
            return;
        }
        BufPool pool = ll.loop().bufPool();
        FixedBuf a = pool.tryLease();
        FixedBuf b = a == null ? null : pool.tryLease();
        if (b == null) {
            if (a != null) {
                a.release();
            }
            ll.closeSocket(stream);
            ll.connectFailed("connection " + id + ": no buffer left in loop " + ll.loop().index() + "'s pool");
            return;
        }
        ll.connectionStarted();
        new LoadConnection(ll, id, stream, a, b, o.size(), o.depth(), soak.interval()).start();
    }

    /** Connected, open, verified, errors: summed over the loops, each read on its own thread. */
    private long[] counts() {
        long[] sum = new long[4];
        for (LoadLoop ll : loops) {
            CompletableFuture<long[]> f = new CompletableFuture<>();
            ll.loop().execute(() -> f.complete(ll.soakCounts()));
            try {
                long[] c = f.get(5, TimeUnit.SECONDS);
                for (int i = 0; i < sum.length; i++) {
                    sum[i] += c[i];
                }
            } catch (ExecutionException | TimeoutException e) {
                problems.add("loop " + ll.loop().index() + " did not answer within 5 s: " + e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        return sum;
    }

    private long[] report(long now, int opened) {
        long[] c = counts();
        ProcessSample me = ProcessSample.of(ProcessHandle.current().pid());
        ProcessSample them = soak.serverPid() > 0 ? ProcessSample.of(soak.serverPid()) : null;
        boolean steady = opened == o.conns() && c[1] == o.conns();
        self.add(me, steady);
        server.add(them, steady);
        out.printf("echo-client soak %6.1f s: %d/%d connected, %d open, %d messages verified, %d errors; client %s%s%n",
                (now - start) / 1e9, c[0], o.conns(), c[1], c[2], c[3], me == null ? "n/a" : me.format(),
                soak.serverPid() > 0 ? "; server " + (them == null ? "gone (pid " + soak.serverPid() + ")" : them.format()) : "");
        out.flush();
        return c;
    }

    private void summarize(long[] fin, long[] last, List<String> errors) {
        out.printf("echo-client soak: %d/%d connections opened at %.1f/s, %d held to the end, %d messages verified"
                        + " byte for byte, %d errors%n", last[0], o.conns(), soak.rate(), last[1], fin[2], errors.size());
        if (self.last != null) {
            out.println("echo-client soak: client " + self);
        }
        if (server.last != null) {
            out.println("echo-client soak: server (pid " + soak.serverPid() + ") " + server);
        }
        for (int i = 0; i < Math.min(10, errors.size()); i++) {
            out.println("  error: " + errors.get(i));
        }
        out.flush();
    }

    private static String seconds(Duration d) {
        return d.toMillis() < 1000 ? d.toMillis() + " ms" : String.format("%.1f s", d.toNanos() / 1e9);
    }
}
