package io.veloq.driver.iocp;

import io.veloq.api.IoRuntime;
import io.veloq.api.buffer.FixedBuf;
import io.veloq.api.net.ShutdownHow;
import io.veloq.api.net.TcpListener;
import io.veloq.api.net.TcpStream;
import io.veloq.driver.iocp.sim.SimWin32;
import io.veloq.testkit.DriverRuntimes;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedByInterruptException;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The blocking stream views of {@code StreamSocket} on the IOCP driver (WSARecv/WSASend through the
 * simulator here, the real kernel on Windows): bytes both ways, end of stream, interrupts, buffers back.
 */
class IocpStreamViewsTest {
    private static final long WAIT = 20;

    private final SimWin32[] sim = new SimWin32[1];
    private IoRuntime rt;
    private TcpListener listener;
    private TcpStream client;
    private TcpStream server;

    @BeforeEach
    void open() throws Exception {
        rt = DriverRuntimes.open(Bindings.provider(sim), IoRuntime.builder().buffers(16 * 1024, 16));
        listener = TcpListener.bind(rt.loop(), new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        CompletableFuture<TcpStream> accepted = listener.acceptAsync();
        client = TcpStream.connect(rt.loop(), new InetSocketAddress(InetAddress.getLoopbackAddress(), listener.port()));
        server = accepted.get(WAIT, TimeUnit.SECONDS);
    }

    @AfterEach
    void close() throws Exception {
        client.close();
        server.close();
        listener.close();
        assertEquals(0, rt.loop().bufPool().outstanding(), "the views gave their buffers back");
        rt.close();
        if (sim[0] != null) {
            List<String> failures = sim[0].failures();
            sim[0].close();
            assertEquals(List.of(), failures, "exceptions or Windows-unsafe calls inside the IOCP simulator");
        }
    }

    private static <T> CompletableFuture<T> onThread(java.util.concurrent.Callable<T> task, Thread[] holder) {
        CompletableFuture<T> f = new CompletableFuture<>();
        Thread t = new Thread(() -> {
            try {
                f.complete(task.call());
            } catch (Throwable e) {
                f.completeExceptionally(e);
            }
        });
        if (holder != null) {
            holder[0] = t;
        }
        t.setDaemon(true);
        t.start();
        return f;
    }

    private static void waitFor(BooleanSupplier c, String what) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT);
        while (!c.getAsBoolean()) {
            assertTrue(System.nanoTime() < end, "timed out waiting for " + what);
            Thread.sleep(5);
        }
    }

    private static void waitUntilParked(Thread t) throws InterruptedException {
        waitFor(() -> t.getState() == Thread.State.WAITING, "the thread to block");
    }

    @Test
    void twoMebibytesEachWayThenEndOfStream() throws Exception {
        byte[] data = new byte[2 << 20];
        new Random(5).nextBytes(data);
        CompletableFuture<Long> echo = onThread(() -> {
            long n = 0;
            InputStream in = server.inputStream();
            OutputStream out = server.outputStream();
            byte[] chunk = new byte[7_000];
            for (int k; (k = in.read(chunk)) > 0; n += k) {
                out.write(chunk, 0, k);
            }
            out.flush();
            server.shutdown(ShutdownHow.WRITE);
            return n;
        }, null);
        CompletableFuture<byte[]> back = onThread(() -> client.inputStream().readAllBytes(), null);
        OutputStream out = client.outputStream();
        for (int at = 0; at < data.length; at += 50_000) {
            out.write(data, at, Math.min(50_000, data.length - at));
        }
        out.flush();
        client.shutdown(ShutdownHow.WRITE);
        assertEquals(data.length, echo.get(WAIT, TimeUnit.SECONDS));
        assertArrayEquals(data, back.get(WAIT, TimeUnit.SECONDS));
        assertEquals(-1, client.inputStream().read(), "end of stream stays");
    }

    @Test
    void anInterruptedStreamReadCancelsTheWsaRecvAndTheStreamGoesOn() throws Exception {
        Thread[] reader = new Thread[1];
        AtomicBoolean sawInterrupt = new AtomicBoolean();
        CompletableFuture<Integer> got = onThread(() -> {
            try {
                client.inputStream().read();
                return -2;
            } catch (InterruptedIOException e) {
                sawInterrupt.set(Thread.interrupted());
            }
            return client.inputStream().read();
        }, reader);
        waitUntilParked(reader[0]);
        reader[0].interrupt();
        waitFor(sawInterrupt::get, "InterruptedIOException with the interrupt status kept");
        waitUntilParked(reader[0]);
        FixedBuf b = rt.loop().bufPool().lease().putByte(9);
        server.sendAll(b);
        b.release();
        assertEquals(9, got.get(WAIT, TimeUnit.SECONDS));
        assertTrue(client.isOpen());
    }

    @Test
    void anInterruptedChannelReadClosesTheSocket() throws Exception {
        Thread[] reader = new Thread[1];
        CompletableFuture<Object> got = onThread(() -> {
            try {
                return client.readableChannel().read(ByteBuffer.allocate(4));
            } catch (IOException e) {
                return e;
            }
        }, reader);
        waitUntilParked(reader[0]);
        reader[0].interrupt();
        assertInstanceOf(ClosedByInterruptException.class, got.get(WAIT, TimeUnit.SECONDS));
        assertFalse(client.isOpen());
        waitFor(() -> rt.loop().bufPool().outstanding() == 0, "the view's buffer back");
    }
}
