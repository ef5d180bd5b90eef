package io.veloq.driver.iocp;

import io.veloq.api.Capability;
import io.veloq.driver.iocp.win32.JnrWin32;
import io.veloq.driver.iocp.win32.Win32;
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
 * <h2>Availability</h2>
 * Only on 64-bit Windows. Elsewhere {@link #availability()} says so without loading any native library:
 * "IOCP requires Windows (this is Linux 6.18.0)". The native bindings are loaded when the first driver
 * instance is opened.
 *
 * <pre>{@code
 * try (Runtime rt = Runtime.builder().driver("iocp").build()) { ... }   // or -Dveloq.driver=iocp
 * }</pre>
 *
 * @since 0.1
 */
public final class IocpDriverProvider implements DriverProvider {
    /** What every instance supports. */
    static final Set<Capability> CAPABILITIES = Set.of(Capability.FILE_IO, Capability.SOCKET_OPTIONS,
            Capability.DATAGRAM_SOCKETS, Capability.IPV6_V6ONLY);

    private final Supplier<Win32> bindingFactory;
    private final String bindingNote;
    private final boolean requireWindows;
    private Win32 binding;
    private HandleTable handles;

    /** The service: real Windows bindings, loaded on first open. */
    public IocpDriverProvider() {
        this(JnrWin32::load, null, true);
    }

    private IocpDriverProvider(Supplier<Win32> bindingFactory, String bindingNote, boolean requireWindows) {
        this.bindingFactory = bindingFactory;
        this.bindingNote = bindingNote;
        this.requireWindows = requireWindows;
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
        d.put("completion", "GetQueuedCompletionStatusEx batches; FILE_SKIP_COMPLETION_PORT_ON_SUCCESS on IFS handles");
        d.put("refused", "IoFd.Fixed, ReadFixed/WriteFixed (ERROR_NOT_SUPPORTED), Unix sockets (WSAEAFNOSUPPORT)");
        return d;
    }

    @Override
    public Driver open(DriverConfig config) throws IOException {
        Availability a = availability();
        if (!a.available()) {
            throw new IOException("the iocp driver is unavailable: " + a.reason());
        }
        Win32 w;
        HandleTable h;
        synchronized (this) {
            if (binding == null) {
                try {
                    binding = bindingFactory.get();
                } catch (RuntimeException | LinkageError e) {
                    throw new IOException("cannot load the Windows bindings of the iocp driver: " + e, e);
                }
                handles = new HandleTable();
            }
            w = binding;
            h = handles;
        }
        return IocpDriver.open(id(), w, h, config);
    }

    @Override
    public String toString() {
        return "IocpDriverProvider(" + (requireWindows ? "Windows" : bindingNote) + ")";
    }
}
