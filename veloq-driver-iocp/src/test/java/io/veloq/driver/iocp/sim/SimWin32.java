package io.veloq.driver.iocp.sim;

import io.veloq.driver.iocp.win32.ExtensionFunction;
import io.veloq.driver.iocp.win32.Win32;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;

/**
 * An I/O completion port simulator that implements {@link Win32} by the documented semantics, on real
 * loopback sockets and files, so bytes really move and the driver's structures are really read and written
 * in native memory.
 *
 * <ul>
 *   <li>Completion packets carry the completion key, the OVERLAPPED address and the byte count; the status
 *       is left in OVERLAPPED.Internal (NTSTATUS) and the count in InternalHigh.</li>
 *   <li>An operation that can finish at once does (returns success); with
 *       FILE_SKIP_COMPLETION_PORT_ON_SUCCESS it then queues no packet. One that fails at once returns the
 *       error and queues nothing. Otherwise it returns ERROR_IO_PENDING and a packet follows.</li>
 *   <li>AcceptEx fails with WSAEINVAL unless the accept socket is unbound, unconnected and of the
 *       listener's family, and with WSAEFAULT if the address space is under sizeof(sockaddr) + 16.
 *       ConnectEx fails with WSAEINVAL on an unbound socket. getpeername and shutdown fail with WSAENOTCONN
 *       until SO_UPDATE_ACCEPT_CONTEXT / SO_UPDATE_CONNECT_CONTEXT.</li>
 *   <li>CancelIoEx and closesocket complete pending operations with STATUS_CANCELLED
 *       (ERROR_OPERATION_ABORTED); CancelIoEx with nothing pending fails with ERROR_NOT_FOUND.</li>
 *   <li>GetQueuedCompletionStatusEx returns up to N entries, or FALSE with WAIT_TIMEOUT.</li>
 *   <li>WSARecv on a connection the peer closed completes with 0 bytes.</li>
 *   <li>{@code connect} works on datagram sockets only (the driver must never block a loop thread on a
 *       stream connect); WSARecv/WSASend then work on the connected datagram socket.</li>
 *   <li>SO_REUSEADDR and SO_EXCLUSIVEADDRUSE exclude each other (WSAEINVAL). A stream socket that binds an
 *       address in use while Winsock's SO_REUSEADDR is set would steal the port on Windows; the Linux
 *       socket underneath cannot, so the simulator fails the bind with WSAEADDRINUSE and records the unsafe
 *       call in {@link #failures()}.</li>
 *   <li>The extension functions are only callable through the pointers WSAIoctl handed out; any other
 *       pointer is a bug that would crash a real process, and throws here.</li>
 * </ul>
 * <ul>
 *   <li>Handle values are reused at once, most recently freed first, as the Windows handle table does: a
 *       stale handle value names whatever was opened next.</li>
 *   <li>A completion with a warning status (STATUS_BUFFER_OVERFLOW: WSAEMSGSIZE) is not NT_SUCCESS, so
 *       FILE_SKIP_COMPLETION_PORT_ON_SUCCESS does not suppress its packet even when it completes at once.</li>
 *   <li>An ICMP port unreachable for a datagram this socket sent fails its next receive with WSAECONNRESET,
 *       unless WSAIoctl(SIO_UDP_CONNRESET, FALSE) turned that off (SIO_UDP_NETRESET likewise is recorded).</li>
 *   <li>FlushFileBuffers, CreateFileW and a lingering closesocket block: {@link #holdBlockingCalls()} keeps
 *       them blocked, and a call from a thread that waits on a completion port (a loop thread) is recorded
 *       in {@link #failures()}.</li>
 *   <li>ReadFile/WriteFile complete at once part of the time (seeded), as cached reads and extending
 *       writes do on Windows.</li>
 *   <li>GetQueuedCompletionStatusEx timeouts expire on the system tick (15.625 ms by default), as every
 *       Windows wait does: up to a tick early or late.</li>
 *   <li>RtlNtStatusToDosError knows the statuses the simulator produces.</li>
 * </ul>
 *
 * <pre>{@code
 * try (SimWin32 sim = new SimWin32(SimWin32.Options.DEFAULTS)) {
 *     IocpDriverProvider p = IocpDriverProvider.withBinding(() -> sim, "simulator");
 * }
 * }</pre>
 */
