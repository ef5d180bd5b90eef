package io.veloq.driver.uring;

import io.veloq.api.IoErrorKind;
import io.veloq.api.IoFd;
import io.veloq.api.IoRuntime;
import io.veloq.api.Op;
import io.veloq.api.buffer.FixedBuf;
import io.veloq.api.net.TcpListener;
import io.veloq.api.net.TcpStream;
import io.veloq.api.op.Close;
import io.veloq.api.op.Open;
import io.veloq.api.op.SendFile;
import io.veloq.testkit.DriverRuntimes;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.HashSet;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The pipes of io_uring's SendFile (file -> pipe -> socket) on the real kernel: a steady sender reuses one
 * pipe, the default capacity is 256 KiB (so a 1 MiB file takes 4 ops), a cancelled transfer closes the pipe
 * that may still hold its bytes, and closing the runtime closes every pipe. Only the pipes the driver made
 * are looked at, by their {@code pipe:[inode]} names in {@code /proc/self/fd}, never the process's fd count.
 */
class SpliceChainsTest {
    private static final int SIZE = 1 << 20;

    @TempDir
    Path dir;

    @Test
    void aSteadySenderReusesOnePipeAndACancelledTransferClosesItsPipe() throws Exception {
        byte[] data = new byte[SIZE];
        new Random(3).nextBytes(data);
        Path path = Files.write(dir.resolve("f.bin"), data);
        PoolGrowthTest.Capturing provider = new PoolGrowthTest.Capturing();
        ExecutorService reader = Executors.newSingleThreadExecutor();
        Set<String> made = new HashSet<>();
        try {
            IoRuntime rt = DriverRuntimes.open(provider, IoRuntime.builder());
            SpliceChains chains;
            try (TcpListener l = TcpListener.bind(rt.loop(), new InetSocketAddress("127.0.0.1", 0))) {
                chains = provider.opened.get(0).spliceChains();
                CompletableFuture<TcpStream> accepted = l.acceptAsync();
                TcpStream c = TcpStream.connect(rt.loop(), new InetSocketAddress("127.0.0.1", l.port()));
                TcpStream s = accepted.get(10, TimeUnit.SECONDS);
                IoFd file = IoFd.raw(rt.loop().call(Open.read(path)).valueOrThrow());
                Future<Long> drained = reader.submit(() -> drain(rt, s, 10L * SIZE));
                for (int i = 0; i < 10; i++) {
                    assertEquals(SIZE, c.sendFile(file, 0, SIZE));
                }
                assertEquals(10L * SIZE, drained.get(30, TimeUnit.SECONDS));
                assertEquals(1L, (long) onLoop(rt, chains::pipesMade), "ten sequential SendFiles, one pipe");
                assertEquals(1, (int) onLoop(rt, chains::openPipes));
                assertEquals(256 * 1024, (int) onLoop(rt, chains::pipeCapacity), "F_SETPIPE_SZ took 256 KiB");
                made.addAll(pipeNames(onLoop(rt, chains::openPipeEnds)));
                assertEquals(1, made.size(), "both ends name one pipe: " + made);

                // A peer that does not read: the transfer sticks with bytes in its pipe; cancel it.
                rt.loop().setOption(c.fd(), StandardSocketOptions.SO_SNDBUF, 4096);
                rt.loop().setOption(s.fd(), StandardSocketOptions.SO_RCVBUF, 4096);
                Op<SendFile> stuck = null;
                long offset = 0;
                for (int i = 0; i < 100 && stuck == null; i++) {
                    CompletableFuture<Op<SendFile>> f = new CompletableFuture<>();
                    Op<SendFile> op = c.sendFileOp(file, offset, SIZE - offset, f::complete);
                    rt.loop().submit(op);
                    try {
                        Op<SendFile> done = f.get(300, TimeUnit.MILLISECONDS);
                        assertTrue(done.isSuccess() && done.result() > 0, String.valueOf(done.error()));
                        offset += done.result();
                    } catch (TimeoutException e) {
                        stuck = op;
                        assertTrue(rt.loop().cancel(op));
                        Op<SendFile> done = f.get(10, TimeUnit.SECONDS);
                        assertTrue(done.isSuccess() || done.error().kind() == IoErrorKind.CANCELLED, String.valueOf(done.error()));
                    }
                }
                assertTrue(stuck != null, "a SendFile to a peer that does not read stays pending");
                assertEquals(0, (int) onLoop(rt, chains::openPipes), "the cancelled chain's pipe may hold bytes: closed");
                assertEquals(Set.of(), openNames(made), "the closed pipe is gone from the process");
                rt.loop().call(new Close(file));
                c.close();
                s.close();
            } finally {
                rt.close();
            }
        } finally {
            reader.shutdownNow();
        }
    }

