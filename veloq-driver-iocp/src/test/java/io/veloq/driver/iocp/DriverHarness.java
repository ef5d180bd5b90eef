package io.veloq.driver.iocp;

import io.veloq.api.IoFd;
import io.veloq.api.OpLifecycle;
import io.veloq.api.VeloqIoException;
import io.veloq.api.buffer.FixedBuf;
import io.veloq.api.net.AddressFamily;
import io.veloq.api.net.AddressLayout;
import io.veloq.api.net.SockAddrStorage;
import io.veloq.api.net.SocketType;
import io.veloq.api.op.Accept;
import io.veloq.api.op.Close;
import io.veloq.api.op.Connect;
import io.veloq.api.op.OpPayload;
import io.veloq.api.op.Read;
import io.veloq.api.op.Recv;
import io.veloq.api.op.RecvFrom;
import io.veloq.api.op.Send;
import io.veloq.api.op.SendTo;
import io.veloq.api.op.Socket;
import io.veloq.api.op.Write;
import io.veloq.spi.Driver;
import io.veloq.spi.DriverConfig;
import io.veloq.spi.DriverProvider;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Drives an IOCP driver through the {@link Driver} interface the way the runtime host does: host slots with
 * generations, the op kind's {@link OpLifecycle} around each op, buffer indices advanced on completion.
 * Until the testkit's TCK runs the driver through a real runtime, the driver's op tests use this.
 *
 * <pre>{@code
 * try (DriverHarness h = DriverHarness.open(provider, 64)) {
 *     DriverHarness.Result r = h.run(new Nop());
 * }
 * }</pre>
 */
final class DriverHarness implements AutoCloseable {
    /** An op's outcome as the host would report it. */
    record Result(OpPayload payload, long value, VeloqIoException error) {
        long valueOrThrow() throws VeloqIoException {
            if (error != null) {
                throw error;
            }
            return value;
        }

        boolean ok() {
            return error == null;
        }
    }

    private final Driver driver;
    private final int slots;
    private final OpPayload[] payloads;
    private final long[] preAllocated;
    private final int[] generations;
    private final Map<Long, Result> done = new HashMap<>();
    final List<Long> completionOrder = new ArrayList<>();

    private DriverHarness(Driver driver, int slots) {
        this.driver = driver;
        this.slots = slots;
        this.payloads = new OpPayload[slots];
        this.preAllocated = new long[slots];
        this.generations = new int[slots];
    }

    static DriverHarness open(DriverProvider provider, int slots) throws IOException {
        return open(provider, slots, Map.of());
    }

    static DriverHarness open(DriverProvider provider, int slots, Map<String, String> options) throws IOException {
        return new DriverHarness(provider.open(new DriverConfig(0, 32, slots, 0, options)), slots);
    }

    Driver driver() {
        return driver;
    }

    IocpDriver iocp() {
        return (IocpDriver) driver;
    }

    /** Starts {@code p}; returns its token. Refusals complete at once, as the host does. */
    @SuppressWarnings({"unchecked", "rawtypes"})
    long start(OpPayload p) {
        int slot = -1;
        for (int i = 0; i < slots; i++) {
            if (payloads[i] == null) {
                slot = i;
                break;
            }
        }
        if (slot < 0) {
            throw new IllegalStateException("harness: all " + slots + " slots busy");
        }
        long token = ((long) generations[slot] << 32) | slot;
        OpLifecycle lc = driver.lifecycle(p.kind());
        long pre = OpLifecycle.NONE;
        if (lc != OpLifecycle.direct()) {
            try {
                pre = lc.preAlloc(p);
            } catch (VeloqIoException e) {
                done.put(token, new Result(p, 0, e));
                generations[slot]++;
                return token;
            }
        }
        payloads[slot] = p;
        preAllocated[slot] = pre;
        int rc = driver.prepare(token, p, pre, 0);
        if (rc != 1) {
            if (pre != OpLifecycle.NONE) {
                lc.discard(p, pre);
            }
            payloads[slot] = null;
            generations[slot]++;
            done.put(token, new Result(p, 0, rc < 0 ? driver.errors().exception(-rc, p.describe())
                    : new VeloqIoException(io.veloq.api.IoErrorKind.OTHER, 0, "SQ_FULL", p.describe(), "queue full")));
        }
        return token;
    }

    boolean cancel(long token) {
        return driver.prepareCancel(token);
    }

