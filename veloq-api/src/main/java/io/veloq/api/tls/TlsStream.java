package io.veloq.api.tls;

import io.veloq.api.EventLoop;
import io.veloq.api.buffer.FixedBuf;
import io.veloq.api.internal.stream.Pending;
import io.veloq.api.internal.stream.TransportInputStream;
import io.veloq.api.internal.stream.TransportOutputStream;
import io.veloq.api.net.StreamSocket;
import io.veloq.api.net.TcpStream;

import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSession;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/**
 * TLS over a Veloq stream socket, on the JDK's {@link SSLEngine}: client or server, ALPN, close_notify both
 * ways, renegotiation refused. Plaintext moves in and out of {@link FixedBuf}s, in the three shapes of the
 * core API: a {@link TlsCompleter} on the loop thread (allocation-free), a {@link CompletableFuture}, or a
 * blocking call (plain or virtual threads, not the loop thread); and through blocking stream views.
 *
 * <pre>{@code
 * SSLContext ssl = ...;                                          // keys and trust, as for any JDK TLS
 * TlsConfig config = TlsConfig.builder(ssl).applicationProtocols("h2", "http/1.1").build();
 *
 * // Server, completer shape: accept, handshake, echo records.
 * listener.accept((tcp, error) -> {
 *     TlsStream tls = TlsStream.server(tcp, config);
 *     FixedBuf buf = tcp.loop().bufPool().lease();
 *     tls.recv(buf, new TlsCompleter() {               // the first recv runs the handshake too
 *         public void onComplete(int n, IOException e) {
 *             if (e != null || n == 0) { tls.close((r, x) -> buf.release()); return; }
 *             tls.sendAll(buf, (sent, x) -> { buf.clear(); tls.recv(buf, this); });
 *         }
 *     });
 * });
 *
 * // Client, blocking shape (a virtual thread, say):
 * try (TlsStream tls = TlsStream.connect(rt, new InetSocketAddress("example.org", 443), config)) {
 *     System.out.println(tls.applicationProtocol());                // "h2"
 *     tls.outputStream().write("GET / HTTP/1.1\r\n...".getBytes(US_ASCII));
 *     tls.outputStream().flush();
 *     byte[] reply = tls.inputStream().readAllBytes();             // to the server's close_notify
 * }
 * }</pre>
 *
 * <h2>Rules</h2>
 * <ul>
 *   <li><b>Handshake</b>: {@code handshake()} runs it and reports its end; {@code recv}/{@code send} run it
 *       implicitly when it has not happened yet. {@link #applicationProtocol()} and {@link #session()} are
 *       meaningful after it.</li>
 *   <li><b>One {@code recv} and one {@code send} at a time</b>, whatever their shape (as on a socket); they
 *       may overlap each other. The buffer of a pending call is the stream's until its completion: do not
 *       touch it. {@code recv} needs a buffer with free space.</li>
 *   <li><b>End of stream</b>: {@code recv} completes with 0 once the peer has sent close_notify. A peer that
 *       closes the connection without it fails the {@code recv} with an {@link javax.net.ssl.SSLException}
 *       (a possible truncation attack).</li>
 *   <li><b>Closing</b>: {@code close} sends close_notify (waiting up to {@link TlsConfig#closeTimeout()} for the
 *       socket to take it), closes the socket and returns the record buffers; a pending {@code recv} fails
 *       with {@link java.nio.channels.AsynchronousCloseException}. {@code shutdownOutput} only sends
 *       close_notify: the peer reads end of stream, this side can still receive (TLS 1.3).</li>
 *   <li><b>Renegotiation is refused</b>: a TLS 1.2 peer that starts a new handshake on an established
 *       connection gets close_notify and a closed connection, and pending calls fail with an
 *       {@link javax.net.ssl.SSLHandshakeException} saying so. (TLS 1.3 has no renegotiation; its key
 *       updates and session tickets are handled.)</li>
 *   <li><b>Timeouts</b> are the socket's ({@link io.veloq.api.net.DataSocket#readTimeout(java.time.Duration)},
 *       {@code writeTimeout}), read at each socket op: after the handshake a {@code recv} whose peer stays silent
 *       that long fails with a {@link java.net.SocketTimeoutException} and the stream goes on (as
 *       {@code SSLSocket} after {@code SO_TIMEOUT}); a peer silent that long during the handshake, or a send that
 *       times out (a record half sent), is an error.</li>
 *   <li><b>Errors</b> are sticky: after one, every call fails with it, and the socket is closed.</li>
 * </ul>
 * See {@link TlsConfig} for record buffers (two per stream) and delegated tasks (never on the loop).
 *
 * @since 0.2
 */
