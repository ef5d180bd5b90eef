package io.veloq.examples.net;

import io.veloq.api.Completion;
import io.veloq.api.IoErrorKind;
import io.veloq.api.Op;
import io.veloq.api.IoRuntime;
import io.veloq.api.buffer.BufPool;
import io.veloq.api.buffer.FixedBuf;
import io.veloq.api.net.TcpListener;
import io.veloq.api.net.TcpStream;
import io.veloq.api.op.Recv;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A failed or cancelled receive or send hands its buffer back in its completion, so returning it is the
 * same two lines on every path; after 10,000 mixed ops the pool has nothing outstanding.
 */
class BufferReturnTest {
    private static final int OPS = 10_000;

    @ParameterizedTest
    @MethodSource("io.veloq.examples.net.TestDrivers#all")
    void tenThousandMixedOpsLeaveNoBufferOutstanding(String driver) throws Exception {
        Map<IoErrorKind, Integer> failures = new EnumMap<>(IoErrorKind.class);
        int succeeded = 0;
        try (IoRuntime rt = IoRuntime.builder().driver(driver).buffers(4096, 16).open();
             TcpListener l = TcpListener.bind(rt.loop(), new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            BufPool pool = rt.loop().bufPool();
            InetSocketAddress to = new InetSocketAddress(InetAddress.getLoopbackAddress(), l.port());
            CompletableFuture<TcpStream> a = l.acceptAsync();
            TcpStream client = TcpStream.connect(rt.loop(), to);
            TcpStream server = a.get(10, TimeUnit.SECONDS);

            int done = 0;
            for (int i = 0; done < OPS; i++) {
                switch (i % 3) {
                    case 0 -> {
                        // Success: a send and the receive of its bytes.
                        FixedBuf out = pool.lease().put(new byte[64]);
                        Completion<?> sent = client.sendAllAsync(out).get(10, TimeUnit.SECONDS);
                        giveBack(sent);
                        FixedBuf in = pool.lease();
                        int got = 0;
                        while (got < 64) {
                            Completion<Recv> r = server.recvAsync(in).get(10, TimeUnit.SECONDS);
                            assertNull(r.error());
                            got += (int) r.value();
                        }
                        in.release();
                        succeeded += 2;
                        done += 2;
                    }
                    case 1 -> {
                        // Cancelled: a receive with nothing to read, cancelled while in flight.
                        FixedBuf in = pool.lease();
                        CompletableFuture<Completion<Recv>> f = new CompletableFuture<>();
                        Op<Recv> op = server.recv(in, o -> f.complete(o.completion()));
                        server.cancel(op);
                        Completion<Recv> c = f.get(10, TimeUnit.SECONDS);
                        count(failures, giveBack(c));
                        done++;
                    }
                    default -> {
                        // Failed: the peer closes with unread data (and SO_LINGER 0), which resets the connection.
                        CompletableFuture<TcpStream> pa = l.acceptAsync();
                        TcpStream peer = TcpStream.connector(rt.loop()).option(StandardSocketOptions.SO_LINGER, 0).connect(to);
                        TcpStream victim = pa.get(10, TimeUnit.SECONDS);
                        FixedBuf one = pool.lease().putByte(1);
                        giveBack(victim.sendAllAsync(one).get(10, TimeUnit.SECONDS)); // unread by the peer
                        FixedBuf in = pool.lease();
                        CompletableFuture<Completion<Recv>> recv = victim.recvAsync(in);
                        peer.close();
                        Completion<Recv> c = recv.get(10, TimeUnit.SECONDS);
                        IoErrorKind k = giveBack(c);
                        assertEquals(IoErrorKind.CONNECTION_RESET, k, "recv after the peer's reset: " + c.error());
                        count(failures, k);
                        victim.close();
                        done++;
                    }
                }
            }
            client.close();
            server.close();
            assertEquals(0, pool.outstanding(), "buffers still leased after " + done + " ops");
        }
        int cancelled = failures.getOrDefault(IoErrorKind.CANCELLED, 0);
        int reset = failures.getOrDefault(IoErrorKind.CONNECTION_RESET, 0);
        assertTrue(succeeded > 3000 && cancelled > 2000 && reset > 2000,
                "mix: " + succeeded + " succeeded, " + cancelled + " cancelled, " + reset + " reset");
    }

    /** The idiom: whatever happened, the completion carries the buffer back; return it. */
    private static IoErrorKind giveBack(Completion<?> c) {
        c.payload().buffer().release();
        return c.isSuccess() ? null : c.error().kind();
    }

    private static void count(Map<IoErrorKind, Integer> m, IoErrorKind k) {
        if (k != null) {
            m.merge(k, 1, Integer::sum);
        }
    }
}
