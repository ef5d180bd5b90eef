package io.veloq.examples.echo;

import io.veloq.api.Completer;
import io.veloq.api.Capability;
import io.veloq.api.EventLoop;
import io.veloq.api.buffer.BufPool;
import io.veloq.api.buffer.BufRing;
import io.veloq.api.buffer.FixedBuf;
import io.veloq.api.net.TcpListener;
import io.veloq.api.net.TcpStream;

import java.io.IOException;
import java.net.SocketAddress;
import java.time.Duration;

/**
 * One loop's share of the echo server: its own listener (the kernel spreads connections over the loops'
 * listeners with SO_REUSEPORT), its own buffers, its own connections. Nothing is shared with other loops.
 *
 * <p>Loop thread only, except the counters, which other threads read for statistics (single writer,
 * volatile), and the {@link Admission} all loops share for {@code --max-conns}.
 */
final class EchoLoop implements Completer.OfValue<TcpStream> {
    private final EventLoop loop;
    private final TcpListener listener;
    private final BufPool pool;
    private final Admission admission;
    private final Duration idleTimeout;
    private final int ringBuffers;
    private BufRing ring; // the loop's receive buffers in multishot mode, null in one-shot mode
    private Connection head;
    private boolean stopping;
    private Runnable whenIdle;
    private int closing;
    /** Completer of every Close this loop submits: shutdown waits until the last one is done. */
    private final Completer.OfValue<Void> closeDone = (v, e) -> {
        closing--;
        checkIdle();
    };

    volatile long accepted;
    volatile long open;
    volatile long refused;
    volatile long bytesEchoed;
    volatile long connectionErrors;
    volatile long acceptErrors;
    volatile long idleClosed;

    /**
     * @param ringBuffers size of the loop's buffer ring for multishot receives where the driver has them
     *                    (0: one-shot receives, one buffer per connection)
     */
    EchoLoop(EventLoop loop, TcpListener listener, Admission admission, Duration idleTimeout, int ringBuffers) {
        this.loop = loop;
        this.listener = listener;
        this.pool = loop.bufPool();
        this.admission = admission;
        this.idleTimeout = idleTimeout;
        this.ringBuffers = ringBuffers;
    }

    /** True when connections receive with a multishot receive on the loop's ring. */
    boolean multishot() {
        return ring != null;
    }

    Duration idleTimeout() {
        return idleTimeout;
    }

    EventLoop loop() {
        return loop;
    }

    TcpListener listener() {
        return listener;
    }

    boolean stopping() {
        return stopping;
    }

    void start() {
        if (ringBuffers > 0 && loop.capabilities().contains(Capability.MULTISHOT)) {
            try {
                ring = loop.openBufRing(ringBuffers);
            } catch (IllegalStateException e) {
                // The pool cannot lend a ring's worth of buffers (a runtime sized for one buffer per
                // connection): serve with one-shot receives instead.
                System.err.println("echo-server: loop " + loop.index() + " serves with one-shot receives: " + e.getMessage());
            }
        }
        listener.acceptEach(this); // one multishot accept where the driver has it; re-armed (with back-off) by itself
    }

    /** Accept completer: runs for every connection (and every failed accept; the listener goes on by itself). */
    @Override
    public void onComplete(TcpStream stream, Throwable error) {
        if (error != null) {
            if (!stopping && listener.isOpen()) {
                acceptErrors++; // EMFILE, ECONNABORTED...: the listener is fine and re-arms, after a back-off for EMFILE
            }
            return;
        }
        if (stopping) {
            closeSocket(stream);
            return;
        }
        accepted++;
        FixedBuf buf = null;
        if (!admission.tryAdmit()) {
            refuse(stream, "--max-conns " + admission.max() + " reached (that many open over all loops)");
        } else if ((buf = pool.tryLease()) == null) {
            admission.release();
            refuse(stream, "loop " + loop.index() + " has no buffer left (its pool holds at most " + pool.maxCapacity() + ")");
        } else {
            Connection c = ring != null ? new RingEchoConnection(this, stream, buf, ring)
                    : new EchoConnection(this, stream, buf);
            link(c);
            open++;
            c.start();
        }
    }

    private void refuse(TcpStream stream, String why) {
        refused++;
        SocketAddress peer;
        try {
            peer = stream.remoteAddress();
        } catch (IOException e) {
            peer = null;
        }
        admission.refused(peer, why);
        closeSocket(stream);
    }

    /** Closes a socket and counts the Close until it completes. */
    void closeSocket(io.veloq.api.net.NetSocket socket) {
        closing++;
        socket.close(closeDone);
    }

    void closed(Connection c) {
        unlink(c);
        open--;
        admission.release();
        checkIdle();
    }

    private void checkIdle() {
        if (stopping && head == null && closing == 0 && whenIdle != null) {
            if (ring != null) {
                ring.close(); // every receive has ended: its buffers go back to the pool
            }
            Runnable r = whenIdle;
            whenIdle = null;
            r.run();
        }
    }

    /** On the loop thread: stop accepting, cancel every connection's op, run {@code done} once all are closed. */
    void stop(Runnable done) {
        stopping = true;
        whenIdle = done;
        closeSocket(listener); // cancels the pending Accept
        for (Connection c = head; c != null; ) {
            Connection next = c.next;
            c.stop();
            c = next;
        }
        checkIdle();
    }

    /**
     * Buffers of this loop's pool held by connections (0 once every connection is gone): leased ones, less
     * those sitting in the loop's ring, free for the kernel. Read racily from other threads, for statistics.
     */
    int buffersOutstanding() {
        BufRing r = ring;
        return pool.outstanding() - (r == null || r.isClosed() ? 0 : r.available());
    }

    private void link(Connection c) {
        c.next = head;
        if (head != null) {
            head.prev = c;
        }
        head = c;
    }

    private void unlink(Connection c) {
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
}
