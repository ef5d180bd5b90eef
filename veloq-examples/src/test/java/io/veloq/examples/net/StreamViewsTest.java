package io.veloq.examples.net;

import io.veloq.api.IoRuntime;
import io.veloq.api.buffer.FixedBuf;
import io.veloq.api.net.ShutdownHow;
import io.veloq.api.net.TcpListener;
import io.veloq.api.net.TcpStream;
import io.veloq.api.net.UnixListener;
import io.veloq.api.net.UnixStream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The blocking views of a stream socket ({@code inputStream()}, {@code outputStream()} and the two channels)
 * on every test driver, from plain threads and, on JDK 21+, virtual threads.
 */
class StreamViewsTest {
    private static final long WAIT = 20;

    record Pair(TcpStream client, TcpStream server) implements AutoCloseable {
        @Override
        public void close() throws IOException {
            client.close();
            server.close();
        }
    }

    static Pair connect(IoRuntime rt) throws Exception {
        try (TcpListener l = TcpListener.bind(rt.loop(), new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            CompletableFuture<TcpStream> accepted = l.acceptAsync();
            TcpStream c = TcpStream.connect(rt.loop(), new InetSocketAddress(InetAddress.getLoopbackAddress(), l.port()));
            return new Pair(c, accepted.get(WAIT, TimeUnit.SECONDS));
        }
    }

    /** Runs {@code task} on a new thread of {@code kind}. */
    static <T> CompletableFuture<T> on(String kind, Callable<T> task) {
        CompletableFuture<T> f = new CompletableFuture<>();
        Thread t = TestThreads.factory(kind).newThread(() -> {
            try {
                f.complete(task.call());
            } catch (Throwable e) {
                f.completeExceptionally(e);
            }
        });
        t.start();
        return f;
    }

    static void waitFor(BooleanSupplier condition, String what) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > end) {
                throw new AssertionError("timed out waiting for: " + what);
            }
            Thread.sleep(5);
        }
    }

    /** Waits until {@code t} is parked (blocked in a read or write), so that an interrupt finds it waiting. */
    static void waitUntilParked(Thread[] holder) throws InterruptedException {
        waitFor(() -> holder[0] != null && (holder[0].getState() == Thread.State.WAITING
                || holder[0].getState() == Thread.State.TIMED_WAITING), "the thread to block");
    }

    static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    static byte[] sha256(byte[] b) throws Exception {
        return MessageDigest.getInstance("SHA-256").digest(b);
    }

    /** Blocking receive of exactly {@code n} bytes on {@code s} through the plain socket API. */
    static byte[] recvExactly(IoRuntime rt, TcpStream s, int n) throws IOException {
        FixedBuf in = rt.loop().bufPool().lease();
        byte[] out = new byte[n];
        int got = 0;
        try {
            while (got < n) {
                in.clear();
                int k = s.recv(in);
                assertTrue(k > 0, "end of stream after " + got + " of " + n + " bytes");
                int take = Math.min(k, n - got);
                in.get(out, got, take);
                got += take;
            }
        } finally {
            in.release();
        }
        return out;
    }

    @ParameterizedTest(name = "{0}, {1} threads")
    @MethodSource("io.veloq.examples.net.TestThreads#driversAndThreads")
    void fourMebibytesEachWayThroughTheStreams(String driver, String kind) throws Exception {
        byte[] data = random(4 << 20, 42);
        try (IoRuntime rt = TestDrivers.open(driver); Pair p = connect(rt)) {
            // Server: echo everything read through its streams until end of stream, then close its output view.
            CompletableFuture<Long> server = on(kind, () -> {
                long n = 0;
                InputStream in = p.server().inputStream();
                byte[] chunk = new byte[10_000];
                try (OutputStream out = p.server().outputStream()) {
                    for (int k; (k = in.read(chunk)) > 0; ) {
                        out.write(chunk, 0, k);
                        n += k;
                    }
                }
                return n;
            });
            // Client: one thread writes in chunks of every size, the other reads the echo back.
            CompletableFuture<byte[]> echoed = on(kind, () -> p.client().inputStream().readAllBytes());
            CompletableFuture<Void> written = on(kind, () -> {
                OutputStream out = p.client().outputStream();
                Random r = new Random(7);
                int at = 0;
                while (at < data.length) {
                    if (r.nextInt(10) == 0) {
                        out.write(data[at++]);
                        continue;
                    }
                    int k = Math.min(data.length - at, 1 + r.nextInt(40_000));
                    out.write(data, at, k);
                    at += k;
                }
                out.flush();
                p.client().shutdown(ShutdownHow.WRITE); // half-close: the echo still comes back
                return null;
            });
            written.get(WAIT, TimeUnit.SECONDS);
            assertEquals(data.length, server.get(WAIT, TimeUnit.SECONDS));
            byte[] back = echoed.get(WAIT, TimeUnit.SECONDS);
            assertEquals(data.length, back.length);
            assertArrayEquals(sha256(data), sha256(back), "the echo differs from what was sent");
            assertFalse(p.server().isOpen(), "closing the output view closed the socket");
            p.client().close();
            assertEquals(0, rt.loop().bufPool().outstanding(), "the views gave their buffers back");
        }
    }

    @ParameterizedTest(name = "{0}, {1} threads")
    @MethodSource("io.veloq.examples.net.TestThreads#driversAndThreads")
    void channelsShareTheStreamsBuffersAndKeepOrder(String driver, String kind) throws Exception {
        try (IoRuntime rt = TestDrivers.open(driver); Pair p = connect(rt)) {
            FixedBuf b = rt.loop().bufPool().lease().put("hello world".getBytes(StandardCharsets.US_ASCII));
            p.server().sendAll(b);
            b.release();
            String read = on(kind, () -> {
                InputStream in = p.client().inputStream();
                String head = new String(in.readNBytes(5), StandardCharsets.US_ASCII);
                ReadableByteChannel ch = p.client().readableChannel();
                ByteBuffer rest = ByteBuffer.allocate(6);
                while (rest.hasRemaining()) {
                    assertTrue(ch.read(rest) > 0);
                }
                return head + "|" + new String(rest.array(), StandardCharsets.US_ASCII);
            }).get(WAIT, TimeUnit.SECONDS);
            assertEquals("hello| world", read, "the channel continues where the stream stopped");

            on(kind, () -> {
                p.client().outputStream().write("abc".getBytes(StandardCharsets.US_ASCII)); // batched
                WritableByteChannel ch = p.client().writableChannel();
                assertEquals(3, ch.write(ByteBuffer.wrap("def".getBytes(StandardCharsets.US_ASCII)))); // sent now
                return null;
            }).get(WAIT, TimeUnit.SECONDS);
            assertEquals("abcdef", new String(recvExactly(rt, p.server(), 6), StandardCharsets.US_ASCII),
                    "the channel sends after the stream's batched bytes");
        }
    }

    @ParameterizedTest
    @MethodSource("io.veloq.examples.net.TestDrivers#all")
    void endOfStreamAndAvailable(String driver) throws Exception {
        try (IoRuntime rt = TestDrivers.open(driver); Pair p = connect(rt)) {
            FixedBuf b = rt.loop().bufPool().lease().put(new byte[] {1, 2, 3});
            p.server().sendAll(b);
            b.release();
            p.server().shutdown(ShutdownHow.WRITE);
            InputStream in = p.client().inputStream();
            assertEquals(0, in.available(), "nothing buffered before the first read");
            assertEquals(1, in.read());
            assertEquals(2, in.available(), "the rest of the receive is buffered");
            assertArrayEquals(new byte[] {2, 3}, in.readNBytes(5));
            assertEquals(-1, in.read(), "end of stream after the peer's FIN");
            assertEquals(-1, in.read(new byte[4]), "and it stays there");
            assertEquals(-1, p.client().readableChannel().read(ByteBuffer.allocate(4)));
            assertEquals(0, in.available());
        }
    }

    @ParameterizedTest
    @MethodSource("io.veloq.examples.net.TestDrivers#all")
    void writesAreBatchedUntilFlushOrAFullBuffer(String driver) throws Exception {
        try (IoRuntime rt = TestDrivers.open(driver); Pair p = connect(rt)) {
            FixedBuf in = rt.loop().bufPool().lease();
            CompletableFuture<?> peer = p.server().recvAsync(in);
            OutputStream out = p.client().outputStream();
            out.write(new byte[10]);
            Thread.sleep(200);
            assertFalse(peer.isDone(), "10 bytes left before flush");
            out.flush();
            peer.get(WAIT, TimeUnit.SECONDS);
            assertEquals(10, in.readableBytes());
            in.release();

            int cap = rt.loop().bufPool().bufferSize();
            out.write(new byte[cap + 1]); // fills the buffer once: that much leaves without a flush
            assertEquals(cap, recvExactly(rt, p.server(), cap).length);
            out.flush();
            assertEquals(1, recvExactly(rt, p.server(), 1).length);
        }
    }

    @ParameterizedTest(name = "{0}, {1} threads")
    @MethodSource("io.veloq.examples.net.TestThreads#driversAndThreads")
    void anInterruptedReadIsCancelledAndTheStreamStaysUsable(String driver, String kind) throws Exception {
        try (IoRuntime rt = TestDrivers.open(driver); Pair p = connect(rt)) {
            Thread[] reader = new Thread[1];
            java.util.concurrent.atomic.AtomicBoolean sawInterrupt = new java.util.concurrent.atomic.AtomicBoolean();
            CompletableFuture<String> outcome = on(kind, () -> {
                reader[0] = Thread.currentThread();
                InputStream in = p.client().inputStream();
                try {
                    in.read();
                    return "read returned";
                } catch (InterruptedIOException e) {
                    if (!Thread.interrupted()) {
                        return "interrupt status lost";
                    }
                }
                sawInterrupt.set(true);
                return "interrupted; then read " + in.read(); // the stream still works
            });
            waitUntilParked(reader);
            reader[0].interrupt();
            waitFor(sawInterrupt::get, "the read to throw InterruptedIOException");
            waitUntilParked(reader); // in its second read
            FixedBuf b = rt.loop().bufPool().lease().putByte(42);
            p.server().sendAll(b);
            b.release();
            assertEquals("interrupted; then read 42", outcome.get(WAIT, TimeUnit.SECONDS));
            assertTrue(p.client().isOpen(), "an interrupted stream read leaves the socket open");
        }
    }

    @ParameterizedTest(name = "{0}, {1} threads")
    @MethodSource("io.veloq.examples.net.TestThreads#driversAndThreads")
    void anInterruptedChannelReadClosesTheSocket(String driver, String kind) throws Exception {
        try (IoRuntime rt = TestDrivers.open(driver); Pair p = connect(rt)) {
            Thread[] reader = new Thread[1];
            CompletableFuture<Object> outcome = on(kind, () -> {
                reader[0] = Thread.currentThread();
                try {
                    return p.client().readableChannel().read(ByteBuffer.allocate(8));
                } catch (IOException e) {
                    return e;
                }
            });
            waitUntilParked(reader);
            reader[0].interrupt();
            assertInstanceOf(ClosedByInterruptException.class, outcome.get(WAIT, TimeUnit.SECONDS));
            assertFalse(p.client().isOpen(), "the interrupt closed the socket, as for a JDK channel");
            assertFalse(p.client().readableChannel().isOpen());
            waitFor(() -> rt.loop().bufPool().outstanding() == 0, "the view's buffer back in the pool");
        }
    }

    @ParameterizedTest(name = "{0}, {1} threads")
    @MethodSource("io.veloq.examples.net.TestThreads#driversAndThreads")
    void anInterruptedWriteKeepsTheUnsentBytesForTheNextFlush(String driver, String kind) throws Exception {
        try (IoRuntime rt = TestDrivers.open(driver); Pair p = connect(rt)) {
            p.client().setOption(StandardSocketOptions.SO_SNDBUF, 4096);
            byte[] data = random(32 << 20, 3); // far more than the socket buffers hold while nobody reads
            Thread[] writer = new Thread[1];
            CompletableFuture<Integer> accepted = on(kind, () -> {
                writer[0] = Thread.currentThread();
                OutputStream out = p.client().outputStream();
                try {
                    out.write(data);
                    return -1;
                } catch (InterruptedIOException e) {
                    Thread.interrupted();
                    out.flush();             // what the interrupt left in the buffer goes now
                    p.client().shutdown(ShutdownHow.WRITE);
                    return e.bytesTransferred;
                }
            });
            waitUntilParked(writer);
            writer[0].interrupt();
            // Now read everything: exactly the bytes the interrupted write reported, in order.
            byte[] got = p.server().inputStream().readAllBytes();
            int n = accepted.get(WAIT, TimeUnit.SECONDS);
            assertTrue(n > 0 && n < data.length, "the write was interrupted part way: " + n);
            assertEquals(n, got.length, "the peer received what the write accepted, no more, no less");
            assertArrayEquals(sha256(Arrays.copyOf(data, n)), sha256(got));
        }
    }

    @ParameterizedTest
    @MethodSource("io.veloq.examples.net.TestDrivers#all")
    void theSocketsReadTimeoutEndsABlockedReadAndTheStreamGoesOn(String driver) throws Exception {
        try (IoRuntime rt = TestDrivers.open(driver); Pair p = connect(rt)) {
            InputStream in = p.client().inputStream();
            FixedBuf b = rt.loop().bufPool().lease().putByte(4);
            p.server().sendAll(b);
            assertEquals(4, in.read(), "a first read with no timeout (the view builds its receive op)");
            // Set after the view's op was built: it still applies to the next read, as setSoTimeout does.
            p.client().readTimeout(java.time.Duration.ofMillis(200));
            assertThrows(java.net.SocketTimeoutException.class, in::read, "like Socket.setSoTimeout");
            assertTrue(p.client().isOpen());
            b.clear().putByte(5);
            p.server().sendAll(b);
            assertEquals(5, in.read(), "the next read works");
            // Removed again: a read waits for as long as it takes (longer than the old timeout).
            p.client().readTimeout(java.time.Duration.ZERO);
            CompletableFuture<Integer> late = CompletableFuture.supplyAsync(() -> {
                try {
                    return in.read();
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            Thread.sleep(500);
            assertFalse(late.isDone(), "no timeout any more");
            b.clear().putByte(6);
            p.server().sendAll(b);
            b.release();
            assertEquals(6, late.get(30, TimeUnit.SECONDS));
        }
    }

    @ParameterizedTest
    @MethodSource("io.veloq.examples.net.TestDrivers#all")
    void closingAViewFlushesAndClosesTheSocket(String driver) throws Exception {
        try (IoRuntime rt = TestDrivers.open(driver); Pair p = connect(rt)) {
            OutputStream out = p.client().outputStream();
            out.write("last words".getBytes(StandardCharsets.US_ASCII));
            assertEquals(1, rt.loop().bufPool().outstanding(), "the output view holds one buffer");
            out.close();
            assertFalse(p.client().isOpen());
            assertEquals("last words", new String(p.server().inputStream().readAllBytes(), StandardCharsets.US_ASCII));
            assertThrows(IOException.class, () -> out.write(1));
            assertThrows(ClosedChannelException.class, () -> p.client().writableChannel().write(ByteBuffer.allocate(1)));

            p.server().inputStream().close();
            assertFalse(p.server().isOpen(), "closing the input view closes the socket");
            assertEquals(0, rt.loop().bufPool().outstanding(), "both views gave their buffers back");
        }
    }

    @ParameterizedTest
    @MethodSource("io.veloq.examples.net.TestDrivers#all")
    void closingTheSocketReturnsTheViewsBuffers(String driver) throws Exception {
        try (IoRuntime rt = TestDrivers.open(driver); Pair p = connect(rt)) {
            FixedBuf b = rt.loop().bufPool().lease().put(new byte[100]);
            p.server().sendAll(b);
            b.release();
            InputStream in = p.client().inputStream();
            assertEquals(0, in.read()); // 99 bytes stay buffered
            p.client().outputStream().write(7); // batched, never flushed
            assertEquals(2, rt.loop().bufPool().outstanding());
            p.client().close();
            assertEquals(0, rt.loop().bufPool().outstanding(), "the socket's close released both views' buffers");
            assertThrows(IOException.class, in::read);
        }
    }

    @ParameterizedTest(name = "{0}, {1} threads")
    @MethodSource("io.veloq.examples.net.TestThreads#driversAndThreads")
    void closeFromAnotherThreadWakesABlockedReader(String driver, String kind) throws Exception {
        try (IoRuntime rt = TestDrivers.open(driver); Pair p = connect(rt)) {
            Thread[] reader = new Thread[1];
            CompletableFuture<Object> outcome = on(kind, () -> {
                reader[0] = Thread.currentThread();
                try {
                    return p.client().inputStream().read();
                } catch (IOException e) {
                    return e;
                }
            });
            waitUntilParked(reader);
            p.client().close();
            assertInstanceOf(ClosedChannelException.class, outcome.get(WAIT, TimeUnit.SECONDS),
                    "a read blocked while the socket closes fails with AsynchronousCloseException");
            waitFor(() -> rt.loop().bufPool().outstanding() == 0, "the reader gave its buffer back");
        }
    }

    @ParameterizedTest
    @MethodSource("io.veloq.examples.net.TestDrivers#all")
    void blockingOnTheLoopThreadIsRefused(String driver) throws Exception {
        try (IoRuntime rt = TestDrivers.open(driver); Pair p = connect(rt)) {
            CompletableFuture<Throwable> f = new CompletableFuture<>();
            rt.loop().execute(() -> {
                try {
                    p.client().inputStream().read();
                    f.complete(null);
                } catch (Throwable e) {
                    f.complete(e);
                }
            });
            Throwable e = f.get(WAIT, TimeUnit.SECONDS);
            assertInstanceOf(IllegalStateException.class, e);
            assertTrue(e.getMessage().contains("loop thread"), e.getMessage());
            assertEquals(0, rt.inFlight(), "no receive was started");
        }
    }

    @ParameterizedTest(name = "{0}, {1} threads")
    @MethodSource("io.veloq.examples.net.TestThreads#driversAndThreads")
    void unixStreamLinesThroughReadersAndWriters(String driver, String kind) throws Exception {
        Path dir = Files.createTempDirectory("veloq-views");
        Path path = dir.resolve("s.sock");
        try (IoRuntime rt = TestDrivers.open(driver);
             UnixListener l = UnixListener.bind(rt.loop(), UnixDomainSocketAddress.of(path))) {
            CompletableFuture<UnixStream> accepted = l.acceptAsync();
            try (UnixStream c = UnixStream.connect(rt.loop(), UnixDomainSocketAddress.of(path));
                 UnixStream s = accepted.get(WAIT, TimeUnit.SECONDS)) {
                CompletableFuture<Integer> server = on(kind, () -> {
                    BufferedReader r = new BufferedReader(new InputStreamReader(s.inputStream(), StandardCharsets.UTF_8));
                    BufferedWriter w = new BufferedWriter(new OutputStreamWriter(s.outputStream(), StandardCharsets.UTF_8));
                    int lines = 0;
                    for (String line; (line = r.readLine()) != null; lines++) {
                        w.write(line.toUpperCase() + "\n");
                        w.flush();
                    }
                    return lines;
                });
                String replies = on(kind, () -> {
                    BufferedReader r = new BufferedReader(new InputStreamReader(c.inputStream(), StandardCharsets.UTF_8));
                    BufferedWriter w = new BufferedWriter(new OutputStreamWriter(c.outputStream(), StandardCharsets.UTF_8));
                    StringBuilder sb = new StringBuilder();
                    for (int i = 0; i < 100; i++) {
                        w.write("line " + i + " ünïcödé\n");
                        w.flush();
                        sb.append(r.readLine()).append(';');
                    }
                    c.shutdown(ShutdownHow.WRITE);
                    return sb.toString();
                }).get(WAIT, TimeUnit.SECONDS);
                assertEquals(100, server.get(WAIT, TimeUnit.SECONDS));
                assertTrue(replies.startsWith("LINE 0 ÜNÏCÖDÉ;LINE 1 ÜNÏCÖDÉ;") && replies.endsWith("LINE 99 ÜNÏCÖDÉ;"), replies);
            }
        } finally {
            Files.deleteIfExists(path);
            Files.deleteIfExists(dir);
        }
    }

    /**
     * Thread-per-connection code, unchanged, over one event loop: 200 connections served and driven by
     * virtual threads on JDK 21+ (20 plain threads each way otherwise), each a request/response dialogue.
     */
    @ParameterizedTest(name = "{0}, {1} threads")
    @MethodSource("io.veloq.examples.net.TestThreads#driversAndThreads")
    void manyConnectionsEachOnItsOwnThread(String driver, String kind) throws Exception {
        int conns = kind.equals("virtual") ? 200 : 20;
        try (IoRuntime rt = IoRuntime.builder().driver(driver).buffers(4096, 4 * conns + 8).open();
             TcpListener l = TcpListener.bind(rt.loop(), new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            CompletableFuture<Void> acceptor = on("plain", () -> {
                for (int i = 0; i < conns; i++) {
                    TcpStream s = l.accept();
                    on(kind, () -> {
                        try (s) {
                            DataStreams io = new DataStreams(s.inputStream(), s.outputStream());
                            for (int v; (v = io.readInt()) >= 0; ) {
                                io.writeInt(v * 2);
                            }
                        }
                        return null;
                    });
                }
                return null;
            });
            List<CompletableFuture<Boolean>> clients = new ArrayList<>();
            for (int i = 0; i < conns; i++) {
                int id = i;
                clients.add(on(kind, () -> {
                    try (TcpStream c = TcpStream.connect(rt.loop(), new InetSocketAddress(InetAddress.getLoopbackAddress(), l.port()))) {
                        assertTrue(TestThreads.isVirtual(Thread.currentThread()) == kind.equals("virtual"));
                        DataStreams io = new DataStreams(c.inputStream(), c.outputStream());
                        for (int r = 0; r < 20; r++) {
                            io.writeInt(id * 1000 + r);
                            if (io.readInt() != 2 * (id * 1000 + r)) {
                                return false;
                            }
                        }
                        io.writeInt(-1);
                        return true;
                    }
                }));
            }
            for (CompletableFuture<Boolean> c : clients) {
                assertTrue(c.get(WAIT * 3, TimeUnit.SECONDS));
            }
            acceptor.get(WAIT, TimeUnit.SECONDS);
            waitFor(() -> rt.loop().bufPool().outstanding() == 0, "every view buffer back in the pool");
        }
    }

    /** Four-byte big-endian ints over the views, flushed per write. */
    record DataStreams(InputStream in, OutputStream out) {
        int readInt() throws IOException {
            byte[] b = in.readNBytes(4);
            if (b.length < 4) {
                return -1;
            }
            return ByteBuffer.wrap(b).getInt();
        }

        void writeInt(int v) throws IOException {
            out.write(ByteBuffer.allocate(4).putInt(v).array());
            out.flush();
        }
    }
}
