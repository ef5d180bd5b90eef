package io.veloq.bench.files;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.atomic.AtomicInteger;

/** What the file-engine tests share: the bench's read-file layout and a short job that counts its window. */
final class FileJobs {
    private FileJobs() {
    }

    /** Same layout as the bench's read file: each 4 KiB block starts with its offset ({@code corrupt}: off by one). */
    static Path readFile(Path dir, String name, long size, boolean corrupt) throws IOException {
        Path f = dir.resolve(name);
        ByteBuffer b = ByteBuffer.allocate(4096);
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            for (long pos = 0; pos < size; pos += 4096) {
                b.clear();
                b.putLong(0, corrupt ? pos + 1 : pos);
                ch.write(b, pos);
            }
        }
        return f;
    }

    /** A job with a 50 ms warm-up and a 200 ms window; {@code windows} counts begin and end. */
    static FileEngine.Job job(Path read, long size, Path write, long writeBytes, AtomicInteger windows) {
        return new FileEngine.Job(read, size, write, writeBytes, 50_000_000L, 200_000_000L, new FileEngine.Window() {
            @Override
            public void begin() {
                windows.incrementAndGet();
            }

            @Override
            public void end() {
                windows.incrementAndGet();
            }
        });
    }
}
