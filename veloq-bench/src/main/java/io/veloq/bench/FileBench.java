package io.veloq.bench;

import io.veloq.bench.files.FileEngines;
import io.veloq.bench.files.FileWorkerMain;
import io.veloq.bench.files.FileWorkload;
import io.veloq.bench.report.Row;
import io.veloq.bench.report.RunRecord;
import io.veloq.bench.report.Table;
import io.veloq.bench.sys.Env;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The file part: creates the read file (every 4 KiB block starts with its own offset), makes sure it is in
 * the page cache, then runs each workload x engine in a fresh JVM per round (interleaved, pinned like the
 * servers), and deletes the files.
 */
final class FileBench {

    private final BenchOptions o;
    private final Progress progress;
    private final List<String> jvmArgs;
    private final Integer cpu;
    private final Path logs;
    final Map<String, Table> tables = new LinkedHashMap<>();
    final List<RunRecord> runs = new ArrayList<>();
    String setupNote;

    FileBench(BenchOptions o, Progress progress, List<String> jvmArgs, Integer cpu, Path logs) {
        this.o = o;
        this.progress = progress;
        this.jvmArgs = jvmArgs;
        this.cpu = cpu;
        this.logs = logs;
    }

    String pinNote() {
        return cpu != null ? "worker JVM pinned to CPU " + cpu : "worker JVM not pinned";
    }

    /** Where the files go: the output directory's parent (normally {@code target/}). */
    static Path scratchDir(Path out) {
        Path abs = out.toAbsolutePath().normalize();
        return abs.getParent() != null ? abs.getParent() : abs;
    }

    void run() throws IOException {
        Path dir = scratchDir(o.out);
        Files.createDirectories(dir);
        Path readFile = dir.resolve("veloq-bench-read.dat");
        Path writeFile = dir.resolve("veloq-bench-write.dat");
        long size = (long) o.fileSizeMib << 20;
        long writeBytes = (long) o.fileWriteMib << 20;
        for (FileWorkload w : FileWorkload.ALL) {
            Table t = new Table("file", w.id(), w.title());
            for (String e : o.fileEngines) {
                String why = FileEngines.unavailableReason(e);
                if (why == null) {
                    why = FileEngines.create(e).unsupported(w);
                }
                Row r = t.rowOrAdd(e);
                r.status = why;
            }
            tables.put(w.id(), t);
        }
        try {
            progress.update(String.format(Locale.ROOT, "files: creating %d MiB read file %s", o.fileSizeMib, readFile));
            double createS = createReadFile(readFile, size);
            double cacheS = readThrough(readFile, size);
            setupNote = String.format(Locale.ROOT,
                    "read file %d MiB%s (written in %.1f s, read back once in %.2f s: %.1f GB/s, i.e. page-cached); "
                            + "write test %d MiB; each row runs in its own JVM%s, %d round(s)",
                    o.fileSizeMib, o.quick ? " (smaller than the full run's 1 GiB because of --quick)" : "",
                    createS, cacheS, size / cacheS / 1e9, o.fileWriteMib,
                    cpu != null ? " pinned to CPU " + cpu : "", o.fileRounds);
            for (int round = 1; round <= o.fileRounds; round++) {
                for (FileWorkload w : FileWorkload.ALL) {
                    Table t = tables.get(w.id());
                    for (String e : o.fileEngines) {
                        Row row = t.row(e);
                        if (row.status != null) {
                            continue;
                        }
                        progress.update(String.format(Locale.ROOT, "files round %d/%d: %s %s", round,
                                o.fileRounds, w.id(), e));
                        RunRecord rec = runOne(e, w, round, readFile, size, writeFile, writeBytes);
                        runs.add(rec);
                        if (rec.valid()) {
                            row.runs.add(rec);
                        } else {
                            row.failedRuns++;
                            if (row.firstFailure == null) {
                                row.firstFailure = rec.error != null ? rec.error : "no ops";
                            }
                        }
                        Files.deleteIfExists(writeFile);
                    }
                }
            }
        } finally {
            Files.deleteIfExists(readFile);
            Files.deleteIfExists(writeFile);
        }
    }

