package io.veloq.bench.xdp;

import io.veloq.api.IoRuntime;
import io.veloq.api.buffer.FixedBuf;
import io.veloq.api.buffer.BufPool;
import io.veloq.api.xdp.UdpFrame;
import io.veloq.api.xdp.XdpConfig;
import io.veloq.api.xdp.XdpSocket;

import java.nio.ByteBuffer;
import java.util.concurrent.CountDownLatch;

/**
 * The load generator of the XDP bench, run inside the peer's network namespace: an AF_XDP socket on the
 * peer end that keeps {@code window} 64-byte UDP datagrams in flight towards the server and counts the
 * replies (its own XDP program redirects UDP to its source port). Prints {@code GEN <sent> <received>}
 * every 100 ms. Args: iface dstMac srcMac srcIp dstIp srcPort dstPort window payloadBytes.
 */
public final class XdpGenerator implements XdpSocket.ReadyHandler {
    private final byte[] template;
    private final int window;
    private final FixedBuf[] batch = new FixedBuf[64];
    private volatile long sent;
    private volatile long received;
    private volatile long resets;
    private long lastProgress = System.nanoTime();

    private XdpGenerator(byte[] template, int window) {
        this.template = template;
        this.window = window;
    }

    public static void main(String[] a) throws Exception {
        String iface = a[0];
        byte[] dstMac = mac(a[1]);
        byte[] srcMac = mac(a[2]);
        int srcIp = ip(a[3]);
        int dstIp = ip(a[4]);
        int srcPort = Integer.parseInt(a[5]);
        int dstPort = Integer.parseInt(a[6]);
        int window = Integer.parseInt(a[7]);
        int size = Integer.parseInt(a[8]);
        byte[] template;
        try (BufPool p = BufPool.allocate(2048, 1)) {
            FixedBuf f = p.lease();
            UdpFrame.writeIpv4(f, dstMac, srcMac, srcIp, dstIp, srcPort, dstPort, new byte[size], 0, size);
            template = f.getBytes();
            f.release();
        }
        try (IoRuntime rt = IoRuntime.builder().driver("uring").open();
             XdpSocket xsk = XdpSocket.open(rt.loop(), XdpConfig.builder(iface).udpPort(srcPort).frames(2048, 8192)
                     .busyPoll(Boolean.getBoolean("xdp.gen.busyPoll")).build())) {
            XdpGenerator g = new XdpGenerator(template, window);
            rt.loop().execute(() -> {
                xsk.fill(2048);
                g.ready(xsk, 0);
            });
            System.out.println("GEN-READY");
            System.out.flush();
            CountDownLatch never = new CountDownLatch(1);
            Thread printer = new Thread(() -> {
                while (true) {
                    System.out.println("GEN " + g.sent + " " + g.received + " " + g.resets);
                    System.out.flush();
                    try {
                        Thread.sleep(100);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            });
            printer.setDaemon(true);
            printer.start();
            never.await();
        }
    }

    @Override
    public void ready(XdpSocket s, int events) {
        long now = System.nanoTime();
        int n;
        long got = received;
        while ((n = s.receive(batch, 0, batch.length)) > 0) {
            got += n;
            s.free(batch, 0, n);
        }
        while ((n = s.reclaim(batch, 0, batch.length)) > 0) {
            s.free(batch, 0, n);
        }
        if (got != received) {
            lastProgress = now;
        } else if (sent - got > 0 && now - lastProgress > 50_000_000L) {
            sent = got; // the rest were lost: open the window again
            lastProgress = now;
            resets++;
        }
        received = got;
        if (s.filled() < 1024) {
            s.fill(Math.min(s.freeFrames() / 2, 2048 - s.filled()));
        }
        long want = window - (sent - got);
        long sentNow = sent;
        while (want > 0) {
            int k = s.allocate(batch, 0, (int) Math.min(want, batch.length));
            if (k == 0) {
                break;
            }
            for (int i = 0; i < k; i++) {
                batch[i].put(template);
            }
            int t = s.transmit(batch, 0, k);
            if (t < k) {
                s.free(batch, t, k - t);
            }
            sentNow += t;
            want -= t;
            if (t < k) {
                break;
            }
        }
        sent = sentNow;
        s.awaitReady(want > 0 ? XdpSocket.RX | XdpSocket.TX : XdpSocket.RX, this);
    }

    static byte[] mac(String s) {
        byte[] b = new byte[6];
        String[] p = s.split(":");
        for (int i = 0; i < 6; i++) {
            b[i] = (byte) Integer.parseInt(p[i], 16);
        }
        return b;
    }

    static int ip(String s) throws java.net.UnknownHostException {
        return ByteBuffer.wrap(java.net.InetAddress.getByName(s).getAddress()).getInt();
    }
}
