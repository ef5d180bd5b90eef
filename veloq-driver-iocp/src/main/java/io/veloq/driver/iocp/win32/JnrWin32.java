package io.veloq.driver.iocp.win32;

import com.kenai.jffi.LastError;
import com.kenai.jffi.Type;
import io.veloq.driver.iocp.ffi.Kernel32;
import io.veloq.driver.iocp.ffi.Ntdll;
import io.veloq.driver.iocp.ffi.WinSock;
import jnr.ffi.LibraryLoader;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The real {@link Win32}: kernel32.dll and ws2_32.dll through jnr-ffi, the Winsock extension functions
 * through {@link FunctionPointer}. Loaded only on Windows, only when a driver instance is opened.
 *
 * <p>On load it turns jnr-ffi's x86 assembly stubs off (they corrupt the sixth argument of six-argument
 * calls: GetQueuedCompletionStatusEx and WSASocketW have six), then proves the sixth argument arrives
 * intact with a six-argument call whose answer is known, and calls {@code WSAStartup(2.2)}.
 *
 * <pre>{@code Win32 w = JnrWin32.load();   // throws IllegalStateException with the reason if it cannot}</pre>
 *
 * @since 0.1
 */
public final class JnrWin32 implements Win32 {
    private static final Type[] ACCEPT_EX = {Type.POINTER, Type.POINTER, Type.POINTER, Type.UINT32, Type.UINT32,
        Type.UINT32, Type.POINTER, Type.POINTER};
    private static final Type[] GET_ACCEPT_EX_SOCKADDRS = {Type.POINTER, Type.UINT32, Type.UINT32, Type.UINT32,
        Type.POINTER, Type.POINTER, Type.POINTER, Type.POINTER};
    private static final Type[] CONNECT_EX = {Type.POINTER, Type.POINTER, Type.SINT32, Type.POINTER, Type.UINT32,
        Type.POINTER, Type.POINTER};

    private final Kernel32 kernel32;
    private final WinSock winsock;
    private final Ntdll ntdll;
    private final ConcurrentHashMap<Long, FunctionPointer> pointers = new ConcurrentHashMap<>();
    private volatile boolean closed;

    private JnrWin32(Kernel32 kernel32, WinSock winsock, Ntdll ntdll) {
        this.kernel32 = kernel32;
        this.winsock = winsock;
        this.ntdll = ntdll;
    }

    /**
     * Loads the libraries, runs the self-test and starts Winsock.
     *
     * @throws IllegalStateException naming what failed
     */
    public static JnrWin32 load() {
        System.setProperty("jnr.ffi.x86asm.enabled", "false");
        Kernel32 k = LibraryLoader.create(Kernel32.class).load("kernel32");
        WinSock ws = LibraryLoader.create(WinSock.class).load("ws2_32");
        Ntdll nt = LibraryLoader.create(Ntdll.class).load("ntdll");
        JnrWin32 w = new JnrWin32(k, ws, nt);
        w.checkSixthArgument();
        try (NativeMemory.Block wsaData = NativeMemory.allocate(512)) {
            int rc = ws.WSAStartup(Win32Constants.WINSOCK_VERSION_2_2, wsaData.address());
            if (rc != 0) {
                throw new IllegalStateException("WSAStartup(2.2) failed with Winsock error " + rc);
            }
        }
        return w;
    }

    /** MultiByteToWideChar with a 2-character output buffer must refuse "abc"; a garbled 6th argument would not. */
    private void checkSixthArgument() {
        try (NativeMemory.Block text = NativeMemory.allocate(8); NativeMemory.Block wide = NativeMemory.allocate(32)) {
            byte[] abc = "abc".getBytes(StandardCharsets.US_ASCII);
            for (int i = 0; i < abc.length; i++) {
                text.buffer().put(i, abc[i]);
            }
            int tooSmall = kernel32.MultiByteToWideChar(65001, 0, text.address(), 3, wide.address(), 2);
            int fits = kernel32.MultiByteToWideChar(65001, 0, text.address(), 3, wide.address(), 8);
            if (tooSmall != 0 || fits != 3) {
                throw new IllegalStateException("jnr-ffi passes the sixth argument of a native call incorrectly "
                        + "(MultiByteToWideChar returned " + tooSmall + " and " + fits + ", expected 0 and 3): "
                        + "another library initialised jnr-ffi with its x86 assembly stubs on (jnr-ffi issue #181); "
                        + "start the JVM with -Djnr.ffi.x86asm.enabled=false");
            }
        }
    }

    @Override
    public String description() {
        return "jnr-ffi: kernel32.dll, ws2_32.dll, ntdll.dll (RtlNtStatusToDosError); AcceptEx/ConnectEx/GetAcceptExSockaddrs "
                + "through jffi function pointers";
    }

    @Override
    public long createIoCompletionPort(long fileHandle, long existingCompletionPort, long completionKey,
                                       int numberOfConcurrentThreads) {
        return kernel32.CreateIoCompletionPort(fileHandle, existingCompletionPort, completionKey,
                numberOfConcurrentThreads);
    }

    @Override
    public boolean getQueuedCompletionStatusEx(long completionPort, long entries, int count, long numEntriesRemoved,
                                               int milliseconds, boolean alertable) {
        return kernel32.GetQueuedCompletionStatusEx(completionPort, entries, count, numEntriesRemoved, milliseconds,
                alertable ? 1 : 0) != 0;
    }

    @Override
    public boolean postQueuedCompletionStatus(long completionPort, int bytesTransferred, long completionKey,
                                              long overlapped) {
        return kernel32.PostQueuedCompletionStatus(completionPort, bytesTransferred, completionKey, overlapped) != 0;
    }

    @Override
    public boolean cancelIoEx(long handle, long overlapped) {
        return kernel32.CancelIoEx(handle, overlapped) != 0;
    }

    @Override
    public long createFileW(long fileName, int desiredAccess, int shareMode, long securityAttributes,
                            int creationDisposition, int flagsAndAttributes, long templateFile) {
        return kernel32.CreateFileW(fileName, desiredAccess, shareMode, securityAttributes, creationDisposition,
                flagsAndAttributes, templateFile);
    }

    @Override
    public boolean readFile(long handle, long buffer, int bytesToRead, long bytesRead, long overlapped) {
        return kernel32.ReadFile(handle, buffer, bytesToRead, bytesRead, overlapped) != 0;
    }

    @Override
    public boolean writeFile(long handle, long buffer, int bytesToWrite, long bytesWritten, long overlapped) {
        return kernel32.WriteFile(handle, buffer, bytesToWrite, bytesWritten, overlapped) != 0;
    }

    @Override
    public boolean flushFileBuffers(long handle) {
        return kernel32.FlushFileBuffers(handle) != 0;
    }

    @Override
    public boolean closeHandle(long handle) {
        return kernel32.CloseHandle(handle) != 0;
    }

    @Override
    public boolean setFileCompletionNotificationModes(long handle, int flags) {
        return kernel32.SetFileCompletionNotificationModes(handle, (byte) flags) != 0;
    }

    @Override
    public int lastError() {
        // jnr-ffi saves GetLastError() into jffi's per-thread slot after every @SaveError call.
        return LastError.getInstance().get();
    }

    @Override
    public int rtlNtStatusToDosError(int status) {
        return ntdll.RtlNtStatusToDosError(status);
    }

    @Override
    public long wsaSocketW(int af, int type, int protocol, long protocolInfo, int group, int flags) {
        return winsock.WSASocketW(af, type, protocol, protocolInfo, group, flags);
    }

    @Override
    public int wsaRecv(long s, long buffers, int bufferCount, long bytesRecvd, long flags, long overlapped,
                       long completionRoutine) {
        return winsock.WSARecv(s, buffers, bufferCount, bytesRecvd, flags, overlapped, completionRoutine);
    }

    @Override
    public int wsaSend(long s, long buffers, int bufferCount, long bytesSent, int flags, long overlapped,
                       long completionRoutine) {
        return winsock.WSASend(s, buffers, bufferCount, bytesSent, flags, overlapped, completionRoutine);
    }

    @Override
    public int wsaRecvFrom(long s, long buffers, int bufferCount, long bytesRecvd, long flags, long from,
                           long fromLength, long overlapped, long completionRoutine) {
        return winsock.WSARecvFrom(s, buffers, bufferCount, bytesRecvd, flags, from, fromLength, overlapped,
                completionRoutine);
    }

    @Override
    public int wsaSendTo(long s, long buffers, int bufferCount, long bytesSent, int flags, long to, int toLength,
                         long overlapped, long completionRoutine) {
        return winsock.WSASendTo(s, buffers, bufferCount, bytesSent, flags, to, toLength, overlapped,
                completionRoutine);
    }

    @Override
    public int wsaIoctl(long s, int ioControlCode, long inBuffer, int inBufferLength, long outBuffer,
                        int outBufferLength, long bytesReturned, long overlapped, long completionRoutine) {
        return winsock.WSAIoctl(s, ioControlCode, inBuffer, inBufferLength, outBuffer, outBufferLength,
                bytesReturned, overlapped, completionRoutine);
    }

    @Override
    public int closesocket(long s) {
        return winsock.closesocket(s);
    }

    @Override
    public int shutdown(long s, int how) {
        return winsock.shutdown(s, how);
    }

    @Override
    public int setsockopt(long s, int level, int optionName, long optionValue, int optionLength) {
        return winsock.setsockopt(s, level, optionName, optionValue, optionLength);
    }

    @Override
    public int getsockopt(long s, int level, int optionName, long optionValue, long optionLength) {
        return winsock.getsockopt(s, level, optionName, optionValue, optionLength);
    }

    @Override
    public int bind(long s, long name, int nameLength) {
        return winsock.bind(s, name, nameLength);
    }

    @Override
    public int connect(long s, long name, int nameLength) {
        return winsock.connect(s, name, nameLength);
    }

    @Override
    public int listen(long s, int backlog) {
        return winsock.listen(s, backlog);
    }

    @Override
    public int getsockname(long s, long name, long nameLength) {
        return winsock.getsockname(s, name, nameLength);
    }

    @Override
    public int getpeername(long s, long name, long nameLength) {
        return winsock.getpeername(s, name, nameLength);
    }

    @Override
    public int wsaGetLastError() {
        // WSAGetLastError() is GetLastError() on Windows NT; the saved value is the reliable one.
        return LastError.getInstance().get();
    }

    @Override
    public boolean acceptEx(long function, long listenSocket, long acceptSocket, long outputBuffer,
                            int receiveDataLength, int localAddressLength, int remoteAddressLength,
                            long bytesReceived, long overlapped) {
        FunctionPointer f = pointer(function, Type.SINT32, ACCEPT_EX);
        return f.invokeInt(f.arguments().address(listenSocket).address(acceptSocket).address(outputBuffer)
                .int32(receiveDataLength).int32(localAddressLength).int32(remoteAddressLength)
                .address(bytesReceived).address(overlapped)) != 0;
    }

    @Override
    public void getAcceptExSockaddrs(long function, long outputBuffer, int receiveDataLength,
                                     int localAddressLength, int remoteAddressLength, long localSockaddr,
                                     long localSockaddrLength, long remoteSockaddr, long remoteSockaddrLength) {
        FunctionPointer f = pointer(function, Type.VOID, GET_ACCEPT_EX_SOCKADDRS);
        f.invokeVoid(f.arguments().address(outputBuffer).int32(receiveDataLength).int32(localAddressLength)
                .int32(remoteAddressLength).address(localSockaddr).address(localSockaddrLength)
                .address(remoteSockaddr).address(remoteSockaddrLength));
    }

    @Override
    public boolean connectEx(long function, long s, long name, int nameLength, long sendBuffer, int sendDataLength,
                             long bytesSent, long overlapped) {
        FunctionPointer f = pointer(function, Type.SINT32, CONNECT_EX);
        return f.invokeInt(f.arguments().address(s).address(name).int32(nameLength).address(sendBuffer)
                .int32(sendDataLength).address(bytesSent).address(overlapped)) != 0;
    }

    private FunctionPointer pointer(long function, Type returns, Type[] params) {
        return pointers.computeIfAbsent(function, a -> new FunctionPointer(a, returns, params));
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            winsock.WSACleanup();
        }
    }
}
