package io.veloq.driver.iocp;

import io.veloq.api.Capability;
import io.veloq.driver.iocp.win32.JnrWin32;
import io.veloq.driver.iocp.win32.NativeMemory;
import io.veloq.driver.iocp.win32.Structs;
import io.veloq.driver.iocp.win32.Win32;
import io.veloq.driver.iocp.win32.Win32Constants;
import io.veloq.spi.Availability;
import io.veloq.spi.Driver;
import io.veloq.spi.DriverConfig;
import io.veloq.spi.DriverProvider;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Supplier;

/**
 * The Windows I/O completion port driver, id {@code iocp}: overlapped Winsock and file I/O, completions
 * dequeued in batches with GetQueuedCompletionStatusEx.
 *
 * <h2>What it supports</h2>
 * Every op of the core API except the registered-resource ones: Nop, Timeout (a timer heap in the driver;
 * IOCP has none), Cancel (CancelIoEx), Socket, Accept (AcceptEx with a pre-created socket, see
 * {@code OpLifecycle}), Connect (ConnectEx after a wildcard bind), Shutdown, Recv/Send (WSARecv/WSASend),
 * RecvFrom/SendTo (WSARecvFrom/WSASendTo), Read/Write at an offset or the driver-tracked position
 * (ReadFile/WriteFile with OVERLAPPED offsets), Open (CreateFileW), Close, Fsync (FlushFileBuffers).
 * Capabilities: {@link Capability#FILE_IO}, {@link Capability#SOCKET_OPTIONS}, {@link Capability#DATAGRAM_SOCKETS}
 * and {@link Capability#IPV6_V6ONLY} (Winsock has it, on by default). Not {@link Capability#MESSAGE_FLAGS}: the
 * driver maps MSG_PEEK, MSG_WAITALL and MSG_OOB to Winsock's, but MSG_WAITALL on overlapped sockets is not
 * verified (the simulator refuses flags), so the runtime refuses Recv/Send with flags on this driver.
 *
 * <h2>What it refuses, and how</h2>
 * The runtime refuses an op that needs a capability this driver does not report before the driver sees it
 * ({@code NOT_SUPPORTED}, the message naming the capability); the driver's own refusals below remain for a
 * caller that reaches it directly.
 * <ul>
 *   <li>{@link io.veloq.api.IoFd.Fixed}: Windows has no registered-file table. An op naming one completes
 *       with {@code ERROR_NOT_SUPPORTED} (kind {@code NOT_SUPPORTED}); socket-control calls throw
 *       {@link UnsupportedOperationException}. {@link Capability#FIXED_FILES} is not reported.</li>
 *   <li>{@code ReadFixed}/{@code WriteFixed}: no registered buffers (RIO is future work);
 *       {@code ERROR_NOT_SUPPORTED}. {@link Capability#REGISTERED_BUFFERS} is not reported.</li>
 *   <li>Unix-domain sockets: {@code WSAEAFNOSUPPORT}. {@link Capability#UNIX_SOCKETS} is not reported.</li>
 * </ul>
 *
 * <h2>Handles</h2>
 * The drivers use only the sockets and files they created (Socket, Accept, Open) or that the application
 * adopted with {@link #adopt}: Windows hands a closed handle's value to the next handle opened anywhere in
 * the process, so a stale {@code IoFd} must never close or capture it. An op on any other handle fails with
 * WSAENOTSOCK or ERROR_INVALID_HANDLE. All providers with the real bindings share one handle table, so a
 * handle adopted through one is known to every iocp runtime of the process.
 *
 * <h2>Timers</h2>
 * Completion-port waits, and so {@code Timeout} ops and deadlines, follow the system clock tick: 15.625 ms
 * by default (finer only while some process has raised the timer resolution). A Timeout never fires early
 * and may fire up to about one tick late.
 *
 * <h2>Availability</h2>
 * Only on 64-bit Windows. Elsewhere {@link #availability()} says so without loading any native library:
 * "IOCP requires Windows (this is Linux 6.18.0)". The native bindings are loaded when the first driver
 * instance is opened.
 *
 * <pre>{@code
 * try (IoRuntime rt = IoRuntime.builder().driver("iocp").open()) { ... }   // or -Dveloq.driver=iocp
 * }</pre>
 *
 * @since 0.1
 */
