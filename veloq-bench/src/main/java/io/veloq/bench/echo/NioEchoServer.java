package io.veloq.bench.echo;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayDeque;
import java.util.List;
import java.util.function.Consumer;

/**
 * JDK NIO echo server: one {@link Selector} thread, pooled direct buffers, no allocation per message.
 *
 * <p>A readable connection reads into a buffer taken from the pool (a stack, so the same hot buffer is
 * reused), writes it back and returns it. Only when the socket cannot take all of it does the connection
 * keep the buffer, stop reading and wait for {@code OP_WRITE} (back-pressure).
 */
public final class NioEchoServer implements EchoServer {

    /** Size of each pooled direct buffer. */
    public static final int BUFFER_SIZE = 64 * 1024;
    /** Reads per readiness event while each read fills the whole buffer. */
    private static final int MAX_READS_PER_EVENT = 16;

    private final ArrayDeque<ByteBuffer> pool = new ArrayDeque<>();
    private final Consumer<SelectionKey> onKey = this::onKey;
    private Selector selector;
    private ServerSocketChannel listener;
    private Thread loop;
    private volatile boolean running;
    private int buffersCreated;

    @Override
    public String name() {
        return EchoServers.NIO;
    }

    @Override
    public synchronized int start(int port) throws IOException {
        if (loop != null) {
            throw new IllegalStateException("already started");
        }
        selector = Selector.open();
        listener = ServerSocketChannel.open();
        listener.setOption(StandardSocketOptions.SO_REUSEADDR, true);
        listener.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1024);
        listener.configureBlocking(false);
        listener.register(selector, SelectionKey.OP_ACCEPT);
        running = true;
        loop = new Thread(this::run, "nio-echo-loop");
        loop.setDaemon(true);
        loop.start();
        return ((InetSocketAddress) listener.getLocalAddress()).getPort();
    }

    private void run() {
        try {
            while (running) {
                selector.select(onKey);
            }
        } catch (IOException | RuntimeException e) {
            if (running) {
                System.err.println("nio-echo: loop failed: " + e);
            }
        } finally {
            closeAll();
        }
    }

    private void onKey(SelectionKey key) {
        if (!key.isValid()) {
            return;
        }
        Object att = key.attachment();
        if (att == null) {
            accept();
            return;
        }
        Conn c = (Conn) att;
        int ready = key.readyOps();
        if ((ready & SelectionKey.OP_WRITE) != 0) {
            c.onWritable();
        } else if ((ready & SelectionKey.OP_READ) != 0) {
            c.onReadable();
        }
    }

    private void accept() {
        for (;;) {
            SocketChannel ch;
            try {
                ch = listener.accept();
            } catch (IOException e) {
                return;
            }
            if (ch == null) {
                return;
            }
            try {
                ch.configureBlocking(false);
                ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
                Conn c = new Conn(ch);
                c.key = ch.register(selector, SelectionKey.OP_READ, c);
            } catch (IOException e) {
                closeQuietly(ch);
            }
        }
    }

    private ByteBuffer acquire() {
        ByteBuffer b = pool.pollFirst();
        if (b == null) {
            b = ByteBuffer.allocateDirect(BUFFER_SIZE);
            buffersCreated++;
        }
        return b;
    }

    private void release(ByteBuffer b) {
        b.clear();
        pool.addFirst(b);
    }

    private final class Conn {
        final SocketChannel ch;
        SelectionKey key;
        ByteBuffer pending;

        Conn(SocketChannel ch) {
            this.ch = ch;
        }

        void onReadable() {
            for (int i = 0; i < MAX_READS_PER_EVENT; i++) {
                ByteBuffer b = acquire();
                int n;
                try {
                    n = ch.read(b);
                } catch (IOException e) {
                    release(b);
                    close();
                    return;
                }
                if (n <= 0) {
                    release(b);
                    if (n < 0) {
                        close();
                    }
                    return;
                }
                b.flip();
                try {
                    ch.write(b);
                } catch (IOException e) {
                    release(b);
                    close();
                    return;
                }
                if (b.hasRemaining()) {
                    pending = b;
                    key.interestOps(SelectionKey.OP_WRITE);
                    return;
                }
                release(b);
                if (n < BUFFER_SIZE) {
                    return;
                }
            }
        }

        void onWritable() {
            try {
                ch.write(pending);
            } catch (IOException e) {
                close();
                return;
            }
            if (!pending.hasRemaining()) {
                release(pending);
                pending = null;
                key.interestOps(SelectionKey.OP_READ);
            }
        }

        void close() {
            if (pending != null) {
                release(pending);
                pending = null;
            }
            key.cancel();
            closeQuietly(ch);
        }
    }

    @Override
    public void stop() {
        Thread t;
        synchronized (this) {
            t = loop;
            if (t == null || !running) {
                return;
            }
            running = false;
        }
        selector.wakeup();
        try {
            t.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void closeAll() {
        try {
            for (SelectionKey k : selector.keys()) {
                closeQuietly(k.channel());
            }
            selector.close();
        } catch (IOException | RuntimeException ignored) {
            // closing anyway
        }
        closeQuietly(listener);
    }

    private static void closeQuietly(java.io.Closeable c) {
        try {
            if (c != null) {
                c.close();
            }
        } catch (IOException ignored) {
            // nothing to do
        }
    }

    @Override
    public List<Thread> loopThreads() {
        Thread t = loop;
        return t == null ? List.of() : List.of(t);
    }

    @Override
    public String describe() {
        return "1 Selector thread (" + (loop == null ? "-" : loop.getName()) + "), pooled direct buffers of "
                + (BUFFER_SIZE / 1024) + " KiB";
    }

    /** Direct buffers created so far (the pool's high-water mark); for tests. */
    int buffersCreated() {
        return buffersCreated;
    }
}
