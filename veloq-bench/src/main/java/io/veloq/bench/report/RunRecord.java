package io.veloq.bench.report;

/**
 * One measured window of one row (server or file engine) in one scenario and round. Times are seconds,
 * latencies microseconds; {@code NaN} where unknown.
 */
public final class RunRecord {
    public String part;
    public String scenario;
    public String row;
    public int round;
    public int attempt;
    public double seconds;
    public long ops;
    public long bytes;
    public double p50Us = Double.NaN;
    public double p90Us = Double.NaN;
    public double p99Us = Double.NaN;
    public double p999Us = Double.NaN;
    public double maxUs = Double.NaN;
    /** CPU of the process under test (server JVM or file worker JVM) over the window. */
    public double cpuSeconds = Double.NaN;
    /** CPU of the load generator process over the window. */
    public double clientCpuSeconds = Double.NaN;
    /** CPU the rest of the machine used over the window (all busy time minus server minus client). */
    public double otherCpuSeconds = Double.NaN;
    /** Bytes allocated by the server's loop threads over the window. */
    public double loopAllocBytes = Double.NaN;
    /** Bytes allocated by all of the server's threads over the window. */
    public double totalAllocBytes = Double.NaN;
    public long errors;
    public long connectErrors;
    public String error;
    public String note;
    /** CPUs the client could use (1 when pinned). */
    public int clientCpus = 1;

    public double opsPerSecond() {
        return seconds > 0 ? ops / seconds : Double.NaN;
    }

    public double megabytesPerSecond() {
        return seconds > 0 ? bytes / seconds / 1e6 : Double.NaN;
    }

    /** CPU microseconds per op (numerically equal to CPU seconds per million ops). */
    public double cpuMicrosPerOp() {
        return ops > 0 ? cpuSeconds * 1e6 / ops : Double.NaN;
    }

    /** Client CPU as a fraction of the CPUs it may use. */
    public double clientCpuFraction() {
        return seconds > 0 ? clientCpuSeconds / seconds / clientCpus : Double.NaN;
    }

    /** Other processes' CPU, in cores. */
    public double otherCpuCores() {
        return seconds > 0 ? otherCpuSeconds / seconds : Double.NaN;
    }

    public double loopAllocPerOp() {
        return ops > 0 ? loopAllocBytes / ops : Double.NaN;
    }

    public double totalAllocPerOp() {
        return ops > 0 ? totalAllocBytes / ops : Double.NaN;
    }

    public boolean valid() {
        return errors == 0 && error == null && ops > 0;
    }

    public boolean clientSaturated() {
        return clientCpuFraction() > 0.90;
    }

    /** Other processes used more than {@code limitCores} of CPU during the window. */
    public boolean disturbed(double limitCores) {
        return otherCpuCores() > limitCores;
    }
}
