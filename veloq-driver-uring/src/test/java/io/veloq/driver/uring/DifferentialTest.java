package io.veloq.driver.uring;

import io.veloq.api.Completion;
import io.veloq.api.IoFd;
import io.veloq.api.Op;
import io.veloq.api.IoRuntime;
import io.veloq.api.buffer.FixedBuf;
import io.veloq.api.net.AddressFamily;
import io.veloq.api.net.ShutdownHow;
import io.veloq.api.net.SockAddrStorage;
import io.veloq.api.net.SocketType;
import io.veloq.api.op.Accept;
import io.veloq.api.op.Close;
import io.veloq.api.op.Connect;
import io.veloq.api.op.Open;
import io.veloq.api.op.OpPayload;
import io.veloq.api.op.Read;
import io.veloq.api.op.Recv;
import io.veloq.api.op.RecvFrom;
import io.veloq.api.op.Send;
import io.veloq.api.op.SendTo;
import io.veloq.api.op.Shutdown;
import io.veloq.api.op.Socket;
import io.veloq.api.op.Timeout;
import io.veloq.api.op.Write;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardSocketOptions;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The same seeded scenario on the testkit's fake driver and on io_uring must give the same bytes and the
 * same sequence of results: what a program tested on the fake sees is what it sees on the kernel.
 */
class DifferentialTest {
    private static final long SEED = Long.getLong("veloq.seed", 42);

    @TempDir
    Path dir;

    @Test
    void seededEchoWithShortReadsAndErrorsMatchesTheFakeDriver() throws Exception {
        List<String> fake;
        List<String> uring;
        long t0 = System.nanoTime();
        try (IoRuntime rt = IoRuntime.builder().driver("fake").buffers(4096, 8).open()) {
            fake = scenario(rt, SEED, dir.resolve("fake"));
        }
        long t1 = System.nanoTime();
        try (IoRuntime rt = IoRuntime.builder().driver("uring").buffers(4096, 8).open()) {
            uring = scenario(rt, SEED, dir.resolve("uring"));
        }
        System.out.printf("fake %d ms, uring %d ms, %d steps%n", (t1 - t0) / 1_000_000,
                (System.nanoTime() - t1) / 1_000_000, uring.size());
        assertTrue(uring.size() > 100, "a real scenario: " + uring.size() + " steps");
        for (int i = 0; i < Math.min(fake.size(), uring.size()); i++) {
            assertEquals(fake.get(i), uring.get(i), "step " + i + " differs (seed " + SEED
                    + ", rerun with -Dveloq.seed=" + SEED + ")");
        }
        assertEquals(fake.size(), uring.size());
    }

    /** Runs the scenario and returns one line per step: what was done and its value or error. */
    static List<String> scenario(IoRuntime rt, long seed, Path dir) throws Exception {
        SplittableRandom rnd = new SplittableRandom(seed);
        List<String> trace = new ArrayList<>();
        java.nio.file.Files.createDirectories(dir);

        // TCP echo: the client sends seeded chunks, the server reads them into seeded (often too small)
        // room, so reads come back short, and echoes every piece.
        IoFd l = fd(rt.loop().call(new Socket(AddressFamily.INET, SocketType.STREAM)), trace, "socket");
        rt.loop().setOption(l, StandardSocketOptions.SO_REUSEADDR, true);
        rt.loop().bind(l, new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0));
        rt.loop().listen(l, 8);
        SocketAddress where = rt.loop().localAddress(l);
        CompletableFuture<Completion<Accept>> acc = rt.loop().submitAsync(new Accept(l, SockAddrStorage.allocate()));
        IoFd c = fd(rt.loop().call(new Socket(AddressFamily.INET, SocketType.STREAM)), trace, "socket");
        record(trace, "connect", rt.loop().call(new Connect(c, SockAddrStorage.of(where))));
        IoFd s = fd(acc.get(5, TimeUnit.SECONDS), trace, "accept");
        // small echoes back to back: without NODELAY each waits out a delayed ACK (Nagle)
        rt.loop().setOption(c, StandardSocketOptions.TCP_NODELAY, true);
        rt.loop().setOption(s, StandardSocketOptions.TCP_NODELAY, true);
        FixedBuf out = rt.loop().bufPool().lease();
        FixedBuf in = rt.loop().bufPool().lease();
        FixedBuf back = rt.loop().bufPool().lease();
        for (int round = 0; round < 40; round++) {
            int size = 1 + rnd.nextInt(4000);
            byte[] chunk = new byte[size];
            rnd.nextBytes(chunk);
            out.clear().put(chunk);
            record(trace, "send " + size, rt.loop().call(new Send(c, out)));
            int got = 0;
            byte[] echoed = new byte[size];
            while (got < size) {
                int room = 1 + rnd.nextInt(size);
                in.clear();
                in.writerIndex(in.capacity() - room).readerIndex(in.capacity() - room);
                record(trace, "recv room " + room, rt.loop().call(new Recv(s, in)));
                int n = in.readableBytes();
                record(trace, "echo " + n, rt.loop().call(new Send(s, in)));
                int backGot = 0;
                while (backGot < n) {
                    back.clear();
                    back.writerIndex(back.capacity() - (n - backGot)).readerIndex(back.capacity() - (n - backGot));
                    rt.loop().call(new Recv(c, back)).valueOrThrow();
                    int m = back.readableBytes();
                    back.get(echoed, got + backGot, m);
                    backGot += m;
                }
                got += n;
            }
            trace.add("round " + round + " bytes equal: " + java.util.Arrays.equals(chunk, echoed));
        }
        record(trace, "shutdown write", rt.loop().call(new Shutdown(c, ShutdownHow.WRITE)));
        in.clear();
        record(trace, "recv after peer shutdown", rt.loop().call(new Recv(s, in)));
        // a blocked recv, cancelled: the buffer comes back
        Op<Recv> blocked = Op.of(new Recv(c, in.clear()));
        CompletableFuture<Completion<Recv>> bf = rt.loop().submitAsync(blocked);
        rt.loop().call(Timeout.of(java.time.Duration.ofMillis(10)));
        rt.loop().cancel(blocked);
        record(trace, "cancelled recv", bf.get(5, TimeUnit.SECONDS));
        trace.add("buffer back, readable " + in.readableBytes());
        for (IoFd fd : new IoFd[] {c, s, l}) {
            record(trace, "close", rt.loop().call(new Close(fd)));
        }
        record(trace, "close again", rt.loop().call(new Close(c)));
        record(trace, "recv on closed fd", rt.loop().call(new Recv(c, in.clear())));
        // connect to a port nobody listens on any more
        IoFd c2 = fd(rt.loop().call(new Socket(AddressFamily.INET, SocketType.STREAM)), trace, "socket");
        record(trace, "connect refused", rt.loop().call(new Connect(c2, SockAddrStorage.of(where))));
        record(trace, "close", rt.loop().call(new Close(c2)));

