package io.veloq.bench.files;

import io.veloq.api.DriverDescription;
import io.veloq.api.IoFd;
import io.veloq.api.Op;
import io.veloq.api.IoRuntime;
import io.veloq.api.buffer.BufPool;
import io.veloq.api.buffer.FixedBuf;
import io.veloq.api.op.Fsync;
import io.veloq.api.op.Open;
import io.veloq.api.op.OpPayload;
import io.veloq.api.op.Read;
import io.veloq.api.op.ReadFixed;
import io.veloq.api.op.Write;
import io.veloq.api.op.WriteFixed;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.StandardOpenOption;
import java.util.EnumSet;
import java.util.Locale;

/**
 * Veloq file I/O on the io_uring driver: a manual runtime driven by the benchmark thread itself
 * ({@code runOnce}), so there is no hand-off between threads; {@code queueDepth} ops stay in flight, each
 * completer submits the next op. Reads use {@code Read} (buffers of an unregistered pool) or
 * {@code ReadFixed} (the loop's registered pool); writes use {@code Write} or {@code WriteFixed} likewise,
 * then one {@code Fsync}.
 *
 * <p>A {@code Read} payload carries its offset, so each random read is a new payload and a new {@link Op}
 * (about 100 bytes); the buffers are reused.
 */
abstract class VeloqFileEngine implements FileEngine {

    static final String DRIVER = System.getProperty("veloq.bench.driver", "uring");

    private final boolean fixed;

    VeloqFileEngine(boolean fixed) {
        this.fixed = fixed;
    }

    @Override
    public String unsupported(FileWorkload w) {
        for (DriverDescription d : IoRuntime.drivers()) {
            if (d.id().equals(DRIVER)) {
                return d.available() ? null : "driver " + DRIVER + " unavailable: " + d.reason();
            }
        }
        return "no Veloq driver '" + DRIVER + "' on the class path";
    }

    @Override
    public Result run(FileWorkload w, Job job) throws Exception {
        return w.write() ? write(w, job) : read(w, job);
    }

    private IoRuntime open(int bufSize, int count) {
        return IoRuntime.builder()
                .driver(DRIVER)
                .manual()
                .queueDepth(Math.max(64, 2 * count))
                .maxInFlight(2 * count + 16)
                .buffers(bufSize, fixed ? count : 0)
                .registeredFiles(0)
                .open();
    }

    private String what() {
        return fixed ? "ReadFixed/WriteFixed, registered buffers" : "Read/Write";
    }

    // ---- random reads ----

    private Result read(FileWorkload w, Job job) throws IOException {
        int bs = w.blockSize();
        int qd = w.queueDepth();
        try (IoRuntime rt = open(bs, qd)) {
            BufPool pool = fixed ? rt.loop().bufPool() : BufPool.allocate(bs, qd);
            IoFd fd = IoFd.raw(rt.loop().call(Open.read(job.readFile())).valueOrThrow());
            Reads reads = new Reads(rt, fd, bs, job.readFileSize() / bs, job);
            ReadSlot[] slots = new ReadSlot[qd];
            try {
                for (int i = 0; i < qd; i++) {
                    slots[i] = new ReadSlot(reads, pool.lease());
                }
                reads.warmEnd = System.nanoTime() + job.warmupNanos();
                for (ReadSlot s : slots) {
                    reads.issue(s, System.nanoTime());
                }
                while (reads.inFlight > 0) {
                    rt.loop().runOnce(null);
                }
            } finally {
                for (ReadSlot s : slots) {
                    if (s != null && s.buf.owner() == null) {
                        s.buf.release();
                    }
                }
                rt.loop().call(new io.veloq.api.op.Close(fd));
                if (!fixed) {
                    pool.close();
                }
            }
            Result r = reads.result;
            r.note = String.format(Locale.ROOT, "%s; %d in flight; manual runtime on the benchmark thread", what(), qd);
            return r;
        }
    }

    /** The read loop's state: phase, random offsets, counters. Benchmark thread only. */
    private final class Reads {
        final IoRuntime rt;
        final IoFd fd;
        final int bs;
        final long blocks;
        final Job job;
        final Result result = new Result();
        long rnd = 0x9E3779B97F4A7C15L;
        long warmEnd;
        long t0 = -1;
        long stop = Long.MAX_VALUE;
        boolean ended;
        long ops;
        int inFlight;

        Reads(IoRuntime rt, IoFd fd, int bs, long blocks, Job job) {
            this.rt = rt;
            this.fd = fd;
            this.bs = bs;
            this.blocks = blocks;
            this.job = job;
        }

        void issue(ReadSlot s, long now) {
            rnd = FileChannelEngine.nextRandom(rnd);
            s.pos = Long.remainderUnsigned(rnd, blocks) * bs;
            s.submitted = now;
            s.buf.clear();
            OpPayload p = fixed ? new ReadFixed(fd, s.buf, s.pos) : new Read(fd, s.buf, s.pos);
            inFlight++;
            rt.loop().submit(Op.of(p, s.completer));
        }