public final class SimWin32 implements Win32 {
    /** Fake addresses of the extension functions; calling through them is checked, never jumped to. */
    public static final long ACCEPT_EX = 0x7FFA_0001_1000L;
    public static final long GET_ACCEPT_EX_SOCKADDRS = 0x7FFA_0001_2000L;
    public static final long CONNECT_EX = 0x7FFA_0001_3000L;
    static final int SIO_UDP_CONNRESET = 0x9800000C;
    static final int SIO_UDP_NETRESET = 0x9800000F;

    /** The default clock tick of Windows (64 Hz): waits expire on it. */
    public static final long DEFAULT_TICK_NANOS = 15_625_000L;

    /**
     * Simulation switches.
     *
     * @param ifsHandles    sockets report IFS handles (the driver may then use FILE_SKIP_COMPLETION_PORT_ON_SUCCESS)
     * @param seed          seeds the simulator's choices (which file I/O completes at once)
     * @param tickNanos     the system clock tick timeouts expire on; 0 for exact timeouts
     * @param fileSyncRatio the share of ReadFile/WriteFile calls that complete at once
     */
    public record Options(boolean ifsHandles, long seed, long tickNanos, double fileSyncRatio) {
        /** IFS handles, seed {@code -Dveloq.seed} or 42, the 15.625 ms tick, half the file I/O at once. */
        public static final Options DEFAULTS = new Options(true);

        public Options(boolean ifsHandles) {
            this(ifsHandles, Long.getLong("veloq.seed", 42), DEFAULT_TICK_NANOS, 0.5);
        }

        public Options withTick(long nanos) {
            return new Options(ifsHandles, seed, nanos, fileSyncRatio);
        }

        public Options withFileSyncRatio(double ratio) {
            return new Options(ifsHandles, seed, tickNanos, ratio);
        }
    }

    final Options options;
    final SimStats stats = new SimStats();
    final SimReactor reactor;
    private final ConcurrentHashMap<Long, SimHandle> handles = new ConcurrentHashMap<>();
    private long nextHandle = 0x100;
    private final java.util.ArrayDeque<Long> freedHandles = new java.util.ArrayDeque<>();
    private final java.util.Random random;
    final SimBlocking blocking = new SimBlocking(this);
    private final SimFiles files = new SimFiles(this);
    private final SimOverlappedCalls calls = new SimOverlappedCalls(this);
    private final ThreadLocal<int[]> lastError = ThreadLocal.withInitial(() -> new int[1]);
    private final List<String> failures = Collections.synchronizedList(new ArrayList<>());
    private volatile boolean closed;

    public SimWin32(Options options) {
        this.options = options;
        this.random = new java.util.Random(options.seed() ^ 0x5EED_F11EL);
        this.reactor = new SimReactor(this, "iocp-simulator");
    }

    public SimWin32() {
        this(Options.DEFAULTS);
    }

    public SimStats stats() {
        return stats;
    }

    /** Unexpected exceptions inside the simulator (a test asserts there were none). */
    public List<String> failures() {
        synchronized (failures) {
            return List.copyOf(failures);
        }
    }

    /** Handles still open (sockets, files, ports). */
    public int openHandles() {
        return handles.size();
    }

    /** Packets waiting in the port {@code port}. */
    public int queued(long port) {
        return handles.get(port) instanceof SimPort p ? p.queued() : -1;
    }

    void failure(String what, Throwable t) {
        failures.add(what + ": " + t);
    }

    @Override
    public String description() {
        return "IOCP simulator on loopback sockets (ifsHandles=" + options.ifsHandles() + ")";
    }

    /** Whether the socket or file {@code h} is open. */
    public boolean isOpen(long h) {
        SimHandle x = handles.get(h);
        return x != null && !(x instanceof SimPort);
    }

    /** Whether {@code h} is associated with a completion port. */
    public boolean isAssociated(long h) {
        SimHandle x = handles.get(h);
        return x != null && x.port() != null;
    }

    /** Whether {@code h} has FILE_SKIP_COMPLETION_PORT_ON_SUCCESS set. */
    public boolean skipsCompletionPortOnSuccess(long h) {
        SimHandle x = handles.get(h);
        return x != null && x.skipsOnSuccess();
    }

