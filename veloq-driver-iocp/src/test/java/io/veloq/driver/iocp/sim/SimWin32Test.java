package io.veloq.driver.iocp.sim;

import io.veloq.driver.iocp.win32.ExtensionFunction;
import io.veloq.driver.iocp.win32.NativeMemory;
import io.veloq.driver.iocp.win32.Structs;
import io.veloq.driver.iocp.win32.Win32Constants;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;

import static io.veloq.driver.iocp.win32.Win32Constants.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The simulator itself, called directly through {@link io.veloq.driver.iocp.win32.Win32}: does it follow the
 * documented IOCP and Winsock rules the driver depends on? (Simulator-only; it runs on every OS.)
 */
public class SimWin32Test {
    private SimWin32 w;
    private NativeMemory.Block mem;
    private ByteBuffer m;
    private long base;

    // scratch layout
    private static final int OV1 = 0;
    private static final int OV2 = 64;
    private static final int ENTRIES = 128;       // 16 entries
    private static final int REMOVED = 640;
    private static final int ADDR = 704;          // sockaddr
    private static final int LEN = 840;
    private static final int GUID = 848;
    private static final int FN = 864;
    private static final int BYTES = 872;
    private static final int WSABUF = 880;
    private static final int FLAGS = 896;
    private static final int ACCEPT_BUF = 1024;   // 288 bytes
    private static final int DATA = 2048;

    @BeforeEach
    void open() {
        w = new SimWin32();
        mem = NativeMemory.allocate(8192);
        m = mem.buffer();
        base = mem.address();
    }

    @AfterEach
    void close() {
        w.close();
        mem.close();
        assertEquals(java.util.List.of(), w.failures(), "no unexpected exception inside the simulator");
    }

    private long socket(int af) {
        long s = w.wsaSocketW(af, SOCK_STREAM, IPPROTO_TCP, 0, 0, WSA_FLAG_OVERLAPPED);
        assertTrue(s != INVALID_SOCKET, "WSASocketW failed: " + w.wsaGetLastError());
        return s;
    }

    private int putAddr(InetSocketAddress a, int family) {
        byte[] b = SimAddresses.encode(a, family);
        m.put(ADDR, b);
        return b.length;
    }

