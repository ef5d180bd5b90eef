package io.veloq.testkit.internal;

import java.net.SocketAddress;

/** The kernel side of a scripted server: a listening socket whose connections the test accepts. */
public final class PeerListenerEnd {
    private final FakeKernel kernel;
    private final SimSocket socket;

    PeerListenerEnd(FakeKernel kernel, SimSocket socket) {
        this.kernel = kernel;
        this.socket = socket;
    }

    /** The next connection the code made, or null if none is pending. */
    public PeerEnd accept() {
        synchronized (kernel) {
            SimSocket s = kernel.peers.accept(socket);
            if (s == null) {
                return null;
            }
            kernel.traceScript("peer " + socket.local + " accepts a connection from " + s.remote);
            return new PeerEnd(kernel, s);
        }
    }

    public int pending() {
        synchronized (kernel) {
            return socket.acceptQueue.size();
        }
    }

    public SocketAddress localAddress() {
        synchronized (kernel) {
            return PeerEnd.toSocketAddress(socket.local);
        }
    }

    public void close() {
        synchronized (kernel) {
            kernel.traceScript("peer listener " + socket.local + " closes");
            kernel.peers.closeListener(socket);
            kernel.notifyAll();
        }
    }
}
