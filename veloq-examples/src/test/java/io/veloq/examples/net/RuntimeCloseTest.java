package io.veloq.examples.net;

import io.veloq.api.IoRuntime;
import io.veloq.api.Op;
import io.veloq.api.buffer.BufPool;
import io.veloq.api.buffer.FixedBuf;
import io.veloq.api.net.TcpListener;
import io.veloq.api.net.TcpStream;
import io.veloq.api.op.Recv;
import io.veloq.api.op.Send;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Closing the runtime while reusable ops resubmit themselves from their completers, as the {@code DataSocket}
 * Javadoc recommends (#10, defect 2): every op ends through its completer, nothing throws, and every
 * buffer comes back; many times over.
 */
class RuntimeCloseTest {
    static final int CONNECTIONS = 8;
    static final int ROUNDS = 25;

    @ParameterizedTest
    @MethodSource("io.veloq.examples.net.TestDrivers#all")
    void closingTheRuntimeWhileCompletersResubmitGivesEveryBufferBackWithoutAnException(String driver)
            throws Exception {
        for (int round = 0; round < ROUNDS; round++) {
            closeWhileDataFlows(IoRuntime.builder().driver(driver).buffers(4096, 64), round);
        }
    }

    /**
     * {@link #CONNECTIONS} connections, each with a reusable sendAll op on the client and a reusable recv
     * op on the server, both resubmitting on success; the runtime closes while they run.
     */
    static void closeWhileDataFlows(IoRuntime.Builder builder, int round) throws Exception {
        List<Throwable> thrown = new CopyOnWriteArrayList<>();
        AtomicInteger ended = new AtomicInteger();
        AtomicInteger received = new AtomicInteger();
        BufPool pool;
        IoRuntime rt = builder.exceptionHandler((loop, source, error) -> thrown.add(error)).open();
        try (TcpListener l = TcpListener.bind(rt.loop(), new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            pool = rt.loop().bufPool();
            List<Op<?>> ops = new ArrayList<>();
            for (int i = 0; i < CONNECTIONS; i++) {
                CompletableFuture<TcpStream> accepted = l.acceptAsync();
                TcpStream client = TcpStream.connect(rt.loop(), new InetSocketAddress(InetAddress.getLoopbackAddress(), l.port()));
                TcpStream server = accepted.get(10, TimeUnit.SECONDS);
                FixedBuf out = pool.lease().put(new byte[1024]);
                Op<Send> send = client.sendAllOp(out, op -> {
                    if (!op.isSuccess()) {
                        op.payload().buffer().release();
                        closeQuietly(client);
                        ended.incrementAndGet();
                        return;
                    }
                    op.payload().buf().clear().put(new byte[1024]);
                    rt.loop().resubmit(op);
                });
                FixedBuf in = pool.lease();
                Op<Recv> recv = server.recvOp(in, op -> {
                    if (!op.isSuccess() || op.result() == 0) {
                        op.payload().buffer().release();
                        closeQuietly(server);
                        ended.incrementAndGet();
                        return;
                    }
                    received.addAndGet((int) op.result());
                    op.payload().buf().clear();
                    rt.loop().resubmit(op);
                });
                ops.add(send);
                ops.add(recv);
            }
            ops.forEach(rt.loop()::submit);
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (received.get() < 64 * 1024 && System.nanoTime() - until < 0) {
                Thread.sleep(1);
            }
            assertTrue(received.get() > 0, "round " + round + ": no data flowed");
        } finally {
            rt.close(); // while the data flows (the listener's close above is one op among them)
        }
        assertEquals(List.of(), thrown, "round " + round + ": exceptions in completers during close");
        assertEquals(2 * CONNECTIONS, ended.get(), "round " + round + ": ops that did not end through their completer");
        assertEquals(0, pool.outstanding(), "round " + round + ": buffers still leased after close");
    }

    private static void closeQuietly(TcpStream s) {
        try {
            s.close(); // on the loop thread: does not wait
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