    /** Whether the datagram socket {@code s} still reports ICMP port unreachable (SIO_UDP_CONNRESET) / TTL expired (SIO_UDP_NETRESET). */
    public boolean[] udpResetReporting(long s) {
        SimSocket sock = socket(s);
        return sock == null ? null : sock.resetReporting();
    }

    /**
     * The next completion of an overlapped operation on {@code h} ends with {@code ntStatus} instead of its
     * real outcome (a device error, a full disk, a status the driver must translate).
     */
    public void failNextCompletion(long h, int ntStatus) {
        handles.get(h).injectStatus(ntStatus);
    }

    /**
     * Keeps FlushFileBuffers, CreateFileW and lingering closesocket calls blocked (at most 5 s each) until the
     * returned handle is closed, as a slow disk or a peer that does not read would.
     */
    public AutoCloseable holdBlockingCalls() {
        return blocking.hold();
    }

    /** A call that blocks on Windows: flagged when a loop thread makes it, held while the test says so. */
    void blockingCall(String what) {
        stats.blockingCalls.incrementAndGet();
        blocking.enter(what);
    }

    /** Seeded: does this ReadFile/WriteFile complete at once? */
    boolean fileCompletesAtOnce() {
        synchronized (random) {
            return random.nextDouble() < options.fileSyncRatio();
        }
    }

    // ---- plumbing ----

    /** The most recently freed value first, as Windows' handle table hands them out. */
    long newHandle() {
        synchronized (freedHandles) {
            Long reused = freedHandles.pollFirst();
            if (reused != null) {
                return reused;
            }
            long h = nextHandle;
            nextHandle += 4;
            return h;
        }
    }

    private void freeHandle(long h) {
        synchronized (freedHandles) {
            freedHandles.addFirst(h);
        }
    }

    boolean fail(int code) {
        lastError.get()[0] = code;
        return false;
    }

    void ok() {
        lastError.get()[0] = 0;
    }

    /** Records a new kernel object under its handle value. */
    void put(SimHandle h) {
        handles.put(h.value, h);
    }

    SimHandle handle(long h) {
        return handles.get(h);
    }

    /** Sets GetLastError() for this thread (a call that succeeded with an informational code). */
    void lastError(int code) {
        lastError.get()[0] = code;
    }

    SimSocket socket(long s) {
        return handles.get(s) instanceof SimSocket sock ? sock : null;
    }

    @Override
    public int lastError() {
        return lastError.get()[0];
    }

    @Override
    public int wsaGetLastError() {
        return lastError.get()[0];
    }

    // ---- kernel32 ----

    @Override
    public long createIoCompletionPort(long fileHandle, long existingCompletionPort, long completionKey, int threads) {
        if (fileHandle == -1) {
            if (existingCompletionPort != 0) {
                fail(87);
                return 0;
            }
            long h = newHandle();
            handles.put(h, new SimPort(this, h));
            ok();
            return h;
        }
        SimHandle target = handles.get(fileHandle);
        if (target == null || target instanceof SimPort) {
            fail(6); // ERROR_INVALID_HANDLE
            return 0;
        }
        if (!(handles.get(existingCompletionPort) instanceof SimPort port)) {
            fail(87);
            return 0;
        }
        if (!target.associate(port, completionKey)) {
            fail(87); // ERROR_INVALID_PARAMETER: already associated with a port
            return 0;
        }
        ok();
        return existingCompletionPort;
    }

    @Override
    public boolean getQueuedCompletionStatusEx(long completionPort, long entries, int count, long numEntriesRemoved,
                                               int milliseconds, boolean alertable) {
        if (!(handles.get(completionPort) instanceof SimPort port)) {
            return fail(6);
        }
        if (count <= 0 || entries == 0 || numEntriesRemoved == 0) {
            return fail(87);
        }
        blocking.loopThread(Thread.currentThread());
        stats.waits.incrementAndGet();
        int n;
        try {
            n = port.take(entries, count, milliseconds, options.tickNanos());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return fail(995);
        }
        if (n < 0) {
            return fail(735); // ERROR_ABANDONED_WAIT_0: the port was closed
        }
        if (n == 0) {
            return fail(258); // WAIT_TIMEOUT
        }
        stats.entriesDequeued.addAndGet(n);
        stats.largestBatch.accumulateAndGet(n, Math::max);
        SimMemory.putInt(numEntriesRemoved, n);
        ok();
        return true;
    }

