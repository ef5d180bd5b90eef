package io.veloq.nio2;

import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketOption;
import java.net.StandardSocketOptions;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.AsynchronousChannelGroup;
import java.nio.channels.AsynchronousServerSocketChannel;
import java.nio.channels.AsynchronousSocketChannel;
import java.nio.channels.spi.AsynchronousChannelProvider;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The same NIO.2 scenarios against the JDK's provider and Veloq's (on io_uring, the fake and the IOCP
 * simulator): the transcripts (results, exception classes, addresses, option values) must be equal. Each
 * scenario also asserts a few facts of its JDK transcript, so that a scenario that went wrong the same way
 * on both sides cannot pass unnoticed.
 */
class DifferentialTest {
    interface Body {
        void run(Scenario s) throws Exception;
    }

    record Case(String name, Body body, String... jdkFacts) {
    }

    private static final Map<String, List<String>> JDK = new ConcurrentHashMap<>();

    static List<Case> cases() {
        List<Case> c = new ArrayList<>();
        c.add(new Case("acceptConnectReadWriteIpv4", s -> roundTrip(s, "127.0.0.1"), "echoed: ping"));
        c.add(new Case("acceptConnectReadWriteIpv6", s -> roundTrip(s, "::1"), "echoed: ping"));
        c.add(new Case("wildcardBindAndAddresses", DifferentialTest::wildcard, "server local host: /0:0:0:0:0:0:0:0"));
        c.add(new Case("readTimeoutThenReadRefused", DifferentialTest::readTimeout,
                "timed read: failed InterruptedByTimeoutException", "read after timeout: threw IllegalStateException"));
        c.add(new Case("writeTimeoutWhenPeerDoesNotRead", DifferentialTest::writeTimeout,
                "write until timeout: failed InterruptedByTimeoutException"));
        c.add(new Case("pendingExceptions", DifferentialTest::pending,
                "second read: threw ReadPendingException", "second accept: threw AcceptPendingException"));
        c.add(new Case("closeWhilePending", DifferentialTest::closeWhilePending,
                "pending read after close: failed AsynchronousCloseException",
                "pending accept after close: failed AsynchronousCloseException"));
        c.add(new Case("closedAndUnconnectedChannels", DifferentialTest::closedAndUnconnected,
                "read unconnected: threw NotYetConnectedException", "read closed (handler): failed ClosedChannelException"));
        c.add(new Case("connectErrors", DifferentialTest::connectErrors,
                "connect unresolved: threw UnresolvedAddressException", "connect refused: failed ConnectException",
                "connect again: threw AlreadyConnectedException"));
        c.add(new Case("halfClose", DifferentialTest::halfClose, "server read after client shutdownOutput: -1"));
        c.add(new Case("options", DifferentialTest::options, "TCP_NODELAY after set: true"));
        c.add(new Case("largeGatheringWriteScatteringRead", DifferentialTest::largeGathering, "bytes equal: true"));
        c.add(new Case("groupShutdown", DifferentialTest::groupShutdown,
                "open in shut-down group: threw ShutdownChannelGroupException", "terminated after close: true"));
        c.add(new Case("handlersAndAttachments", DifferentialTest::handlers,
                "fixed pool handler on a factory thread: true", "executor handler on the executor: true"));
        return c;
    }

    @TestFactory
    Stream<DynamicTest> veloqMatchesTheJdk() {
        List<DynamicTest> tests = new ArrayList<>();
        for (Providers p : new Providers[] {Providers.URING, Providers.FAKE, Providers.IOCP}) {
            for (Case c : cases()) {
                tests.add(DynamicTest.dynamicTest(c.name() + " on " + p, () -> {
                    List<String> jdk = JDK.computeIfAbsent(c.name(), k -> run(Providers.JDK.get(), c));
                    for (String fact : c.jdkFacts()) {
                        assertTrue(jdk.contains(fact), "the JDK transcript of " + c.name() + " lacks '" + fact + "': " + jdk);
                    }
                    List<String> veloq = run(p.get(), c);
                    assertEquals(String.join("\n", jdk), String.join("\n", veloq),
                            c.name() + ": Veloq's provider on " + p + " differs from the JDK's");
                }));
            }
        }
        return tests.stream();
    }

