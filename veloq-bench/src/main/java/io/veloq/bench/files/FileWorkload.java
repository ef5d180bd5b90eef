package io.veloq.bench.files;

import java.util.List;

/**
 * A file workload.
 *
 * @param id         short name used in tables and on the command line
 * @param title      table title
 * @param write      sequential writes (then fsync) instead of random reads
 * @param queueDepth ops in flight (an engine that cannot keep that many says so)
 * @param blockSize  bytes per op
 */
public record FileWorkload(String id, String title, boolean write, int queueDepth, int blockSize) {

    public static final FileWorkload RANDREAD_QD1 = new FileWorkload("randread-qd1",
            "random 4 KiB reads, page-cached file, queue depth 1", false, 1, 4096);
    public static final FileWorkload RANDREAD_QD32 = new FileWorkload("randread-qd32",
            "random 4 KiB reads, page-cached file, queue depth 32", false, 32, 4096);
    public static final FileWorkload SEQWRITE = new FileWorkload("seqwrite-1m",
            "sequential 1 MiB writes, then fsync (time includes the fsync; up to 32 in flight)", true, 32,
            1 << 20);

    public static final List<FileWorkload> ALL = List.of(RANDREAD_QD1, RANDREAD_QD32, SEQWRITE);

    public static FileWorkload byId(String id) {
        for (FileWorkload w : ALL) {
            if (w.id.equals(id)) {
                return w;
            }
        }
        throw new IllegalArgumentException("unknown file workload " + id);
    }
}