    private long listener() {
        long l = socket(AF_INET);
        assertEquals(0, w.bind(l, base + ADDR, putAddr(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), AF_INET)));
        assertEquals(0, w.listen(l, 8));
        return l;
    }

    private long fn(long s, ExtensionFunction f) {
        m.put(GUID, f.guid());
        assertEquals(0, w.wsaIoctl(s, SIO_GET_EXTENSION_FUNCTION_POINTER, base + GUID, 16, base + FN, 8, base + BYTES, 0, 0));
        return m.getLong(FN);
    }

    @Test
    void acceptExRefusesABoundOrForeignFamilySocketAndASmallAddressBuffer() {
        long l = listener();
        long acceptEx = fn(l, ExtensionFunction.ACCEPT_EX);
        long bound = socket(AF_INET);
        assertEquals(0, w.bind(bound, base + ADDR, putAddr(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), AF_INET)));
        assertFalse(w.acceptEx(acceptEx, l, bound, base + ACCEPT_BUF, 0, 144, 144, base + BYTES, base + OV1));
        assertEquals(WSAEINVAL, w.wsaGetLastError(), "AcceptEx into a bound socket");
        long v6 = socket(AF_INET6);
        assertFalse(w.acceptEx(acceptEx, l, v6, base + ACCEPT_BUF, 0, 144, 144, base + BYTES, base + OV1));
        assertEquals(WSAEINVAL, w.wsaGetLastError(), "AcceptEx into a socket of another family");
        long fresh = socket(AF_INET);
        assertFalse(w.acceptEx(acceptEx, l, fresh, base + ACCEPT_BUF, 0, 31, 31, base + BYTES, base + OV1));
        assertEquals(10014, w.wsaGetLastError(), "16 + sizeof(sockaddr_in) = 32 bytes are needed: WSAEFAULT");
        long notListening = socket(AF_INET);
        assertFalse(w.acceptEx(acceptEx, notListening, fresh, base + ACCEPT_BUF, 0, 144, 144, base + BYTES, base + OV1));
        assertEquals(WSAEINVAL, w.wsaGetLastError(), "AcceptEx on a socket that is not listening");
        assertThrows(IllegalStateException.class,
                () -> w.acceptEx(acceptEx + 8, l, fresh, base + ACCEPT_BUF, 0, 144, 144, base + BYTES, base + OV1),
                "a pointer WSAIoctl did not return is a crash on Windows");
    }

    @Test
    void connectExOnAnUnboundSocketFailsWithWsaeinval() {
        long l = listener();
        assertEquals(0, w.getsockname(l, base + ADDR, lenOf(128)));
        int len = m.getInt(LEN);
        long c = socket(AF_INET);
        long connectEx = fn(c, ExtensionFunction.CONNECT_EX);
        assertFalse(w.connectEx(connectEx, c, base + ADDR, len, 0, 0, base + BYTES, base + OV1));
        assertEquals(WSAEINVAL, w.wsaGetLastError());
    }

    private long lenOf(int v) {
        m.putInt(LEN, v);
        return base + LEN;
    }

    @Test
    void packetsCarryKeyOverlappedAndBytes_andSkipOnSuccessSuppressesThem() {
        long port = w.createIoCompletionPort(-1, 0, 0, 1);
        long l = listener();
        assertEquals(port, w.createIoCompletionPort(l, port, 77, 0));
        assertEquals(0, w.createIoCompletionPort(l, port, 77, 0), "a handle is associated once");
        assertEquals(87, w.lastError());
        assertEquals(0, w.getsockname(l, base + ADDR, lenOf(128)));
        int len = m.getInt(LEN);
        // client connects first, so AcceptEx finds the connection waiting and succeeds at once
        long c = socket(AF_INET);
        assertEquals(0, w.bind(c, base + 1536, copyWildcard()));
        long connectEx = fn(c, ExtensionFunction.CONNECT_EX);
        boolean connectedAtOnce = w.connectEx(connectEx, c, base + ADDR, len, 0, 0, base + BYTES, base + OV2);
        assertTrue(connectedAtOnce || w.wsaGetLastError() == ERROR_IO_PENDING);
        long a = socket(AF_INET);
        long acceptEx = fn(l, ExtensionFunction.ACCEPT_EX);
        boolean now = waitAccept(acceptEx, l, a);
        // without skip mode the packet comes even for an immediate success
        assertTrue(w.getQueuedCompletionStatusEx(port, base + ENTRIES, 16, base + REMOVED, 2000, false));
        assertEquals(1, m.getInt(REMOVED));
        assertEquals(77, m.getLong(ENTRIES + Structs.OverlappedEntry.COMPLETION_KEY));
        assertEquals(base + OV1, m.getLong(ENTRIES + Structs.OverlappedEntry.OVERLAPPED));
        assertEquals(0, m.getInt(ENTRIES + Structs.OverlappedEntry.BYTES_TRANSFERRED));
        assertEquals(0, Structs.Overlapped.status(m, OV1), "OVERLAPPED.Internal holds STATUS_SUCCESS");
        assertTrue(now || w.stats().pended() > 0);
        // skip mode: a send that succeeds at once queues nothing
        assertEquals(0, w.setsockopt(a, SOL_SOCKET, SO_UPDATE_ACCEPT_CONTEXT, putHandle(l), 8));
        assertEquals(port, w.createIoCompletionPort(a, port, 5, 0));
        assertTrue(w.setFileCompletionNotificationModes(a, FILE_SKIP_COMPLETION_PORT_ON_SUCCESS));
        m.put(DATA, new byte[]{1, 2, 3});
        Structs.WsaBuf.put(m, WSABUF, base + DATA, 3);
        Structs.Overlapped.clear(m, OV1);
        assertEquals(0, w.wsaSend(a, base + WSABUF, 1, 0, 0, base + OV1, 0), "a small send succeeds at once");
        assertEquals(3, Structs.Overlapped.transferred(m, OV1), "InternalHigh holds the byte count");
        assertFalse(w.getQueuedCompletionStatusEx(port, base + ENTRIES, 16, base + REMOVED, 50, false));
        assertEquals(WAIT_TIMEOUT, w.lastError(), "no packet for an immediate success in skip mode");
        assertTrue(w.stats().skippedPackets() >= 1);
    }

    private boolean waitAccept(long acceptEx, long l, long a) {
        Structs.Overlapped.clear(m, OV1);
        boolean now = w.acceptEx(acceptEx, l, a, base + ACCEPT_BUF, 0, 144, 144, base + BYTES, base + OV1);
        assertTrue(now || w.wsaGetLastError() == ERROR_IO_PENDING, "AcceptEx: " + w.wsaGetLastError());
        return now;
    }

    private int copyWildcard() {
        byte[] b = SimAddresses.encode(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), AF_INET);
        m.put(1536, b);
        return b.length;
    }

    private long putHandle(long h) {
        m.putLong(BYTES, h);
        return base + BYTES;
    }

    @Test
    void getpeernameNeedsSoUpdateAcceptContext_andGetAcceptExSockaddrsPointsIntoTheBuffer() {
        long port = w.createIoCompletionPort(-1, 0, 0, 1);
        long l = listener();
        w.createIoCompletionPort(l, port, 1, 0);
        assertEquals(0, w.getsockname(l, base + ADDR, lenOf(128)));
        int len = m.getInt(LEN);
        long a = socket(AF_INET);
        boolean now = waitAccept(fn(l, ExtensionFunction.ACCEPT_EX), l, a);
        assertFalse(now, "no client yet: pending");
        long c = socket(AF_INET);
        assertEquals(0, w.bind(c, base + 1536, copyWildcard()));
        long connectEx = fn(c, ExtensionFunction.CONNECT_EX);
        w.connectEx(connectEx, c, base + ADDR, len, 0, 0, base + BYTES, base + OV2);
        assertTrue(w.getQueuedCompletionStatusEx(port, base + ENTRIES, 16, base + REMOVED, 2000, false));
        assertEquals(-1, w.getpeername(a, base + ADDR, lenOf(128)));
        assertEquals(10057, w.wsaGetLastError(), "WSAENOTCONN before SO_UPDATE_ACCEPT_CONTEXT");
        assertEquals(0, w.setsockopt(a, SOL_SOCKET, SO_UPDATE_ACCEPT_CONTEXT, putHandle(l), 8));
        assertEquals(0, w.getpeername(a, base + ADDR, lenOf(128)));
        long gaes = fn(l, ExtensionFunction.GET_ACCEPT_EX_SOCKADDRS);
        w.getAcceptExSockaddrs(gaes, base + ACCEPT_BUF, 0, 144, 144, base + FN, base + LEN, base + BYTES, base + FLAGS);
        long remote = m.getLong(BYTES);
        int remoteLen = m.getInt(FLAGS);
        assertTrue(remote > base + ACCEPT_BUF + 144 && remote < base + ACCEPT_BUF + 288, "remote address inside the buffer");
        assertEquals(16, remoteLen);
        byte[] viaBuffer = new byte[16];
        m.get((int) (remote - base), viaBuffer);
        byte[] viaPeername = new byte[16];
        m.get(ADDR, viaPeername);
        assertEquals(java.util.Arrays.toString(viaPeername), java.util.Arrays.toString(viaBuffer));
    }

    @Test
    void cancelIoExAbortsAPendingRecv_andFindsNothingTheSecondTime() {
        long port = w.createIoCompletionPort(-1, 0, 0, 1);
        long[] pair = connectedPair(port);
        long s = pair[1];
        Structs.WsaBuf.put(m, WSABUF, base + DATA, 100);
        m.putInt(FLAGS, 0);
        Structs.Overlapped.clear(m, OV1);
        assertEquals(-1, w.wsaRecv(s, base + WSABUF, 1, 0, base + FLAGS, base + OV1, 0));
        assertEquals(WSA_IO_PENDING, w.wsaGetLastError());
        assertTrue(w.cancelIoEx(s, base + OV1));
        assertFalse(w.cancelIoEx(s, base + OV1));
        assertEquals(ERROR_NOT_FOUND, w.lastError());
        assertTrue(w.getQueuedCompletionStatusEx(port, base + ENTRIES, 16, base + REMOVED, 2000, false));
        assertEquals(base + OV1, m.getLong(ENTRIES + 8));
        assertEquals(0xC0000120, Structs.Overlapped.status(m, OV1), "STATUS_CANCELLED in OVERLAPPED.Internal");
    }

    /**
     * The rule a driver with several ports must live with: a handle's packets go to the one port it is
     * associated with, whichever thread (loop) started the request; the association cannot change; a
     * PostQueuedCompletionStatus to another port delivers the same key and OVERLAPPED there; a packet queued to a
     * port that was closed is lost.
     */
    @Test
    void aHandlesPacketsGoOnlyToItsPort_theAssociationIsForGood_andAPostForwardsThem() throws Exception {
        long owner = w.createIoCompletionPort(-1, 0, 0, 1);
        long other = w.createIoCompletionPort(-1, 0, 0, 1);
        long[] pair = connectedPair(owner);
        long s = pair[1];
        assertEquals(0, w.createIoCompletionPort(s, other, 9, 0), "a second port cannot take the handle");
        assertEquals(ERROR_INVALID_PARAMETER, w.lastError());
        // Started from another thread, as a second loop would: the packet still goes to the owner's port.
        Thread t = new Thread(() -> {
            Structs.WsaBuf.put(m, WSABUF, base + DATA, 100);
            m.putInt(FLAGS, 0);
            Structs.Overlapped.clear(m, OV1);
            w.wsaRecv(s, base + WSABUF, 1, 0, base + FLAGS, base + OV1, 0);
        });
        t.start();
        t.join();
        assertEquals(io.veloq.driver.iocp.win32.NtStatus.STATUS_PENDING, Structs.Overlapped.status(m, OV1), "no data yet: pending");
        m.put(DATA + 200, new byte[]{4, 5});
        Structs.WsaBuf.put(m, 1600, base + DATA + 200, 2);
        Structs.Overlapped.clear(m, OV2);
        boolean sent = w.wsaSend(pair[0], base + 1600, 1, 0, 0, base + OV2, 0) == 0;
        assertTrue(sent || w.wsaGetLastError() == WSA_IO_PENDING);
        int packets = 0;
        boolean recvSeen = false;
        while (packets < 2) {
            assertTrue(w.getQueuedCompletionStatusEx(owner, base + ENTRIES, 1, base + REMOVED, 2000, false),
                    "the Recv's and the Send's packets arrive at the owner's port");
            packets++;
            recvSeen |= m.getLong(ENTRIES + Structs.OverlappedEntry.OVERLAPPED) == base + OV1;
        }
        assertTrue(recvSeen, "the Recv started by the other thread completed on the owner's port");
        assertEquals(2, Structs.Overlapped.transferred(m, OV1), "and its bytes are in its OVERLAPPED");
        assertFalse(w.getQueuedCompletionStatusEx(other, base + ENTRIES, 16, base + REMOVED, 0, false),
                "nothing reaches the other port by itself");
        assertTrue(w.postQueuedCompletionStatus(other, 2, 1, base + OV1), "forwarded");
        assertTrue(w.getQueuedCompletionStatusEx(other, base + ENTRIES, 16, base + REMOVED, 0, false));
        assertEquals(base + OV1, m.getLong(ENTRIES + Structs.OverlappedEntry.OVERLAPPED));
        assertEquals(1, m.getLong(ENTRIES + Structs.OverlappedEntry.COMPLETION_KEY));
        // Once the owner's port is closed, the handle's packets go nowhere anyone can read.
        assertEquals(0, w.stats().lostPackets());
        assertTrue(w.closeHandle(owner));
        Structs.Overlapped.clear(m, OV1);
        m.putInt(FLAGS, 0);
        assertEquals(-1, w.wsaRecv(s, base + WSABUF, 1, 0, base + FLAGS, base + OV1, 0));
        assertEquals(WSA_IO_PENDING, w.wsaGetLastError());
        assertTrue(w.cancelIoEx(s, base + OV1), "cancel: " + w.lastError());
        assertEquals(1, w.stats().lostPackets(), "the cancelled Recv's packet is lost");
    }

    private long[] connectedPair(long port) {
        long l = listener();
        w.createIoCompletionPort(l, port, 1, 0);
        assertEquals(0, w.getsockname(l, base + ADDR, lenOf(128)));
        int len = m.getInt(LEN);
        long c = socket(AF_INET);
        assertEquals(0, w.bind(c, base + 1536, copyWildcard()));
        w.createIoCompletionPort(c, port, 2, 0);
        w.connectEx(fn(c, ExtensionFunction.CONNECT_EX), c, base + ADDR, len, 0, 0, base + BYTES, base + OV2);
        long a = socket(AF_INET);
        w.createIoCompletionPort(a, port, 3, 0);
        waitAccept(fn(l, ExtensionFunction.ACCEPT_EX), l, a);
        int got = 0;
        while (got < 2) {
            assertTrue(w.getQueuedCompletionStatusEx(port, base + ENTRIES, 16, base + REMOVED, 2000, false));
            got += m.getInt(REMOVED);
        }
        assertEquals(0, w.setsockopt(a, SOL_SOCKET, SO_UPDATE_ACCEPT_CONTEXT, putHandle(l), 8));
        assertEquals(0, w.setsockopt(c, SOL_SOCKET, SO_UPDATE_CONNECT_CONTEXT, 0, 0));
        return new long[]{c, a};
    }

    @Test
    void getQueuedCompletionStatusExReturnsUpToNEntries() {
        long port = w.createIoCompletionPort(-1, 0, 0, 1);
        for (int i = 0; i < 10; i++) {
            assertTrue(w.postQueuedCompletionStatus(port, i, 1000 + i, 0));
        }
        int[] batches = new int[3];
        for (int b = 0; b < 3; b++) {
            assertTrue(w.getQueuedCompletionStatusEx(port, base + ENTRIES, 4, base + REMOVED, 0, false));
            batches[b] = m.getInt(REMOVED);
        }
        assertEquals("[4, 4, 2]", java.util.Arrays.toString(batches));
        assertEquals(1009, m.getLong(ENTRIES + 32 + Structs.OverlappedEntry.COMPLETION_KEY), "FIFO order");
        assertFalse(w.getQueuedCompletionStatusEx(port, base + ENTRIES, 4, base + REMOVED, 0, false));
        assertEquals(WAIT_TIMEOUT, w.lastError());
        assertTrue(w.closeHandle(port));
        assertFalse(w.getQueuedCompletionStatusEx(port, base + ENTRIES, 4, base + REMOVED, 0, false));
        assertEquals(6, w.lastError(), "ERROR_INVALID_HANDLE on a closed port");
    }

    @Test
    void zeroByteCompletionWhenThePeerCloses() {
        long port = w.createIoCompletionPort(-1, 0, 0, 1);
        long[] pair = connectedPair(port);
        Structs.WsaBuf.put(m, WSABUF, base + DATA, 100);
        m.putInt(FLAGS, 0);
        Structs.Overlapped.clear(m, OV1);
        assertEquals(-1, w.wsaRecv(pair[1], base + WSABUF, 1, 0, base + FLAGS, base + OV1, 0));
        assertEquals(0, w.closesocket(pair[0]));
        assertTrue(w.getQueuedCompletionStatusEx(port, base + ENTRIES, 16, base + REMOVED, 2000, false));
        assertEquals(base + OV1, m.getLong(ENTRIES + 8));
        assertEquals(0, m.getInt(ENTRIES + 24), "0 bytes: the peer closed");
        assertEquals(0, Structs.Overlapped.status(m, OV1));
        assertEquals(-1, w.closesocket(pair[0]));
        assertEquals(Win32Constants.WSAENOTSOCK, w.wsaGetLastError(), "a closed socket is no socket");
    }

    @Test
    void soReuseAddrAndExclusiveAddrUseExcludeEachOtherAndPortStealingIsFlagged() {
        long l = listener();
        int port = w.boundAddress(l).getPort();
        long thief = socket(AF_INET);
        m.putInt(DATA, 1);
        assertEquals(0, w.setsockopt(thief, SOL_SOCKET, SO_REUSEADDR, base + DATA, 4));
        assertEquals(-1, w.setsockopt(thief, SOL_SOCKET, SO_EXCLUSIVEADDRUSE, base + DATA, 4));
        assertEquals(10022, w.wsaGetLastError(), "WSAEINVAL: SO_EXCLUSIVEADDRUSE after SO_REUSEADDR");
        assertEquals(-1, w.bind(thief, base + ADDR, putAddr(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), AF_INET)));
        assertEquals(10048, w.wsaGetLastError());
        assertEquals(1, w.failures().size(), "the port-stealing bind is recorded: " + w.failures());
        assertTrue(w.failures().get(0).contains("steal"), w.failures().toString());
        w.close();
        w = new SimWin32(); // this test's recorded failure is the expected one
    }

    @Test
    void connectOnADatagramSocketThenRecvAndSend() {
        long a = w.wsaSocketW(AF_INET, SOCK_DGRAM, IPPROTO_UDP, 0, 0, WSA_FLAG_OVERLAPPED);
        long b = w.wsaSocketW(AF_INET, SOCK_DGRAM, IPPROTO_UDP, 0, 0, WSA_FLAG_OVERLAPPED);
        InetSocketAddress any = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
        assertEquals(0, w.bind(b, base + ADDR, putAddr(any, AF_INET)));
        assertEquals(0, w.connect(a, base + ADDR, putAddr(w.boundAddress(b), AF_INET)), "connect: " + w.wsaGetLastError());
        assertTrue(w.boundAddress(a) != null, "connect binds an unbound datagram socket");
        long s = socket(AF_INET);
        assertEquals(-1, w.connect(s, base + ADDR, putAddr(w.boundAddress(b), AF_INET)));
        assertEquals(10045, w.wsaGetLastError(), "no blocking connect on a stream socket");
        assertEquals(1, w.failures().size(), w.failures().toString());
        w.close();
        w = new SimWin32();
    }

    /** #16 item 8: waits expire on the system clock tick, as on Windows (15.625 ms by default). */
    @Test
    void getQueuedCompletionStatusExTimeoutsExpireOnTheSystemTick() {
        long port = w.createIoCompletionPort(INVALID_HANDLE_VALUE, 0, 0, 1);
        long t0 = System.nanoTime();
        for (int i = 0; i < 10; i++) {
            assertFalse(w.getQueuedCompletionStatusEx(port, base + ENTRIES, 16, base + REMOVED, 1, false));
            assertEquals(WAIT_TIMEOUT, w.lastError());
        }
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertTrue(ms >= 9 * 15, "ten 1 ms waits last until the next tick each: " + ms + " ms");
        assertEquals(0, SimPortTicks.expiry(0, 20, 0) - 20_000_000L, "no tick: exact");
        long tick = SimWin32.DEFAULT_TICK_NANOS;
        long justBeforeATick = 10 * tick - 100_000; // 0.1 ms before a tick
        assertEquals(10 * tick, SimPortTicks.expiry(justBeforeATick, 1, tick),
                "a 1 ms wait started 0.1 ms before a tick ends on that tick: early");
        assertEquals(11 * tick, SimPortTicks.expiry(10 * tick, 1, tick), "one started on a tick lasts a whole tick");
        assertEquals(12 * tick, SimPortTicks.expiry(10 * tick + 1, 20, tick), "a 20 ms wait ends on the 2nd tick");
        assertTrue(w.closeHandle(port));
    }

    /** Lets the test see SimPort's tick arithmetic. */
    static final class SimPortTicks {
        static long expiry(long now, int millis, long tick) {
            return SimPort.expiry(now, millis, tick);
        }
    }
}
