package io.veloq.spi.internal.host;

import io.veloq.api.Completion;
import io.veloq.api.IoFd;
import io.veloq.api.bootstrap.ApiAccess;
import io.veloq.api.bootstrap.SocketLifetime;
import io.veloq.api.op.Close;
import io.veloq.api.op.OpKind;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.channels.ClosedChannelException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static io.veloq.spi.internal.host.ScriptedDriver.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A net socket's synchronous calls are bound to its lifetime like its ops (#10): a call on a closed socket
 * never reaches the driver, and the socket's {@code Close} waits for the calls in progress, so a call never
 * lands on a socket that reused the descriptor number. And the host closes the net sockets still open when
 * the runtime closes, but not the application's own raw handles.
 */
class SocketCallsTest extends HostFixture {
    private final SocketLifetime lifetime = new SocketLifetime();
    private final IoFd.Raw socketFd = ApiAccess.fds().owned(9, lifetime);

    private List<Executable> everyCall(IoFd fd) {
        return List.of(
                () -> rt.loop().setOption(fd, StandardSocketOptions.SO_RCVBUF, 4096),
                () -> rt.loop().getOption(fd, StandardSocketOptions.SO_RCVBUF),
                () -> rt.loop().localAddress(fd),
                () -> rt.loop().remoteAddress(fd),
                () -> rt.loop().bind(fd, new InetSocketAddress("127.0.0.1", 0)),
                () -> rt.loop().listen(fd, 16));
    }

    @Test
    void everyCallOnAClosedSocketFailsWithClosedChannelExceptionAndNeverReachesTheDriver() throws Throwable {
        open(b -> { });
        for (Executable call : everyCall(socketFd)) {
            call.execute(); // open: each reaches the driver
        }
        assertEquals(6, driver().calls.size());
        lifetime.markClosed();
        for (Executable call : everyCall(socketFd)) {
            assertThrows(ClosedChannelException.class, call);
        }
        assertEquals(6, driver().calls.size(), "calls on a closed socket reached the driver: " + driver().calls);
        for (Executable call : everyCall(IoFd.raw(9))) {
            call.execute(); // a user's own raw handle with the same number is not the socket's: it is not guarded
        }
        assertEquals(12, driver().calls.size());
    }

    @Test
    void theSocketsCloseWaitsForACallInProgressAndLaterCallsFail() throws Exception {
        open(b -> { });
        CountDownLatch gate = new CountDownLatch(1);
        driver().callGate = gate;
        AtomicReference<Throwable> callFailed = new AtomicReference<>();
        Thread caller = new Thread(() -> {
            try {
                rt.loop().setOption(socketFd, StandardSocketOptions.SO_RCVBUF, 4096);
            } catch (Throwable t) {
                callFailed.set(t);
            }
        }, "caller");
        caller.start();
        eventually(() -> driver().callsInside.get() == 1, () -> "the setOption never reached the driver");

        lifetime.markClosed(); // what NetSocket.close does first, from any thread
        CompletableFuture<Completion<Close>> closed = rt.loop().submitAsync(new Close(socketFd));
        assertThrows(ClosedChannelException.class,
                () -> rt.loop().getOption(socketFd, StandardSocketOptions.SO_RCVBUF), "a call after close began");
        Thread.sleep(200);
        assertTrue(driver().inFlightOf(OpKind.CLOSE).isEmpty(),
                "the Close reached the driver while a setOption on the same descriptor was still in progress");
        assertFalse(closed.isDone());

        gate.countDown();
        caller.join(TimeUnit.SECONDS.toMillis(10));
        assertNull(callFailed.get(), "the call that got in before the close completes against its socket");
        long ud = driver().awaitInFlight(OpKind.CLOSE, 1).get(0).userData();
        driver().complete(ud, 0);
        assertTrue(closed.get(10, TimeUnit.SECONDS).isSuccess());
        assertEquals(List.of("setOption fd 9"), driver().calls);
    }

    @Test
    void closingTheRuntimeClosesTheNetSocketsStillOpenButNotTheApplicationsRawHandles() throws Exception {
        open(b -> { });
        ((io.veloq.api.bootstrap.OpenSockets) rt.loop(0)).opened(lifetime, socketFd);
        SocketLifetime closedBefore = new SocketLifetime();
        IoFd.Raw closedFd = ApiAccess.fds().owned(11, closedBefore);
        ((io.veloq.api.bootstrap.OpenSockets) rt.loop(0)).opened(closedBefore, closedFd);
        closedBefore.markClosed();
        CompletableFuture<Completion<Close>> first = rt.loop().submitAsync(new Close(closedFd));
        driver().complete(driver().awaitInFlight(OpKind.CLOSE, 1).get(0).userData(), 0);
        assertTrue(first.get(10, TimeUnit.SECONDS).isSuccess());

        rt.loop().submit(op(new io.veloq.api.op.Nop())); // the app's raw handle 10 is never registered: nothing to do with it
        Thread closer = new Thread(rt::close, "closer");
        closer.start();
        List<ScriptedDriver.Submission> closes = driver().awaitInFlight(OpKind.CLOSE, 1);
        assertEquals(1, closes.size());
        assertEquals(socketFd, closes.get(0).payload().fd(), "the runtime closes the open net socket");
        assertTrue(lifetime.isClosed());
        driver().complete(closes.get(0).userData(), 0);
        closer.join(TimeUnit.SECONDS.toMillis(10));
        assertFalse(closer.isAlive());
        Map<Long, Long> closedFds = new java.util.HashMap<>();
        for (ScriptedDriver.Submission s : driver().prepared) {
            if (s.kind() == OpKind.CLOSE) {
                closedFds.merge(((IoFd.Raw) s.payload().fd()).handle(), 1L, Long::sum);
            }
        }
        assertEquals(Map.of(9L, 1L, 11L, 1L), closedFds,
                "each net socket closed once (11 by the app, 9 by the runtime), nothing else");
    }
}
