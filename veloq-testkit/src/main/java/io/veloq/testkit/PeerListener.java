package io.veloq.testkit;

import io.veloq.testkit.internal.PeerListenerEnd;

import java.net.SocketAddress;

/**
 * A scripted server: the code under test connects to its address, the test accepts each connection as a
 * {@link Peer}.
 *
 * <pre>{@code
 * PeerListener upstream = sim.listen(new InetSocketAddress("10.0.0.2", 5432));
 * proxy.start();                          // the code connects to 10.0.0.2:5432
 * sim.runUntilIdle();
 * Peer db = upstream.accept();
 * db.send("ready");
 * }</pre>
 *
 * @since 0.1
 */
public final class PeerListener {
    private final Simulation sim;
    private final PeerListenerEnd end;

    PeerListener(Simulation sim, PeerListenerEnd end) {
        this.sim = sim;
        this.end = end;
    }

    /** The next connection the code made; fails (with the seed) if there is none. */
    public Peer accept() {
        io.veloq.testkit.internal.PeerEnd p = end.accept();
        if (p == null) {
            throw sim.failure("expected a connection to the scripted listener at " + end.localAddress()
                    + ", but the code has not connected");
        }
        return new Peer(sim, p);
    }

    /** Connections made and not yet accepted. */
    public int pending() {
        return end.pending();
    }

    public SocketAddress localAddress() {
        return end.localAddress();
    }

    /** Stops listening; connections not accepted are reset. */
    public void close() {
        end.close();
    }

}
