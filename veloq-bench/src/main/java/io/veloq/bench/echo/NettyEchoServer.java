package io.veloq.bench.echo;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.uring.IoUring;
import io.netty.channel.uring.IoUringIoHandler;
import io.netty.channel.uring.IoUringServerSocketChannel;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Netty 4.2 echo server on the native epoll or io_uring transport: one event loop serves the listening
 * socket and every connection, buffers come from the pooled direct allocator, reads are written back and
 * flushed once per read batch ({@code channelReadComplete}), reading pauses while the channel is not
 * writable.
 */
public final class NettyEchoServer implements EchoServer {

    /** Native transport. */
    public enum Transport {
        EPOLL(EchoServers.NETTY_EPOLL),
        IO_URING(EchoServers.NETTY_URING);

        final String serverName;

        Transport(String serverName) {
            this.serverName = serverName;
        }
    }

    private final Transport transport;
    private EventLoopGroup group;
    private Channel listener;
    private volatile Thread loopThread;

    public NettyEchoServer(Transport transport) {
        this.transport = transport;
    }

    static String unavailableReason(Transport t) {
        switch (t) {
            case EPOLL:
                return Epoll.isAvailable() ? null : "epoll unavailable: " + Epoll.unavailabilityCause();
            case IO_URING:
                return IoUring.isAvailable() ? null : "io_uring unavailable: " + IoUring.unavailabilityCause();
            default:
                throw new AssertionError(t);
        }
    }

    @Override
    public String name() {
        return transport.serverName;
    }

    @Override
    public synchronized int start(int port) throws Exception {
        if (group != null) {
            throw new IllegalStateException("already started");
        }
        String reason = unavailableReason(transport);
        if (reason != null) {
            throw new IllegalStateException(reason);
        }
        IoHandlerFactory factory;
        Class<? extends ServerChannel> channelClass;
        if (transport == Transport.EPOLL) {
            factory = EpollIoHandler.newFactory();
            channelClass = EpollServerSocketChannel.class;
        } else {
            factory = IoUringIoHandler.newFactory();
            channelClass = IoUringServerSocketChannel.class;
        }
        group = new MultiThreadIoEventLoopGroup(1, factory);
        ServerBootstrap b = new ServerBootstrap()
                .group(group, group)
                .channel(channelClass)
                .option(ChannelOption.SO_BACKLOG, 1024)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.ALLOCATOR, PooledByteBufAllocator.DEFAULT)
                .childHandler(EchoHandler.INSTANCE);
        listener = b.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port)).sync().channel();
        loopThread = group.next().submit(Thread::currentThread).get(10, TimeUnit.SECONDS);
        return ((InetSocketAddress) listener.localAddress()).getPort();
    }

    @Override
    public synchronized void stop() {
        if (group == null) {
            return;
        }
        try {
            if (listener != null) {
                listener.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
            }
        } finally {
            group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(10, TimeUnit.SECONDS);
            group = null;
        }
    }

    @Override
    public List<Thread> loopThreads() {
        Thread t = loopThread;
        return t == null ? List.of() : List.of(t);
    }

    @Override
    public String describe() {
        Thread t = loopThread;
        io.netty.util.Version v = io.netty.util.Version.identify().get("netty-transport");
        return "Netty " + (v == null ? "?" : v.artifactVersion()) + " " + (transport == Transport.EPOLL ? "epoll" : "io_uring")
                + ", 1 event loop (" + (t == null ? "-" : t.getName()) + "), PooledByteBufAllocator direct="
                + PooledByteBufAllocator.DEFAULT.isDirectBufferPooled();
    }

    /** Writes back what it reads; flushes once per read batch. */
    @ChannelHandler.Sharable
    static final class EchoHandler extends ChannelInboundHandlerAdapter {
        static final EchoHandler INSTANCE = new EchoHandler();

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ctx.write(msg, ctx.voidPromise());
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            ctx.flush();
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            boolean writable = ctx.channel().isWritable();
            ctx.channel().config().setAutoRead(writable);
            if (!writable) {
                ctx.flush();
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }
}
