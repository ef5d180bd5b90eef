package io.veloq.bench.echo;

import io.veloq.api.DriverDescription;
import io.veloq.api.EventLoop;
import io.veloq.api.IoFd;
import io.veloq.api.Op;
import io.veloq.api.OpState;
import io.veloq.api.IoRuntime;
import io.veloq.api.buffer.BufPool;
import io.veloq.api.buffer.FixedBuf;
import io.veloq.api.net.AddressFamily;
import io.veloq.api.net.SockAddrStorage;
import io.veloq.api.net.SocketType;
import io.veloq.api.op.Accept;
import io.veloq.api.op.Close;
import io.veloq.api.op.Recv;
import io.veloq.api.op.Send;
import io.veloq.api.op.Socket;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A lean Veloq echo server written directly on the op API (no {@code io.veloq.api.net} layer), row
 * {@code veloq-lean}: the same design as the {@code veloq} row (the examples' echo server), kept to show
 * what the net layer costs, if anything. On the io_uring driver with the completer API: one event loop by default, each loop
 * with its own listener ({@code SO_REUSEPORT} when there are several), one buffer from the loop's pool and
 * two ops ({@code Recv}, {@code Send}) per connection, made once and reused with {@link Op#reset()}, so an
 * echoed message allocates nothing.
 *
 * <p>A connection's turn: {@code Recv} fills the buffer, {@code Send} drains it back (again while the
 * kernel took only part of it), {@code clear()}, {@code Recv} again. End of stream or an error closes the
 * socket with a {@code Close} op and returns the buffer.
 *
 * <p>System properties: {@code veloq.bench.driver} (default {@code uring}), {@code veloq.bench.threads}
 * (loops, default 1), {@code veloq.bench.bufferSize} (default 16384), {@code veloq.bench.maxConns}
 * (connections per loop, default 1024).
 *
 * <pre>{@code
 * EchoServer s = new VeloqLeanEchoServer();
 * int port = s.start(0);   // serving on 127.0.0.1:port
 * s.stop();
 * }</pre>
 */
public final class VeloqLeanEchoServer implements EchoServer {

    public static final String NAME = "veloq-lean";

    static final String DRIVER = System.getProperty("veloq.bench.driver", "uring");
    static final int THREADS = Integer.getInteger("veloq.bench.threads", 1);
    static final int BUFFER_SIZE = Integer.getInteger("veloq.bench.bufferSize", 16 * 1024);
    static final int MAX_CONNECTIONS = Integer.getInteger("veloq.bench.maxConns", 1024);

    private IoRuntime runtime;
    private final List<LoopServer> loops = new ArrayList<>();

    /** {@code null} when the driver can run here, else why not (from {@link IoRuntime#drivers()}). */
    public static String unavailableReason() {
        return unavailableReason(DRIVER);
    }

    /** {@code null} when {@code driver} can run here, else why not. */
    static String unavailableReason(String driver) {
        for (DriverDescription d : IoRuntime.drivers()) {
            if (d.id().equals(driver)) {
                return d.available() ? null : "driver " + driver + " unavailable: " + d.reason();
            }
        }
        return "no Veloq driver '" + driver + "' on the class path";
    }

    @Override
    public String name() {
        return NAME;
    }

    /** Plugs this server in as {@code veloq-lean} (META-INF/services). */
    public static final class Provider implements EchoServers.Provider {
        @Override
        public String name() {
            return NAME;
        }

        @Override
        public String unavailableReason() {
            return VeloqLeanEchoServer.unavailableReason();
        }

        @Override
        public EchoServer create() {
            return new VeloqLeanEchoServer();
        }
    }

    @Override
    public synchronized int start(int port) throws Exception {
        if (runtime != null) {
            throw new IllegalStateException("already started");
        }
        runtime = IoRuntime.builder()
                .driver(DRIVER)
                .threads(THREADS)
                .buffers(BUFFER_SIZE, MAX_CONNECTIONS)
                .maxInFlight(2 * MAX_CONNECTIONS + 64)
                .open();
        try {
            int bound = port;
            for (EventLoop loop : runtime.loops()) {
                LoopServer s = new LoopServer(loop);
                bound = s.listen(bound, THREADS > 1);
                loops.add(s);
            }
            for (LoopServer s : loops) {
                s.started.await(10, TimeUnit.SECONDS);
            }
            return bound;
        } catch (Exception | Error e) {
            runtime.close();
            runtime = null;
            loops.clear();
            throw e;
        }
    }

    @Override
    public void stop() {
        IoRuntime rt;
        synchronized (this) {
            rt = runtime;
            if (rt == null) {
                return;
            }
            runtime = null;
        }
        CountDownLatch stopped = new CountDownLatch(loops.size());
        for (LoopServer s : loops) {
            s.loop.execute(() -> s.stop(stopped));
        }
        try {
            stopped.await(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        rt.close(); // cancels whatever is still in flight and joins the loop threads
    }

    @Override
    public List<Thread> loopThreads() {
        List<Thread> ts = new ArrayList<>();
        for (LoopServer s : loops) {
            if (s.thread != null) {
                ts.add(s.thread);
            }
        }
        return ts;
    }

    @Override
    public String describe() {
        StringBuilder sb = new StringBuilder();
        sb.append("lean op-API server, ").append(loops.size()).append(" Veloq loop").append(loops.size() == 1 ? "" : "s").append(" (driver ")
                .append(DRIVER).append(", completer API");
        for (Thread t : loopThreads()) {
            sb.append(", ").append(t.getName());
        }
        sb.append("), one ").append(BUFFER_SIZE / 1024).append(" KiB pooled buffer + reused Recv/Send ops per connection");
        return sb.toString();
    }

    /** One loop's listener and connections; everything below runs on the loop thread. */
    private static final class LoopServer {
        final EventLoop loop;
        final BufPool pool;
        final CountDownLatch started = new CountDownLatch(1);
        volatile Thread thread;
        IoFd listener;
        Op<Accept> accept;
        boolean stopping;
        Connection head;
        long acceptErrors;
        int closing;
        CountDownLatch whenStopped;

        LoopServer(EventLoop loop) {
            this.loop = loop;
            this.pool = loop.bufPool();
        }

        /** Creates, binds and listens (from the starting thread), then starts accepting on the loop. */
        int listen(int port, boolean reusePort) throws IOException {
            long fd = loop.call(new Socket(AddressFamily.INET, SocketType.STREAM)).valueOrThrow();
            listener = IoFd.raw(fd);
            try {
                loop.setOption(listener, StandardSocketOptions.SO_REUSEADDR, true);
                if (reusePort) {
                    loop.setOption(listener, StandardSocketOptions.SO_REUSEPORT, true);
                }
                loop.bind(listener, new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
                loop.listen(listener, 4096);
                int bound = ((InetSocketAddress) loop.localAddress(listener)).getPort();
                accept = Op.of(new Accept(listener, SockAddrStorage.allocate(loop.addressLayout())), this::accepted);
                loop.execute(() -> {
                    thread = Thread.currentThread();
                    loop.submit(accept);
                    started.countDown();
                });
                return bound;
            } catch (IOException | RuntimeException e) {
                loop.call(new Close(listener));
                throw e;
            }
        }

        private void accepted(Op<Accept> op) {
            if (stopping) {
                if (op.isSuccess()) {
                    close(IoFd.raw(op.result()));
                }
                return;
            }
            if (op.isSuccess()) {
                IoFd fd = IoFd.raw(op.result());
                FixedBuf buf = pool.tryLease();
                if (buf == null) {
                    close(fd); // one buffer per connection: at the limit, refuse
                } else {
                    try {
                        loop.setOption(fd, StandardSocketOptions.TCP_NODELAY, true);
                    } catch (IOException | RuntimeException e) {
                        System.err.println("veloq-echo: TCP_NODELAY on " + fd + ": " + e);
                    }
                    Connection c = new Connection(this, fd, buf);
                    c.next = head;
                    if (head != null) {
                        head.prev = c;
                    }
                    head = c;
                    loop.submit(c.recv);
                }
            } else if (acceptErrors++ < 3) {
                System.err.println("veloq-echo: accept on " + listener + " failed: " + op.error());
            }
            op.reset();
            loop.submit(op);
        }

        void unlink(Connection c) {
            if (c.prev != null) {
                c.prev.next = c.next;
            } else if (head == c) {
                head = c.next;
            }
            if (c.next != null) {
                c.next.prev = c.prev;
            }
            c.prev = null;
            c.next = null;
        }

        void close(IoFd fd) {
            closing++;
            loop.submit(Op.of(new Close(fd), op -> {
                closing--;
                checkStopped();
            }));
        }

        /** Stops accepting and cancels every connection's op; {@code stopped} counts down once all are closed. */
        void stop(CountDownLatch stopped) {
            stopping = true;
            whenStopped = stopped;
            if (accept.state() == OpState.SUBMITTED) {
                loop.cancel(accept);
            }
            for (Connection c = head; c != null; c = c.next) {
                c.cancel();
            }
            close(listener);
            checkStopped();
        }

        void checkStopped() {
            if (stopping && head == null && closing == 0 && whenStopped != null) {
                whenStopped.countDown();
                whenStopped = null;
            }
        }
    }

    /** One echoed connection: its buffer and its two ops, reused for its whole life. */
    private static final class Connection {
        final LoopServer owner;
        final IoFd fd;
        final FixedBuf buf;
        final Op<Recv> recv;
        final Op<Send> send;
        Connection prev;
        Connection next;
        boolean finished;

        Connection(LoopServer owner, IoFd fd, FixedBuf buf) {
            this.owner = owner;
            this.fd = fd;
            this.buf = buf;
            this.recv = Op.of(new Recv(fd, buf), this::received);
            this.send = Op.of(new Send(fd, buf), this::sent);
        }

        private void received(Op<Recv> op) {
            if (!op.isSuccess() || op.result() == 0 || owner.stopping) {
                finish();
                return;
            }
            resubmit(send);
        }

        private void sent(Op<Send> op) {
            if (!op.isSuccess() || owner.stopping) {
                finish();
                return;
            }
            if (buf.readableBytes() > 0) {
                resubmit(send); // the kernel took part of it: send the rest
                return;
            }
            buf.clear();
            resubmit(recv);
        }

        private void resubmit(Op<?> op) {
            if (op.state() == OpState.COMPLETED) {
                op.reset();
            }
            owner.loop.submit(op);
        }

        void cancel() {
            if (recv.state() == OpState.SUBMITTED) {
                owner.loop.cancel(recv);
            } else if (send.state() == OpState.SUBMITTED) {
                owner.loop.cancel(send);
            }
        }

        private void finish() {
            if (finished) {
                return;
            }
            finished = true;
            buf.release();
            owner.unlink(this);
            owner.close(fd);
            owner.checkStopped();
        }
    }
}
