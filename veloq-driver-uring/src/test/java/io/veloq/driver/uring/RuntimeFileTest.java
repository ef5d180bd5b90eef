package io.veloq.driver.uring;

import io.veloq.api.Completion;
import io.veloq.api.IoErrorKind;
import io.veloq.api.IoFd;
import io.veloq.api.Op;
import io.veloq.api.IoRuntime;
import io.veloq.api.buffer.BufPool;
import io.veloq.api.buffer.FixedBuf;
import io.veloq.api.op.Close;
import io.veloq.api.op.Fsync;
import io.veloq.api.op.Open;
import io.veloq.api.op.Read;
import io.veloq.api.op.ReadFixed;
import io.veloq.api.op.Timeout;
import io.veloq.api.op.Write;
import io.veloq.api.op.WriteFixed;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.EnumSet;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static java.nio.file.StandardOpenOption.*;
import static org.junit.jupiter.api.Assertions.*;

/** Files, pipes, timeouts, registered buffers and registered files through the IoRuntime on the real kernel. */
class RuntimeFileTest {
    private IoRuntime rt;
    @TempDir
    Path dir;

    @BeforeEach
    void open() {
        rt = IoRuntime.builder().driver("uring").buffers(4096, 8).registeredFiles(4).open();
    }

    @AfterEach
    void close() {
        rt.close();
    }

    private IoFd open(Path p, Set<StandardOpenOption> o) throws IOException {
        return IoFd.raw(rt.loop().call(new Open(p, o, 0644)).valueOrThrow());
    }

    private FixedBuf buf(String s) {
        return rt.loop().bufPool().lease().put(s.getBytes(StandardCharsets.UTF_8));
    }

    private static String text(FixedBuf b) {
        return new String(b.getBytes(), StandardCharsets.UTF_8);
    }

    @Test
    void writeAtOffsetsFsyncAndReadBack() throws Exception {
        Path f = dir.resolve("data.bin");
        IoFd w = open(f, EnumSet.of(WRITE, CREATE));
        assertEquals(5, rt.loop().call(new Write(w, buf("hello"), 0)).valueOrThrow());
        assertEquals(5, rt.loop().call(new Write(w, buf("world"), 10)).valueOrThrow());
        assertEquals(0, rt.loop().call(new Fsync(w, true)).valueOrThrow());
        assertEquals(0, rt.loop().call(new Fsync(w, false)).valueOrThrow());
        assertEquals(0, rt.loop().call(new Close(w)).valueOrThrow());
        assertArrayEquals("hello\0\0\0\0\0world".getBytes(StandardCharsets.UTF_8), Files.readAllBytes(f));

        IoFd r = open(f, Set.of(READ));
        FixedBuf in = rt.loop().bufPool().lease();
        assertEquals(5, rt.loop().call(new Read(r, in, 10)).valueOrThrow());
        assertEquals("world", text(in));
        in.clear();
        // -1: the file position, which moves with each read
        in.writerIndex(in.capacity() - 5);
        in.readerIndex(in.capacity() - 5);
        assertEquals(5, rt.loop().call(new Read(r, in, -1)).valueOrThrow());
        assertEquals("hello", text(in));
        in.clear();
        assertEquals(10, rt.loop().call(new Read(r, in, -1)).valueOrThrow());
        in.clear();
        assertEquals(0, rt.loop().call(new Read(r, in, -1)).valueOrThrow(), "end of file");
        rt.loop().call(new Close(r)).valueOrThrow();
        in.release();
    }

    @Test
    void openFlagsFollowStandardOpenOption() throws Exception {
        Path f = dir.resolve("flags.txt");
        Files.writeString(f, "0123456789");
        IoFd a = open(f, EnumSet.of(APPEND));
        rt.loop().call(new Write(a, buf("AB"), -1)).valueOrThrow();
        rt.loop().call(new Close(a));
        assertEquals("0123456789AB", Files.readString(f));
        IoFd t = open(f, EnumSet.of(WRITE, TRUNCATE_EXISTING));
        rt.loop().call(new Write(t, buf("x"), 0)).valueOrThrow();
        rt.loop().call(new Close(t));
        assertEquals("x", Files.readString(f));

        Completion<Open> missing = rt.loop().call(Open.read(dir.resolve("nope")));
        assertEquals(IoErrorKind.NOT_FOUND, missing.error().kind());
        assertEquals("ENOENT", missing.error().codeName());
        assertTrue(missing.error().getMessage().contains("nope"), missing.error().getMessage());
        Completion<Open> exists = rt.loop().call(new Open(f, EnumSet.of(WRITE, CREATE_NEW), 0600));
        assertEquals("EEXIST", exists.error().codeName());
        Completion<Open> unsupported = rt.loop().call(new Open(f, EnumSet.of(READ, DELETE_ON_CLOSE), 0));
        assertEquals(IoErrorKind.NOT_SUPPORTED, unsupported.error().kind());
        assertTrue(Files.exists(f));
        IoFd ro = open(f, Set.of(READ));
        assertEquals("EBADF", rt.loop().call(new Write(ro, buf("no"), 0)).error().codeName(), "write to a read-only fd");
        rt.loop().call(new Close(ro));
    }

