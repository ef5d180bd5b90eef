package io.veloq.bench.jmh;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@link NopBenchmark}'s batch-32 paths timed by the benchmark thread's CPU time instead of the wall clock:
 * on a machine shared with other work, a thread that is descheduled for half the time doubles JMH's figures
 * but not its own CPU time (which includes the kernel's work in {@code io_uring_enter}). Rows interleaved in
 * each round, median of the rounds; the ratios come from the same run.
 *
 * <pre>{@code java -cp ... io.veloq.bench.jmh.NopCpuProbe [rounds] [millisPerRound]}</pre>
 */
public final class NopCpuProbe {
    private NopCpuProbe() {
    }

    public static void main(String[] args) throws Exception {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 7;
        long millis = args.length > 1 ? Long.parseLong(args[1]) : 1000;
        String only = args.length > 2 ? args[2] : null; // e.g. "runtime null": one row, for a profiler
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        Map<String, NopBenchmark> benches = new LinkedHashMap<>();
        for (String d : new String[] {"uring", "null"}) {
            NopBenchmark b = new NopBenchmark();
            b.driver = d;
            b.open();
            benches.put(d, b);
        }
        Map<String, List<Double>> results = new LinkedHashMap<>();
        try {
            for (int r = -2; r < rounds; r++) { // two warm-up rounds, not recorded
                for (Map.Entry<String, NopBenchmark> e : benches.entrySet()) {
                    for (boolean runtime : new boolean[] {true, false}) {
                        if (only != null && !only.equals((runtime ? "runtime " : "driver ") + e.getKey())) {
                            continue;
                        }
                        NopBenchmark b = e.getValue();
                        long ops = 0;
                        long cpu0 = mx.getCurrentThreadCpuTime();
                        long end = System.nanoTime() + millis * 1_000_000;
                        while (System.nanoTime() < end) {
                            for (int i = 0; i < 100; i++) {
                                if (runtime) {
                                    b.runtimeBatch32();
                                } else {
                                    b.driverBatch32();
                                }
                            }
                            ops += 100 * NopBenchmark.BATCH;
                        }
                        double nsPerOp = (mx.getCurrentThreadCpuTime() - cpu0) / (double) ops;
                        if (r >= 0) {
                            results.computeIfAbsent((runtime ? "runtime" : "driver") + " " + e.getKey(),
                                    k -> new ArrayList<>()).add(nsPerOp);
                        }
                    }
                }
            }
        } finally {
            benches.values().forEach(NopBenchmark::close);
        }
        System.out.println("| path (Nop, batch 32) | CPU ns/op, median of " + rounds + " | rounds |");
        System.out.println("|---|---:|---|");
        Map<String, Double> med = new LinkedHashMap<>();
        for (Map.Entry<String, List<Double>> e : results.entrySet()) {
            double[] v = e.getValue().stream().mapToDouble(Double::doubleValue).sorted().toArray();
            double m = v[v.length / 2];
            med.put(e.getKey(), m);
            System.out.printf("| %s | %.1f | %s |%n", e.getKey(), m, Arrays.toString(
                    e.getValue().stream().mapToLong(Math::round).toArray()));
        }
        if (only != null) {
            return;
        }
        System.out.printf("%nruntime/driver on uring: %.2f (target <= 1.10); host alone (runtime on null driver): %.1f ns"
                + " (target <= 20)%n", med.get("runtime uring") / med.get("driver uring"), med.get("runtime null"));
    }
}
