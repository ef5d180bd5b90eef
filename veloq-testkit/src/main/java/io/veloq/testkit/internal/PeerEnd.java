package io.veloq.testkit.internal;

import io.veloq.api.net.AddressLayout;
import io.veloq.api.net.SockAddrStorage;
import io.veloq.testkit.TraceEvent;

import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;

/** The kernel side of a scripted peer: a connected stream socket the test drives directly. */
public final class PeerEnd {
    private final FakeKernel kernel;
    private final SimSocket socket;

    PeerEnd(FakeKernel kernel, SimSocket socket) {
        this.kernel = kernel;
        this.socket = socket;
    }

    private void script(String what) {
        kernel.trace(-1, TraceEvent.Type.SCRIPT, -1, "peer " + socket.local + " " + what, 0, null);
    }

    public void send(byte[] data) {
        synchronized (kernel) {
            script("sends " + data.length + " bytes");
            kernel.peers.write(socket, data);
            kernel.notifyAll();
        }
    }

    public byte[] receive() {
        synchronized (kernel) {
            byte[] b = kernel.peers.read(socket);
            if (b.length > 0) {
                script("receives " + b.length + " bytes");
            }
            kernel.notifyAll();
            return b;
        }
    }

    public int available() {
        synchronized (kernel) {
            return socket.in.size();
        }
    }

    public void shutdownOutput() {
        synchronized (kernel) {
            script("shuts down its output (FIN)");
            kernel.peers.shutdownOutput(socket);
            kernel.notifyAll();
        }
    }

    public void close() {
        synchronized (kernel) {
            script(socket.in.size() > 0 ? "closes with unread data (RST)" : "closes (FIN)");
            kernel.peers.close(socket);
            kernel.notifyAll();
        }
    }

    public void reset() {
        synchronized (kernel) {
            script("resets the connection (RST)");
            kernel.peers.reset(socket);
            kernel.notifyAll();
        }
    }

    /** True once the code's end shut down its output or closed (FIN received here). */
    public boolean sawEndOfStream() {
        synchronized (kernel) {
            return socket.inEof;
        }
    }

    /** True if the code's end reset the connection (closed with unread data, or a reset fault). */
    public boolean sawReset() {
        synchronized (kernel) {
            return socket.pendingError != 0;
        }
    }

    public SocketAddress localAddress() {
        synchronized (kernel) {
            return toSocketAddress(socket.local);
        }
    }

    public SocketAddress remoteAddress() {
        synchronized (kernel) {
            return toSocketAddress(socket.remote);
        }
    }

    public void receiveWindow(int bytes) {
        synchronized (kernel) {
            socket.rcvCapacity = Math.max(1, bytes);
            if (socket.peer != null) {
                kernel.data.pumpSend(socket.peer);
            }
            kernel.notifyAll();
        }
    }

    static SocketAddress toSocketAddress(SimAddress a) {
        if (a == null) {
            return null;
        }
        if (a.family() == io.veloq.api.net.AddressFamily.UNIX && (a.unixName() == null || a.unixName().isEmpty())) {
            return UnixDomainSocketAddress.of("");
        }
        SockAddrStorage s = SockAddrStorage.allocate(AddressLayout.LINUX);
        a.writeTo(s);
        return s.isAbstractUnix() ? UnixDomainSocketAddress.of("@" + s.abstractName()) : s.toSocketAddress();
    }

    @Override
    public String toString() {
        synchronized (kernel) {
            return "scripted peer " + socket.describe();
        }
    }
}
