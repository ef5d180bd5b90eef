package io.veloq.bench.files;

import java.nio.file.Path;
import org.HdrHistogram.Histogram;

/**
 * A way of doing file I/O under test (FileChannel from one thread, from a pool, Veloq Read/ReadFixed...).
 * Runs inside a {@link FileWorkerMain} JVM; adding one is one class (see {@link FileEngines}).
 */
public interface FileEngine {

    String name();

    /** {@code null} when the engine can run {@code w}, else why not (shown in the table). */
    String unsupported(FileWorkload w);

    /** Runs the workload: warm up, {@link Job#window()}{@code .begin()}, measure, {@code .end()}. */
    Result run(FileWorkload w, Job job) throws Exception;

    /**
     * What to run on.
     *
     * @param readFile     page-cached file for random reads; every 4 KiB block starts with its offset
     *                     (8 bytes, big-endian), which readers check
     * @param readFileSize its size
     * @param writeFile    file to create for the write workload
     * @param writeBytes   bytes to write
     */
    record Job(Path readFile, long readFileSize, Path writeFile, long writeBytes, long warmupNanos,
               long measureNanos, Window window) {
    }

    /** Measured window: samples the process's CPU when it begins and ends. */
    interface Window {
        void begin();

        void end();
    }

    /** Figures of the measured window. */
    final class Result {
        public long ops;
        public long bytes;
        public long nanos;
        public final Histogram latencyNanos = new Histogram(60_000_000_000L, 3);
        public long errors;
        public String firstError;
        public String note;

        public void error(String what) {
            errors++;
            if (firstError == null) {
                firstError = what;
            }
        }
    }
}
