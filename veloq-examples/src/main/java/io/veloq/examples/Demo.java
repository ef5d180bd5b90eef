package io.veloq.examples;

import io.veloq.api.Completion;
import io.veloq.api.DriverDescription;
import io.veloq.api.IoErrorKind;
import io.veloq.api.IoFd;
import io.veloq.api.Op;
import io.veloq.api.IoRuntime;
import io.veloq.api.VeloqIoException;
import io.veloq.api.buffer.BufPool;
import io.veloq.api.buffer.FixedBuf;
import io.veloq.api.net.AddressFamily;
import io.veloq.api.net.SockAddrStorage;
import io.veloq.api.net.SocketType;
import io.veloq.api.op.Accept;
import io.veloq.api.op.Close;
import io.veloq.api.op.Connect;
import io.veloq.api.op.Nop;
import io.veloq.api.op.OpPayload;
import io.veloq.api.op.Recv;
import io.veloq.api.op.Send;
import io.veloq.api.op.Socket;
import io.veloq.api.op.Timeout;

import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * {@code ./veloq demo}: opens a runtime on the best driver (the pure-Java {@code nio} driver where no kernel
 * driver can run: it is chosen without any flag) and runs a {@code Nop}, a {@code Timeout} and a loopback TCP round trip built from ops only:
 * {@code Socket}, bind/listen, {@code Accept} + {@code Connect}, {@code Send} + {@code Recv} each way.
 *
 * <pre>{@code
 * ./veloq demo                 # best driver
 * ./veloq demo --driver nio    # a named one
 * }</pre>
 */
final class Demo {
    /** Every step gets this long before the demo cancels it and fails. */
    private static final long STEP_SECONDS = 10;
    private static final String MESSAGE = "ping from veloq";

    private final PrintStream out;
    private final PrintStream err;
    private final List<Long> openFds = new ArrayList<>();

    Demo(PrintStream out, PrintStream err) {
        this.out = out;
        this.err = err;
    }

