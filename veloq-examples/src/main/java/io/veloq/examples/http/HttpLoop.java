package io.veloq.examples.http;

import io.veloq.api.Completer;
import io.veloq.api.EventLoop;
import io.veloq.api.IoErrorKind;
import io.veloq.api.buffer.BufPool;
import io.veloq.api.buffer.FixedBuf;
import io.veloq.api.net.NetSocket;
import io.veloq.api.net.TcpListener;
import io.veloq.api.net.TcpStream;

import io.veloq.api.tls.TlsCompleter;
import io.veloq.api.tls.TlsConfig;
import io.veloq.api.tls.TlsStream;

import javax.net.ssl.SSLContext;
import java.io.IOException;
import java.net.StandardSocketOptions;
import java.time.Duration;

/**
 * One event loop's share of the HTTP server: its own listener (the kernel spreads connections over the
 * loops' listeners with {@code SO_REUSEPORT}), its own connections, buffers, request parser and file table.
 * Nothing is shared with other loops but the {@link FileCatalog}'s read-only entries.
 *
 * <p>Loop thread only, except the counters, which other threads read (single writer, volatile).
 */
final class HttpLoop implements Completer.OfValue<TcpStream> {
    private final EventLoop loop;
    private final TcpListener listener;
    private final BufPool pool;
    private final FileCatalog catalog;
    private final LoopFiles files;
    private final RequestParser parser = new RequestParser();
    private final byte[] scratch;
    private final HttpServerOptions options;
    private HttpConnection head;
    private boolean stopping;
    private Runnable whenIdle;
    private int closing;
    private final Completer.OfValue<Void> closeDone = (v, e) -> {
        closing--;
        checkIdle();
    };
    /** HTTPS: the loop's TLS config and its own record-buffer pool (two per connection); null for plain HTTP. */
    private final TlsConfig tls;
    private final BufPool tlsRecords;
    private final TlsCompleter tlsCloseDone = (n, e) -> {
        closing--;
        checkIdle();
    };

    volatile long accepted;
    volatile long open;
    volatile long refused;
    volatile long requests;
    volatile long responses;
    volatile long errorResponses;
    volatile long timeouts;
    volatile long connectionErrors;
    volatile long fileErrors;

    HttpLoop(EventLoop loop, TcpListener listener, FileCatalog catalog, HttpServerOptions options, SSLContext tls) {
        this.loop = loop;
        this.listener = listener;
        this.pool = loop.bufPool();
        this.catalog = catalog;
        this.files = new LoopFiles(catalog);
        this.options = options;
        this.scratch = new byte[options.maxHeaderBytes()];
        if (tls == null) {
            this.tls = null;
            this.tlsRecords = null;
        } else {
            // Grown on demand up to two record buffers per connection (a third only briefly, for a record whose
            // plaintext overflows the connection's buffer: not with requests that fit in it).
            this.tlsRecords = BufPool.allocate(TlsConfig.DEFAULT_RECORD_BUFFER_SIZE, 0, 2 * options.maxConnections() + 8);
            this.tls = TlsConfig.builder(tls).applicationProtocols("http/1.1").recordBuffers(tlsRecords)
                    .closeTimeout(Duration.ofSeconds(1)).build();
        }
        Runnable sweep = files::sweep;
        catalog.onStale(() -> loop.execute(sweep));
    }

    EventLoop loop() {
        return loop;
    }

    void start() {
        listener.accept(this);
    }

    /** Accept completer: serve the connection, then accept the next one with the same op. */
    @Override
    public void onComplete(TcpStream stream, Throwable error) {
        if (error != null) {
            if (!stopping && listener.isOpen()) {
                listener.accept(this); // EMFILE, ECONNABORTED...: the listener itself is fine
            }
            return;
        }
        if (stopping) {
            closeSocket(stream);
            return;
        }
        accepted++;
        try {
            // Responses are written whole (or in buffer-sized chunks): Nagle would only hold back a batch's
            // tail until the client's delayed ACK, 40 ms on Linux.
            stream.setOption(StandardSocketOptions.TCP_NODELAY, true);
        } catch (IOException | RuntimeException e) {
            connectionErrors++;
            closeSocket(stream);
            listener.accept(this);
            return;
        }
        FixedBuf in = pool.tryLease();
        FixedBuf out = in == null ? null : pool.tryLease();
        if (out == null) {
            if (in != null) {
                in.release();
            }
            refused++; // at --max-conns: two buffers per connection, none left
            closeSocket(stream);
        } else {
            TlsStream secure = tls == null ? null : TlsStream.server(stream, tls);
            HttpConnection c = new HttpConnection(this, stream, secure, in, out, options.idleTimeout());
            link(c);
            open++;
            c.start();
        }
        listener.accept(this);
    }

    // ---- what connections use ----

    LoopFiles files() {
        return files;
    }

    RequestParser parser() {
        return parser;
    }

    /** The loop's parse buffer: a connection copies its unparsed bytes here and parses them in place. */
    byte[] scratch() {
        return scratch;
    }

    int maxHeaderBytes() {
        return options.maxHeaderBytes();
    }

    /** Bodies larger than a buffer go out with SendFile: asked for, and the driver has it. */
    boolean sendFiles() {
        return options.sendFile() && loop.capabilities().contains(io.veloq.api.Capability.SEND_FILE);
    }

    long maxBodyBytes() {
        return options.maxBodyBytes();
    }

    byte[] dateLine() {
        return catalog.dateLine();
    }

    boolean stopping() {
        return stopping;
    }

    /** Asks the catalog about {@code key}; the answer comes back on this loop. */
    void resolve(byte[] key, HttpConnection c) {
        catalog.resolve(key, loop, entry -> c.resolved(key, entry));
    }

    void connectionEnded(IoErrorKind why) {
        if (why == IoErrorKind.TIMED_OUT) {
            timeouts++;
        } else if (why != IoErrorKind.CANCELLED) {
            connectionErrors++;
        }
    }

    void closeSocket(NetSocket socket) {
        closing++;
        socket.close(closeDone);
    }

    /** Sends close_notify (for at most the config's close timeout), then closes the socket. */
    void closeTls(TlsStream stream) {
        closing++;
        stream.close(tlsCloseDone);
    }

    void closed(HttpConnection c) {
        unlink(c);
        open--;
        checkIdle();
    }

    /** On the loop thread: stop accepting, stop every connection, run {@code done} once all are closed. */
    void stop(Runnable done) {
        stopping = true;
        whenIdle = done;
        closeSocket(listener);
        for (HttpConnection c = head; c != null; ) {
            HttpConnection next = c.next;
            c.stop();
            c = next;
        }
        checkIdle();
    }

    private void checkIdle() {
        if (stopping && head == null && closing == 0 && whenIdle != null) {
            files.clear(); // every transfer is over: give the catalog its references back
            Runnable r = whenIdle;
            whenIdle = null;
            r.run();
        }
    }

    /** The loop's pooled buffers still leased, TLS record buffers included. */
    int buffersOutstanding() {
        return pool.outstanding() + (tlsRecords == null ? 0 : tlsRecords.outstanding());
    }

    int cachedPaths() {
        return files.size();
    }

    private void link(HttpConnection c) {
        c.next = head;
        if (head != null) {
            head.prev = c;
        }
        head = c;
    }

    private void unlink(HttpConnection c) {
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
