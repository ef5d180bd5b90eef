package io.veloq.bench.files;

import io.veloq.bench.sys.ProcCpu;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Locale;

/**
 * Entry point of a file-benchmark process:
 * {@code FileWorkerMain ENGINE WORKLOAD READFILE READSIZE WRITEFILE WRITEBYTES WARMUP_NS MEASURE_NS}.
 * Prints one {@code RESULT key=value ...} line (CPU of this process over the window included), then
 * optional {@code NOTE text} and {@code ERROR text} lines; {@code FAILED reason} on failure.
 */
public final class FileWorkerMain {

    private FileWorkerMain() {
    }

    public static void main(String[] a) {
        try {
            FileEngine engine = FileEngines.create(a[0]);
            FileWorkload w = FileWorkload.byId(a[1]);
            Path readFile = Paths.get(a[2]);
            long readSize = Long.parseLong(a[3]);
            Path writeFile = Paths.get(a[4]);
            long writeBytes = Long.parseLong(a[5]);
            long warm = Long.parseLong(a[6]);
            long measure = Long.parseLong(a[7]);
            long[] cpu = new long[2];
            long[] sys = new long[2];
            long pid = ProcessHandle.current().pid();
            FileEngine.Window window = new FileEngine.Window() {
                @Override
                public void begin() {
                    sys[0] = ProcCpu.systemCpuNanos()[0];
                    cpu[0] = ProcCpu.processCpuNanos(pid);
                }

                @Override
                public void end() {
                    cpu[1] = ProcCpu.processCpuNanos(pid);
                    sys[1] = ProcCpu.systemCpuNanos()[0];
                }
            };
            FileEngine.Result r = engine.run(w, new FileEngine.Job(readFile, readSize, writeFile, writeBytes, warm,
                    measure, window));
            var h = r.latencyNanos;
            boolean any = h.getTotalCount() > 0;
            System.out.println(String.format(Locale.ROOT,
                    "RESULT ops=%d bytes=%d nanos=%d cpuNs=%d sysBusyNs=%d errors=%d p50=%d p90=%d p99=%d p999=%d max=%d",
                    r.ops, r.bytes, r.nanos, cpu[1] - cpu[0], sys[1] - sys[0], r.errors,
                    any ? h.getValueAtPercentile(50) : -1, any ? h.getValueAtPercentile(90) : -1,
                    any ? h.getValueAtPercentile(99) : -1, any ? h.getValueAtPercentile(99.9) : -1,
                    any ? h.getMaxValue() : -1));
            if (r.note != null) {
                System.out.println("NOTE " + r.note);
            }
            if (r.firstError != null) {
                System.out.println("ERROR " + r.firstError.replace('\n', ' '));
            }
            System.out.flush();
            System.exit(0);
        } catch (Throwable t) {
            System.out.println("FAILED " + t.toString().replace('\n', ' '));
            System.out.flush();
            System.exit(2);
        }
    }
}