    /** One turn of the loop. */
    int turn(long timeoutNanos) throws VeloqIoException {
        return driver.submitAndWait(timeoutNanos, this::onCompletion);
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private void onCompletion(long token, long result) {
        int slot = (int) token;
        if (slot < 0 || slot >= slots || generations[slot] != (int) (token >>> 32) || payloads[slot] == null) {
            throw new AssertionError("completion for unknown or stale token " + token + " (result " + result + ")");
        }
        OpPayload p = payloads[slot];
        long pre = preAllocated[slot];
        payloads[slot] = null;
        generations[slot]++;
        completionOrder.add(token);
        OpLifecycle lc = driver.lifecycle(p.kind());
        if (result >= 0) {
            long value;
            try {
                value = lc.intoOutput(p, pre, result);
            } catch (VeloqIoException e) {
                if (pre != OpLifecycle.NONE) {
                    lc.discard(p, pre);
                }
                done.put(token, new Result(p, 0, e));
                return;
            }
            advance(p, value);
            done.put(token, new Result(p, value, null));
        } else {
            if (pre != OpLifecycle.NONE) {
                lc.discard(p, pre);
            }
            done.put(token, new Result(p, 0, driver.errors().exception((int) -result, p.describe())));
        }
    }

    /** What the host does to a buffer on success: receive/read advance the writer index, send/write the reader index. */
    private static void advance(OpPayload p, long n) {
        FixedBuf b = p.buffer();
        if (b == null) {
            return;
        }
        if (p instanceof Recv || p instanceof RecvFrom || p instanceof Read) {
            b.writerIndex(b.writerIndex() + (int) n);
        } else if (p instanceof Send || p instanceof SendTo || p instanceof Write) {
            b.readerIndex(b.readerIndex() + (int) n);
        }
    }

    /** A socket of the driver. */
    IoFd socket(AddressFamily f, SocketType t) throws VeloqIoException {
        return IoFd.raw(value(new Socket(f, t)));
    }

    /** A UDP socket bound to an ephemeral loopback port of its family; its address goes to {@code where}. */
    IoFd boundUdp(AddressFamily f, SockAddrStorage where)
            throws VeloqIoException {
        IoFd s = socket(f, SocketType.DATAGRAM);
        driver.bind(s, SockAddrStorage.of(new InetSocketAddress(loopback(f), 0),
                AddressLayout.WINDOWS));
        driver.localAddress(s, where);
        return s;
    }

    /** A connected TCP pair over loopback: {client, accepted server side}; the listener is closed again. */
    IoFd[] tcpPair(AddressFamily f) throws VeloqIoException {
        IoFd l = socket(f, SocketType.STREAM);
        driver.bind(l, SockAddrStorage.of(new InetSocketAddress(loopback(f), 0),
                AddressLayout.WINDOWS));
        driver.listen(l, 8);
        SockAddrStorage where = SockAddrStorage.allocate(AddressLayout.WINDOWS);
        driver.localAddress(l, where);
        IoFd c = socket(f, SocketType.STREAM);
        long accept = start(new Accept(l,
                SockAddrStorage.allocate(AddressLayout.WINDOWS)));
        value(new Connect(c, where));
        IoFd s = IoFd.raw(await(accept).valueOrThrow());
        value(new Close(l));
        return new IoFd[]{c, s};
    }

    static InetAddress loopback(AddressFamily f) {
        try {
            return InetAddress.getByName(f == AddressFamily.INET6 ? "::1" : "127.0.0.1");
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    boolean isDone(long token) {
        return done.containsKey(token);
    }

    /** Turns until {@code token} completed or {@code within} passed. */
    Result await(long token, Duration within) throws VeloqIoException {
        long deadline = System.nanoTime() + within.toNanos();
        while (!done.containsKey(token)) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new AssertionError("op with token " + token + " did not complete within " + within
                        + " (iocp driver: " + driver + ")");
            }
            turn(Math.min(left, TimeUnit.MILLISECONDS.toNanos(100)));
        }
        return done.remove(token);
    }

    Result await(long token) throws VeloqIoException {
        return await(token, Duration.ofSeconds(10));
    }

    Result run(OpPayload p) throws VeloqIoException {
        return await(start(p));
    }

    long value(OpPayload p) throws VeloqIoException {
        return run(p).valueOrThrow();
    }

    @Override
    public void close() throws VeloqIoException {
        // Like the host: cancel whatever is left and drain before closing the driver.
        for (int i = 0; i < slots; i++) {
            if (payloads[i] != null) {
                driver.prepareCancel(((long) generations[i] << 32) | i);
            }
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (System.nanoTime() - deadline < 0 && java.util.Arrays.stream(payloads).anyMatch(java.util.Objects::nonNull)) {
            turn(TimeUnit.MILLISECONDS.toNanos(20));
        }
        driver.close();
    }
}
