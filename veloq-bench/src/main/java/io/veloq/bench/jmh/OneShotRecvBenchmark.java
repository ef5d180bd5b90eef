package io.veloq.bench.jmh;

import io.veloq.api.Completer;
import io.veloq.api.IoFd;
import io.veloq.api.IoRuntime;
import io.veloq.api.Op;
import io.veloq.api.OpState;
import io.veloq.api.buffer.FixedBuf;
import io.veloq.api.net.AddressFamily;
import io.veloq.api.net.SockAddrStorage;
import io.veloq.api.net.SocketType;
import io.veloq.api.op.Accept;
import io.veloq.api.op.Close;
import io.veloq.api.op.Connect;
import io.veloq.api.op.Recv;
import io.veloq.api.op.Send;
import io.veloq.api.op.Socket;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;

/**
 * What a one-shot {@code Recv} costs in allocation: {@code oneShotRecv} builds a new {@code Op} and {@code Recv}
 * per receive and runs it to completion through a manual io_uring runtime (a loopback TCP connection; the peer
 * side refills the socket with a reused send every 4096 receives of one byte); {@code buildOnly} only builds
 * the same two objects. With {@code -prof gc}, equal {@code gc.alloc.rate.norm} means the runtime allocates
 * nothing of its own for a one-shot op: only the op and its payload, the application's objects.
 *
 * <pre>{@code veloq-bench/run-jmh.sh OneShotRecvBenchmark -prof gc}</pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class OneShotRecvBenchmark {
    private static final int CHUNK = 4096;

    private IoRuntime rt;
    private IoFd listener;
    private IoFd client;
    private IoFd server;
    private FixedBuf in;
    private FixedBuf out;
    private Op<Send> refill;
    private int buffered;
    private boolean received;
    private final Completer<Recv> done = op -> received = true;

    @Setup(Level.Trial)
    public void open() throws IOException {
        rt = IoRuntime.builder().driver("uring").manual().queueDepth(64).maxInFlight(128).buffers(CHUNK, 4).open();
        listener = IoFd.raw(rt.loop().call(new Socket(AddressFamily.INET, SocketType.STREAM)).valueOrThrow());
        rt.loop().bind(listener, new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        rt.loop().listen(listener, 4);
        client = IoFd.raw(rt.loop().call(new Socket(AddressFamily.INET, SocketType.STREAM)).valueOrThrow());
        Op<Accept> acc = Op.of(new Accept(listener, SockAddrStorage.allocate()), op -> { });
        rt.loop().submit(acc);
        rt.loop().call(new Connect(client, SockAddrStorage.of(rt.loop().localAddress(listener)))).valueOrThrow();
        while (acc.state() != OpState.COMPLETED) {
            rt.loop().runOnce(null);
        }
        server = IoFd.raw(acc.result());
        in = rt.loop().bufPool().lease();
        out = rt.loop().bufPool().lease();
        refill = Op.of(new Send(client, out), op -> buffered += (int) op.result());
    }

    @TearDown(Level.Trial)
    public void close() {
        rt.loop().call(new Close(client));
        rt.loop().call(new Close(server));
        rt.loop().call(new Close(listener));
        in.release();
        out.release();
        rt.close();
    }

    /** Keeps bytes waiting in the server's socket with a reused Send: allocates nothing. */
    private void refillIfEmpty() {
        while (buffered == 0) {
            if (refill.state() == OpState.COMPLETED) {
                refill.reset();
            }
            out.clear().writerIndex(CHUNK);
            rt.loop().submit(refill);
            while (refill.state() != OpState.COMPLETED) {
                rt.loop().runOnce(null);
            }
        }
    }

    @Benchmark
    public Op<Recv> oneShotRecv() {
        refillIfEmpty();
        in.clear().writerIndex(in.capacity() - 1); // room for one byte: the receive takes exactly one
        received = false;
        Op<Recv> op = Op.of(new Recv(server, in), done);
        rt.loop().submit(op);
        while (!received) {
            rt.loop().runOnce(null);
        }
        buffered--;
        return op;
    }

    @Benchmark
    public Op<Recv> buildOnly() {
        return Op.of(new Recv(server, in), done);
    }
}
