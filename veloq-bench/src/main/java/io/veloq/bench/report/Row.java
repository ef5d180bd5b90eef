package io.veloq.bench.report;

import java.util.ArrayList;
import java.util.List;

/** One row of a table: a server (or file engine) in one scenario, aggregated over rounds (medians). */
public final class Row {
    public final String name;
    /** Why there are no figures ("not available yet", "n/a: ...", "failed: ..."), or null. */
    public String status;
    public final List<RunRecord> runs = new ArrayList<>();
    public int failedRuns;
    public String firstFailure;

    public Row(String name) {
        this.name = name;
    }

    public static Row unavailable(String name, String status) {
        Row r = new Row(name);
        r.status = status;
        return r;
    }

    public boolean hasFigures() {
        return status == null && !runs.isEmpty();
    }

    public double opsPerSecond() {
        return Stats.median(runs, RunRecord::opsPerSecond);
    }

    public double megabytesPerSecond() {
        return Stats.median(runs, RunRecord::megabytesPerSecond);
    }

    public double p50() {
        return Stats.median(runs, r -> r.p50Us);
    }

    public double p99() {
        return Stats.median(runs, r -> r.p99Us);
    }

    public double p999() {
        return Stats.median(runs, r -> r.p999Us);
    }

    public double cpuMicrosPerOp() {
        return Stats.median(runs, RunRecord::cpuMicrosPerOp);
    }

    public double cpuSpread() {
        return Stats.spread(runs, RunRecord::cpuMicrosPerOp);
    }

    public double opsSpread() {
        return Stats.spread(runs, RunRecord::opsPerSecond);
    }

    public double clientCpuFraction() {
        return Stats.median(runs, RunRecord::clientCpuFraction);
    }

    public double cpuFraction() {
        return Stats.median(runs, r -> r.seconds > 0 ? r.cpuSeconds / r.seconds : Double.NaN);
    }

    public double loopAllocPerOp() {
        return Stats.median(runs, RunRecord::loopAllocPerOp);
    }

    public long saturatedRuns() {
        return runs.stream().filter(RunRecord::clientSaturated).count();
    }

    public long disturbedRuns(double limitCores) {
        return runs.stream().filter(r -> r.disturbed(limitCores)).count();
    }

    public double maxOtherCpuCores() {
        return runs.stream().mapToDouble(RunRecord::otherCpuCores).filter(d -> !Double.isNaN(d)).max()
                .orElse(Double.NaN);
    }
}
