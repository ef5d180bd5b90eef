package io.veloq.bench.http;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.DefaultFileRegion;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.uring.IoUring;
import io.netty.channel.uring.IoUringIoHandler;
import io.netty.channel.uring.IoUringServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.veloq.bench.echo.EchoServer;
import io.veloq.bench.echo.NettyEchoServer;
import java.io.File;
import java.io.FileNotFoundException;
import java.io.RandomAccessFile;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * The {@code netty-epoll} (and {@code netty-uring}) row: a Netty 4.2 static-file server in the shape of Netty's
 * own {@code HttpStaticFileServer} example, minus directory listings and caching headers: one event loop,
 * {@code HttpServerCodec}, per request a {@code RandomAccessFile} opened and sized, the header written, the
 * body sent as a {@link DefaultFileRegion} ({@code sendfile} on epoll: no copy through user space), flushed
 * with the last content; keep-alive as the request asks. Date is formatted once per second.
 */
final class NettyHttpServer implements EchoServer {
    private final NettyEchoServer.Transport transport;
    private EventLoopGroup group;
    private Channel listener;
    private volatile Thread loopThread;

    NettyHttpServer(NettyEchoServer.Transport transport) {
        this.transport = transport;
    }

    static String unavailableReason(NettyEchoServer.Transport t) {
        if (t == NettyEchoServer.Transport.EPOLL) {
            return Epoll.isAvailable() ? null : "epoll unavailable: " + Epoll.unavailabilityCause();
        }
        return IoUring.isAvailable() ? null : "io_uring unavailable: " + IoUring.unavailabilityCause();
    }

    @Override
    public String name() {
        return transport == NettyEchoServer.Transport.EPOLL ? HttpServers.NETTY_EPOLL : HttpServers.NETTY_URING;
    }

    @Override
    public synchronized int start(int port) throws Exception {
        File root = HttpServers.dir().toRealPath().toFile();
        IoHandlerFactory factory;
        Class<? extends ServerChannel> channelClass;
        if (transport == NettyEchoServer.Transport.EPOLL) {
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
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(new HttpServerCodec(), new FileHandler(root));
                    }
                });
        listener = b.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port)).sync().channel();
        loopThread = group.next().submit(Thread::currentThread).get(10, TimeUnit.SECONDS);
        return ((InetSocketAddress) listener.localAddress()).getPort();
    }

    /** One per connection (it is not shared: the Date cache is per handler, which is fine for one loop). */
    static final class FileHandler extends SimpleChannelInboundHandler<HttpObject> {
        private static final DateTimeFormatter DATE =
                DateTimeFormatter.ofPattern("EEE, dd MMM yyyy HH:mm:ss 'GMT'", Locale.US).withZone(ZoneOffset.UTC);
        private static long dateSecond;
        private static String date;
        private final File root;

        FileHandler(File root) {
            this.root = root;
        }

        private static String date() {
            long s = System.currentTimeMillis() / 1000;
            if (s != dateSecond || date == null) {
                date = DATE.format(Instant.ofEpochSecond(s));
                dateSecond = s;
            }
            return date;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, HttpObject msg) throws Exception {
            if (!(msg instanceof HttpRequest req)) {
                return; // request body chunks (none for GET) and the last content
            }
            boolean keepAlive = HttpUtil.isKeepAlive(req);
            if (!req.decoderResult().isSuccess()) {
                error(ctx, HttpResponseStatus.BAD_REQUEST, false);
                return;
            }
            boolean head = req.method().equals(HttpMethod.HEAD);
            if (!head && !req.method().equals(HttpMethod.GET)) {
                error(ctx, HttpResponseStatus.METHOD_NOT_ALLOWED, keepAlive);
                return;
            }
            String path = new QueryStringDecoder(req.uri()).path();
            if (path.contains("..") || !path.startsWith("/")) {
                error(ctx, HttpResponseStatus.BAD_REQUEST, false);
                return;
            }
            File file = new File(root, path.substring(1));
            RandomAccessFile raf;
            try {
                raf = new RandomAccessFile(file, "r");
            } catch (FileNotFoundException e) {
                error(ctx, HttpResponseStatus.NOT_FOUND, keepAlive);
                return;
            }
            long length = raf.length();
            HttpResponse res = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
            res.headers().set(HttpHeaderNames.SERVER, "netty")
                    .set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_OCTET_STREAM)
                    .set(HttpHeaderNames.DATE, date());
            HttpUtil.setContentLength(res, length);
            if (!keepAlive) {
                res.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            } else if (req.protocolVersion().equals(HttpVersion.HTTP_1_0)) {
                res.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
            }
            ctx.write(res);
            if (head || length == 0) {
                raf.close();
            } else {
                ctx.write(new DefaultFileRegion(raf.getChannel(), 0, length)); // closes the file when sent
            }
            ChannelFuture last = ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT);
            if (!keepAlive) {
                last.addListener(ChannelFutureListener.CLOSE);
            }
        }

        private static void error(ChannelHandlerContext ctx, HttpResponseStatus status, boolean keepAlive) {
            FullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, Unpooled.EMPTY_BUFFER);
            res.headers().set(HttpHeaderNames.DATE, date());
            HttpUtil.setContentLength(res, 0);
            if (status == HttpResponseStatus.METHOD_NOT_ALLOWED) {
                res.headers().set(HttpHeaderNames.ALLOW, "GET, HEAD");
            }
            ChannelFuture f = ctx.writeAndFlush(res);
            if (!keepAlive) {
                f.addListener(ChannelFutureListener.CLOSE);
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
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
        io.netty.util.Version v = io.netty.util.Version.identify().get("netty-codec-http");
        return "Netty " + (v == null ? "?" : v.artifactVersion()) + " " + name() + ", 1 event loop ("
                + (loopThread == null ? "-" : loopThread.getName()) + "), HttpServerCodec, RandomAccessFile + "
                + "DefaultFileRegion per request";
    }
}