    private static List<String> run(AsynchronousChannelProvider provider, Case c) {
        try (Scenario s = new Scenario(provider)) {
            c.body().run(s);
            return s.transcript();
        } catch (Exception e) {
            throw new AssertionError(c.name() + " on " + provider + " failed outside a step: " + e, e);
        }
    }

    // ---- scenarios ----

    static void roundTrip(Scenario s, String host) throws Exception {
        AsynchronousSocketChannel[] p = s.pair(host);
        s.note("client remote equals server local port",
                ((InetSocketAddress) p[0].getRemoteAddress()).getPort() == ((InetSocketAddress) p[1].getLocalAddress()).getPort());
        s.note("accepted remote equals client local", p[1].getRemoteAddress().equals(p[0].getLocalAddress()));
        s.note("client local host", ((InetSocketAddress) p[0].getLocalAddress()).getAddress());
        s.step("write", () -> p[0].write(ByteBuffer.wrap("ping".getBytes())).get());
        byte[] got = Scenario.readFully(p[1], 4);
        s.step("echo", () -> p[1].write(ByteBuffer.wrap(got)).get());
        s.note("echoed", new String(Scenario.readFully(p[0], 4)));
        ByteBuffer direct = ByteBuffer.allocateDirect(3).put("abc".getBytes()).flip();
        s.step("direct write", () -> p[0].write(direct).get());
        ByteBuffer into = ByteBuffer.allocateDirect(8);
        s.step("direct read", () -> p[1].read(into).get());
        s.note("direct position", into.position());
    }