public final class IocpDriverProvider implements DriverProvider {
    /** What every instance supports. */
    /** MULTISHOT is emulated (re-issued AcceptEx/WSARecv, see StreamOps); no ZERO_COPY_SEND: a zero-copy send copies. */
    static final Set<Capability> CAPABILITIES = Set.of(Capability.FILE_IO, Capability.SOCKET_OPTIONS,
            Capability.DATAGRAM_SOCKETS, Capability.IPV6_V6ONLY, Capability.MULTISHOT);

    /** The handles of the real Windows process, shared by every provider that talks to it. */
    private static final HandleTable WINDOWS_HANDLES = new HandleTable();
    /** The open iocp drivers of the real Windows process: a handle may be used by any of them (see PortRelay). */
    private static final PortRelay.Directory WINDOWS_LOOPS = new PortRelay.Directory();

    private final Supplier<Win32> bindingFactory;
    private final String bindingNote;
    private final boolean requireWindows;
    private final HandleTable handles;
    private final PortRelay.Directory loops;
    private Win32 binding;

    /** The service: real Windows bindings, loaded on first open. */
    public IocpDriverProvider() {
        this(JnrWin32::load, null, true);
    }

    private IocpDriverProvider(Supplier<Win32> bindingFactory, String bindingNote, boolean requireWindows) {
        this.bindingFactory = bindingFactory;
        this.bindingNote = bindingNote;
        this.requireWindows = requireWindows;
        this.handles = requireWindows ? WINDOWS_HANDLES : new HandleTable();
        this.loops = requireWindows ? WINDOWS_LOOPS : new PortRelay.Directory();
    }

    /**
     * A provider whose drivers talk to {@code binding} instead of Windows: how the tests run the driver on an
     * IOCP simulator. Available on any OS. Not a service; nothing finds it by accident.
     */
    public static IocpDriverProvider withBinding(Supplier<Win32> binding, String note) {
        return new IocpDriverProvider(Objects.requireNonNull(binding, "binding"), Objects.requireNonNull(note, "note"),
                false);
    }

    @Override
    public String id() {
        return "iocp";
    }

    @Override
    public int priority() {
        return 100;
    }

    @Override
    public Availability availability() {
        if (!requireWindows) {
            return Availability.available("IOCP on " + bindingNote);
        }
        String os = System.getProperty("os.name", "unknown OS");
        if (!os.startsWith("Windows")) {
            return Availability.unavailable("IOCP requires Windows (this is " + os + " "
                    + System.getProperty("os.version", "") + ")");
        }
        String arch = System.getProperty("os.arch", "");
        if (!(arch.equals("amd64") || arch.equals("x86_64") || arch.equals("aarch64"))) {
            return Availability.unavailable("the IOCP driver needs 64-bit Windows (this JVM is " + arch
                    + "): its OVERLAPPED and WSABUF layouts are the x64 ones");
        }
        return Availability.available(os + " " + System.getProperty("os.version", "") + " (" + arch + ")");
    }

    @Override
    public Set<Capability> capabilities() {
        return CAPABILITIES;
    }

    @Override
    public Map<String, String> details() {
        Map<String, String> d = new LinkedHashMap<>();
        d.put("os", System.getProperty("os.name", "?") + " " + System.getProperty("os.version", ""));
        Win32 b;
        synchronized (this) {
            b = binding;
        }
        d.put("binding", b != null ? b.description()
                : requireWindows ? "jnr-ffi kernel32/ws2_32 (loaded on first open)" : bindingNote);
        d.put("completion", "GetQueuedCompletionStatusEx batches; FILE_SKIP_COMPLETION_PORT_ON_SUCCESS on TCP sockets "
                + "with IFS handles and on files, never on UDP sockets");
        d.put("timers", "the system clock tick (15.625 ms by default): a Timeout fires up to about one tick late, never early");
        d.put("blocking calls", "CreateFileW, FlushFileBuffers and a lingering closesocket run on a pool of "
                + "iocp.blocking-threads (2) threads per loop");
        d.put("refused", "IoFd.Fixed, ReadFixed/WriteFixed (ERROR_NOT_SUPPORTED), Unix sockets (WSAEAFNOSUPPORT)");
        return d;
    }

    @Override
    public Driver open(DriverConfig config) throws IOException {
        return IocpDriver.open(id(), binding(), handles, loops, config);
    }

