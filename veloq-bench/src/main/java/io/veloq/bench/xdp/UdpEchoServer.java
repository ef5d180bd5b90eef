package io.veloq.bench.xdp;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollEventLoopGroup;
import io.netty.channel.socket.DatagramPacket;
import io.veloq.api.IoRuntime;
import io.veloq.api.xdp.XdpAttach;
import io.veloq.api.xdp.XdpConfig;
import io.veloq.api.xdp.XdpSocket;
import io.veloq.examples.xdp.XdpReflector;

import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.util.concurrent.CountDownLatch;

/**
 * The servers of the XDP bench, one per JVM: {@code nio} (a JDK {@code DatagramChannel} echo loop on one
 * thread), {@code netty-epoll} (Netty's epoll datagram channel, one event loop), {@code veloq-xdp} (the
 * examples' AF_XDP reflector, generic or native attach). Prints {@code READY}, then every 100 ms
 * {@code STAT <packets> <bytes allocated by the serving thread>}. Args: kind iface bindIp port [attach].
 */
public final class UdpEchoServer {
    private static volatile long packets;
    private static volatile long servingThread = -1;

    private UdpEchoServer() {
    }

    public static void main(String[] a) throws Exception {
        String kind = a[0];
        String iface = a[1];
        String bindIp = a[2];
        int port = Integer.parseInt(a[3]);
        switch (kind) {
            case "nio" -> {
                Thread t = new Thread(() -> nio(bindIp, port), "nio-echo");
                t.start();
            }
            case "netty-epoll" -> netty(bindIp, port);
            case "veloq-xdp", "veloq-xdp-native" -> {
                IoRuntime rt = IoRuntime.builder().driver("uring").open();
                XdpSocket xsk = XdpSocket.open(rt.loop(), XdpConfig.builder(iface).udpPort(port).frames(2048, 8192)
                        .attach(kind.endsWith("native") ? XdpAttach.NATIVE : XdpAttach.GENERIC).build());
                XdpReflector r = new XdpReflector(xsk, 64);
                rt.loop().execute(() -> {
                    servingThread = Thread.currentThread().getId();
                    r.start();
                });
                Thread counter = new Thread(() -> {
                    while (true) {
                        packets = r.reflected();
                        try {
                            Thread.sleep(20);
                        } catch (InterruptedException e) {
                            return;
                        }
                    }
                });
                counter.setDaemon(true);
                counter.start();
            }
            default -> throw new IllegalArgumentException("unknown server " + kind);
        }
        System.out.println("READY");
        System.out.flush();
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        while (true) {
            long tid = servingThread;
            long alloc = tid < 0 ? -1 : mx.getThreadAllocatedBytes(tid);
            System.out.println("STAT " + packets + " " + alloc);
            System.out.flush();
            Thread.sleep(100);
        }
    }

    private static void nio(String bindIp, int port) {
        servingThread = Thread.currentThread().getId();
        try (DatagramChannel ch = DatagramChannel.open()) {
            ch.bind(new InetSocketAddress(bindIp, port));
            ByteBuffer buf = ByteBuffer.allocateDirect(2048);
            long n = 0;
            while (true) {
                buf.clear();
                SocketAddress from = ch.receive(buf);
                buf.flip();
                ch.send(buf, from);
                packets = ++n;
            }
        } catch (Exception e) {
            e.printStackTrace();
        }
    }

    private static void netty(String bindIp, int port) throws InterruptedException {
        EventLoopGroup group = new EpollEventLoopGroup(1);
        new Bootstrap().group(group).channel(EpollDatagramChannel.class)
                .handler(new SimpleChannelInboundHandler<DatagramPacket>() {
                    private long n;

                    @Override
                    protected void channelRead0(ChannelHandlerContext ctx, DatagramPacket p) {
                        if (servingThread < 0) {
                            servingThread = Thread.currentThread().getId();
                        }
                        ctx.write(new DatagramPacket(p.content().retain(), p.sender()));
                        packets = ++n;
                    }

                    @Override
                    public void channelReadComplete(ChannelHandlerContext ctx) {
                        ctx.flush();
                    }
                }).bind(bindIp, port).sync();
        new CountDownLatch(0).await();
    }
}