    int run(String[] args) {
        String driver = null;
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--driver") && i + 1 < args.length) {
                driver = args[++i];
            } else if (args[i].startsWith("--driver=")) {
                driver = args[i].substring("--driver=".length());
            } else {
                err.println("demo: unknown option '" + args[i] + "' (usage: demo [--driver ID])");
                return 2;
            }
        }
        String how = driver != null ? "named with --driver" : null;
        if (driver == null && System.getProperty("veloq.driver") != null) {
            how = "named by -Dveloq.driver";
        }
        List<String> passedOver = new ArrayList<>();
        if (how == null) {
            how = "best available";
            try {
                // No flag needed where io_uring is blocked (a container's seccomp profile) or absent (macOS):
                // the runtime falls back to the pure-Java nio driver by itself. Say what it passed over.
                List<DriverDescription> found = IoRuntime.drivers();
                int best = found.stream().filter(d -> d.available() && !d.explicitOnly())
                        .mapToInt(DriverDescription::priority).max().orElse(Integer.MIN_VALUE);
                for (DriverDescription d : found) {
                    if (!d.available() && !d.explicitOnly() && d.priority() > best) {
                        passedOver.add(d.id() + " unavailable: " + d.reason());
                    }
                }
            } catch (RuntimeException e) {
                err.println("demo: " + e.getMessage());
                return 1;
            }
        }
        IoRuntime rt;
        try {
            rt = IoRuntime.builder().driver(driver).open();
        } catch (RuntimeException e) {
            err.println("demo: cannot open a runtime: " + e.getMessage());
            return 1;
        }
        try (rt) {
            out.println("Veloq demo");
            out.println("driver: " + rt.driverId() + " (" + how + ")");
            for (String p : passedOver) {
                out.println("  (" + p + ")");
            }
            out.println("capabilities: " + rt.capabilities());
            // The provider reports what the kernel accepted at setup (io_uring: SINGLE_ISSUER|DEFER_TASKRUN|...).
            IoRuntime.drivers().stream().filter(d -> d.id().equals(rt.driverId())).findFirst()
                    .map(d -> d.details().get("setup-flags"))
                    .ifPresent(flags -> out.println("setup flags: " + flags));
            nop(rt);
            timeout(rt);
            boolean roundTrip = loopback(rt);
            out.println(roundTrip ? "round trip OK on driver " + rt.driverId()
                    : "round trip skipped on driver " + rt.driverId());
            return 0;
        } catch (StepFailure e) {
            err.println("demo FAILED on driver " + rt.driverId() + ": " + e.getMessage());
            return 1;
        }
    }

    private void nop(IoRuntime rt) throws StepFailure {
        long t0 = System.nanoTime();
        long v = await(rt, Op.of(new Nop()), "Nop");
        out.printf("  Nop: completed with %d in %d us%n", v, micros(t0));
    }

    private void timeout(IoRuntime rt) throws StepFailure {
        long t0 = System.nanoTime();
        long v = await(rt, Op.of(Timeout.of(Duration.ofMillis(20))), "Timeout(20 ms)");
        out.printf("  Timeout(20 ms): completed with %d after %.1f ms%n", v, (System.nanoTime() - t0) / 1e6);
    }

    /** Returns false when the driver does not do sockets (only the fake may say so). */
    private boolean loopback(IoRuntime rt) throws StepFailure {
        IoFd listener;
        try {
            listener = socket(rt);
        } catch (StepFailure e) {
            if (e.kind == IoErrorKind.NOT_SUPPORTED && rt.driverId().equals("fake")) {
                out.println("  sockets: not supported by this fake driver (" + e.getMessage() + ")");
                return false;
            }
            throw e;
        }
        try {
            InetSocketAddress local;
            try {
                rt.loop().bind(listener, new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
                rt.loop().listen(listener, 16);
                local = (InetSocketAddress) rt.loop().localAddress(listener);
            } catch (IOException e) {
                throw new StepFailure("bind/listen on " + listener, e);
            }
            out.println("  Socket + bind + listen: " + listener + " listening on " + local);

            SockAddrStorage peer = SockAddrStorage.allocate(rt.loop().addressLayout());
            Op<Accept> accept = Op.of(new Accept(listener, peer));
            CompletableFuture<Completion<Accept>> accepted = rt.loop().submitAsync(accept);
            IoFd client = socket(rt);
            await(rt, Op.of(new Connect(client, SockAddrStorage.of(local, rt.loop().addressLayout()))), "Connect");
            IoFd server = IoFd.raw(finish(rt, accept, accepted, "Accept"));
            openFds.add(((IoFd.Raw) server).handle());
            out.println("  Connect + Accept: " + client + " connected; accepted " + server + " from " + peer);

            BufPool pool = rt.loop().bufPool();
            FixedBuf sendBuf = pool.lease();
            FixedBuf recvBuf = pool.lease();
            try {
                byte[] msg = MESSAGE.getBytes(StandardCharsets.US_ASCII);
                sendBuf.put(msg);
                long sent = await(rt, Op.of(new Send(client, sendBuf)), "Send on " + client);
                String got = receive(rt, server, recvBuf, msg.length);
                out.printf("  Send + Recv: sent \"%s\" (%d bytes) from %s, %s received \"%s\"%n",
                        MESSAGE, sent, client, server, got);
                // And back: the server echoes what it received, from the same buffer (rewound: reading
                // the bytes above moved its reader index to the end).
                recvBuf.readerIndex(0);
                await(rt, Op.of(new Send(server, recvBuf)), "Send on " + server);
                sendBuf.clear();
                String echoed = receive(rt, client, sendBuf, msg.length);
                out.printf("  echo back: %s received \"%s\"%n", client, echoed);
                if (!got.equals(MESSAGE) || !echoed.equals(MESSAGE)) {
                    throw new StepFailure("bytes differ: sent \"" + MESSAGE + "\", got \"" + got
                            + "\" and \"" + echoed + "\"", null);
                }
            } finally {
                // A buffer whose op timed out and did not give it back yet stays leased; close() reclaims it.
                for (FixedBuf b : new FixedBuf[] {sendBuf, recvBuf}) {
                    if (b.owner() == null) {
                        b.release();
                    }
                }
            }
            return true;
        } finally {
            closeAll(rt);
        }
    }

    private IoFd socket(IoRuntime rt) throws StepFailure {
        long fd = await(rt, Op.of(new Socket(AddressFamily.INET, SocketType.STREAM)), "Socket(INET, STREAM)");
        openFds.add(fd);
        return IoFd.raw(fd);
    }

    /** Receives until {@code expected} bytes are readable (TCP may split them). */
    private String receive(IoRuntime rt, IoFd fd, FixedBuf buf, int expected) throws StepFailure {
        while (buf.readableBytes() < expected) {
            long n = await(rt, Op.of(new Recv(fd, buf)), "Recv on " + fd);
            if (n == 0) {
                throw new StepFailure("Recv on " + fd + ": peer closed after " + buf.readableBytes() + " of "
                        + expected + " bytes", null);
            }
        }
        return new String(buf.getBytes(), StandardCharsets.US_ASCII);
    }

    private void closeAll(IoRuntime rt) {
        for (long fd : openFds) {
            try {
                await(rt, Op.of(new Close(IoFd.raw(fd))), "Close of fd " + fd);
            } catch (StepFailure e) {
                err.println("  (closing fd " + fd + ": " + e.getMessage() + ")");
            }
        }
        openFds.clear();
    }

    private static <P extends OpPayload> long await(IoRuntime rt, Op<P> op, String what) throws StepFailure {
        return finish(rt, op, rt.loop().submitAsync(op), what);
    }

    private static <P extends OpPayload> long finish(IoRuntime rt, Op<P> op, CompletableFuture<Completion<P>> f,
                                                     String what) throws StepFailure {
        Completion<P> c;
        try {
            c = f.get(STEP_SECONDS, TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            cancelAndWait(rt, op, f);
            throw new StepFailure(what + " did not complete within " + STEP_SECONDS + " s (cancelled)", null);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            cancelAndWait(rt, op, f);
            throw new StepFailure(what + ": interrupted", e);
        } catch (ExecutionException e) {
            throw new StepFailure(what + ": " + e.getCause(), e.getCause());
        }
        if (!c.isSuccess()) {
            throw new StepFailure(c.error().getMessage(), c.error());
        }
        return c.value();
    }

    /** A cancelled op still owns its buffer until it completes: wait for that before anyone releases it. */
    private static void cancelAndWait(IoRuntime rt, Op<?> op, CompletableFuture<?> f) {
        rt.loop().cancel(op);
        try {
            f.get(STEP_SECONDS, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            // reported by the caller; the runtime's close() completes it at the latest
        }
    }

    private static long micros(long t0) {
        return (System.nanoTime() - t0) / 1000;
    }

    /** A step that did not work; {@link #kind} is set when the op failed with an I/O error. */
    private static final class StepFailure extends Exception {
        private static final long serialVersionUID = 1L;
        final transient IoErrorKind kind;

        StepFailure(String message, Throwable cause) {
            super(message, cause);
            this.kind = cause instanceof VeloqIoException v ? v.kind() : null;
        }
    }
}