        void done(ReadSlot s, Op<?> op) {
            inFlight--;
            long now = System.nanoTime();
            if (!op.isSuccess()) {
                result.error(op.payload().describe() + " at " + s.pos + ": " + op.error());
            } else if (op.result() != bs) {
                result.error("short read at " + s.pos + ": " + op.result() + " of " + bs + " bytes");
            } else {
                long got = 0;
                for (int i = 0; i < 8; i++) {
                    got = (got << 8) | (s.buf.getByte(i) & 0xff);
                }
                if (got != s.pos) {
                    result.error("block at " + s.pos + " starts with " + got);
                }
            }
            if (t0 < 0) {
                if (now >= warmEnd) {
                    job.window().begin();
                    t0 = System.nanoTime();
                    now = t0;
                    stop = t0 + job.measureNanos();
                }
            } else if (!ended && s.submitted >= t0) {
                result.latencyNanos.recordValue(now - s.submitted);
                ops++;
            }
            if (now < stop) {
                issue(s, now);
            } else if (!ended) {
                // window over at the first completion past the deadline; the rest drain uncounted
                job.window().end();
                ended = true;
                result.nanos = now - t0;
                result.ops = ops;
                result.bytes = ops * bs;
            }
        }
    }

    private final class ReadSlot {
        final FixedBuf buf;
        final io.veloq.api.Completer<OpPayload> completer;
        long pos;
        long submitted;

        ReadSlot(Reads reads, FixedBuf buf) {
            this.buf = buf;
            this.completer = op -> reads.done(this, op);
        }
    }

    // ---- sequential writes + fsync ----

    private Result write(FileWorkload w, Job job) throws IOException {
        int bs = w.blockSize();
        int qd = w.queueDepth();
        long n = job.writeBytes() / bs;
        Result r = new Result();
        try (IoRuntime rt = open(bs, qd)) {
            BufPool pool = fixed ? rt.loop().bufPool() : BufPool.allocate(bs, qd);
            IoFd fd = IoFd.raw(rt.loop().call(new Open(job.writeFile(), EnumSet.of(StandardOpenOption.CREATE,
                    StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING), 0644)).valueOrThrow());
            FixedBuf[] bufs = new FixedBuf[qd];
            try {
                ByteBuffer pattern = ByteBuffer.allocate(bs);
                for (int i = 0; i < bs; i += 8) {
                    pattern.putLong(i, 0x5EED5EED00000000L + i);
                }
                for (int i = 0; i < qd; i++) {
                    bufs[i] = pool.lease();
                    bufs[i].put(pattern.duplicate());
                }
                // warm-up: JIT and file system, then start from an empty file again
                Writes warm = new Writes(rt, fd, bs, Math.min(n, 16), null);
                warm.run(bufs);
                rt.loop().call(new Fsync(fd, false)).valueOrThrow();
                try (FileChannel ch = FileChannel.open(job.writeFile(), StandardOpenOption.WRITE)) {
                    ch.truncate(0);
                    ch.force(true);
                }
                job.window().begin();
                long t0 = System.nanoTime();
                Writes writes = new Writes(rt, fd, bs, n, r);
                writes.run(bufs);
                long beforeSync = System.nanoTime();
                rt.loop().call(new Fsync(fd, false)).valueOrThrow();
                long end = System.nanoTime();
                job.window().end();
                r.nanos = end - t0;
                r.ops = n;
                r.bytes = n * bs;
                r.note = String.format(Locale.ROOT, "%s; %d in flight; fsync %.0f ms", what(), qd,
                        (end - beforeSync) / 1e6);
            } finally {
                for (FixedBuf b : bufs) {
                    if (b != null && b.owner() == null) {
                        b.release();
                    }
                }
                rt.loop().call(new io.veloq.api.op.Close(fd));
                if (!fixed) {
                    pool.close();
                }
            }
        }
        return r;
    }

    /** {@code count} sequential writes of one block each, as many in flight as there are buffers. */
    private final class Writes {
        final IoRuntime rt;
        final IoFd fd;
        final int bs;
        final long count;
        final Result result;
        long next;
        int inFlight;

        Writes(IoRuntime rt, IoFd fd, int bs, long count, Result result) {
            this.rt = rt;
            this.fd = fd;
            this.bs = bs;
            this.count = count;
            this.result = result;
        }

        void run(FixedBuf[] bufs) {
            for (FixedBuf b : bufs) {
                if (next < count) {
                    b.readerIndex(0);
                    long pos = next++ * bs;
                    submit(b, pos, System.nanoTime());
                }
            }
            while (inFlight > 0) {
                rt.loop().runOnce(null);
            }
        }

        private void submit(FixedBuf b, long blockPos, long started) {
            long at = blockPos + b.readerIndex();
            OpPayload p = fixed ? new WriteFixed(fd, b, at) : new Write(fd, b, at);
            inFlight++;
            rt.loop().submit(Op.of(p, op -> done(op, b, blockPos, started)));
        }

        private void done(Op<OpPayload> op, FixedBuf b, long blockPos, long started) {
            inFlight--;
            if (!op.isSuccess()) {
                if (result != null) {
                    result.error(op.payload().describe() + " at " + blockPos + ": " + op.error());
                }
                return;
            }
            if (b.readableBytes() > 0) {
                submit(b, blockPos, started); // short write: the rest of the block
                return;
            }
            long now = System.nanoTime();
            if (result != null) {
                result.latencyNanos.recordValue(now - started);
            }
            if (next < count) {
                b.readerIndex(0);
                submit(b, next++ * bs, now);
            }
        }
    }
}