public final class TlsStream implements AutoCloseable {
    private final StreamSocket socket;
    private final SSLEngine engine;
    private final RecordPump pump;
    private final TlsTransport direct;
    private final Pending directRead = new Pending();
    private final Pending directWrite = new Pending();
    private volatile boolean closed;
    private volatile Views views;

    private record Views(TransportInputStream in, TransportOutputStream out) {
    }

    private TlsStream(StreamSocket socket, TlsConfig config, boolean client, String peerHost, int peerPort) {
        this.socket = Objects.requireNonNull(socket, "socket");
        Objects.requireNonNull(config, "config");
        this.engine = peerHost == null ? config.context().createSSLEngine()
                : config.context().createSSLEngine(peerHost, peerPort);
        engine.setUseClientMode(client);
        SSLParameters p = engine.getSSLParameters();
        if (client && peerHost != null) {
            p.setEndpointIdentificationAlgorithm("HTTPS"); // check the certificate names peerHost
        }
        config.adjust(p);
        engine.setSSLParameters(p);
        this.pump = new RecordPump(this, socket, engine, config);
        this.direct = new TlsTransport(this, pump);
    }

    /**
     * The client side of TLS over {@code socket}, checking that the server's certificate names {@code peerHost}
     * (also sent as SNI). Nothing is sent until the handshake (or the first {@code recv}/{@code send}).
     */
    public static TlsStream client(StreamSocket socket, TlsConfig config, String peerHost) {
        Objects.requireNonNull(peerHost, "peerHost");
        int port = -1;
        try {
            SocketAddress remote = socket.remoteAddress();
            if (remote instanceof InetSocketAddress in) {
                port = in.getPort();
            }
        } catch (IOException unknown) {
            // the port only keys the session cache
        }
        return new TlsStream(socket, config, true, peerHost, port);
    }

    /**
     * The client side without a peer name: no SNI and no host-name check (the certificate chain is still
     * checked by the trust managers). Prefer {@link #client(StreamSocket, TlsConfig, String)}.
     */
    public static TlsStream client(StreamSocket socket, TlsConfig config) {
        return new TlsStream(socket, config, true, null, -1);
    }

    /** The server side of TLS over an accepted {@code socket}. */
    public static TlsStream server(StreamSocket socket, TlsConfig config) {
        return new TlsStream(socket, config, false, null, -1);
    }

    /**
     * Connects to {@code remote}, runs the handshake (the certificate must name {@code remote}'s host) and
     * waits. The socket is closed if anything fails.
     */
    public static TlsStream connect(EventLoop loop, InetSocketAddress remote, TlsConfig config) throws IOException {
        TcpStream tcp = TcpStream.connect(loop, remote);
        TlsStream tls;
        try {
            tls = client(tcp, config, remote.getHostString());
        } catch (RuntimeException e) {
            tcp.close();
            throw e;
        }
        try {
            tls.handshake();
        } catch (IOException | RuntimeException e) {
            tls.closeQuietly();
            throw e;
        }
        return tls;
    }

    /** The socket under the records. Do not receive or send on it directly. */
    public StreamSocket socket() {
        return socket;
    }

    public EventLoop loop() {
        return socket.loop();
    }

    public boolean isClientMode() {
        return engine.getUseClientMode();
    }

    /** False once {@code close} has been called, or the socket closed. */
    public boolean isOpen() {
        return !closed && socket.isOpen();
    }

    /** The TLS session: protocol, cipher suite, peer certificates (after the handshake). */
    public SSLSession session() {
        return engine.getSession();
    }

    /**
     * The protocol ALPN chose: null before the handshake has got that far, "" when ALPN was not used or the
     * peers share no protocol (see {@link SSLEngine#getApplicationProtocol()}).
     */
    public String applicationProtocol() {
        return engine.getApplicationProtocol();
    }

    /** Adjusts the engine on the loop thread (rarely needed: prefer {@link TlsConfig.Builder#parameters}). */
    public void configureEngine(Consumer<SSLEngine> action) {
        onLoop(() -> action.accept(engine));
    }

    // ---- handshake ----

    /** Runs the handshake (if not done yet); {@code done} runs on the loop thread with 0 or the error. */
    public void handshake(TlsCompleter done) {
        Objects.requireNonNull(done, "done");
        onLoop(() -> pump.handshake(done));
    }

