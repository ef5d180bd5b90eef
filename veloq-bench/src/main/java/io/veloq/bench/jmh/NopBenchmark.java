package io.veloq.bench.jmh;

import io.veloq.api.Completer;
import io.veloq.api.Op;
import io.veloq.api.OpLifecycle;
import io.veloq.api.OpState;
import io.veloq.api.IoRuntime;
import io.veloq.api.VeloqIoException;
import io.veloq.api.op.Nop;
import io.veloq.spi.CompletionSink;
import io.veloq.spi.Driver;
import io.veloq.spi.DriverConfig;
import io.veloq.spi.DriverProvider;
import java.io.IOException;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.concurrent.TimeUnit;
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
 * The op path without the network: submit + complete of {@link Nop}, in batches of 1 and 32, on the
 * benchmark thread (no thread hand-off), two ways:
 * <ul>
 *   <li>{@code runtime*}: through a manual {@link IoRuntime} driven with {@code runOnce}: the whole path a
 *   completer-API user pays (op state machine, host op table, budget, driver, completer call). Ops are
 *   reused with {@link Op#reset()}.</li>
 *   <li>{@code driver*}: the driver alone through the SPI ({@code prepare} + {@code submitAndWait}), what
 *   the host is built on. {@code runtime - driver} is the host's overhead.</li>
 * </ul>
 * {@code driver=uring} is the io_uring driver (one {@code io_uring_enter} per batch); {@code driver=null} is
 * {@link NullDriverProvider}, which completes Nops in memory without allocating, so {@code runtime*} on it is
 * the host's overhead alone; {@code driver=fake} is the testkit's simulated kernel (it records a trace per op,
 * so it allocates and is slower than the null driver: it is a correctness tool, shown for reference).
 *
 * <pre>{@code veloq-bench/run-jmh.sh NopBenchmark -prof gc}</pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class NopBenchmark {

    static final int BATCH = 32;

    @Param({"uring", "null", "fake"})
    public String driver;

    private IoRuntime runtime;
    private Op<Nop>[] ops;
    private int completed;

    private Driver raw;
    private final Nop nop = new Nop();
    private int rawCompleted;
    private final CompletionSink sink = (userData, result) -> rawCompleted++;

    /** Runs on the benchmark thread (Scope.Thread), which thereby owns the manual loop and the driver. */
    @Setup(Level.Trial)
    @SuppressWarnings("unchecked")
    public void open() throws IOException {
        runtime = IoRuntime.builder().driver(driver).manual().queueDepth(64).maxInFlight(128).buffers(4096, 0)
                .registeredFiles(0).open();
        Completer<Nop> done = op -> completed++;
        ops = new Op[BATCH];
        for (int i = 0; i < BATCH; i++) {
            ops[i] = Op.of(new Nop(), done);
        }
        raw = provider(driver).open(new DriverConfig(1, 64, 128, 0, Map.of()));
    }

    @TearDown(Level.Trial)
    public void close() {
        runtime.close();
        raw.close();
    }

    static DriverProvider provider(String id) {
        for (DriverProvider p : ServiceLoader.load(DriverProvider.class)) {
            if (p.id().equals(id)) {
                return p;
            }
        }
        throw new IllegalStateException("no driver provider '" + id + "' on the class path");
    }

    private int viaRuntime(int n) {
        for (int i = 0; i < n; i++) {
            Op<Nop> op = ops[i];
            if (op.state() == OpState.COMPLETED) {
                op.reset();
            }
            runtime.loop().submit(op);
        }
        while (completed < n) {
            runtime.loop().runOnce(null);
        }
        completed = 0;
        return n;
    }

    private int viaDriver(int n) throws VeloqIoException {
        for (int i = 0; i < n; i++) {
            if (raw.prepare(i, nop, OpLifecycle.NONE, 0) != 1) {
                throw new IllegalStateException("driver " + driver + " refused Nop #" + i + " of a batch of " + n);
            }
        }
        while (rawCompleted < n) {
            raw.submitAndWait(-1, sink);
        }
        rawCompleted = 0;
        return n;
    }

    @Benchmark
    public int runtimeBatch1() {
        return viaRuntime(1);
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public int runtimeBatch32() {
        return viaRuntime(BATCH);
    }

    @Benchmark
    public int driverBatch1() throws VeloqIoException {
        return viaDriver(1);
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public int driverBatch32() throws VeloqIoException {
        return viaDriver(BATCH);
    }
}
