package io.veloq.testkit.tck;

import io.veloq.api.Completion;
import io.veloq.api.EventLoop;
import io.veloq.api.IoFd;
import io.veloq.api.IoRuntime;
import io.veloq.api.Op;
import io.veloq.api.buffer.FixedBuf;
import io.veloq.api.net.AddressFamily;
import io.veloq.api.net.SockAddrStorage;
import io.veloq.api.net.SocketType;
import io.veloq.api.op.Accept;
import io.veloq.api.op.Connect;
import io.veloq.api.op.Nop;
import io.veloq.api.op.Recv;
import io.veloq.api.op.Send;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The rules with more than one loop, and the handle contract of {@link io.veloq.spi.Driver}: a handle made by
 * one driver instance works on every other instance of the same runtime (as a descriptor works on any thread
 * of a process), a completer may submit to another loop, and closing a runtime (its drivers) leaves the
 * sockets the application did not close open. Part of {@link DriverTck}; extend that.
 *
 * @since 0.1
 */
public abstract class MultiLoopRules extends FileRules {
    MultiLoopRules() {
    }

    @Test
    public void required_handlesWorkOnEveryLoopOfTheRuntime() {
        rule(rt -> {
            IoRuntime two = openRuntime(withThreads(config(), 2));
            try {
                handlesOnTwoLoops(two.loop(0), two.loop(1));
            } catch (java.io.IOException | AssertionError e) {
                throw new AssertionError("a handle made on one loop must work on every loop of its runtime (as a "
                        + "descriptor works on every thread of a process), but: " + e.getMessage(), e);
            }
        });
    }

    private void handlesOnTwoLoops(EventLoop a, EventLoop b) throws java.io.IOException {
        assertEquals(a.capabilities(), b.capabilities(), "capabilities of loop 1 against loop 0 of one runtime");
        // Made on loop 0, bound and listened through loop 1, accepted on loop 1.
        IoFd l = socket(a, AddressFamily.INET, SocketType.STREAM);
        b.bind(l, new InetSocketAddress(loopback(), 0));
        b.listen(l, 8);
        SocketAddress where = a.localAddress(l);
        assertEquals(where, b.localAddress(l), "getsockname of a loop-0 socket through loop 1");
        CompletableFuture<Completion<Accept>> acc = b.submitAsync(new Accept(l, SockAddrStorage.allocate(b.addressLayout())));
        IoFd c = socket(a, AddressFamily.INET, SocketType.STREAM);
        await(b.submitAsync(new Connect(c, SockAddrStorage.of(where, b.addressLayout()))),
                "Connect on loop 1 of a socket made on loop 0").valueOrThrow();
        IoFd s = IoFd.raw(await(acc, "Accept on loop 1 of a listener made on loop 0").valueOrThrow());
        byte[] up = randomBytes(40_000);
        byte[] down = randomBytes(30_000);
        sendAll(b, c, up);
        assertArrayEquals(up, receiveExactly(a, s, up.length), "bytes sent on loop 1, received on loop 0 (socket accepted on loop 1)");
        sendAll(a, s, down);
        assertArrayEquals(down, receiveExactly(b, c, down.length), "bytes sent on loop 0, received on loop 1 (socket made on loop 0)");
        // Each loop alternately, on one socket.
        for (int i = 0; i < 10; i++) {
            EventLoop send = i % 2 == 0 ? a : b;
            EventLoop recv = i % 2 == 0 ? b : a;
            byte[] msg = randomBytes(100 + i);
            sendAll(send, c, msg);
            int round = i;
            assertArrayEquals(msg, receiveExactly(recv, s, msg.length), "round " + round + " of alternating loops");
        }
        closeAll(b, s);
        closeAll(a, c);
        closeAll(b, l);
    }

    @Test
    public void required_crossLoopSubmissionFromACompleter() {
        rule(rt -> {
            IoRuntime two = openRuntime(withThreads(config(), 2));
            EventLoop[] loops = {two.loop(0), two.loop(1)};
            int hops = 200;
            AtomicInteger wrongThread = new AtomicInteger();
            AtomicInteger done = new AtomicInteger();
            CompletableFuture<Void> finished = new CompletableFuture<>();
            // A Nop on loop 0 whose completer submits a Nop to loop 1, whose completer submits to loop 0, ...
            io.veloq.api.Completer<Nop>[] hop = new io.veloq.api.Completer[2];
            for (int i = 0; i < 2; i++) {
                int me = i;
                hop[i] = guard(op -> {
                    if (!loops[me].inLoop() || loops[1 - me].inLoop() || !op.isSuccess()) {
                        wrongThread.incrementAndGet();
                    }
                    if (done.incrementAndGet() == hops) {
                        finished.complete(null);
                    } else {
                        loops[1 - me].submit(Op.of(new Nop(), hop[1 - me]));
                    }
                });
            }
            loops[0].submit(Op.of(new Nop(), hop[0]));
            await(finished, hops + " Nops, each submitted from the completer of the previous one on the other loop (" + done.get()
                    + " done so far)");
            assertEquals(0, wrongThread.get(), "completers that ran off their own loop's thread, or failed");
            // An echo across loops: a Recv on loop 1 whose completer sends what it got on loop 0.
            Conn p = connectedPair(loops[0]);
            FixedBuf in = lease(loops[1]);
            CompletableFuture<Long> echoed = new CompletableFuture<>();
            loops[1].submit(Op.of(new Recv(p.server, in), guard(r -> {
                if (!r.isSuccess()) {
                    echoed.completeExceptionally(r.error());
                    return;
                }
                loops[0].submit(Op.of(new Send(p.server, in), guard(s -> {
                    if (!loops[0].inLoop()) {
                        wrongThread.incrementAndGet();
                    }
                    in.release();
                    if (s.isSuccess()) {
                        echoed.complete(s.result());
                    } else {
                        echoed.completeExceptionally(s.error());
                    }
                })));
            })));
            byte[] ping = randomBytes(1);
            sendAll(loops[0], p.client, ping);
            assertEquals(1L, await(echoed, "a Send on loop 0 submitted by a Recv's completer on loop 1"), "bytes echoed");
            assertArrayEquals(ping, receiveExactly(loops[0], p.client, 1), "the echo");
            assertEquals(0, wrongThread.get(), "completers that ran off their own loop's thread");
            p.close(loops[0]);
        });
    }

    @Test
    public void required_runtimeCloseLeavesTheApplicationsSocketsOpen() {
        rule(rt -> {
            IoRuntime other = openRuntime(config());
            IoFd l = listener(other.loop());
            SocketAddress where = other.loop().localAddress(l);
            closeRuntime(other);
            // The driver closed its own resources, not the application's socket: it is still bound, and the
            // application closes it (here through another runtime of the same provider).
            assertEquals(where, rt.loop().localAddress(l), "getsockname of a listener whose runtime was closed");
            assertEquals(0L, await(rt.loop().submitAsync(new io.veloq.api.op.Close(l)), "Close of a socket made by a closed runtime")
                    .valueOrThrow(), "Close of a socket whose runtime was closed (it must still be open)");
        });
    }
}