    /** Runs the handshake; the future completes on the loop thread with this stream, or exceptionally. */
    public CompletableFuture<TlsStream> handshakeAsync() {
        CompletableFuture<TlsStream> f = new CompletableFuture<>();
        handshake((r, e) -> {
            if (e != null) {
                f.completeExceptionally(e);
            } else {
                f.complete(this);
            }
        });
        return f;
    }

    /** Runs the handshake and waits. */
    public void handshake() throws IOException {
        Pending p = new Pending();
        Pending.requireMayBlock(loop(), "wait for the handshake of " + this);
        p.arm();
        handshake(p::complete);
        awaitOrThrow(p, () -> { }, "handshake");
    }

    // ---- receive ----

    /**
     * Receives plaintext into the free space of {@code buf}: the completion gives the byte count (0: the peer
     * sent close_notify) and {@code buf}'s writer index has moved by it.
     *
     * @throws IllegalArgumentException if {@code buf} has no free space
     * @throws IllegalStateException (on the loop thread) if a recv is already pending; from other threads it
     *     reaches {@code done} as an {@link IOException}
     */
    public void recv(FixedBuf buf, TlsCompleter done) {
        requireSpace(buf);
        Objects.requireNonNull(done, "done");
        if (loop().inLoop()) {
            pump.read(buf, done);
            return;
        }
        onLoop(() -> {
            try {
                pump.read(buf, done);
            } catch (IllegalStateException e) {
                done.onComplete(0, new IOException(e.getMessage(), e));
            }
        });
    }

    /** Receives plaintext into {@code buf}; the future gives the count (0 at end of stream) or fails. */
    public CompletableFuture<Integer> recvAsync(FixedBuf buf) {
        CompletableFuture<Integer> f = new CompletableFuture<>();
        recv(buf, (n, e) -> complete(f, n, e));
        return f;
    }

    /**
     * Receives plaintext into {@code buf} and waits: the count, 0 at end of stream. An interrupt ends the wait
     * with {@link InterruptedIOException} (records already received stay for the next call).
     */
    public int recv(FixedBuf buf) throws IOException {
        requireSpace(buf);
        Pending.requireMayBlock(loop(), "block in a recv on " + this);
        directRead.arm();
        direct.startRecv(buf, directRead);
        return (int) awaitOrThrow(directRead, direct::cancelRecv, "recv");
    }

    // ---- send ----

    /** Encrypts and sends up to one record (16 KiB) of {@code buf}'s readable bytes; the result is how many. */
    public void send(FixedBuf buf, TlsCompleter done) {
        write(buf, Math.min(buf.readableBytes(), 16 * 1024), done);
    }

    /** {@link #send(FixedBuf, TlsCompleter)} as a future. */
    public CompletableFuture<Integer> sendAsync(FixedBuf buf) {
        CompletableFuture<Integer> f = new CompletableFuture<>();
        send(buf, (n, e) -> complete(f, n, e));
        return f;
    }

    /** Sends up to one record of {@code buf} and waits; returns the bytes taken (the reader index moved by it). */
    public int send(FixedBuf buf) throws IOException {
        return (int) blockingWrite(buf, Math.min(buf.readableBytes(), 16 * 1024));
    }

    /**
     * Encrypts and sends every readable byte of {@code buf} (as many records as it takes); {@code done} runs
     * once they are all handed to the socket.
     */
    public void sendAll(FixedBuf buf, TlsCompleter done) {
        write(buf, buf.readableBytes(), done);
    }

    /** {@link #sendAll(FixedBuf, TlsCompleter)} as a future. */
    public CompletableFuture<Integer> sendAllAsync(FixedBuf buf) {
        CompletableFuture<Integer> f = new CompletableFuture<>();
        sendAll(buf, (n, e) -> complete(f, n, e));
        return f;
    }

    /** Sends every readable byte of {@code buf} and waits; returns how many. */
    public long sendAll(FixedBuf buf) throws IOException {
        return blockingWrite(buf, buf.readableBytes());
    }

    private void write(FixedBuf buf, int limit, TlsCompleter done) {
        Objects.requireNonNull(done, "done");
        if (loop().inLoop()) {
            pump.write(buf, limit, done);
            return;
        }
        onLoop(() -> {
            try {
                pump.write(buf, limit, done);
            } catch (IllegalStateException e) {
                done.onComplete(0, new IOException(e.getMessage(), e));
            }
        });
    }

    private long blockingWrite(FixedBuf buf, int limit) throws IOException {
        Pending.requireMayBlock(loop(), "block in a send on " + this);
        directWrite.arm();
        direct.startSend(buf, limit, directWrite);
        return awaitOrThrow(directWrite, direct::cancelSend, "send");
    }

