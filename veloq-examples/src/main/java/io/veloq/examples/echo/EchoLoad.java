package io.veloq.examples.echo;

import io.veloq.api.EventLoop;
import io.veloq.api.IoRuntime;
import io.veloq.api.buffer.BufPool;
import io.veloq.api.net.TcpStream;

import java.io.IOException;
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
 * The echo load generator: opens the connections (spread over the client's loops), runs them for the
 * duration with {@code depth} messages in flight each, then lets every connection drain its in-flight
 * messages, checking every byte, and reports throughput and latency percentiles.
 *
 * <pre>{@code
 * LoadReport r = EchoLoad.run(new EchoClientOptions("127.0.0.1", 7000, 64, 64, 1, Duration.ofSeconds(5), 1, null));
 * System.out.println(r.format());
 * }</pre>
 */
public final class EchoLoad {
    private static final Duration CONNECT_WAIT = Duration.ofSeconds(10);
    private static final Duration DRAIN_WAIT = Duration.ofSeconds(10);

    private volatile boolean running = true;

    EchoLoad() {
    }

    /** Ends the run: connections finish what they have in flight, then close. */
    void stop() {
        running = false;
    }

    boolean running() {
        return running;
    }

    boolean measuring() {
        return running;
    }

    /** Opens a client runtime, runs the load against {@code o.host():o.port()}, closes the runtime. */
    public static LoadReport run(EchoClientOptions o) throws IOException, InterruptedException {
        InetSocketAddress target = new InetSocketAddress(InetAddress.getByName(o.host()), o.port());
        int perLoop = (o.conns() + o.threads() - 1) / o.threads();
        try (IoRuntime rt = IoRuntime.builder()
                .driver(o.driver())
                .threads(o.threads())
                .buffers(Math.max(16 * 1024, o.size()), 2 * perLoop + 4)
                .maxInFlight(Math.max(4096, 4 * perLoop + 64))
                .open()) {
            return run(rt, o, target);
        }
    }

    /**
     * Runs the load on an open runtime (each loop needs a pool of at least two buffers per connection it
     * serves, each holding one message). The runtime stays open.
     */
    public static LoadReport run(IoRuntime rt, EchoClientOptions o, InetSocketAddress target)
            throws IOException, InterruptedException {
        EchoLoad load = new EchoLoad();
        List<EventLoop> loops = rt.loops();
        int n = Math.min(o.threads(), loops.size());
        List<LoadLoop> loadLoops = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            int conns = o.conns() / n + (i < o.conns() % n ? 1 : 0);
            loadLoops.add(new LoadLoop(loops.get(i), load, conns));
        }
        List<CompletableFuture<TcpStream>> connecting = new ArrayList<>();
        for (int c = 0; c < o.conns(); c++) {
            EventLoop loop = loadLoops.get(c % n).loop();
            connecting.add(TcpStream.connector(loop)
                    .option(StandardSocketOptions.TCP_NODELAY, true)
                    .deadline(CONNECT_WAIT)
                    .connectAsync(target));
        }
        List<TcpStream> streams = new ArrayList<>();
        IOException failure = null;
        for (int c = 0; c < connecting.size(); c++) {
            try {
                streams.add(connecting.get(c).get(CONNECT_WAIT.toSeconds() + 5, TimeUnit.SECONDS));
            } catch (ExecutionException | TimeoutException e) {
                Throwable cause = e instanceof ExecutionException ? e.getCause() : e;
                if (failure == null) {
                    failure = new IOException("echo-client: connection " + c + " to " + target + " failed: " + cause, cause);
                }
            }
        }
        if (failure != null) {
            for (TcpStream s : streams) {
                s.close();
            }
            throw failure;
        }
        List<LoadConnection> conns = new ArrayList<>();
        for (int c = 0; c < streams.size(); c++) {
            LoadLoop ll = loadLoops.get(c % n);
            BufPool pool = ll.loop().bufPool();
            if (pool == null || pool.bufferSize() < o.size()) {
                throw new IllegalArgumentException("the runtime's loops need buffer pools of at least " + o.size()
                        + "-byte buffers (IoRuntime.builder().buffers(size, count))");
            }
            conns.add(new LoadConnection(ll, c, streams.get(c), pool.lease(), pool.lease(), o.size(), o.depth()));
        }
        long start = System.nanoTime();
        for (int c = 0; c < conns.size(); c++) {
            loadLoops.get(c % n).loop().execute(conns.get(c)::start);
        }
        long end = start + o.duration().toNanos();
        long now;
        while ((now = System.nanoTime()) - end < 0) {
            TimeUnit.NANOSECONDS.sleep(Math.min(end - now, TimeUnit.MILLISECONDS.toNanos(100)));
        }
        load.running = false;
        Duration elapsed = Duration.ofNanos(System.nanoTime() - start);
        List<String> errors = new ArrayList<>();
        for (LoadLoop ll : loadLoops) {
            if (!ll.drained().await(DRAIN_WAIT.toMillis(), TimeUnit.MILLISECONDS)) {
                errors.add(ll.drained().getCount() + " connections on loop " + ll.loop().index()
                        + " did not finish within " + DRAIN_WAIT.toSeconds() + " s after the run");
            }
        }
        LatencyHistogram all = new LatencyHistogram();
        long measured = 0;
        long verified = 0;
        for (LoadLoop ll : loadLoops) {
            // Each loop's counters are final once its latch is open; run the read on the loop to be safe.
            CompletableFuture<Void> read = new CompletableFuture<>();
            ll.loop().execute(() -> read.complete(null));
            try {
                read.get(5, TimeUnit.SECONDS);
            } catch (ExecutionException | TimeoutException e) {
                errors.add("loop " + ll.loop().index() + " did not respond: " + e);
            }
            all.add(ll.histogram());
            measured += ll.measuredMessages();
            verified += ll.messages();
            errors.addAll(ll.errors());
        }
        return new LoadReport(o.conns(), o.size(), o.depth(), elapsed, measured, verified, all, List.copyOf(errors));
    }
}
