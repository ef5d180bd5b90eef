package io.veloq.examples.echo;

import io.veloq.api.Completer;
import io.veloq.api.EventLoop;
import io.veloq.api.buffer.BufPool;
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
    private EchoConnection head;
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

    EchoLoop(EventLoop loop, TcpListener listener, Admission admission, Duration idleTimeout) {
        this.loop = loop;
        this.listener = listener;
        this.pool = loop.bufPool();
        this.admission = admission;
        this.idleTimeout = idleTimeout;
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
        listener.accept(this);
    }

    /** Accept completer: serve the connection, then accept the next one with the same op. */
    @Override
    public void onComplete(TcpStream stream, Throwable error) {
        if (error != null) {
            if (!stopping && listener.isOpen()) {
                acceptErrors++;
                // EMFILE, ECONNABORTED...: the listener itself is fine. After EMFILE and its kind the listener
                // holds this accept back a little (and logs the episode once), so re-arming here cannot spin.
                listener.accept(this);
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
            EchoConnection c = new EchoConnection(this, stream, buf);
            link(c);
            open++;
            c.start();
        }
        listener.accept(this);
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

    void closed(EchoConnection c) {
        unlink(c);
        open--;
        admission.release();
        checkIdle();
    }

    private void checkIdle() {
        if (stopping && head == null && closing == 0 && whenIdle != null) {
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
        for (EchoConnection c = head; c != null; ) {
            EchoConnection next = c.next;
            c.stop();
            c = next;
        }
        checkIdle();
    }

    /** Buffers of this loop's pool currently leased (0 once every connection is gone). */
    int buffersOutstanding() {
        return pool.outstanding();
    }

    private void link(EchoConnection c) {
        c.next = head;
        if (head != null) {
            head.prev = c;
        }
        head = c;
    }

    private void unlink(EchoConnection c) {
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