    @Test
    void pipeReadWriteAndCancelOfABlockedRead() throws Exception {
        int[] p = Pipes.open();
        try {
            IoFd r = IoFd.raw(p[0]);
            IoFd w = IoFd.raw(p[1]);
            FixedBuf in = rt.loop().bufPool().lease();
            Op<Read> read = Op.of(new Read(r, in, -1));
            CompletableFuture<Completion<Read>> f = rt.loop().submitAsync(read);
            Thread.sleep(20);
            assertFalse(f.isDone());
            assertTrue(rt.loop().cancel(read));
            assertEquals(IoErrorKind.CANCELLED, f.get(5, TimeUnit.SECONDS).error().kind());
            assertEquals(4, rt.loop().call(new Write(w, buf("pipe"), -1)).valueOrThrow());
            assertEquals(4, rt.loop().call(new Read(r, in, -1)).valueOrThrow());
            assertEquals("pipe", text(in));
            in.release();
        } finally {
            Pipes.close(p);
        }
    }

    @Test
    void timeoutsFireAndCancel() throws Exception {
        long t0 = System.nanoTime();
        assertEquals(0, rt.loop().call(Timeout.of(Duration.ofMillis(30))).valueOrThrow());
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertTrue(ms >= 29 && ms < 2000, "fired after " + ms + " ms");
        assertEquals(0, rt.loop().call(new Timeout(0)).valueOrThrow());
        Op<Timeout> longOne = Op.of(Timeout.of(Duration.ofSeconds(60)));
        CompletableFuture<Completion<Timeout>> f = rt.loop().submitAsync(longOne);
        Thread.sleep(10);
        assertTrue(rt.loop().cancel(longOne));
        assertEquals(IoErrorKind.CANCELLED, f.get(5, TimeUnit.SECONDS).error().kind());
    }

    @Test
    void fixedBuffersReadAndWriteThroughTheRegisteredPool() throws Exception {
        assertTrue(rt.loop().bufPool().isRegistered());
        Path f = dir.resolve("fixed.bin");
        IoFd fd = open(f, EnumSet.of(READ, WRITE, CREATE));
        FixedBuf out = buf("registered bytes");
        assertEquals(16, rt.loop().call(new WriteFixed(fd, out, 100)).valueOrThrow());
        FixedBuf in = rt.loop().bufPool().lease();
        assertEquals(16, rt.loop().call(new ReadFixed(fd, in, 100)).valueOrThrow());
        assertEquals("registered bytes", text(in));

        try (BufPool other = BufPool.allocate(4096, 1)) {
            FixedBuf foreign = other.lease();
            Completion<ReadFixed> c = rt.loop().call(new ReadFixed(fd, foreign, 0));
            assertEquals("EFAULT", c.error().codeName(), "a buffer outside the registered regions is refused");
            assertTrue(c.error().getMessage().contains("ReadFixed"), c.error().getMessage());
            assertTrue(c.error().getMessage().contains("not from this loop's registered pool"), c.error().getMessage());
            foreign.release();
        }
        rt.loop().call(new Close(fd));
        out.release();
        in.release();
    }

    @Test
    void registeredFilesCarryOpsAndCanBeRemoved() throws Exception {
        Path f = dir.resolve("registered.txt");
        IoFd.Raw raw = (IoFd.Raw) open(f, EnumSet.of(READ, WRITE, CREATE));
        IoFd.Fixed fixed = rt.loop().registerFile(raw);
        assertEquals(3, rt.loop().call(new Write(fixed, buf("abc"), 0)).valueOrThrow());
        FixedBuf in = rt.loop().bufPool().lease();
        assertEquals(3, rt.loop().call(new Read(fixed, in, 0)).valueOrThrow());
        assertEquals("abc", text(in));
        rt.loop().unregisterFile(fixed);
        in.clear();
        Completion<Read> gone = rt.loop().call(new Read(fixed, in, 0));
        assertEquals("EBADF", gone.error().codeName(), "an emptied slot");
        // the raw fd is still the application's
        assertEquals(3, rt.loop().call(new Read(raw, in, 0)).valueOrThrow());
        // Close of a fixed fd empties its slot
        IoFd.Fixed again = rt.loop().registerFile(raw);
        assertEquals(0, rt.loop().call(new Close(again)).valueOrThrow());
        assertEquals("EBADF", rt.loop().call(new Read(again, in.clear(), 0)).error().codeName());
        rt.loop().call(new Close(raw)).valueOrThrow();
        in.release();
    }

    @Test
    void manyFilesInFlightAtOnce() throws Exception {
        Path f = dir.resolve("many.bin");
        byte[] content = new byte[8 * 4096];
        for (int i = 0; i < content.length; i++) {
            content[i] = (byte) (i * 31);
        }
        Files.write(f, content);
        IoFd fd = open(f, Set.of(READ));
        FixedBuf[] bufs = new FixedBuf[8];
        @SuppressWarnings({"unchecked", "rawtypes"})
        CompletableFuture<Completion<Read>>[] fs = new CompletableFuture[8];
        for (int i = 0; i < 8; i++) {
            bufs[i] = rt.loop().bufPool().lease();
            fs[i] = rt.loop().submitAsync(new Read(fd, bufs[i], 4096L * i));
        }
        for (int i = 0; i < 8; i++) {
            assertEquals(4096, fs[i].get(5, TimeUnit.SECONDS).valueOrThrow());
            byte[] got = bufs[i].getBytes();
            assertArrayEquals(java.util.Arrays.copyOfRange(content, 4096 * i, 4096 * (i + 1)), got, "chunk " + i);
            bufs[i].release();
        }
        rt.loop().call(new Close(fd));
    }
}
