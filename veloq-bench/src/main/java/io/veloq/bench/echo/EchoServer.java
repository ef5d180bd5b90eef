package io.veloq.bench.echo;

import java.util.List;

/**
 * An echo server under test: it writes back every byte it reads, on the connection it read it from.
 *
 * <p>Every implementation serves all connections from one event-loop thread by default, reads into pooled
 * direct buffers and binds to the loopback address. The benchmark runs each one in its own JVM
 * ({@link io.veloq.bench.ServerMain}), so the process's CPU time is the server's cost.
 *
 * <p>A new implementation is added by one class: see {@link EchoServers} (the {@code veloq} slot looks up
 * {@link EchoServers#VELOQ_CLASS} by name).
 */
public interface EchoServer {

    /** Short, stable name used on the command line and in tables ({@code nio}, {@code netty-uring}, ...). */
    String name();

    /**
     * Binds 127.0.0.1:{@code port} ({@code 0}: any free port) and starts serving.
     *
     * @return the port actually bound
     */
    int start(int port) throws Exception;

    /** Stops serving, closes every connection and releases the server's resources. Idempotent. */
    void stop();

    /** The event-loop threads that serve connections (used for per-thread allocation and CPU counters). */
    List<Thread> loopThreads();

    /** One line saying how the server runs (threads, transport, buffer pool), for the report. */
    default String describe() {
        StringBuilder sb = new StringBuilder();
        List<Thread> threads = loopThreads();
        sb.append(threads.size()).append(" loop thread").append(threads.size() == 1 ? "" : "s");
        for (Thread t : threads) {
            sb.append(' ').append(t.getName());
        }
        return sb.toString();
    }
}
