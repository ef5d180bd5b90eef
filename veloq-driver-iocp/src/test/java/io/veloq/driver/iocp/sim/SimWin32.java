package io.veloq.driver.iocp.sim;

import io.veloq.driver.iocp.win32.ExtensionFunction;
import io.veloq.driver.iocp.win32.Win32;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

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
 * Handle values are unique for the simulator's lifetime (Windows reuses them; tests prefer not to).
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

    /** Simulation switches. */
    public record Options(boolean ifsHandles) {
        /** Sockets report IFS handles, so the driver turns on FILE_SKIP_COMPLETION_PORT_ON_SUCCESS. */
        public static final Options DEFAULTS = new Options(true);
    }

    /** What happened, for tests that check both completion paths ran. */
    public static final class Stats {
        final AtomicLong queuedPackets = new AtomicLong();
        final AtomicLong skippedPackets = new AtomicLong();
        final AtomicLong succeededAtOnce = new AtomicLong();
        final AtomicLong pended = new AtomicLong();
        final AtomicLong cancelled = new AtomicLong();
        final AtomicLong entriesDequeued = new AtomicLong();
        final AtomicLong largestBatch = new AtomicLong();

        public long queuedPackets() {
            return queuedPackets.get();
        }

        public long skippedPackets() {
            return skippedPackets.get();
        }

        public long succeededAtOnce() {
            return succeededAtOnce.get();
        }

        public long pended() {
            return pended.get();
        }

        public long cancelled() {
            return cancelled.get();
        }

        public long largestBatch() {
            return largestBatch.get();
        }

        @Override
        public String toString() {
            return "queued packets " + queuedPackets + ", skipped packets " + skippedPackets + ", succeeded at once "
                    + succeededAtOnce + ", pended " + pended + ", cancelled " + cancelled + ", largest batch "
                    + largestBatch;
        }
    }

    final Options options;
    final Stats stats = new Stats();
    final SimReactor reactor;
    private final ConcurrentHashMap<Long, SimHandle> handles = new ConcurrentHashMap<>();
    private final AtomicLong nextHandle = new AtomicLong(0x100);
    private final ThreadLocal<int[]> lastError = ThreadLocal.withInitial(() -> new int[1]);
    private final List<String> failures = Collections.synchronizedList(new ArrayList<>());
    private volatile boolean closed;

    public SimWin32(Options options) {
        this.options = options;
        this.reactor = new SimReactor(this, "iocp-simulator");
    }

    public SimWin32() {
        this(Options.DEFAULTS);
    }

    public Stats stats() {
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

    // ---- plumbing ----

    private long newHandle() {
        return nextHandle.getAndAdd(4);
    }

    private boolean fail(int code) {
        lastError.get()[0] = code;
        return false;
    }

    private void ok() {
        lastError.get()[0] = 0;
    }

    private SimSocket socket(long s) {
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
        int n;
        try {
            n = port.take(entries, count, milliseconds);
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
        port.post(completionKey, overlapped, Integer.toUnsignedLong(bytes), 0);
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
        String name = utf16z(fileName);
        Path path = Path.of(name);
        boolean read = (desiredAccess & 0x80000000) != 0;
        boolean write = (desiredAccess & 0x40000000) != 0;
        if ((flagsAndAttributes & 0x40000000) == 0) {
            throw new UnsupportedOperationException("simulator: CreateFileW without FILE_FLAG_OVERLAPPED is not modelled");
        }
        Set<OpenOption> opts = new HashSet<>();
        if (read) {
            opts.add(StandardOpenOption.READ);
        }
        if (write) {
            opts.add(StandardOpenOption.WRITE);
        }
        boolean existed = Files.exists(path);
        switch (creationDisposition) {
            case 1 -> opts.add(StandardOpenOption.CREATE_NEW);
            case 2 -> {
                opts.add(StandardOpenOption.CREATE);
                opts.add(StandardOpenOption.TRUNCATE_EXISTING);
            }
            case 3 -> { }
            case 4 -> opts.add(StandardOpenOption.CREATE);
            case 5 -> opts.add(StandardOpenOption.TRUNCATE_EXISTING);
            default -> {
                fail(87);
                return -1;
            }
        }
        if ((creationDisposition == 2 || creationDisposition == 5) && !write) {
            fail(87);
            return -1;
        }
        if ((flagsAndAttributes & 0x04000000) != 0) {
            opts.add(StandardOpenOption.DELETE_ON_CLOSE);
        }
        if ((flagsAndAttributes & 0x80000000) != 0) {
            opts.add(StandardOpenOption.DSYNC);
        }
        try {
            if (Files.isDirectory(path)) {
                fail(5);
                return -1;
            }
            FileChannel ch = FileChannel.open(path, opts);
            long h = newHandle();
            handles.put(h, new SimFile(this, h, ch, read, write));
            lastError.get()[0] = existed && (creationDisposition == 2 || creationDisposition == 4) ? 183 : 0;
            return h;
        } catch (NoSuchFileException e) {
            Path parent = path.toAbsolutePath().getParent();
            fail(parent != null && Files.isDirectory(parent) ? 2 : 3);
        } catch (FileAlreadyExistsException e) {
            fail(80);
        } catch (AccessDeniedException e) {
            fail(5);
        } catch (FileSystemException e) {
            fail(5);
        } catch (IOException e) {
            fail(31);
        }
        return -1;
    }

    private static String utf16z(long address) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 32767; i++) {
            ByteBuffer b = SimMemory.view(address + 2L * i, 2);
            char c = (char) (Short.toUnsignedInt(b.getShort(0)));
            if (c == 0) {
                byte[] bytes = SimMemory.bytes(address, 2 * i);
                return new String(bytes, StandardCharsets.UTF_16LE);
            }
            sb.append(c);
        }
        throw new IllegalStateException("CreateFileW file name is not NUL-terminated within 32767 characters");
    }

    @Override
    public boolean readFile(long handle, long buffer, int bytesToRead, long bytesRead, long overlapped) {
        return fileOp(SimOp.Kind.READ_FILE, handle, buffer, bytesToRead, overlapped);
    }

    @Override
    public boolean writeFile(long handle, long buffer, int bytesToWrite, long bytesWritten, long overlapped) {
        return fileOp(SimOp.Kind.WRITE_FILE, handle, buffer, bytesToWrite, overlapped);
    }

    private boolean fileOp(SimOp.Kind kind, long handle, long buffer, int length, long overlapped) {
        if (!(handles.get(handle) instanceof SimFile f)) {
            return fail(6);
        }
        if (overlapped == 0) {
            throw new UnsupportedOperationException("simulator: ReadFile/WriteFile without an OVERLAPPED is not modelled");
        }
        SimOp op = new SimOp(kind, overlapped);
        ByteBuffer ov = SimMemory.view(overlapped, 32);
        long offset = Integer.toUnsignedLong(ov.getInt(16)) | (Integer.toUnsignedLong(ov.getInt(20)) << 32);
        op.fileOffset = offset == -1L ? -1 : offset;
        op.bufferAddress = buffer;
        op.length = length;
        try {
            f.start(op);
            return fail(997); // ERROR_IO_PENDING
        } catch (SimError e) {
            return fail(e.code);
        }
    }

    @Override
    public boolean flushFileBuffers(long handle) {
        if (!(handles.get(handle) instanceof SimFile f)) {
            return fail(6);
        }
        try {
            f.flush();
            ok();
            return true;
        } catch (SimError e) {
            return fail(e.code);
        }
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
        ok();
        return true;
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

    private int wsa(int code) {
        lastError.get()[0] = code;
        return -1;
    }

    /** Runs a Winsock start call: 0 if it completed at once, -1 with WSA_IO_PENDING or the error. */
    private int startOn(SimSocket s, SimOp op) {
        try {
            if (s.start(op)) {
                ok();
                return 0;
            }
            return wsa(997);
        } catch (SimError e) {
            return wsa(e.code);
        }
    }

    @Override
    public int wsaRecv(long s, long buffers, int bufferCount, long bytesRecvd, long flags, long overlapped,
                       long completionRoutine) {
        SimSocket sock = socket(s);
        if (sock == null) {
            return wsa(10038);
        }
        if (overlapped == 0 || completionRoutine != 0 || bufferCount < 1 || flags == 0) {
            return wsa(10022);
        }
        if (SimMemory.getInt(flags) != 0) {
            return wsa(10045); // MSG_PEEK/MSG_OOB/MSG_WAITALL are not modelled
        }
        try {
            sock.checkCanRecv(false);
        } catch (SimError e) {
            return wsa(e.code);
        }
        SimOp op = new SimOp(SimOp.Kind.RECV, overlapped);
        op.buffers = SimMemory.wsaBufs(buffers, bufferCount);
        int rc = startOn(sock, op);
        if (rc == 0 && bytesRecvd != 0) {
            SimMemory.putInt(bytesRecvd, (int) op.bytes);
        }
        return rc;
    }

    @Override
    public int wsaSend(long s, long buffers, int bufferCount, long bytesSent, int flags, long overlapped,
                       long completionRoutine) {
        SimSocket sock = socket(s);
        if (sock == null) {
            return wsa(10038);
        }
        if (overlapped == 0 || completionRoutine != 0 || bufferCount < 1) {
            return wsa(10022);
        }
        if (flags != 0) {
            return wsa(10045);
        }
        try {
            sock.checkCanSend(false);
        } catch (SimError e) {
            return wsa(e.code);
        }
        SimOp op = new SimOp(SimOp.Kind.SEND, overlapped);
        op.buffers = SimMemory.wsaBufs(buffers, bufferCount);
        for (ByteBuffer b : op.buffers) {
            op.total += b.remaining();
        }
        int rc = startOn(sock, op);
        if (rc == 0 && bytesSent != 0) {
            SimMemory.putInt(bytesSent, (int) op.bytes);
        }
        return rc;
    }

    @Override
    public int wsaRecvFrom(long s, long buffers, int bufferCount, long bytesRecvd, long flags, long from,
                           long fromLength, long overlapped, long completionRoutine) {
        SimSocket sock = socket(s);
        if (sock == null) {
            return wsa(10038);
        }
        if (overlapped == 0 || completionRoutine != 0 || bufferCount != 1 || flags == 0 || from == 0
                || fromLength == 0) {
            return wsa(10022);
        }
        if (SimMemory.getInt(fromLength) < SimAddresses.length(sock.family)) {
            return wsa(10014);
        }
        try {
            sock.checkCanRecv(true);
        } catch (SimError e) {
            return wsa(e.code);
        }
        SimOp op = new SimOp(SimOp.Kind.RECV_FROM, overlapped);
        op.buffers = SimMemory.wsaBufs(buffers, bufferCount);
        op.fromAddress = from;
        op.fromLengthAddress = fromLength;
        return startOn(sock, op);
    }

    @Override
    public int wsaSendTo(long s, long buffers, int bufferCount, long bytesSent, int flags, long to, int toLength,
                         long overlapped, long completionRoutine) {
        SimSocket sock = socket(s);
        if (sock == null) {
            return wsa(10038);
        }
        if (overlapped == 0 || completionRoutine != 0 || bufferCount != 1 || flags != 0) {
            return wsa(10022);
        }
        SimOp op = new SimOp(SimOp.Kind.SEND_TO, overlapped);
        try {
            sock.checkCanSend(true);
            op.to = SimAddresses.read(to, toLength, sock.family);
        } catch (SimError e) {
            return wsa(e.code);
        }
        op.buffers = SimMemory.wsaBufs(buffers, bufferCount);
        return startOn(sock, op);
    }

    @Override
    public int wsaIoctl(long s, int ioControlCode, long inBuffer, int inBufferLength, long outBuffer,
                        int outBufferLength, long bytesReturned, long overlapped, long completionRoutine) {
        if (socket(s) == null) {
            return wsa(10038);
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
        handles.remove(s);
        sock.close();
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

    // ---- extension functions ----

    private static void checkPointer(long function, long expected, String name) {
        if (function != expected) {
            throw new IllegalStateException(name + " called through 0x" + Long.toHexString(function)
                    + ", which is not the pointer WSAIoctl returned for it (0x" + Long.toHexString(expected)
                    + "): on Windows this would jump to a wild address");
        }
    }

    @Override
    public boolean acceptEx(long function, long listenSocket, long acceptSocket, long outputBuffer,
                            int receiveDataLength, int localAddressLength, int remoteAddressLength,
                            long bytesReceived, long overlapped) {
        checkPointer(function, ACCEPT_EX, "AcceptEx");
        SimSocket listener = socket(listenSocket);
        SimSocket into = socket(acceptSocket);
        if (listener == null || into == null) {
            return wsa(10038) == 0;
        }
        if (receiveDataLength != 0) {
            throw new UnsupportedOperationException("simulator: AcceptEx with receive data is not modelled");
        }
        if (outputBuffer == 0 || overlapped == 0) {
            return wsa(10014) == 0;
        }
        try {
            listener.checkCanAcceptInto(into, localAddressLength, remoteAddressLength);
        } catch (SimError e) {
            return wsa(e.code) == 0;
        }
        SimOp op = new SimOp(SimOp.Kind.ACCEPT, overlapped);
        op.acceptSocket = into;
        op.acceptBuffer = outputBuffer;
        op.localLength = localAddressLength;
        op.remoteLength = remoteAddressLength;
        int rc = startOn(listener, op);
        if (rc == 0 && bytesReceived != 0) {
            SimMemory.putInt(bytesReceived, 0);
        }
        return rc == 0;
    }

    @Override
    public void getAcceptExSockaddrs(long function, long outputBuffer, int receiveDataLength,
                                     int localAddressLength, int remoteAddressLength, long localSockaddr,
                                     long localSockaddrLength, long remoteSockaddr, long remoteSockaddrLength) {
        checkPointer(function, GET_ACCEPT_EX_SOCKADDRS, "GetAcceptExSockaddrs");
        long local = outputBuffer + receiveDataLength;
        long remote = local + localAddressLength;
        int localLen = Short.toUnsignedInt(SimMemory.view(local + 8, 2).getShort(0));
        int remoteLen = Short.toUnsignedInt(SimMemory.view(remote + 8, 2).getShort(0));
        SimMemory.putLong(localSockaddr, localLen == 0 ? 0 : local + 10);
        SimMemory.putInt(localSockaddrLength, localLen);
        SimMemory.putLong(remoteSockaddr, remoteLen == 0 ? 0 : remote + 10);
        SimMemory.putInt(remoteSockaddrLength, remoteLen);
    }

    @Override
    public boolean connectEx(long function, long s, long name, int nameLength, long sendBuffer, int sendDataLength,
                             long bytesSent, long overlapped) {
        checkPointer(function, CONNECT_EX, "ConnectEx");
        SimSocket sock = socket(s);
        if (sock == null) {
            return wsa(10038) == 0;
        }
        if (sendBuffer != 0) {
            throw new UnsupportedOperationException("simulator: ConnectEx with send data is not modelled");
        }
        if (overlapped == 0) {
            return wsa(10022) == 0;
        }
        SimOp op = new SimOp(SimOp.Kind.CONNECT, overlapped);
        try {
            sock.checkCanConnect();
            op.to = SimAddresses.read(name, nameLength, sock.family);
        } catch (SimError e) {
            return wsa(e.code) == 0;
        }
        if (op.to.getAddress() instanceof java.net.Inet4Address && refusedByIpv6OnlyListener(op.to.getPort())) {
            return wsa(10061) == 0; // WSAECONNREFUSED: nobody listens on IPv4 there
        }
        int rc = startOn(sock, op);
        if (rc == 0 && bytesSent != 0) {
            SimMemory.putInt(bytesSent, 0);
        }
        return rc == 0;
    }

    private boolean refusedByIpv6OnlyListener(int port) {
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