    static void wildcard(Scenario s) throws Exception {
        AsynchronousServerSocketChannel srv = s.server(null);
        s.step("local before bind", srv::getLocalAddress);
        srv.bind(null);
        InetSocketAddress l = (InetSocketAddress) srv.getLocalAddress();
        s.note("server local host", l.getAddress());
        s.note("port assigned", l.getPort() > 0);
        s.step("bind again", () -> srv.bind(null));
        AsynchronousSocketChannel c = s.socket();
        s.step("client local before connect", c::getLocalAddress);
        s.step("client remote before connect", c::getRemoteAddress);
        c.bind(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0));
        s.note("client bound host", ((InetSocketAddress) c.getLocalAddress()).getAddress());
        s.step("client bind again", () -> c.bind(null));
        s.step("bind unix address", () -> s.socket().bind(UnixDomainSocketAddress.of("/tmp/x")));
    }

    static void readTimeout(Scenario s) throws Exception {
        AsynchronousSocketChannel[] p = s.pair("127.0.0.1");
        Scenario.Recorder<Integer> r = new Scenario.Recorder<>();
        p[1].read(ByteBuffer.allocate(16), 100, TimeUnit.MILLISECONDS, "att", r);
        s.note("timed read", r.await());
        s.note("attachment", r.attachment);
        s.step("read after timeout", () -> p[1].read(ByteBuffer.allocate(16)));
        s.step("write still works", () -> p[1].write(ByteBuffer.wrap("x".getBytes())).get());
        s.note("peer got", new String(Scenario.readFully(p[0], 1)));
    }

    static void writeTimeout(Scenario s) throws Exception {
        AsynchronousSocketChannel[] p = s.pair("127.0.0.1");
        ByteBuffer chunk = ByteBuffer.allocate(1 << 20);
        String outcome = null;
        for (int i = 0; i < 512 && outcome == null; i++) { // the peer never reads: buffers fill, a write waits
            chunk.clear();
            Scenario.Recorder<Integer> r = new Scenario.Recorder<>();
            p[0].write(chunk, 300, TimeUnit.MILLISECONDS, null, r);
            String o = r.await();
            if (!o.startsWith("completed")) {
                outcome = o;
            }
        }
        s.note("write until timeout", outcome);
        s.step("write after timeout", () -> p[0].write(ByteBuffer.allocate(1)));
    }

    static void pending(Scenario s) throws Exception {
        AsynchronousSocketChannel[] p = s.pair("127.0.0.1");
        Future<Integer> first = p[1].read(ByteBuffer.allocate(8));
        s.step("second read", () -> p[1].read(ByteBuffer.allocate(8)));
        s.step("scattering read while pending", () -> {
            p[1].read(new ByteBuffer[] {ByteBuffer.allocate(4)}, 0, 1, 0, TimeUnit.SECONDS, null, new Scenario.Recorder<>());
            return "started";
        });
        p[0].write(ByteBuffer.wrap("z".getBytes())).get();
        s.step("first read", () -> first.get(Scenario.WAIT_SECONDS, TimeUnit.SECONDS));
        AsynchronousServerSocketChannel srv = s.server(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0));
        srv.accept();
        s.step("second accept", srv::accept);
        s.step("read-only buffer", () -> p[1].read(ByteBuffer.allocate(4).asReadOnlyBuffer()));
        s.step("read with no room", () -> p[1].read(ByteBuffer.allocate(0)).get());
        s.step("write of nothing", () -> p[1].write(ByteBuffer.allocate(0)).get());
        // A write that cannot finish: the peer does not read.
        Future<Integer> big = null;
        ByteBuffer huge = ByteBuffer.allocateDirect(64 << 20);
        while (true) {
            Future<Integer> f = p[0].write(huge);
            try {
                f.get(200, TimeUnit.MILLISECONDS);
                if (!huge.hasRemaining()) {
                    huge.clear();
                }
            } catch (java.util.concurrent.TimeoutException stillPending) {
                big = f;
                break;
            }
        }
        s.step("second write", () -> p[0].write(ByteBuffer.allocate(1)));
        s.note("first write still pending", !big.isDone());
    }

    static void closeWhilePending(Scenario s) throws Exception {
        AsynchronousSocketChannel[] p = s.pair("127.0.0.1");
        Scenario.Recorder<Integer> r = new Scenario.Recorder<>();
        p[1].read(ByteBuffer.allocate(8), 0, TimeUnit.SECONDS, null, r);
        p[1].close();
        s.note("pending read after close", r.await());
        s.note("open after close", p[1].isOpen());
        s.step("peer reads end of stream", () -> p[0].read(ByteBuffer.allocate(8)).get(Scenario.WAIT_SECONDS, TimeUnit.SECONDS));
        AsynchronousServerSocketChannel srv = s.server(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0));
        Scenario.Recorder<AsynchronousSocketChannel> a = new Scenario.Recorder<>();
        srv.accept(null, a);
        srv.close();
        s.note("pending accept after close", a.await());
        AsynchronousSocketChannel[] q = s.pair("127.0.0.1"); // a live peer: the read cannot complete first
        Future<Integer> f = q[0].read(ByteBuffer.allocate(8));
        q[0].close();
        s.step("pending read future after close", () -> f.get(Scenario.WAIT_SECONDS, TimeUnit.SECONDS));
    }

    static void closedAndUnconnected(Scenario s) throws Exception {
        AsynchronousSocketChannel c = s.socket();
        s.step("read unconnected", () -> c.read(ByteBuffer.allocate(4)));
        s.step("write unconnected", () -> c.write(ByteBuffer.allocate(4)));
        s.step("shutdownInput unconnected", c::shutdownInput);
        s.step("shutdownOutput unconnected", c::shutdownOutput);
        c.close();
        s.step("close twice", () -> {
            c.close();
            return "ok";
        });
        Scenario.Recorder<Integer> r = new Scenario.Recorder<>();
        c.read(ByteBuffer.allocate(4), 0, TimeUnit.SECONDS, null, r);
        s.note("read closed (handler)", r.await());
        s.step("read closed (future)", () -> c.read(ByteBuffer.allocate(4)).get(Scenario.WAIT_SECONDS, TimeUnit.SECONDS));
        s.step("write closed (future)", () -> c.write(ByteBuffer.allocate(4)).get(Scenario.WAIT_SECONDS, TimeUnit.SECONDS));
        s.step("connect closed", () -> c.connect(new InetSocketAddress("127.0.0.1", 1)).get(Scenario.WAIT_SECONDS, TimeUnit.SECONDS));
        s.step("local address closed", c::getLocalAddress);
        s.step("remote address closed", c::getRemoteAddress);
        s.step("setOption closed", () -> c.setOption(StandardSocketOptions.TCP_NODELAY, true));
        s.step("getOption closed", () -> c.getOption(StandardSocketOptions.TCP_NODELAY));
        s.step("bind closed", () -> c.bind(null));
        s.step("shutdownInput closed", c::shutdownInput);
        AsynchronousServerSocketChannel srv = s.server(null);
        s.step("accept unbound", srv::accept);
        srv.close();
        s.step("accept closed", () -> srv.accept().get(Scenario.WAIT_SECONDS, TimeUnit.SECONDS));
        s.step("server local closed", srv::getLocalAddress);
    }

    static void connectErrors(Scenario s) throws Exception {
        s.step("connect unresolved", () -> s.socket().connect(InetSocketAddress.createUnresolved("nowhere.invalid", 80)));
        s.step("connect unix", () -> s.socket().connect(UnixDomainSocketAddress.of("/tmp/nowhere")));
        s.step("connect null", () -> s.socket().connect(null));
        AsynchronousServerSocketChannel gone = s.server(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0));
        InetSocketAddress dead = (InetSocketAddress) gone.getLocalAddress();
        gone.close();
        AsynchronousSocketChannel refused = s.socket();
        Scenario.Recorder<Void> r = new Scenario.Recorder<>();
        refused.connect(dead, "a", r);
        s.note("connect refused", r.await());
        s.note("open after refused", refused.isOpen());
        AsynchronousSocketChannel[] p = s.pair("127.0.0.1");
        s.step("connect again", () -> p[0].connect(p[0].getRemoteAddress()));
        s.step("bind after connect", () -> p[0].bind(null));
    }

    static void halfClose(Scenario s) throws Exception {
        AsynchronousSocketChannel[] p = s.pair("127.0.0.1");
        p[0].write(ByteBuffer.wrap("last".getBytes())).get();
        p[0].shutdownOutput();
        s.step("shutdownOutput twice", () -> p[0].shutdownOutput() == p[0]);
        s.note("server got", new String(Scenario.readFully(p[1], 4)));
        s.step("server read after client shutdownOutput", () -> p[1].read(ByteBuffer.allocate(4)).get(Scenario.WAIT_SECONDS, TimeUnit.SECONDS));
        s.step("client write after shutdownOutput", () -> p[0].write(ByteBuffer.allocate(1)).get(Scenario.WAIT_SECONDS, TimeUnit.SECONDS));
        s.step("server writes back", () -> p[1].write(ByteBuffer.wrap("reply".getBytes())).get());
        s.note("client got", new String(Scenario.readFully(p[0], 5)));
        p[0].shutdownInput();
        s.step("client read after shutdownInput", () -> p[0].read(ByteBuffer.allocate(4)).get(Scenario.WAIT_SECONDS, TimeUnit.SECONDS));
        s.step("scattering read after shutdownInput", () -> {
            Scenario.Recorder<Long> r = new Scenario.Recorder<>();
            p[0].read(new ByteBuffer[] {ByteBuffer.allocate(2)}, 0, 1, 0, TimeUnit.SECONDS, null, r);
            return r.await();
        });
    }

    static void options(Scenario s) throws Exception {
        AsynchronousSocketChannel c = s.socket();
        AsynchronousServerSocketChannel srv = s.server(null);
        s.note("socket standard options", standard(c.supportedOptions()));
        s.note("server standard options", standard(srv.supportedOptions()));
        s.step("server SO_REUSEADDR default", () -> srv.getOption(StandardSocketOptions.SO_REUSEADDR));
        s.step("socket SO_REUSEADDR default", () -> c.getOption(StandardSocketOptions.SO_REUSEADDR));
        s.step("TCP_NODELAY default", () -> c.getOption(StandardSocketOptions.TCP_NODELAY));
        c.setOption(StandardSocketOptions.TCP_NODELAY, true);
        s.note("TCP_NODELAY after set", c.getOption(StandardSocketOptions.TCP_NODELAY));
        c.setOption(StandardSocketOptions.SO_KEEPALIVE, true);
        s.note("SO_KEEPALIVE after set", c.getOption(StandardSocketOptions.SO_KEEPALIVE));
        c.setOption(StandardSocketOptions.SO_RCVBUF, 65536);
        s.note("SO_RCVBUF after set 65536", c.getOption(StandardSocketOptions.SO_RCVBUF));
        c.setOption(StandardSocketOptions.SO_SNDBUF, 65536);
        s.note("SO_SNDBUF after set 65536", c.getOption(StandardSocketOptions.SO_SNDBUF));
        s.step("negative SO_RCVBUF", () -> c.setOption(StandardSocketOptions.SO_RCVBUF, -1));
        s.step("IP_TOS on a socket", () -> c.setOption(StandardSocketOptions.IP_TOS, 0));
        s.step("TCP_NODELAY on a server", () -> srv.setOption(StandardSocketOptions.TCP_NODELAY, true));
        s.step("null option", () -> c.getOption(null));
        @SuppressWarnings({"unchecked", "rawtypes"})
        SocketOption<Object> raw = (SocketOption) StandardSocketOptions.TCP_NODELAY;
        s.step("wrong value type", () -> c.setOption(raw, "yes"));
    }

    private static TreeSet<String> standard(java.util.Set<SocketOption<?>> options) {
        TreeSet<String> names = new TreeSet<>();
        for (SocketOption<?> o : options) {
            if (o.getClass() == StandardSocketOptions.TCP_NODELAY.getClass()) {
                names.add(o.name());
            }
        }
        return names;
    }

    static void largeGathering(Scenario s) throws Exception {
        AsynchronousSocketChannel[] p = s.pair("127.0.0.1");
        SplittableRandom rnd = new SplittableRandom(12);
        ByteBuffer[] srcs = new ByteBuffer[8];
        MessageDigest sent = MessageDigest.getInstance("SHA-256");
        int total = 0;
        for (int i = 0; i < srcs.length; i++) {
            byte[] b = new byte[(512 << 10) + i * 777];
            rnd.nextBytes(b);
            sent.update(b);
            total += b.length;
            srcs[i] = i % 2 == 0 ? ByteBuffer.wrap(b) : ByteBuffer.allocateDirect(b.length).put(b).flip();
        }
        int expected = total;
        Future<byte[]> reader = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r);
            t.setDaemon(true);
            return t;
        }).submit(() -> {
            ByteBuffer[] dsts = {ByteBuffer.allocate(1000), ByteBuffer.allocateDirect(70_000), ByteBuffer.allocate(expected)};
            MessageDigest got = MessageDigest.getInstance("SHA-256");
            long n = 0;
            while (n < expected) {
                Scenario.Recorder<Long> r = new Scenario.Recorder<>();
                p[1].read(dsts, 0, 3, 0, TimeUnit.SECONDS, null, r);
                String o = r.await();
                long k = Long.parseLong(o.substring("completed ".length()));
                if (k < 0) {
                    break;
                }
                n += k;
                for (ByteBuffer d : dsts) {
                    d.flip();
                    byte[] part = new byte[d.remaining()];
                    d.get(part);
                    got.update(part);
                    d.clear();
                }
            }
            return got.digest();
        });
        long written = 0;
        while (written < total) {
            Scenario.Recorder<Long> r = new Scenario.Recorder<>();
            p[0].write(srcs, 0, srcs.length, 0, TimeUnit.SECONDS, null, r);
            String o = r.await();
            written += Long.parseLong(o.substring("completed ".length()));
        }
        s.note("written", written);
        s.note("sources drained", java.util.Arrays.stream(srcs).noneMatch(ByteBuffer::hasRemaining));
        s.note("bytes equal", HexFormat.of().formatHex(sent.digest()).equals(HexFormat.of().formatHex(reader.get(30, TimeUnit.SECONDS))));
    }

    static void groupShutdown(Scenario s) throws Exception {
        AsynchronousChannelGroup g = s.provider.openAsynchronousChannelGroup(1, Executors.defaultThreadFactory());
        AsynchronousServerSocketChannel srv = s.provider.openAsynchronousServerSocketChannel(g);
        srv.bind(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0));
        g.shutdown();
        s.note("isShutdown", g.isShutdown());
        s.note("terminated while a channel is open", g.awaitTermination(100, TimeUnit.MILLISECONDS));
        s.step("open in shut-down group", () -> s.provider.openAsynchronousSocketChannel(g));
        s.step("server still accepts calls", () -> srv.accept() != null);
        srv.close();
        s.note("terminated after close", g.awaitTermination(Scenario.WAIT_SECONDS, TimeUnit.SECONDS));
        s.note("isTerminated", g.isTerminated());

        ExecutorService pool = Executors.newCachedThreadPool();
        AsynchronousChannelGroup g2 = s.provider.openAsynchronousChannelGroup(pool, 1);
        AsynchronousServerSocketChannel srv2 = s.provider.openAsynchronousServerSocketChannel(g2);
        srv2.bind(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0));
        Scenario.Recorder<AsynchronousSocketChannel> a = new Scenario.Recorder<>();
        srv2.accept(null, a);
        g2.shutdownNow();
        s.note("pending accept after shutdownNow", a.await());
        s.note("server open after shutdownNow", srv2.isOpen());
        s.note("executor group terminated", g2.awaitTermination(Scenario.WAIT_SECONDS, TimeUnit.SECONDS));
        s.note("executor shut down with the group", pool.isShutdown());
    }

    static void handlers(Scenario s) throws Exception {
        Map<Thread, Boolean> made = new ConcurrentHashMap<>();
        AsynchronousChannelGroup fixed = s.provider.openAsynchronousChannelGroup(2, r -> {
            Thread t = new Thread(r, "factory-thread");
            t.setDaemon(true);
            made.put(t, true);
            return t;
        });
        Map<String, Object> seen = new LinkedHashMap<>();
        try {
            AsynchronousServerSocketChannel srv = s.provider.openAsynchronousServerSocketChannel(fixed);
            srv.bind(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0));
            Scenario.Recorder<AsynchronousSocketChannel> a = new Scenario.Recorder<>();
            Object att = new Object();
            srv.accept(att, a);
            AsynchronousSocketChannel c = s.socket();
            c.connect(srv.getLocalAddress()).get(Scenario.WAIT_SECONDS, TimeUnit.SECONDS);
            seen.put("accept", a.await());
            s.note("fixed pool handler on a factory thread", made.containsKey(a.thread));
            s.note("attachment passed through", a.attachment == att);
            srv.close();
            c.close();
        } finally {
            fixed.shutdownNow();
            fixed.awaitTermination(Scenario.WAIT_SECONDS, TimeUnit.SECONDS);
        }
        s.note("outcomes", seen);
        ExecutorService pool = Executors.newFixedThreadPool(2, r -> {
            Thread t = new Thread(r, "executor-thread");
            t.setDaemon(true);
            return t;
        });
        AsynchronousChannelGroup ex = s.provider.openAsynchronousChannelGroup(pool, 0);
        try {
            AsynchronousServerSocketChannel srv = s.provider.openAsynchronousServerSocketChannel(ex);
            srv.bind(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0));
            Scenario.Recorder<AsynchronousSocketChannel> a = new Scenario.Recorder<>();
            srv.accept("x", a);
            AsynchronousSocketChannel c = s.socket();
            c.connect(srv.getLocalAddress()).get(Scenario.WAIT_SECONDS, TimeUnit.SECONDS);
            s.note("executor accept", a.await());
            s.note("executor handler on the executor", a.thread.getName().equals("executor-thread"));
            srv.close();
            c.close();
        } finally {
            ex.shutdownNow();
            ex.awaitTermination(Scenario.WAIT_SECONDS, TimeUnit.SECONDS);
        }
    }
}
