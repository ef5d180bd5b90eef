package io.veloq.driver.iocp;

import io.veloq.api.Completion;
import io.veloq.api.IoErrorKind;
import io.veloq.api.IoRuntime;
import io.veloq.api.Op;
import io.veloq.api.VeloqIoException;
import io.veloq.api.buffer.BufPool;
import io.veloq.api.buffer.FixedBuf;
import io.veloq.api.net.TcpListener;
import io.veloq.api.net.TcpStream;
import io.veloq.api.op.Recv;
import io.veloq.api.op.Send;
import io.veloq.driver.iocp.sim.SimWin32;
import io.veloq.testkit.DriverRuntimes;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.ClosedChannelException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The op lifecycle rules of #10 on the IOCP driver (simulator here, real Windows in its CI job): a closed
 * socket's ops never reach the driver, and closing the runtime while completers resubmit gives every
 * buffer back without an exception.
 */
class IocpLifecycleTest {
    private static final long WAIT = 10;

    private static IoRuntime open(SimWin32[] sim, List<Throwable> thrown) {
        return DriverRuntimes.open(Bindings.provider(sim), IoRuntime.builder().buffers(4096, 64)
                .exceptionHandler((loop, source, error) -> thrown.add(error)));
    }

    private static void closeSim(SimWin32[] sim) {
        if (sim[0] != null) {
            List<String> failures = sim[0].failures();
            sim[0].close();
            assertEquals(List.of(), failures, "exceptions or Windows-unsafe calls inside the IOCP simulator");
        }
    }

    private static InetSocketAddress loopback(int port) {
        return new InetSocketAddress(InetAddress.getLoopbackAddress(), port);
    }

    @Test
    void theReusableOpsOfAClosedSocketCompleteClosedWithoutReachingTheDriver() throws Exception {
        SimWin32[] sim = new SimWin32[1];
        List<Throwable> thrown = new CopyOnWriteArrayList<>();
        try (IoRuntime rt = open(sim, thrown);
             TcpListener l = TcpListener.bind(rt.loop(), loopback(0))) {
            BufPool pool = rt.loop().bufPool();
            CompletableFuture<TcpStream> accepted = l.acceptAsync();
            TcpStream c = TcpStream.connect(rt.loop(), loopback(l.port()));
            TcpStream s = accepted.get(WAIT, TimeUnit.SECONDS);
            FixedBuf in = pool.lease();
            AtomicReference<CompletableFuture<Completion<Recv>>> next = new AtomicReference<>(new CompletableFuture<>());
            Op<Recv> recv = c.recvOp(in, op -> next.get().complete(op.completion()));
            FixedBuf out = pool.lease().put(new byte[] {1, 2, 3});
            s.sendAll(out);
            rt.loop().submit(recv);
            assertEquals(3, next.get().get(WAIT, TimeUnit.SECONDS).value());
            in.clear();
            out.clear().put(new byte[] {4, 5});
            s.sendAll(out); // bytes A's op must never read once A is closed
            CompletableFuture<Completion<Send>> sent = new CompletableFuture<>();
            Op<Send> send = c.sendOp(pool.lease().put(new byte[] {9}), op -> sent.complete(op.completion()));
            c.close();

            next.set(new CompletableFuture<>());
            rt.loop().resubmit(recv);
            VeloqIoException e = next.get().get(WAIT, TimeUnit.SECONDS).error();
            assertNotNull(e, "a closed socket's recv succeeded");
            assertEquals(IoErrorKind.BAD_DESCRIPTOR, e.kind(), e.getMessage());
            assertInstanceOf(ClosedChannelException.class, e.toJava());
            assertTrue(e.getMessage().contains("never ran"), "the op went to the driver: " + e.getMessage());
            assertEquals(0, in.readableBytes());

            rt.loop().submit(send);
            Completion<Send> sc = sent.get(WAIT, TimeUnit.SECONDS);
            assertNotNull(sc.error(), "a closed socket's send succeeded");
            assertEquals(IoErrorKind.BAD_DESCRIPTOR, sc.error().kind());
            sc.payload().buffer().release();
            in.release();
            out.release();
            s.close();
            assertEquals(0, pool.outstanding());
        } finally {
            closeSim(sim);
        }
        assertEquals(List.of(), thrown);
    }