    @Override
    public boolean postQueuedCompletionStatus(long completionPort, int bytes, long completionKey, long overlapped) {
        if (!(handles.get(completionPort) instanceof SimPort port)) {
            return fail(6);
        }
        port.post(completionKey, overlapped, Integer.toUnsignedLong(bytes), 0, false);
        ok();
        return true;
    }

    @Override
    public boolean cancelIoEx(long handle, long overlapped) {
        SimHandle h = handles.get(handle);
        boolean any;
        if (h instanceof SimSocket s) {
            any = s.cancel(overlapped);
        } else if (h instanceof SimFile f) {
            any = f.cancel(overlapped);
        } else {
            return fail(6);
        }
        if (!any) {
            return fail(1168); // ERROR_NOT_FOUND
        }
        ok();
        return true;
    }

    @Override
    public long createFileW(long fileName, int desiredAccess, int shareMode, long securityAttributes,
                            int creationDisposition, int flagsAndAttributes, long templateFile) {
        return files.createFileW(fileName, desiredAccess, creationDisposition, flagsAndAttributes);
    }

    @Override
    public boolean readFile(long handle, long buffer, int bytesToRead, long bytesRead, long overlapped) {
        return files.transfer(SimOp.Kind.READ_FILE, handle, buffer, bytesToRead, overlapped);
    }

    @Override
    public boolean writeFile(long handle, long buffer, int bytesToWrite, long bytesWritten, long overlapped) {
        return files.transfer(SimOp.Kind.WRITE_FILE, handle, buffer, bytesToWrite, overlapped);
    }

    @Override
    public boolean flushFileBuffers(long handle) {
        return files.flush(handle);
    }

    @Override
    public boolean closeHandle(long handle) {
        SimHandle h = handles.remove(handle);
        if (h == null) {
            return fail(6);
        }
        if (h instanceof SimPort p) {
            p.close();
        } else if (h instanceof SimFile f) {
            f.close();
        } else if (h instanceof SimSocket s) {
            s.close();
        }
        freeHandle(handle);
        ok();
        return true;
    }

    /**
     * {@code RtlNtStatusToDosError} for the statuses this simulator produces and those the driver's tests
     * inject; facility 7 (FACILITY_NTWIN32) statuses carry the Win32 code in their low word;
     * ERROR_MR_MID_NOT_FOUND (317) for anything else, as ntdll does.
     */
    @Override
    public int rtlNtStatusToDosError(int status) {
        return SimFailure.dosError(status);
    }

    @Override
    public boolean setFileCompletionNotificationModes(long handle, int flags) {
        SimHandle h = handles.get(handle);
        if (h == null || h instanceof SimPort) {
            return fail(6);
        }
        h.skipOnSuccess((flags & 0x1) != 0);
        ok();
        return true;
    }

    // ---- ws2_32 ----

    @Override
    public long wsaSocketW(int af, int type, int protocol, long protocolInfo, int group, int flags) {
        if (af != SimAddresses.AF_INET && af != SimAddresses.AF_INET6) {
            fail(10047); // WSAEAFNOSUPPORT
            return -1;
        }
        if (type == 1 ? !(protocol == 0 || protocol == 6) : type == 2 ? !(protocol == 0 || protocol == 17) : true) {
            fail(type == 1 || type == 2 ? 10043 : 10044);
            return -1;
        }
        if (protocolInfo != 0 || group != 0) {
            fail(10022);
            return -1;
        }
        try {
            long h = newHandle();
            handles.put(h, new SimSocket(this, h, af, type));
            ok();
            return h;
        } catch (IOException e) {
            fail(10024); // WSAEMFILE
            return -1;
        }
    }

    int wsa(int code) {
        lastError.get()[0] = code;
        return -1;
    }