    // ---- shutdown and close ----

    /** Sends close_notify (the peer reads end of stream); this side can still receive. */
    public void shutdownOutput(TlsCompleter done) {
        Objects.requireNonNull(done, "done");
        onLoop(() -> pump.shutdownOutput(done));
    }

    /** {@link #shutdownOutput(TlsCompleter)} as a future. */
    public CompletableFuture<Void> shutdownOutputAsync() {
        CompletableFuture<Void> f = new CompletableFuture<>();
        shutdownOutput((r, e) -> complete(f, null, e));
        return f;
    }

    /** Sends close_notify and waits until the socket has taken it. */
    public void shutdownOutput() throws IOException {
        Pending p = new Pending();
        Pending.requireMayBlock(loop(), "wait for close_notify on " + this);
        p.arm();
        shutdownOutput(p::complete);
        awaitOrThrow(p, () -> { }, "shutdownOutput");
    }

    /**
     * Sends close_notify, closes the socket and returns the record buffers; {@code done} runs on the loop
     * thread when the socket is closed. A second close only waits for the first.
     */
    public void close(TlsCompleter done) {
        Objects.requireNonNull(done, "done");
        closed = true;
        onLoop(() -> pump.close(done));
        Views v = views;
        if (v != null) {
            v.in().transportClosed();
            v.out().transportClosed();
        }
    }

    /** {@link #close(TlsCompleter)} as a future. */
    public CompletableFuture<Void> closeAsync() {
        CompletableFuture<Void> f = new CompletableFuture<>();
        close((r, e) -> complete(f, null, e));
        return f;
    }

    /**
     * Sends close_notify, closes the socket and waits (up to the config's close timeout for close_notify). On
     * the loop thread it does not wait.
     */
    @Override
    public void close() throws IOException {
        if (loop().inLoop()) {
            close((r, e) -> { });
            return;
        }
        Pending p = new Pending();
        p.arm();
        close(p::complete);
        awaitOrThrow(p, () -> { }, "close");
    }

    private void closeQuietly() {
        try {
            close();
        } catch (IOException | RuntimeException ignored) {
            // already failing
        }
    }

    // ---- stream views ----

    /**
     * The plaintext as an {@link InputStream}, with the semantics of {@code StreamSocket.inputStream()}: one
     * pooled buffer, parked reads, -1 after the peer's close_notify, interrupts throw
     * {@link InterruptedIOException}; closing it closes this stream (close_notify first).
     */
    public InputStream inputStream() {
        return views().in();
    }

    /** The plaintext as a buffered {@link OutputStream}: records go out when its buffer fills or on flush. */
    public OutputStream outputStream() {
        return views().out();
    }

    /** The input view as a {@link ReadableByteChannel}; an interrupt closes the stream. */
    public ReadableByteChannel readableChannel() {
        return views().in().channel();
    }

    /** The output view as a {@link WritableByteChannel}; an interrupt closes the stream. */
    public WritableByteChannel writableChannel() {
        return views().out().channel();
    }

    private Views views() {
        Views v = views;
        if (v == null) {
            synchronized (this) {
                v = views;
                if (v == null) {
                    TlsTransport t = new TlsTransport(this, pump);
                    v = new Views(new TransportInputStream(t), new TransportOutputStream(t));
                    views = v;
                }
            }
        }
        return v;
    }

    // ---- helpers ----

    private void onLoop(Runnable task) {
        EventLoop loop = loop();
        if (loop.inLoop()) {
            task.run();
        } else {
            loop.execute(task);
        }
    }

    private static void requireSpace(FixedBuf buf) {
        if (buf.writableBytes() == 0) {
            throw new IllegalArgumentException("cannot recv into " + buf + ": it has no free space; clear() or compact() it");
        }
    }

    private static <T> void complete(CompletableFuture<T> f, T value, IOException e) {
        if (e != null) {
            f.completeExceptionally(e);
        } else {
            f.complete(value);
        }
    }

    private long awaitOrThrow(Pending p, Runnable cancel, String what) throws IOException {
        boolean interrupted = p.await(loop(), cancel);
        IOException e = p.error();
        if (e == null) {
            return p.result();
        }
        if (interrupted) {
            InterruptedIOException ie = new InterruptedIOException(what + " on " + this + " interrupted");
            ie.bytesTransferred = (int) p.result();
            ie.initCause(e);
            throw ie;
        }
        throw e;
    }

    @Override
    public String toString() {
        return "TlsStream(" + (isClientMode() ? "client" : "server") + ", " + socket + ")";
    }
}
