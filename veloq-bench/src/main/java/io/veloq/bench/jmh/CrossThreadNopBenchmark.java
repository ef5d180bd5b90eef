package io.veloq.bench.jmh;

import io.veloq.api.Completer;
import io.veloq.api.Op;
import io.veloq.api.OpState;
import io.veloq.api.IoRuntime;
import io.veloq.api.op.Nop;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * {@link Nop} submitted from another thread to a loop with its own thread (the completer API as an
 * application thread uses it): the cross-thread inbox, the driver wake-up and the completer on the loop
 * thread; the benchmark thread spins until the batch has completed. On two shared cores this one is noisy:
 * read it as the price of a hand-off, not of the op path.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class CrossThreadNopBenchmark {

    @Param({"uring"})
    public String driver;

    private IoRuntime runtime;
    private Op<Nop>[] ops;
    private final AtomicInteger completed = new AtomicInteger();

    @Setup(Level.Trial)
    @SuppressWarnings("unchecked")
    public void open() {
        runtime = IoRuntime.builder().driver(driver).queueDepth(64).maxInFlight(128).buffers(4096, 0)
                .registeredFiles(0).open();
        Completer<Nop> done = op -> completed.incrementAndGet();
        ops = new Op[NopBenchmark.BATCH];
        for (int i = 0; i < ops.length; i++) {
            ops[i] = Op.of(new Nop(), done);
        }
    }

    @TearDown(Level.Trial)
    public void close() {
        runtime.close();
    }

    private int batch(int n) {
        for (int i = 0; i < n; i++) {
            Op<Nop> op = ops[i];
            if (op.state() == OpState.COMPLETED) {
                op.reset();
            }
            runtime.loop().submit(op);
        }
        while (completed.get() < n) {
            Thread.onSpinWait();
        }
        completed.set(0);
        return n;
    }

    @Benchmark
    public int batch1() {
        return batch(1);
    }

    @Benchmark
    @OperationsPerInvocation(NopBenchmark.BATCH)
    public int batch32() {
        return batch(NopBenchmark.BATCH);
    }
}
