package io.veloq.driver.nio;

import io.veloq.api.net.AddressFamily;

import java.io.IOException;
import java.net.SocketAddress;
import java.net.SocketOption;
import java.nio.channels.Channel;
import java.nio.channels.DatagramChannel;
import java.nio.channels.FileChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * What a handle stands for: a channel, and what the driver must remember about it that java.nio does not.
 *
 * <p>A stream socket starts as an unbound, unconnected {@link SocketChannel}: java.nio only knows at
 * {@code listen} time that it is a listener, and then it needs a {@link ServerSocketChannel}. So
 * {@code bind} of a stream socket records the address ({@link #pendingLocal}) and the options set on it
 * ({@link #settings}); {@code listen} opens the server channel, applies them and binds it in one call (no
 * window for another process to take the port); {@code Connect} binds the socket channel, if asked,
 * right before connecting. A listener keeps the options java.nio's server channel lacks and applies them to
 * every accepted socket, as Linux's accepted sockets inherit them.
 *
 * <p>Each loop that runs ops on the handle has its own {@link Port} (its selection key and op queues).
 */
final class Handle {
    enum Kind { STREAM, LISTENER, DATAGRAM, FILE }

    /** One option set on the socket, kept to re-apply (listen, accepted sockets). */
    record Setting(SocketOption<?> key, Object value) {
        @SuppressWarnings("unchecked")
        <T> void applyTo(java.nio.channels.NetworkChannel ch) throws IOException {
            ch.setOption((SocketOption<T>) key, (T) value);
        }
    }

    final long id;
    /** The socket's family; null for a file. */
    final AddressFamily family;
    private volatile Channel channel;
    private volatile Kind kind;
    private volatile boolean outputShut;
    private volatile boolean closed;
    private volatile Port[] ports = new Port[0];
    // Guarded by this: only while setting up (bind, options, listen), never per op.
    private SocketAddress pendingLocal;
    private final List<Setting> settings = new ArrayList<>(0);

    Handle(long id, Channel channel, Kind kind, AddressFamily family) {
        this.id = id;
        this.channel = channel;
        this.kind = kind;
        this.family = family;
    }

    Channel channel() {
        return channel;
    }

    Kind kind() {
        return kind;
    }

    SocketChannel stream() {
        return (SocketChannel) channel;
    }

    ServerSocketChannel listener() {
        return (ServerSocketChannel) channel;
    }

    DatagramChannel datagram() {
        return (DatagramChannel) channel;
    }

    FileChannel file() {
        return (FileChannel) channel;
    }

    boolean isSocket() {
        return kind != Kind.FILE;
    }

    boolean isClosed() {
        return closed;
    }

    boolean outputShut() {
        return outputShut;
    }

    void outputShut(boolean v) {
        outputShut = v;
    }

    /** Becomes a listener (listen): the server channel replaces the placeholder socket channel. */
    synchronized void becomeListener(ServerSocketChannel server) {
        channel = server;
        kind = Kind.LISTENER;
    }

    synchronized SocketAddress pendingLocal() {
        return pendingLocal;
    }

    synchronized void pendingLocal(SocketAddress a) {
        pendingLocal = a;
    }

    /** Remembers an option (replacing an earlier value of the same key). */
    synchronized void remember(SocketOption<?> key, Object value) {
        settings.removeIf(s -> s.key() == key);
        settings.add(new Setting(key, value));
    }

    /** The remembered value of {@code key}, or null. */
    synchronized Object remembered(SocketOption<?> key) {
        for (Setting s : settings) {
            if (s.key() == key) {
                return s.value();
            }
        }
        return null;
    }

    synchronized List<Setting> settings() {
        return List.copyOf(settings);
    }

    /** This loop's port, or null before its first op here. */
    Port port(int loop) {
        Port[] p = ports;
        return loop < p.length ? p[loop] : null;
    }

    synchronized void port(int loop, Port port) {
        Port[] p = ports;
        if (loop >= p.length) {
            p = Arrays.copyOf(p, loop + 1);
        } else {
            p = p.clone();
        }
        p[loop] = port;
        ports = p;
    }

    /** Every loop's port (closing: each loop fails what is pending on its own). */
    Port[] ports() {
        return ports;
    }

    /** Marks the handle closed and closes its channel; false if it already was. Any thread. */
    boolean close() throws IOException {
        synchronized (this) {
            if (closed) {
                return false;
            }
            closed = true;
        }
        channel.close();
        return true;
    }

    /** Closes without reporting (runtime shutdown, a failed setup). */
    void closeQuietly() {
        try {
            close();
        } catch (IOException e) {
            // nothing to tell: the handle is gone either way
        }
    }

    @Override
    public String toString() {
        return "fd " + id;
    }
}
