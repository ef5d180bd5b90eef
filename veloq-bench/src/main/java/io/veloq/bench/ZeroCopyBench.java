package io.veloq.bench;

import io.veloq.api.Capability;
import io.veloq.api.EventLoop;
import io.veloq.api.IoRuntime;
import io.veloq.api.Op;
import io.veloq.api.buffer.FixedBuf;
import io.veloq.api.net.TcpStream;
import io.veloq.api.op.Send;
import io.veloq.bench.sys.ProcCpu;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Copying against zero-copy sends ({@code Send} against {@code Send.zeroCopy}, io_uring {@code SEND} against
 * {@code SEND_ZC} from the registered pool) over loopback TCP, per message size, interleaved (copy, zero-copy,
 * copy, ...) in each round, median of the rounds. A Veloq loop keeps {@code --in-flight} sends of one size in
 * flight on one connection; a JDK thread drains it. Reported: throughput, and the sender's CPU per KiB: this
 * process's CPU time (its threads, the kernel work they cause, io_uring's workers) less the receiving thread's.
 *
 * <p>Loopback copies anyway (the receiver's socket gets a copy), and a zero-copy send's buffer comes back only
 * with its notification, when the receiving side has freed the data, so the table shows what zero-copy costs
 * and saves here, not what a network card would see.
 *
 * <pre>{@code veloq-bench/run-zc.sh --sizes 4096,65536,1048576 --seconds 2 --rounds 3}</pre>
 */
public final class ZeroCopyBench {
    private ZeroCopyBench() {
    }

    record Window(long bytes, double seconds, long senderCpuNanos) {
        double mbPerSecond() {
            return bytes / seconds / 1e6;
        }

        double cpuNanosPerKiB() {
            return bytes == 0 ? Double.NaN : senderCpuNanos / (bytes / 1024.0);
        }
    }

    public static void main(String[] args) throws Exception {
        List<Integer> sizes = List.of(4096, 65536, 262144, 1048576);
        double seconds = 2;
        double warmup = 1;
        int rounds = 3;
        int inFlight = 8;
        Path out = Path.of("target/bench");
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--sizes" -> sizes = Arrays.stream(args[++i].split(",")).map(Integer::parseInt).toList();
                case "--seconds" -> seconds = Double.parseDouble(args[++i]);
                case "--warmup" -> warmup = Double.parseDouble(args[++i]);
                case "--rounds" -> rounds = Integer.parseInt(args[++i]);
                case "--in-flight" -> inFlight = Integer.parseInt(args[++i]);
                case "--out" -> out = Path.of(args[++i]);
                default -> throw new IllegalArgumentException("unknown flag " + args[i]
                        + "; flags: --sizes a,b --seconds S --warmup S --rounds N --in-flight N --out DIR");
            }
        }
        int max = sizes.stream().mapToInt(Integer::intValue).max().orElseThrow();
        Map<String, List<Window>> results = new LinkedHashMap<>();
        try (IoRuntime rt = IoRuntime.builder().driver("uring").threads(1).buffers(max, inFlight, inFlight * 2).open()) {
            boolean zc = rt.capabilities().contains(Capability.ZERO_COPY_SEND);
            System.out.println("zero-copy bench: driver " + rt.driverId() + ", ZERO_COPY_SEND " + (zc ? "yes" : "no (copies)")
                    + ", " + inFlight + " sends in flight, " + rounds + " rounds x " + seconds + " s");
            for (int r = 0; r < rounds; r++) {
                for (int size : sizes) {
                    for (boolean zeroCopy : new boolean[] {false, true}) {
                        Window w = run(rt.loop(0), size, zeroCopy, inFlight, warmup, seconds);
                        results.computeIfAbsent(size + (zeroCopy ? " zc" : " copy"), k -> new ArrayList<>()).add(w);
                        System.out.printf("round %d  %8d B  %-9s %9.1f MB/s  %8.1f ns CPU/KiB%n", r + 1, size,
                                zeroCopy ? "zero-copy" : "copy", w.mbPerSecond(), w.cpuNanosPerKiB());
                    }
                }
            }
            String table = table(sizes, results, zc, inFlight, rounds, seconds);
            System.out.println();
            System.out.println(table);
            Files.createDirectories(out);
            Files.writeString(out.resolve("zero-copy.md"), table);
        }
    }

    private static Window run(EventLoop loop, int size, boolean zeroCopy, int inFlight, double warmup, double seconds)
            throws Exception {
        try (ServerSocketChannel ss = ServerSocketChannel.open()) {
            ss.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            AtomicLong received = new AtomicLong();
            CompletableFuture<Long> receiverThread = new CompletableFuture<>();
            Thread drain = new Thread(() -> {
                receiverThread.complete(Thread.currentThread().getId());
                try (SocketChannel c = ss.accept()) {
                    ByteBuffer b = ByteBuffer.allocateDirect(1 << 20);
                    while (true) {
                        b.clear();
                        int n = c.read(b);
                        if (n < 0) {
                            return;
                        }
                        received.addAndGet(n);
                    }
                } catch (IOException e) {
                    // the sender closed: the window is over
                }
            }, "zc-bench-receiver");
            drain.start();
            long receiverId = receiverThread.get(5, TimeUnit.SECONDS);
            TcpStream stream = TcpStream.connect(loop, ss.getLocalAddress());
            Sender sender = new Sender(loop, stream, size, zeroCopy, inFlight);
            loop.execute(sender::start);
            Thread.sleep((long) (warmup * 1000));
            com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
            long cpu0 = ProcCpu.selfCpuNanos() - mx.getThreadCpuTime(receiverId);
            long bytes0 = received.get();
            long t0 = System.nanoTime();
            Thread.sleep((long) (seconds * 1000));
            long bytes1 = received.get();
            long t1 = System.nanoTime();
            long cpu1 = ProcCpu.selfCpuNanos() - mx.getThreadCpuTime(receiverId);
            sender.stop().get(30, TimeUnit.SECONDS); // every buffer back (a zero-copy one after its notification)
            stream.close();
            drain.join(10_000);
            return new Window(bytes1 - bytes0, (t1 - t0) / 1e9, cpu1 - cpu0);
        }
    }

    /** Keeps {@code inFlight} sends of {@code size} bytes going on the loop thread, each op and buffer reused. */
    private static final class Sender {
        private final EventLoop loop;
        private final List<Op<Send>> ops = new ArrayList<>();
        private final List<FixedBuf> bufs = new ArrayList<>();
        private final CompletableFuture<Void> stopped = new CompletableFuture<>();
        private volatile boolean stopping;
        private int live;

        Sender(EventLoop loop, TcpStream stream, int size, boolean zeroCopy, int inFlight) {
            this.loop = loop;
            for (int i = 0; i < inFlight; i++) {
                FixedBuf b = loop.bufPool().lease();
                b.writerIndex(size);
                bufs.add(b);
                ops.add(Op.of(zeroCopy ? Send.zeroCopy(stream.fd(), b) : new Send(stream.fd(), b), op -> {
                    if (stopping || !op.isSuccess()) {
                        if (--live == 0) {
                            stopped.complete(null);
                        }
                        return;
                    }
                    if (b.readableBytes() == 0) {
                        b.clear().writerIndex(size);
                    }
                    loop.submit(op.reset());
                }));
            }
        }

        void start() {
            live = ops.size();
            for (Op<Send> op : ops) {
                loop.submit(op);
            }
        }

        CompletableFuture<Void> stop() {
            stopping = true;
            return stopped.thenRun(() -> loop.execute(() -> bufs.forEach(FixedBuf::release)));
        }
    }

    private static double median(List<Double> v) {
        double[] a = v.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        return a.length == 0 ? Double.NaN : a.length % 2 == 1 ? a[a.length / 2] : (a[a.length / 2 - 1] + a[a.length / 2]) / 2;
    }

    private static String table(List<Integer> sizes, Map<String, List<Window>> r, boolean zc, int inFlight, int rounds,
                                double seconds) {
        StringBuilder sb = new StringBuilder();
        sb.append("## Zero-copy send against copying send (loopback TCP, io_uring")
                .append(zc ? " SEND_ZC from the registered pool" : ": ZERO_COPY_SEND absent, both rows copy").append(")\n\n")
                .append(inFlight).append(" sends in flight on one connection, median of ").append(rounds).append(" rounds of ")
                .append(seconds).append(" s, copy and zero-copy interleaved in each round. Sender CPU: this process's CPU "
                        + "time less the receiving thread's, per KiB received.\n\n")
                .append("| message | copy MB/s | zero-copy MB/s | copy CPU ns/KiB | zero-copy CPU ns/KiB | zero-copy / copy CPU |\n")
                .append("|---:|---:|---:|---:|---:|---:|\n");
        for (int size : sizes) {
            List<Window> c = r.get(size + " copy");
            List<Window> z = r.get(size + " zc");
            double cMb = median(c.stream().map(Window::mbPerSecond).toList());
            double zMb = median(z.stream().map(Window::mbPerSecond).toList());
            double cCpu = median(c.stream().map(Window::cpuNanosPerKiB).toList());
            double zCpu = median(z.stream().map(Window::cpuNanosPerKiB).toList());
            sb.append(String.format("| %s | %.0f | %.0f | %.1f | %.1f | %.2f |%n", size >= 1 << 20 ? (size >> 20) + " MiB"
                    : (size >> 10) + " KiB", cMb, zMb, cCpu, zCpu, zCpu / cCpu));
        }
        return sb.toString();
    }
}
