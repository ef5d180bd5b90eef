package io.veloq.examples.echo;

import io.veloq.api.Completer;
import io.veloq.api.EventLoop;
import io.veloq.api.net.NetSocket;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;

/**
 * One client loop's share of the load: its connections' histogram and counters (written on the loop
 * thread only, read after the run), and the latch the run waits on until every connection has drained.
 */
final class LoadLoop {
    private final EventLoop loop;
    private final EchoLoad load;
    private final LatencyHistogram histogram = new LatencyHistogram();
    private final List<String> errors = new ArrayList<>();
    private final CountDownLatch drained;
    private final Completer.OfValue<Void> closeDone = (v, e) -> { };
    private long messages;
    private long bytes;
    private long measuredMessages;
    // The soak mode's counts (loop thread only; read through a task on the loop).
    private int started;
    private int ended;
    private int connectFailures;

    LoadLoop(EventLoop loop, EchoLoad load, int connections) {
        this.loop = loop;
        this.load = load;
        this.drained = new CountDownLatch(connections);
    }

    EventLoop loop() {
        return loop;
    }

    boolean running() {
        return load.running();
    }

    void echoed(long latencyNanos, int size) {
        messages++;
        bytes += size;
        if (load.measuring()) {
            measuredMessages++;
            histogram.record(latencyNanos);
        }
    }

    void failed(String error) {
        errors.add(error);
    }

    void closeSocket(NetSocket s) {
        s.close(closeDone);
    }

    void connectionDone() {
        ended++;
        drained.countDown();
    }

    /** A connection of the soak mode started its traffic. */
    void connectionStarted() {
        started++;
    }

    /** A connection of the soak mode could not be opened: an error, and one connection fewer to wait for. */
    void connectFailed(String error) {
        connectFailures++;
        errors.add(error);
        drained.countDown();
    }

    /** Connections of the soak mode never attempted (the run ended first): nothing to wait for. */
    void neverOpened(int n) {
        for (int i = 0; i < n; i++) {
            drained.countDown();
        }
    }

    /** Counts for a progress line: connected, open, messages verified, errors. Loop thread. */
    long[] soakCounts() {
        return new long[] {started, started - ended, messages, errors.size()};
    }

    CountDownLatch drained() {
        return drained;
    }

    // Read after the loop's connections have drained (the latch orders the reads after the writes).
    LatencyHistogram histogram() {
        return histogram;
    }

    List<String> errors() {
        return errors;
    }

    long messages() {
        return messages;
    }

    long measuredMessages() {
        return measuredMessages;
    }

    long bytes() {
        return bytes;
    }
}