    @Override
    public int wsaIoctl(long s, int ioControlCode, long inBuffer, int inBufferLength, long outBuffer,
                        int outBufferLength, long bytesReturned, long overlapped, long completionRoutine) {
        SimSocket target = socket(s);
        if (target == null) {
            return wsa(10038);
        }
        if (ioControlCode == SIO_UDP_CONNRESET || ioControlCode == SIO_UDP_NETRESET) {
            if (inBuffer == 0 || inBufferLength < 4) {
                return wsa(10014);
            }
            try {
                target.setResetReporting(ioControlCode == SIO_UDP_CONNRESET, SimMemory.getInt(inBuffer) != 0);
            } catch (SimError e) {
                return wsa(e.code);
            }
            if (bytesReturned != 0) {
                SimMemory.putInt(bytesReturned, 0);
            }
            ok();
            return 0;
        }
        if (ioControlCode != 0xC8000006) {
            return wsa(10045);
        }
        if (inBuffer == 0 || inBufferLength != 16 || outBuffer == 0 || outBufferLength < 8) {
            return wsa(10014);
        }
        ExtensionFunction f = ExtensionFunction.ofGuid(SimMemory.bytes(inBuffer, 16));
        if (f == null) {
            return wsa(10022);
        }
        long pointer = switch (f) {
            case ACCEPT_EX -> ACCEPT_EX;
            case GET_ACCEPT_EX_SOCKADDRS -> GET_ACCEPT_EX_SOCKADDRS;
            case CONNECT_EX -> CONNECT_EX;
        };
        SimMemory.putLong(outBuffer, pointer);
        if (bytesReturned != 0) {
            SimMemory.putInt(bytesReturned, 8);
        }
        ok();
        return 0;
    }

    @Override
    public int closesocket(long s) {
        SimHandle h = handles.get(s);
        if (!(h instanceof SimSocket sock)) {
            return wsa(10038);
        }
        if (sock.lingersOnClose()) {
            // SO_LINGER on with a timeout: closesocket on a blocking-mode socket waits for the peer to take the data
            blockingCall("closesocket(0x" + Long.toHexString(s) + ") with SO_LINGER");
        }
        handles.remove(s);
        sock.close();
        freeHandle(s);
        ok();
        return 0;
    }

    @Override
    public int shutdown(long s, int how) {
        SimSocket sock = socket(s);
        if (sock == null) {
            return wsa(10038);
        }
        if (how < 0 || how > 2) {
            return wsa(10022);
        }
        try {
            sock.shutdown(how);
            ok();
            return 0;
        } catch (SimError e) {
            return wsa(e.code);
        }
    }

    @Override
    public int setsockopt(long s, int level, int optionName, long optionValue, int optionLength) {
        SimSocket sock = socket(s);
        if (sock == null) {
            return wsa(10038);
        }
        try {
            sock.setOption(level, optionName, optionValue, optionLength);
            ok();
            return 0;
        } catch (SimError e) {
            return wsa(e.code);
        }
    }

    @Override
    public int getsockopt(long s, int level, int optionName, long optionValue, long optionLength) {
        SimSocket sock = socket(s);
        if (sock == null) {
            return wsa(10038);
        }
        if (optionValue == 0 || optionLength == 0) {
            return wsa(10014);
        }
        try {
            sock.getOption(level, optionName, optionValue, optionLength);
            ok();
            return 0;
        } catch (SimError e) {
            return wsa(e.code);
        }
    }

    @Override
    public int bind(long s, long name, int nameLength) {
        SimSocket sock = socket(s);
        if (sock == null) {
            return wsa(10038);
        }
        try {
            sock.bind(SimAddresses.read(name, nameLength, sock.family));
            ok();
            return 0;
        } catch (SimError e) {
            return wsa(e.code);
        }
    }

    @Override
    public int connect(long s, long name, int nameLength) {
        SimSocket sock = socket(s);
        if (sock == null) {
            return wsa(10038);
        }
        if (sock.isStream()) {
            // A blocking connect would stall the loop thread on Windows (sockets start in blocking mode).
            failure("connect on stream socket 0x" + Long.toHexString(s),
                    new IllegalStateException("the driver must use ConnectEx on stream sockets"));
            return wsa(10045);
        }
        try {
            sock.connectDatagram(SimAddresses.read(name, nameLength, sock.family));
            ok();
            return 0;
        } catch (SimError e) {
            return wsa(e.code);
        }
    }

