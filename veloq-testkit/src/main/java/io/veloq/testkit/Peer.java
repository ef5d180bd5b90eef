package io.veloq.testkit;

import io.veloq.testkit.internal.PeerEnd;

import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;

/**
 * The far end of a connection, scripted by the test: what a remote client or server would do, done
 * synchronously and recorded in the trace. Bytes the peer sends arrive in the code's socket at once;
 * bytes the code sends wait here until {@link #receive()}.
 *
 * <pre>{@code
 * Peer client = sim.connect(serverAddress);
 * client.send("GET / HTTP/1.0\r\n\r\n");
 * sim.runUntilIdle();
 * assertTrue(client.receiveText().startsWith("HTTP/1.0 200"));
 * client.shutdownOutput();      // the server reads EOF (0 bytes)
 * client.reset();               // or: the server's next op fails with ECONNRESET
 * }</pre>
 *
 * @since 0.1
 */
public final class Peer {
    private final Simulation sim;
    private final PeerEnd end;

    Peer(Simulation sim, PeerEnd end) {
        this.sim = sim;
        this.end = end;
    }

    /** Sends bytes to the code's socket. */
    public Peer send(byte[] bytes) {
        try {
            end.send(bytes.clone());
        } catch (IllegalStateException e) {
            throw sim.failure(e.getMessage());
        }
        return this;
    }

    /** Sends a UTF-8 string. */
    public Peer send(String text) {
        return send(text.getBytes(StandardCharsets.UTF_8));
    }

    /** Takes everything the code has sent so far (possibly nothing). */
    public byte[] receive() {
        return end.receive();
    }

    /** {@link #receive()} as UTF-8 text. */
    public String receiveText() {
        return new String(receive(), StandardCharsets.UTF_8);
    }

    /** Bytes the code sent that the test has not taken yet. */
    public int available() {
        return end.available();
    }

    /** Limits how many unread bytes this peer accepts, so the code's sends block or go short (flow control). */
    public Peer receiveWindow(int bytes) {
        end.receiveWindow(bytes);
        return this;
    }

    /** Half-closes (FIN): the code reads EOF after the bytes already sent, and may still send. */
    public Peer shutdownOutput() {
        end.shutdownOutput();
        return this;
    }

    /** Closes: FIN, or RST if the code sent bytes the test never took (as Linux does). */
    public void close() {
        end.close();
    }

    /** Aborts the connection (RST): the code's next receive or send fails with ECONNRESET. */
    public void reset() {
        end.reset();
    }

    /** True once the code shut down its output or closed its socket. */
    public boolean sawEndOfStream() {
        return end.sawEndOfStream();
    }

    /** True if the code's side reset the connection. */
    public boolean sawReset() {
        return end.sawReset();
    }

    public SocketAddress localAddress() {
        return end.localAddress();
    }

    public SocketAddress remoteAddress() {
        return end.remoteAddress();
    }

    @Override
    public String toString() {
        return end.toString();
    }
}