    @Test
    void closingTheRuntimeClosesEveryPipe() throws Exception {
        byte[] data = new byte[SIZE];
        Path path = Files.write(dir.resolve("g.bin"), data);
        PoolGrowthTest.Capturing provider = new PoolGrowthTest.Capturing();
        ExecutorService readers = Executors.newFixedThreadPool(3);
        Set<String> made = new HashSet<>();
        try {
            IoRuntime rt = DriverRuntimes.open(provider, IoRuntime.builder());
            try (TcpListener l = TcpListener.bind(rt.loop(), new InetSocketAddress("127.0.0.1", 0))) {
                SpliceChains chains = provider.opened.get(0).spliceChains();
                IoFd file = IoFd.raw(rt.loop().call(Open.read(path)).valueOrThrow());
                // Three transfers at once: three pipes (two ops never share one).
                CompletableFuture<?>[] sends = new CompletableFuture<?>[3];
                for (int i = 0; i < 3; i++) {
                    CompletableFuture<TcpStream> accepted = l.acceptAsync();
                    TcpStream c = TcpStream.connect(rt.loop(), new InetSocketAddress("127.0.0.1", l.port()));
                    TcpStream s = accepted.get(10, TimeUnit.SECONDS);
                    readers.submit(() -> drain(rt, s, SIZE));
                    sends[i] = c.sendFileAsync(file, 0, SIZE);
                }
                for (CompletableFuture<?> f : sends) {
                    f.get(30, TimeUnit.SECONDS);
                }
                made.addAll(pipeNames(onLoop(rt, chains::openPipeEnds)));
                assertFalse(made.isEmpty());
                assertTrue(onLoop(rt, chains::pipesMade) <= 3, "at most one pipe per concurrent transfer");
                rt.loop().call(new Close(file));
            } finally {
                rt.close();
            }
            assertEquals(Set.of(), openNames(made), "closing the runtime closed the driver's pipes");
            IoRuntime closed = rt;
            assertThrows(IllegalStateException.class, () -> closed.loop().call(Open.read(path)));
        } finally {
            readers.shutdownNow();
        }
    }

    private static long drain(IoRuntime rt, TcpStream s, long total) throws IOException {
        FixedBuf b = rt.loop().bufPool().lease();
        long got = 0;
        try {
            while (got < total) {
                b.clear();
                int n = s.recv(b);
                if (n == 0) {
                    break;
                }
                got += n;
            }
            return got;
        } finally {
            b.release();
        }
    }

    private static <T> T onLoop(IoRuntime rt, java.util.function.Supplier<T> what) throws Exception {
        CompletableFuture<T> f = new CompletableFuture<>();
        rt.loop(0).execute(() -> f.complete(what.get()));
        return f.get(10, TimeUnit.SECONDS);
    }

    /** The {@code pipe:[inode]} names of these descriptors. */
    private static Set<String> pipeNames(int[] fds) throws IOException {
        Set<String> names = new HashSet<>();
        for (int fd : fds) {
            String target = Files.readSymbolicLink(Paths.get("/proc/self/fd/" + fd)).toString();
            assertTrue(target.startsWith("pipe:["), "fd " + fd + " of the driver's pipes is " + target);
            names.add(target);
        }
        return names;
    }

    /** Which of {@code names} some descriptor of this process still refers to. */
    private static Set<String> openNames(Set<String> names) throws IOException {
        Set<String> open = new HashSet<>();
        try (var fds = Files.newDirectoryStream(Paths.get("/proc/self/fd"))) {
            for (Path p : fds) {
                try {
                    String target = Files.readSymbolicLink(p).toString();
                    if (names.contains(target)) {
                        open.add(target);
                    }
                } catch (IOException gone) {
                    // closed while listing (another thread's descriptor): not one of ours
                }
            }
        }
        return open;
    }
}