    @Override
    public int listen(long s, int backlog) {
        SimSocket sock = socket(s);
        if (sock == null) {
            return wsa(10038);
        }
        try {
            sock.listen(backlog);
            ok();
            return 0;
        } catch (SimError e) {
            return wsa(e.code);
        }
    }

    @Override
    public int getsockname(long s, long name, long nameLength) {
        SimSocket sock = socket(s);
        if (sock == null) {
            return wsa(10038);
        }
        try {
            SimAddresses.write(sock.localAddress(), sock.family, name, nameLength);
            ok();
            return 0;
        } catch (SimError e) {
            return wsa(e.code);
        }
    }

    @Override
    public int getpeername(long s, long name, long nameLength) {
        SimSocket sock = socket(s);
        if (sock == null) {
            return wsa(10038);
        }
        try {
            SimAddresses.write(sock.remoteAddress(), sock.family, name, nameLength);
            ok();
            return 0;
        } catch (SimError e) {
            return wsa(e.code);
        }
    }

    // ---- overlapped Winsock calls: SimOverlappedCalls ----

    @Override
    public int wsaRecv(long s, long buffers, int bufferCount, long bytesRecvd, long flags, long overlapped,
                       long completionRoutine) {
        return calls.wsaRecv(s, buffers, bufferCount, bytesRecvd, flags, overlapped, completionRoutine);
    }

    @Override
    public int wsaSend(long s, long buffers, int bufferCount, long bytesSent, int flags, long overlapped,
                       long completionRoutine) {
        return calls.wsaSend(s, buffers, bufferCount, bytesSent, flags, overlapped, completionRoutine);
    }

    @Override
    public int wsaRecvFrom(long s, long buffers, int bufferCount, long bytesRecvd, long flags, long from,
                           long fromLength, long overlapped, long completionRoutine) {
        return calls.wsaRecvFrom(s, buffers, bufferCount, bytesRecvd, flags, from, fromLength, overlapped,
                completionRoutine);
    }

    @Override
    public int wsaSendTo(long s, long buffers, int bufferCount, long bytesSent, int flags, long to, int toLength,
                         long overlapped, long completionRoutine) {
        return calls.wsaSendTo(s, buffers, bufferCount, bytesSent, flags, to, toLength, overlapped, completionRoutine);
    }

    @Override
    public boolean acceptEx(long function, long listenSocket, long acceptSocket, long outputBuffer,
                            int receiveDataLength, int localAddressLength, int remoteAddressLength,
                            long bytesReceived, long overlapped) {
        return calls.acceptEx(function, listenSocket, acceptSocket, outputBuffer, receiveDataLength,
                localAddressLength, remoteAddressLength, bytesReceived, overlapped);
    }

    @Override
    public void getAcceptExSockaddrs(long function, long outputBuffer, int receiveDataLength,
                                     int localAddressLength, int remoteAddressLength, long localSockaddr,
                                     long localSockaddrLength, long remoteSockaddr, long remoteSockaddrLength) {
        calls.getAcceptExSockaddrs(function, outputBuffer, receiveDataLength, localAddressLength, remoteAddressLength,
                localSockaddr, localSockaddrLength, remoteSockaddr, remoteSockaddrLength);
    }

    @Override
    public boolean connectEx(long function, long s, long name, int nameLength, long sendBuffer, int sendDataLength,
                             long bytesSent, long overlapped) {
        return calls.connectEx(function, s, name, nameLength, sendBuffer, sendDataLength, bytesSent, overlapped);
    }

    /** True if an IPV6_V6ONLY socket listens on {@code port}: an IPv4 connect there is refused, as on Windows. */
    boolean refusedByIpv6OnlyListener(int port) {
        for (SimHandle h : handles.values()) {
            if (h instanceof SimSocket other && other.ipv6OnlyListenerOn(port)) {
                return true;
            }
        }
        return false;
    }

    // ---- lifecycle ----

    /** Closes every handle still open and stops the reactor. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (Long h : List.copyOf(handles.keySet())) {
            closeHandle(h);
        }
        reactor.close();
    }

    /** Test helper: the address a simulated socket is bound to (null when unknown or unbound). */
    public InetSocketAddress boundAddress(long s) {
        SimSocket sock = socket(s);
        if (sock == null) {
            return null;
        }
        try {
            return sock.localAddress();
        } catch (SimError e) {
            return null;
        }
    }
}
