package io.veloq.examples.net;

import io.veloq.api.Capability;
import io.veloq.api.Completion;
import io.veloq.api.IoErrorKind;
import io.veloq.api.IoFd;
import io.veloq.api.IoRuntime;
import io.veloq.api.Op;
import io.veloq.api.VeloqIoException;
import io.veloq.api.buffer.FixedBuf;
import io.veloq.api.net.ShutdownHow;
import io.veloq.api.net.TcpListener;
import io.veloq.api.net.TcpStream;
import io.veloq.api.op.Close;
import io.veloq.api.op.Open;
import io.veloq.api.op.SendFile;
import io.veloq.api.op.Write;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.StandardOpenOption;
import java.util.EnumSet;
import java.nio.file.Path;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code StreamSocket.sendFile} in its shapes (blocking on a descriptor and on a path, future, completer) on
 * every test driver: a file larger than a pool buffer arrives byte for byte, ranges and end of file are
 * honoured; a driver without {@link Capability#SEND_FILE} refuses with {@code NOT_SUPPORTED} naming it.
 */
class SendFileApiTest {
    private static final long WAIT = 20;
    private static final int SIZE = 1024 * 1024 + 17;

    @TempDir
    Path dir;

    @ParameterizedTest
    @MethodSource("io.veloq.examples.net.TestDrivers#all")
    void everyShapeSendsTheFileByteForByte(String driver) throws Exception {
        byte[] data = new byte[SIZE];
        new Random(13).nextBytes(data);
        Path path = dir.resolve("body.bin");
        ExecutorService reader = Executors.newSingleThreadExecutor();
        try (IoRuntime rt = TestDrivers.open(driver);
             TcpListener l = TcpListener.bind(rt.loop(), new InetSocketAddress("127.0.0.1", 0))) {
            write(rt, path, data); // through the runtime: the fake keeps its own file store
            CompletableFuture<TcpStream> accepted = l.acceptAsync();
            try (TcpStream c = TcpStream.connect(rt.loop(), new InetSocketAddress("127.0.0.1", l.port()));
                 TcpStream s = accepted.get(WAIT, TimeUnit.SECONDS)) {
                IoFd file = IoFd.raw(rt.loop().call(Open.read(path)).valueOrThrow());
                try {
                    if (!rt.capabilities().contains(Capability.SEND_FILE)) {
                        IOException e = assertThrows(IOException.class, () -> c.sendFile(file, 0, SIZE));
                        VeloqIoException v = e instanceof VeloqIoException x ? x : (VeloqIoException) e.getCause();
                        assertEquals(IoErrorKind.NOT_SUPPORTED, v.kind(), v.toString());
                        assertTrue(v.getMessage().contains("SEND_FILE") || v.getMessage().contains("SendFile"),
                                "the refusal names what is missing: " + v.getMessage());
                        return;
                    }
                    Future<byte[]> received = reader.submit(() -> readToEnd(rt, s));
                    ByteArrayOutputStream expected = new ByteArrayOutputStream();

                    assertEquals(SIZE, c.sendFile(file, 0, SIZE), "blocking, descriptor");
                    expected.write(data);
                    assertEquals(1000, c.sendFile(path, 5000, 1000), "blocking, path, a range");
                    expected.write(data, 5000, 1000);
                    assertEquals(17, c.sendFile(file, SIZE - 17, 1000), "blocking, stops at end of file");
                    expected.write(data, SIZE - 17, 17);

                    Completion<SendFile> f = c.sendFileAsync(file, 3, SIZE - 3).get(WAIT, TimeUnit.SECONDS);
                    assertTrue(f.isSuccess(), String.valueOf(f));
                    assertEquals(SIZE - 3, f.value(), "future: the total over every transfer");
                    expected.write(data, 3, SIZE - 3);

                    CompletableFuture<Op<SendFile>> done = new CompletableFuture<>();
                    Op<SendFile> first = c.sendFile(file, 0, SIZE, done::complete);
                    Op<SendFile> last = done.get(WAIT, TimeUnit.SECONDS);
                    assertTrue(last.isSuccess(), String.valueOf(last.error()));
                    assertEquals(SIZE, last.payload().offset() + last.result(),
                            "completer: the last op's range ends at the end of the file");
                    expected.write(data);
                    if (driver.equals("uring")) { // a 256 KiB pipe per op (the fake: 64 KiB; nio: what the socket takes)
                        assertFalse(first == last, "io_uring moves at most a pipe's capacity per op, so 1 MiB takes several");
                    }

                    c.shutdown(ShutdownHow.WRITE);
                    byte[] got = received.get(WAIT, TimeUnit.SECONDS);
                    assertEquals(expected.size(), got.length, "bytes received");
                    assertArrayEquals(expected.toByteArray(), got, "the peer gets exactly the ranges sent, in order");
                } finally {
                    rt.loop().call(new Close(file));
                }
            }
            assertEquals(0, rt.loop().bufPool().outstanding(), "sendFile leases no pool buffer");
        } finally {
            reader.shutdownNow();
        }
    }

    private static void write(IoRuntime rt, Path path, byte[] data) throws IOException {
        IoFd w = IoFd.raw(rt.loop().call(new Open(path, EnumSet.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE),
                0644)).valueOrThrow());
        FixedBuf b = rt.loop().bufPool().lease();
        try {
            for (int off = 0; off < data.length; ) {
                b.clear();
                b.put(data, off, Math.min(b.capacity(), data.length - off));
                off += (int) rt.loop().call(new Write(w, b, off)).valueOrThrow();
            }
        } finally {
            b.release();
            rt.loop().call(new Close(w));
        }
    }

    private static byte[] readToEnd(IoRuntime rt, TcpStream s) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        FixedBuf b = rt.loop().bufPool().lease();
        try {
            while (true) {
                b.clear();
                int n = s.recv(b);
                if (n == 0) {
                    return out.toByteArray();
                }
                out.write(b.getBytes());
            }
        } finally {
            b.release();
        }
    }
}
