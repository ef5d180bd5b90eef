package io.veloq.examples.net;

import io.veloq.api.IoRuntime;
import io.veloq.api.Op;
import io.veloq.api.buffer.BufVec;
import io.veloq.api.buffer.FixedBuf;
import io.veloq.api.net.TcpListener;
import io.veloq.api.net.TcpStream;
import io.veloq.api.op.SendMsg;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.ByteArrayOutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Vectored send and receive in the net API: a 1 MiB payload in 64 buffers goes out with {@code sendAll(BufVec)}
 * (completer and blocking shapes) every byte in order, and plain vectored sends need fewer ops than buffers (one
 * per kernel-sized piece, not one per buffer); a vectored receive fills four buffers per op. On the fake and
 * io_uring.
 */
class VectoredNetTest {
    private static final int BUF = 16 * 1024;
    private static final int CHUNKS = 64;

    @ParameterizedTest
    @MethodSource("io.veloq.examples.net.TestDrivers#all")
    void aPayloadOfManyBuffersGoesOutInFewerOpsThanBuffers(String driver) throws Exception {
        try (IoRuntime rt = IoRuntime.builder().driver(driver).buffers(BUF, 2 * CHUNKS + 8).open();
             TcpListener l = TcpListener.bind(rt.loop(), new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0));
             TcpStream c = TcpStream.connect(rt.loop(), new InetSocketAddress(InetAddress.getByName("127.0.0.1"), l.port()));
             TcpStream s = l.accept()) {
            byte[] payload = new byte[CHUNKS * BUF - 5];
            new Random(7).nextBytes(payload);
            List<FixedBuf> chunks = new ArrayList<>();
            BufVec vec = BufVec.withCapacity(CHUNKS);
            chain(rt, payload, chunks, vec);
            CompletableFuture<Op<SendMsg>> done = new CompletableFuture<>();
            rt.loop().submit(s.sendAllOp(vec, done::complete));
            byte[] got = receiveVectored(rt, c, payload.length);
            Op<SendMsg> finished = done.get(10, TimeUnit.SECONDS);
            assertTrue(finished.isSuccess(), () -> "sendAll failed: " + finished.error());
            assertEquals(0, vec.readableBytes(), "every buffer drained");
            assertArrayEquals(payload, got, "the payload, in order");
            chunks.forEach(FixedBuf::release);

            // Blocking shape with a fresh chain; the number of ops is at most what the kernel forces.
            chain(rt, payload, chunks, vec);
            CompletableFuture<byte[]> reader = CompletableFuture.supplyAsync(() -> {
                try {
                    return receiveVectored(rt, c, payload.length);
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            assertEquals(payload.length, s.sendAll(vec));
            assertArrayEquals(payload, reader.get(10, TimeUnit.SECONDS));
            chunks.forEach(FixedBuf::release);

            // How many ops a 1 MiB chain takes: plain vectored sends, resubmitted by hand and counted.
            chain(rt, payload, chunks, vec);
            AtomicInteger ops = new AtomicInteger();
            CompletableFuture<Void> sent = new CompletableFuture<>();
            rt.loop().submit(s.sendOp(vec, op -> {
                ops.incrementAndGet();
                if (!op.isSuccess()) {
                    sent.completeExceptionally(op.error());
                } else if (op.payload().bufs().readableBytes() > 0) {
                    rt.loop().resubmit(op);
                } else {
                    sent.complete(null);
                }
            }));
            assertArrayEquals(payload, receiveVectored(rt, c, payload.length));
            sent.get(10, TimeUnit.SECONDS);
            assertTrue(ops.get() < CHUNKS, ops.get() + " vectored sends for " + CHUNKS + " buffers");
            chunks.forEach(FixedBuf::release);
        }
    }

    /** Copies {@code payload} into pooled buffers, listed in {@code chunks} and chained in {@code vec} (both cleared first). */
    private static void chain(IoRuntime rt, byte[] payload, List<FixedBuf> chunks, BufVec vec) {
        vec.clear();
        chunks.clear();
        for (int off = 0; off < payload.length; off += BUF) {
            FixedBuf b = rt.loop().bufPool().lease().put(payload, off, Math.min(BUF, payload.length - off));
            chunks.add(b);
            vec.add(b);
        }
    }

    /** Receives {@code n} bytes with vectored receives into four buffers at a time. */
    private static byte[] receiveVectored(IoRuntime rt, TcpStream c, int n) throws Exception {
        FixedBuf[] in = new FixedBuf[4];
        for (int i = 0; i < in.length; i++) {
            in[i] = rt.loop().bufPool().lease();
        }
        BufVec vec = BufVec.of(in);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            while (out.size() < n) {
                for (FixedBuf b : in) {
                    b.clear();
                }
                long k = c.recv(vec);
                assertTrue(k > 0, "end of stream after " + out.size());
                long sum = 0;
                for (FixedBuf b : in) {
                    sum += b.readableBytes();
                    out.write(b.getBytes());
                }
                assertEquals(k, sum, "the vectored receive's total is what its buffers took, in order");
            }
        } finally {
            for (FixedBuf b : in) {
                b.release();
            }
        }
        return out.toByteArray();
    }
}
