package io.veloq.examples.echo;

/**
 * What a loop knows of one echoed connection, whichever way it receives: {@link EchoConnection} (one
 * buffer, a reused receive) or {@link RingEchoConnection} (a multishot receive on the loop's buffer ring).
 * The loop keeps its connections in an intrusive list, so bookkeeping allocates nothing. Loop thread only.
 */
abstract class Connection {
    Connection prev;
    Connection next;

    /** Starts receiving. */
    abstract void start();

    /** Shutdown: cancels the op in flight; its completer finishes the connection. */
    abstract void stop();

    /** Gives every buffer back, closes the socket, leaves the loop's list. Idempotent. */
    abstract void finish();
}