    private RunRecord runOne(String engine, FileWorkload w, int round, Path readFile, long size, Path writeFile,
                             long writeBytes) throws IOException {
        RunRecord rec = new RunRecord();
        rec.part = "file";
        rec.scenario = w.id();
        rec.row = engine;
        rec.round = round;
        List<String> args = List.of(engine, w.id(), readFile.toString(), Long.toString(size), writeFile.toString(),
                Long.toString(writeBytes), Long.toString((long) (o.warmupSeconds * 1e9)),
                Long.toString((long) (o.seconds * 1e9)));
        List<String> cmd = Env.childJvm(cpu, jvmArgs, FileWorkerMain.class.getName(), args);
        Path log = logs.resolve("file-" + w.id() + "-" + engine + "-r" + round + ".log");
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        try {
            if (!p.waitFor(300, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                rec.error = "timed out";
                return rec;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            p.destroyForcibly();
            rec.error = "interrupted";
            return rec;
        }
        for (String line : out.split("\n")) {
            if (line.startsWith("RESULT ")) {
                Map<String, Long> kv = new LinkedHashMap<>();
                for (String f : line.substring(7).trim().split(" ")) {
                    int eq = f.indexOf('=');
                    kv.put(f.substring(0, eq), Long.parseLong(f.substring(eq + 1)));
                }
                rec.ops = kv.get("ops");
                rec.bytes = kv.get("bytes");
                rec.seconds = kv.get("nanos") / 1e9;
                rec.cpuSeconds = kv.get("cpuNs") / 1e9;
                rec.otherCpuSeconds = Math.max(0, (kv.get("sysBusyNs") - kv.get("cpuNs")) / 1e9);
                rec.errors = kv.get("errors");
                rec.p50Us = us(kv.get("p50"));
                rec.p90Us = us(kv.get("p90"));
                rec.p99Us = us(kv.get("p99"));
                rec.p999Us = us(kv.get("p999"));
                rec.maxUs = us(kv.get("max"));
            } else if (line.startsWith("NOTE ")) {
                rec.note = line.substring(5).trim();
            } else if (line.startsWith("ERROR ")) {
                rec.error = line.substring(6).trim();
            } else if (line.startsWith("FAILED ")) {
                rec.error = line.substring(7).trim();
            }
        }
        if (rec.ops == 0 && rec.error == null) {
            rec.error = "worker exited " + p.exitValue() + " without a result (log: " + log + ")";
        }
        return rec;
    }

    private static double us(long ns) {
        return ns < 0 ? Double.NaN : ns / 1000.0;
    }

    /** Writes the file in 1 MiB chunks; each 4 KiB block starts with its offset. Returns seconds taken. */
    static double createReadFile(Path file, long size) throws IOException {
        long t0 = System.nanoTime();
        ByteBuffer b = ByteBuffer.allocateDirect(1 << 20);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            for (long pos = 0; pos < size; pos += b.capacity()) {
                b.clear();
                for (int i = 0; i < b.capacity(); i += 4096) {
                    b.putLong(i, pos + i);
                    b.putLong(i + 8, ~(pos + i));
                }
                while (b.hasRemaining()) {
                    ch.write(b, pos + b.position());
                }
            }
        }
        return (System.nanoTime() - t0) / 1e9;
    }

    /** Reads the whole file once (so it sits in the page cache) and checks it; returns seconds taken. */
    static double readThrough(Path file, long size) throws IOException {
        long t0 = System.nanoTime();
        ByteBuffer b = ByteBuffer.allocateDirect(1 << 20);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            for (long pos = 0; pos < size; pos += b.capacity()) {
                b.clear();
                while (b.hasRemaining()) {
                    if (ch.read(b, pos + b.position()) < 0) {
                        throw new IOException("short file");
                    }
                }
                if (b.getLong(4096) != pos + 4096) {
                    throw new IOException("read file content is wrong at " + (pos + 4096));
                }
            }
        }
        return (System.nanoTime() - t0) / 1e9;
    }
}