    @Test
    void aCloseFromAnotherThreadRacingAResubmittingCompleterEndsTheOpAndReturnsTheBuffer() throws Exception {
        SimWin32[] sim = new SimWin32[1];
        List<Throwable> thrown = new CopyOnWriteArrayList<>();
        try (IoRuntime rt = open(sim, thrown);
             TcpListener l = TcpListener.bind(rt.loop(), loopback(0))) {
            BufPool pool = rt.loop().bufPool();
            for (int round = 0; round < 50; round++) {
                CompletableFuture<TcpStream> accepted = l.acceptAsync();
                TcpStream c = TcpStream.connect(rt.loop(), loopback(l.port()));
                TcpStream s = accepted.get(WAIT, TimeUnit.SECONDS);
                CountDownLatch ended = new CountDownLatch(1);
                CountDownLatch receiving = new CountDownLatch(1);
                Op<Recv> recv = c.recvOp(pool.lease(), op -> {
                    if (!op.isSuccess() || op.result() == 0) {
                        op.payload().buffer().release();
                        ended.countDown();
                        return;
                    }
                    op.payload().buf().clear();
                    receiving.countDown();
                    rt.loop().resubmit(op);
                });
                rt.loop().submit(recv);
                Thread peer = new Thread(() -> {
                    FixedBuf out = pool.lease();
                    try {
                        while (true) {
                            out.clear().put(new byte[] {'a', 'a'});
                            s.sendAll(out);
                        }
                    } catch (Exception closed) {
                        // the test closed the peer
                    } finally {
                        out.release();
                    }
                });
                peer.start();
                assertTrue(receiving.await(WAIT, TimeUnit.SECONDS));
                c.close(); // from this thread, while the completer resubmits on the loop
                assertTrue(ended.await(WAIT, TimeUnit.SECONDS), "round " + round + ": the recv op did not end");
                s.close();
                peer.join(TimeUnit.SECONDS.toMillis(WAIT));
            }
            assertEquals(0, pool.outstanding());
        } finally {
            closeSim(sim);
        }
        assertEquals(List.of(), thrown);
    }

    @Test
    void closingTheRuntimeWhileCompletersResubmitGivesEveryBufferBack() throws Exception {
        for (int round = 0; round < 10; round++) {
            SimWin32[] sim = new SimWin32[1];
            List<Throwable> thrown = new CopyOnWriteArrayList<>();
            AtomicInteger ended = new AtomicInteger();
            AtomicInteger received = new AtomicInteger();
            IoRuntime rt = open(sim, thrown);
            BufPool pool = rt.loop().bufPool();
            int connections = 4;
            try (TcpListener l = TcpListener.bind(rt.loop(), loopback(0))) {
                List<Op<?>> ops = new ArrayList<>();
                for (int i = 0; i < connections; i++) {
                    CompletableFuture<TcpStream> accepted = l.acceptAsync();
                    TcpStream c = TcpStream.connect(rt.loop(), loopback(l.port()));
                    TcpStream s = accepted.get(WAIT, TimeUnit.SECONDS);
                    ops.add(c.sendAllOp(pool.lease().put(new byte[512]), op -> {
                        if (!op.isSuccess()) {
                            op.payload().buffer().release();
                            ended.incrementAndGet();
                            return;
                        }
                        op.payload().buf().clear().put(new byte[512]);
                        rt.loop().resubmit(op);
                    }));
                    ops.add(s.recvOp(pool.lease(), op -> {
                        if (!op.isSuccess() || op.result() == 0) {
                            op.payload().buffer().release();
                            ended.incrementAndGet();
                            return;
                        }
                        received.addAndGet((int) op.result());
                        op.payload().buf().clear();
                        rt.loop().resubmit(op);
                    }));
                }
                ops.forEach(rt.loop()::submit);
                long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT);
                while (received.get() < 16 * 1024 && System.nanoTime() - until < 0) {
                    Thread.sleep(1);
                }
                assertTrue(received.get() > 0, "no data flowed");
            } finally {
                rt.close();
                closeSim(sim);
            }
            assertEquals(List.of(), thrown, "round " + round + ": exceptions in completers during close");
            assertEquals(2 * connections, ended.get(), "round " + round + ": ops that did not end through their completer");
            assertEquals(0, pool.outstanding(), "round " + round + ": buffers still leased after close");
        }
    }
}