    private synchronized Win32 binding() throws IOException {
        Availability a = availability();
        if (!a.available()) {
            throw new IOException("the iocp driver is unavailable: " + a.reason());
        }
        if (binding == null) {
            try {
                binding = bindingFactory.get();
            } catch (RuntimeException | LinkageError e) {
                throw new IOException("cannot load the Windows bindings of the iocp driver: " + e, e);
            }
        }
        return binding;
    }

    /**
     * Lets the iocp drivers use a socket or file handle they did not create: a socket from another library,
     * a file opened with {@code FILE_FLAG_OVERLAPPED} elsewhere. A socket is asked its family and type
     * (SO_PROTOCOL_INFOW); a UDP socket gets SIO_UDP_CONNRESET and SIO_UDP_NETRESET turned off like the
     * driver's own. Anything that is not a socket is taken for an overlapped file handle. The first loop
     * that starts an op on the handle associates it with its completion port, for good; other loops' ops on it
     * work too, their packets forwarded by that loop. A Close op closes it;
     * {@link #release} forgets it without closing it.
     *
     * <pre>{@code
     * IocpDriverProvider iocp = new IocpDriverProvider();
     * iocp.adopt(socketHandle);                   // then IoFd.raw(socketHandle) works in any iocp runtime
     * }</pre>
     *
     * @throws IllegalArgumentException if a driver already knows the handle
     * @throws IOException if the bindings cannot load, or Winsock refuses the socket
     * @since 0.1
     */
    public void adopt(long handle) throws IOException {
        Win32 w = binding();
        if (handle == 0 || handle == Win32Constants.INVALID_HANDLE_VALUE) {
            throw new IllegalArgumentException("cannot adopt handle " + handle + ": NULL or INVALID_HANDLE_VALUE");
        }
        if (handles.kind(handle) != 0) {
            throw new IllegalArgumentException("handle 0x" + Long.toHexString(handle)
                    + " is already known to the iocp drivers (created by one, or adopted before)");
        }
        int size = Structs.WsaProtocolInfoW.SIZE;
        try (NativeMemory.Block b = NativeMemory.allocate(size + 8)) {
            b.buffer().putInt(size, size);
            if (w.getsockopt(handle, Win32Constants.SOL_SOCKET, Win32Constants.SO_PROTOCOL_INFOW, b.address(),
                    b.address() + size) != 0) {
                int err = w.wsaGetLastError();
                if (err != Win32Constants.WSAENOTSOCK) {
                    throw new IOException("cannot adopt handle 0x" + Long.toHexString(handle) + ": getsockopt "
                            + "SO_PROTOCOL_INFOW failed with " + Win32Error.TABLE.name(err) + " (" + err + ")");
                }
                handles.register(handle, HandleTable.FILE | HandleTable.ADOPTED);
                return;
            }
            boolean datagram = b.buffer().getInt(Structs.WsaProtocolInfoW.SOCKET_TYPE) == Win32Constants.SOCK_DGRAM;
            boolean inet6 = b.buffer().getInt(Structs.WsaProtocolInfoW.ADDRESS_FAMILY) == Win32Constants.AF_INET6;
            if (datagram) {
                int err = SocketOps.disableUdpResets(w, handle);
                if (err != 0) {
                    throw new IOException("cannot adopt UDP socket 0x" + Long.toHexString(handle) + ": WSAIoctl "
                            + "SIO_UDP_CONNRESET/SIO_UDP_NETRESET failed with " + Win32Error.TABLE.name(err));
                }
            }
            handles.register(handle, HandleTable.SOCKET | HandleTable.TYPED | HandleTable.ADOPTED
                    | (datagram ? HandleTable.DATAGRAM : 0) | (inet6 ? HandleTable.INET6 : 0));
        }
    }

    /**
     * Forgets a handle the drivers know (adopted or created) without closing it; ops on it are refused from
     * then on. It stays associated with the completion port it was associated with (Windows cannot undo that).
     *
     * @return whether the handle was known
     * @since 0.1
     */
    public boolean release(long handle) {
        return handles.remove(handle) != 0;
    }

    @Override
    public String toString() {
        return "IocpDriverProvider(" + (requireWindows ? "Windows" : bindingNote) + ")";
    }
}