        // UDP: datagrams keep their boundaries and carry the sender
        IoFd u1 = fd(rt.loop().call(new Socket(AddressFamily.INET, SocketType.DATAGRAM)), trace, "udp socket");
        IoFd u2 = fd(rt.loop().call(new Socket(AddressFamily.INET, SocketType.DATAGRAM)), trace, "udp socket");
        rt.loop().bind(u1, new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0));
        rt.loop().bind(u2, new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0));
        for (int i = 0; i < 10; i++) {
            int size = 1 + rnd.nextInt(1400);
            byte[] d = new byte[size];
            rnd.nextBytes(d);
            out.clear().put(d);
            record(trace, "sendto " + size, rt.loop().call(new SendTo(u1, out, SockAddrStorage.of(rt.loop().localAddress(u2)))));
            SockAddrStorage from = SockAddrStorage.allocate();
            record(trace, "recvfrom", rt.loop().call(new RecvFrom(u2, in.clear(), from)));
            trace.add("datagram equal: " + java.util.Arrays.equals(d, in.getBytes())
                    + ", from sender: " + from.toSocketAddress().equals(rt.loop().localAddress(u1)));
        }
        record(trace, "close", rt.loop().call(new Close(u1)));
        record(trace, "close", rt.loop().call(new Close(u2)));

        // Files: writes at seeded offsets, read back
        Path f = dir.resolve("diff.bin");
        IoFd file = fd(rt.loop().call(new Open(f, EnumSet.of(StandardOpenOption.READ, StandardOpenOption.WRITE,
                StandardOpenOption.CREATE), 0644)), trace, "open");
        for (int i = 0; i < 10; i++) {
            long at = rnd.nextInt(10_000);
            int size = 1 + rnd.nextInt(3000);
            byte[] d = new byte[size];
            rnd.nextBytes(d);
            out.clear().put(d);
            record(trace, "write " + size + " at " + at, rt.loop().call(new Write(file, out, at)));
            record(trace, "read at " + at, rt.loop().call(new Read(file, in.clear(), at)));
            byte[] r = in.getBytes();
            trace.add("file bytes equal: " + java.util.Arrays.equals(d, java.util.Arrays.copyOf(r, size)));
        }
        record(trace, "read past the end", rt.loop().call(new Read(file, in.clear(), 1_000_000)));
        record(trace, "close", rt.loop().call(new Close(file)));
        record(trace, "open missing", rt.loop().call(Open.read(dir.resolve("missing"))));
        record(trace, "timeout", rt.loop().call(Timeout.of(java.time.Duration.ofMillis(5))));
        out.release();
        in.release();
        back.release();
        return trace;
    }

    private static IoFd fd(Completion<? extends OpPayload> c, List<String> trace, String what) throws Exception {
        record(trace, what, c);
        return IoFd.raw(c.valueOrThrow());
    }

    private static void record(List<String> trace, String what, Completion<? extends OpPayload> c) {
        if (c.isSuccess()) {
            boolean fdLike = what.startsWith("socket") || what.startsWith("udp socket") || what.equals("accept")
                    || what.equals("open");
            trace.add(what + " -> " + (fdLike ? (c.value() >= 0 ? "an fd" : "?") : String.valueOf(c.value())));
        } else {
            trace.add(what + " -> " + c.error().kind() + " " + c.error().codeName());
        }
    }

}
