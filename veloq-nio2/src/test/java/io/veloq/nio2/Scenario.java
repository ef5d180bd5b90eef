package io.veloq.nio2;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.AsynchronousChannelGroup;
import java.nio.channels.AsynchronousServerSocketChannel;
import java.nio.channels.AsynchronousSocketChannel;
import java.nio.channels.CompletionHandler;
import java.nio.channels.spi.AsynchronousChannelProvider;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * One run of a differential scenario on one provider: a fresh fixed-thread-pool group, helpers that open
 * and connect channels, and the transcript of what happened (values and exception class names), which the
 * suite compares between the JDK's provider and Veloq's.
 */
final class Scenario implements AutoCloseable {
    static final long WAIT_SECONDS = 10;

    final AsynchronousChannelProvider provider;
    final AsynchronousChannelGroup group;
    private final List<String> transcript = new ArrayList<>();
    private final List<java.nio.channels.Channel> opened = new ArrayList<>();

    Scenario(AsynchronousChannelProvider provider) throws IOException {
        this.provider = provider;
        this.group = provider.openAsynchronousChannelGroup(2, Executors.defaultThreadFactory());
    }

    /** Records one fact. */
    void note(String what, Object value) {
        transcript.add(what + ": " + value);
    }

    List<String> transcript() {
        return transcript;
    }

    /** Runs {@code step}, recording its value or the class of what it threw (the cause, for a future). */
    void step(String what, Step step) {
        try {
            note(what, step.run());
        } catch (ExecutionException e) {
            note(what, "failed " + e.getCause().getClass().getSimpleName());
        } catch (Throwable t) {
            note(what, "threw " + t.getClass().getSimpleName());
        }
    }

    interface Step {
        Object run() throws Exception;
    }

    AsynchronousServerSocketChannel server(InetSocketAddress bind) throws IOException {
        AsynchronousServerSocketChannel s = provider.openAsynchronousServerSocketChannel(group);
        opened.add(s);
        if (bind != null) {
            s.bind(bind);
        }
        return s;
    }

    AsynchronousSocketChannel socket() throws IOException {
        AsynchronousSocketChannel c = provider.openAsynchronousSocketChannel(group);
        opened.add(c);
        return c;
    }

    /** A connected pair over loopback {@code host}: [client, accepted]. */
    AsynchronousSocketChannel[] pair(String host) throws Exception {
        AsynchronousServerSocketChannel s = server(new InetSocketAddress(InetAddress.getByName(host), 0));
        Future<AsynchronousSocketChannel> acc = s.accept();
        AsynchronousSocketChannel c = socket();
        c.connect(s.getLocalAddress()).get(WAIT_SECONDS, TimeUnit.SECONDS);
        AsynchronousSocketChannel a = acc.get(WAIT_SECONDS, TimeUnit.SECONDS);
        opened.add(a);
        return new AsynchronousSocketChannel[] {c, a};
    }

    /** Reads exactly {@code n} bytes (or to end of stream). */
    static byte[] readFully(AsynchronousSocketChannel ch, int n) throws Exception {
        ByteBuffer b = ByteBuffer.allocate(n);
        while (b.hasRemaining()) {
            int k = ch.read(b).get(WAIT_SECONDS, TimeUnit.SECONDS);
            if (k < 0) {
                break;
            }
        }
        byte[] out = new byte[b.position()];
        b.flip().get(out);
        return out;
    }

    static void writeFully(AsynchronousSocketChannel ch, ByteBuffer b) throws Exception {
        while (b.hasRemaining()) {
            ch.write(b).get(WAIT_SECONDS, TimeUnit.SECONDS);
        }
    }

    /** A handler that records its outcome (value or exception class) and the thread it ran on. */
    static final class Recorder<V> implements CompletionHandler<V, Object> {
        final CompletableFuture<String> outcome = new CompletableFuture<>();
        volatile Thread thread;
        volatile Object attachment;

        @Override
        public void completed(V result, Object att) {
            thread = Thread.currentThread();
            attachment = att;
            outcome.complete("completed " + describe(result));
        }

        @Override
        public void failed(Throwable exc, Object att) {
            thread = Thread.currentThread();
            attachment = att;
            outcome.complete("failed " + exc.getClass().getSimpleName());
        }

        String await() throws Exception {
            return outcome.get(WAIT_SECONDS, TimeUnit.SECONDS);
        }

        private static String describe(Object v) {
            return v instanceof AsynchronousSocketChannel ? "channel" : String.valueOf(v);
        }
    }

    @Override
    public void close() throws Exception {
        for (java.nio.channels.Channel c : opened) {
            try {
                c.close();
            } catch (IOException ignored) {
                // best effort: the scenario may have closed it already
            }
        }
        group.shutdownNow();
        if (!group.awaitTermination(WAIT_SECONDS, TimeUnit.SECONDS)) {
            throw new AssertionError("the group of " + provider + " did not terminate within " + WAIT_SECONDS + " s");
        }
    }
}
