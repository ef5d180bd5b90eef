package io.veloq.bench.files;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(60)
class FileChannelEngineTest {

    @TempDir
    Path dir;

    private Path readFile(long size, boolean corrupt) throws IOException {
        return FileJobs.readFile(dir, "r.dat", size, corrupt);
    }

    private static FileEngine.Job job(Path read, long size, Path write, long writeBytes, AtomicInteger windows) {
        return FileJobs.job(read, size, write, writeBytes, windows);
    }

    @Test
    void singleThreadRandomReadsAreVerified() throws Exception {
        long size = 4L << 20;
        AtomicInteger w = new AtomicInteger();
        FileEngine.Result r = new FileChannelEngine(false).run(FileWorkload.RANDREAD_QD1,
                job(readFile(size, false), size, null, 0, w));
        assertEquals(2, w.get(), "window begun and ended once");
        assertEquals(0, r.errors, r.firstError);
        assertTrue(r.ops > 100, "ops " + r.ops);
        assertEquals(r.ops * 4096, r.bytes);
        assertEquals(r.ops, r.latencyNanos.getTotalCount());
        assertTrue(r.nanos >= 200_000_000L);
    }

    @Test
    void poolKeepsTheQueueDepthAndDetectsWrongData() throws Exception {
        long size = 4L << 20;
        FileChannelEngine pool = new FileChannelEngine(true);
        assertNull(pool.unsupported(FileWorkload.RANDREAD_QD32));
        assertNotNull(new FileChannelEngine(false).unsupported(FileWorkload.RANDREAD_QD32));
        AtomicInteger w = new AtomicInteger();
        FileEngine.Result r = pool.run(FileWorkload.RANDREAD_QD32, job(readFile(size, true), size, null, 0, w));
        assertEquals(2, w.get());
        assertTrue(r.ops > 10, "ops " + r.ops);
        assertTrue(r.errors > 0, "corrupted blocks must be reported");
        assertTrue(r.firstError.contains("starts with"), r.firstError);
    }

    @Test
    void sequentialWritesThenFsync() throws Exception {
        for (boolean usePool : new boolean[] {false, true}) {
            Path out = dir.resolve("w-" + usePool + ".dat");
            AtomicInteger w = new AtomicInteger();
            FileEngine.Result r = new FileChannelEngine(usePool).run(FileWorkload.SEQWRITE,
                    job(null, 0, out, 8L << 20, w));
            assertEquals(0, r.errors, r.firstError);
            assertEquals(8, r.ops);
            assertEquals(8L << 20, r.bytes);
            assertEquals(8L << 20, Files.size(out));
            assertTrue(r.note.contains("fsync"), r.note);
        }
    }
}
