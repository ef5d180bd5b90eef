package io.veloq.nio2;

import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.AsynchronousChannelGroup;
import java.nio.channels.AsynchronousServerSocketChannel;
import java.nio.channels.AsynchronousSocketChannel;
import java.nio.channels.CompletionHandler;
import java.nio.channels.spi.AsynchronousChannelProvider;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The steady state allocates nothing per read or write on the loop thread: a ping-pong of 64-byte messages
 * between two channels of a one-thread fixed group, every handler chaining the next operation on the loop
 * thread, with heap buffers (staged) on one side and direct ones on the other. Only the loop thread's
 * allocation is counted ({@code ThreadMXBean}), over the second half of the run.
 */
class AllocationTest {
    private static final int ROUND_TRIPS = 20_000;

    @Test
    void pingPongOnAFixedGroupAllocatesNothingPerOperationOnTheLoopThread() throws Exception {
        AsynchronousChannelProvider provider = Providers.URING.get();
        AtomicReference<Thread> loopThread = new AtomicReference<>();
        AsynchronousChannelGroup group = provider.openAsynchronousChannelGroup(1, r -> {
            Thread t = new Thread(r, "allocation-test-loop");
            t.setDaemon(true);
            loopThread.set(t);
            return t;
        });
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        try (AsynchronousServerSocketChannel server = provider.openAsynchronousServerSocketChannel(group)
                .bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
             AsynchronousSocketChannel client = provider.openAsynchronousSocketChannel(group)) {
            var accepted = server.accept();
            client.connect(server.getLocalAddress()).get(10, TimeUnit.SECONDS);
            AsynchronousSocketChannel peer = accepted.get(10, TimeUnit.SECONDS);
            CompletableFuture<long[]> done = new CompletableFuture<>();
            Echo echo = new Echo(peer, ByteBuffer.allocate(64));
            Pinger ping = new Pinger(client, ByteBuffer.allocateDirect(64), mx, loopThread.get(), done);
            peer.read(echo.buf, null, echo.onRead);
            ping.send();
            long[] bytes = done.get(120, TimeUnit.SECONDS);
            long perTrip = (bytes[1] - bytes[0]) / (ROUND_TRIPS / 2);
            System.out.println("loop thread: " + (bytes[1] - bytes[0]) + " bytes allocated over " + ROUND_TRIPS / 2 + " round trips");
            // Two reads and two writes per round trip; the host's bookkeeping is allocation-free too.
            assertTrue(perTrip < 16, "the loop thread allocated " + perTrip + " bytes per round trip (4 operations)");
            peer.close();
        } finally {
            group.shutdownNow();
            group.awaitTermination(10, TimeUnit.SECONDS);
        }
    }

    /** Reads 64 bytes, writes them back, reads again: every step from the previous one's handler. */
    private static final class Echo {
        final AsynchronousSocketChannel ch;
        final ByteBuffer buf;
        final CompletionHandler<Integer, Void> onRead;
        final CompletionHandler<Integer, Void> onWrite;

        Echo(AsynchronousSocketChannel ch, ByteBuffer buf) {
            this.ch = ch;
            this.buf = buf;
            this.onWrite = new CompletionHandler<>() {
                @Override
                public void completed(Integer n, Void a) {
                    if (buf.hasRemaining()) {
                        ch.write(buf, null, this);
                    } else {
                        buf.clear();
                        ch.read(buf, null, onRead);
                    }
                }

                @Override
                public void failed(Throwable exc, Void a) {
                }
            };
            this.onRead = new CompletionHandler<>() {
                @Override
                public void completed(Integer n, Void a) {
                    if (n < 0) {
                        return;
                    }
                    if (buf.hasRemaining()) {
                        ch.read(buf, null, this);
                        return;
                    }
                    buf.flip();
                    ch.write(buf, null, onWrite);
                }

                @Override
                public void failed(Throwable exc, Void a) {
                }
            };
        }
    }

    private static final class Pinger {
        final AsynchronousSocketChannel ch;
        final ByteBuffer buf;
        final com.sun.management.ThreadMXBean mx;
        final Thread loop;
        final CompletableFuture<long[]> done;
        final long[] bytes = new long[2];
        int trips;
        final CompletionHandler<Integer, Void> onWrite;
        final CompletionHandler<Integer, Void> onRead;

        Pinger(AsynchronousSocketChannel ch, ByteBuffer buf, com.sun.management.ThreadMXBean mx, Thread loop,
               CompletableFuture<long[]> done) {
            this.ch = ch;
            this.buf = buf;
            this.mx = mx;
            this.loop = loop;
            this.done = done;
            this.onWrite = new CompletionHandler<>() {
                @Override
                public void completed(Integer n, Void a) {
                    if (buf.hasRemaining()) {
                        ch.write(buf, null, this);
                    } else {
                        buf.clear();
                        ch.read(buf, null, onRead);
                    }
                }

                @Override
                public void failed(Throwable exc, Void a) {
                    done.completeExceptionally(exc);
                }
            };
            this.onRead = new CompletionHandler<>() {
                @Override
                public void completed(Integer n, Void a) {
                    if (n < 0) {
                        done.completeExceptionally(new IllegalStateException("end of stream"));
                        return;
                    }
                    if (buf.hasRemaining()) {
                        ch.read(buf, null, this);
                        return;
                    }
                    trips++;
                    if (trips == ROUND_TRIPS / 2) {
                        bytes[0] = mx.getThreadAllocatedBytes(loop.getId());
                    } else if (trips == ROUND_TRIPS) {
                        bytes[1] = mx.getThreadAllocatedBytes(loop.getId());
                        done.complete(bytes);
                        return;
                    }
                    send();
                }

                @Override
                public void failed(Throwable exc, Void a) {
                    done.completeExceptionally(exc);
                }
            };
        }

        void send() {
            buf.clear();
            buf.put(0, (byte) trips);
            ch.write(buf, null, onWrite);
        }
    }
}
