package io.veloq.examples.xdp;

import io.veloq.api.buffer.FixedBuf;
import io.veloq.api.xdp.UdpFrame;
import io.veloq.api.xdp.XdpSocket;

/**
 * A UDP reflector on one {@link XdpSocket}: every received UDP frame goes back out of the same interface
 * with its MAC and IP addresses and ports swapped and its checksums fixed, in the frame it arrived in (no
 * copy). Non-UDP frames are dropped (the XDP program only redirects UDP when given a port). Runs entirely
 * on the socket's loop thread and allocates nothing per packet.
 *
 * <pre>{@code
 * XdpReflector r = new XdpReflector(xsk, 64);
 * xsk.loop().execute(r::start);
 * }</pre>
 */
public final class XdpReflector implements XdpSocket.ReadyHandler {
    private final XdpSocket xsk;
    private final FixedBuf[] batch;
    private final FixedBuf[] done;
    private long reflected;
    private long dropped;
    private boolean stopped;

    public XdpReflector(XdpSocket xsk, int batchSize) {
        this.xsk = xsk;
        this.batch = new FixedBuf[batchSize];
        this.done = new FixedBuf[batchSize];
    }

    /** Gives the kernel frames to receive into and starts waiting. Loop thread. */
    public void start() {
        xsk.fill(xsk.frameCount());
        xsk.awaitReady(XdpSocket.RX, this);
    }

    /** Stops waiting; the socket stays open. Loop thread. */
    public void stop() {
        stopped = true;
        xsk.cancelReady();
    }

    /** Frames reflected so far (any thread may read; updated on the loop thread). */
    public long reflected() {
        return reflected;
    }

    /** Frames received but not reflected (not UDP, or the TX ring was full). */
    public long dropped() {
        return dropped;
    }

    @Override
    public void ready(XdpSocket s, int events) {
        if (stopped) {
            return;
        }
        int n;
        while ((n = s.receive(batch, 0, batch.length)) > 0) {
            int keep = 0;
            for (int i = 0; i < n; i++) {
                FixedBuf f = batch[i];
                if (UdpFrame.reflect(f)) {
                    batch[keep++] = f;
                } else {
                    s.free(f);
                    dropped++;
                }
            }
            int sent = s.transmit(batch, 0, keep);
            if (sent < keep) {
                s.free(batch, sent, keep - sent); // TX ring full: drop, like a NIC would
                dropped += keep - sent;
            }
            reflected += sent;
            recycle(s);
        }
        recycle(s);
        // With every frame on its way out and none left to receive into, only TX completions can free one:
        // wait for those too, or the socket would starve.
        boolean starving = s.filled() == 0 && s.transmitting() > 0;
        s.awaitReady(starving ? XdpSocket.RX | XdpSocket.TX : XdpSocket.RX, this);
    }

    /** Completed TX frames, and any free ones, go back to the fill ring. */
    private void recycle(XdpSocket s) {
        int m;
        while ((m = s.reclaim(done, 0, done.length)) > 0) {
            int filled = s.fill(done, 0, m);
            if (filled < m) {
                s.free(done, filled, m - filled);
            }
        }
        if (s.freeFrames() > 0) {
            s.fill(s.freeFrames());
        }
    }
}
