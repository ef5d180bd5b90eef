package io.veloq.driver.iocp.win32;

/**
 * Every Windows call the IOCP driver makes, and nothing else: the one narrow seam between the driver (plain
 * Java) and the OS. {@link JnrWin32} implements it on Windows through jnr-ffi; the tests implement it with a
 * simulator that follows the documented semantics on real loopback sockets, so the same driver code runs
 * against both.
 *
 * <p>The methods mirror the Win32/Winsock functions one to one: the same parameters in the same order, the
 * same return conventions ({@code BOOL} as {@code boolean}, {@code SOCKET_ERROR} as -1, {@code NULL} and
 * {@code INVALID_HANDLE_VALUE} as 0 and -1). Pointers are native addresses ({@code long}); every structure
 * they point to lives in native memory ({@link NativeMemory}) laid out as on Windows x64 ({@link Structs}).
 * The error of a failed call is read with {@link #lastError()} right after it, on the same thread.
 *
 * <p>Thread-safety: every method may be called from any thread, like the functions it mirrors.
 *
 * <pre>{@code
 * Win32 w = JnrWin32.load();
 * long port = w.createIoCompletionPort(Win32Constants.INVALID_HANDLE_VALUE, 0, 0, 1);
 * if (port == 0) throw new IOException("CreateIoCompletionPort failed: " + w.lastError());
 * }</pre>
 *
 * @since 0.1
 */
public interface Win32 extends AutoCloseable {

    /** A short description for diagnostics, e.g. "jnr-ffi: kernel32.dll, ws2_32.dll". */
    String description();

    // ---- kernel32 ----

    /** {@code CreateIoCompletionPort}: returns the port handle, or 0 (NULL) on failure. */
    long createIoCompletionPort(long fileHandle, long existingCompletionPort, long completionKey,
                                int numberOfConcurrentThreads);

    /**
     * {@code GetQueuedCompletionStatusEx}: dequeues up to {@code count} OVERLAPPED_ENTRY structures into
     * {@code entries} and writes how many to the ULONG at {@code numEntriesRemoved}. False with
     * {@code WAIT_TIMEOUT} when nothing arrived within {@code milliseconds} ({@code INFINITE} = -1).
     */
    boolean getQueuedCompletionStatusEx(long completionPort, long entries, int count, long numEntriesRemoved,
                                        int milliseconds, boolean alertable);

    /** {@code PostQueuedCompletionStatus}. */
    boolean postQueuedCompletionStatus(long completionPort, int bytesTransferred, long completionKey,
                                       long overlapped);

    /** {@code CancelIoEx}: false with {@code ERROR_NOT_FOUND} when no such operation is pending. */
    boolean cancelIoEx(long handle, long overlapped);

    /** {@code CreateFileW} ({@code fileName}: a NUL-terminated UTF-16LE string); -1 on failure. */
    long createFileW(long fileName, int desiredAccess, int shareMode, long securityAttributes,
                     int creationDisposition, int flagsAndAttributes, long templateFile);

    /** {@code ReadFile}; the file offset is in the OVERLAPPED. */
    boolean readFile(long handle, long buffer, int bytesToRead, long bytesRead, long overlapped);

    /** {@code WriteFile}; the file offset is in the OVERLAPPED (0xFFFFFFFF/0xFFFFFFFF: end of file). */
    boolean writeFile(long handle, long buffer, int bytesToWrite, long bytesWritten, long overlapped);

    /** {@code FlushFileBuffers}. */
    boolean flushFileBuffers(long handle);

    /** {@code CloseHandle}. */
    boolean closeHandle(long handle);

    /** {@code SetFileCompletionNotificationModes} ({@code flags} is a UCHAR). */
    boolean setFileCompletionNotificationModes(long handle, int flags);

    /** {@code GetLastError()} as it was right after this thread's previous call through this binding. */
    int lastError();

    // ---- ntdll ----

    /**
     * {@code RtlNtStatusToDosError}: the Win32 error code for an NTSTATUS ({@code ERROR_MR_MID_NOT_FOUND},
     * 317, when there is none). How the driver reports a failed file completion, as GetOverlappedResult would.
     */
    int rtlNtStatusToDosError(int status);

    // ---- ws2_32 ----

    /** {@code WSASocketW}: the socket, or -1 ({@code INVALID_SOCKET}). */
    long wsaSocketW(int af, int type, int protocol, long protocolInfo, int group, int flags);

    /** {@code WSARecv}: 0 when it completed at once, -1 ({@code SOCKET_ERROR}) otherwise. */
    int wsaRecv(long s, long buffers, int bufferCount, long bytesRecvd, long flags, long overlapped,
                long completionRoutine);

    /** {@code WSASend}. */
    int wsaSend(long s, long buffers, int bufferCount, long bytesSent, int flags, long overlapped,
                long completionRoutine);

    /** {@code WSARecvFrom}; {@code from} and {@code fromLength} must stay valid until completion. */
    int wsaRecvFrom(long s, long buffers, int bufferCount, long bytesRecvd, long flags, long from, long fromLength,
                    long overlapped, long completionRoutine);

    /** {@code WSASendTo}. */
    int wsaSendTo(long s, long buffers, int bufferCount, long bytesSent, int flags, long to, int toLength,
                  long overlapped, long completionRoutine);

    /**
     * {@code WSAIoctl}; the driver uses it for {@code SIO_GET_EXTENSION_FUNCTION_POINTER} and, on every UDP
     * socket, {@code SIO_UDP_CONNRESET} and {@code SIO_UDP_NETRESET} with FALSE.
     */
    int wsaIoctl(long s, int ioControlCode, long inBuffer, int inBufferLength, long outBuffer, int outBufferLength,
                 long bytesReturned, long overlapped, long completionRoutine);

    /** {@code closesocket}. */
    int closesocket(long s);

    /** {@code shutdown} ({@code SD_RECEIVE}, {@code SD_SEND}, {@code SD_BOTH}). */
    int shutdown(long s, int how);

    /** {@code setsockopt}. */
    int setsockopt(long s, int level, int optionName, long optionValue, int optionLength);

    /** {@code getsockopt}; {@code optionLength} points to an int (in: capacity, out: length). */
    int getsockopt(long s, int level, int optionName, long optionValue, long optionLength);

    /** {@code bind}. */
    int bind(long s, long name, int nameLength);

    /**
     * {@code connect}. The driver calls it only on datagram sockets, where it completes at once (it sets the
     * default destination and filter; no packet is exchanged): ConnectEx works on stream sockets only.
     */
    int connect(long s, long name, int nameLength);

    /** {@code listen}. */
    int listen(long s, int backlog);

    /** {@code getsockname}; {@code nameLength} points to an int. */
    int getsockname(long s, long name, long nameLength);

    /** {@code getpeername}; {@code nameLength} points to an int. */
    int getpeername(long s, long name, long nameLength);

    /** {@code WSAGetLastError()} after this thread's previous Winsock call through this binding. */
    int wsaGetLastError();

    // ---- Winsock extension functions, called through the pointer WSAIoctl returned ----

    /** {@code AcceptEx} through {@code function}. */
    boolean acceptEx(long function, long listenSocket, long acceptSocket, long outputBuffer, int receiveDataLength,
                     int localAddressLength, int remoteAddressLength, long bytesReceived, long overlapped);

    /**
     * {@code GetAcceptExSockaddrs} through {@code function}: writes pointers into {@code outputBuffer} to the
     * {@code sockaddr*} at {@code localSockaddr} and {@code remoteSockaddr}, and their lengths to the ints.
     */
    void getAcceptExSockaddrs(long function, long outputBuffer, int receiveDataLength, int localAddressLength,
                              int remoteAddressLength, long localSockaddr, long localSockaddrLength,
                              long remoteSockaddr, long remoteSockaddrLength);

    /** {@code ConnectEx} through {@code function}. */
    boolean connectEx(long function, long s, long name, int nameLength, long sendBuffer, int sendDataLength,
                      long bytesSent, long overlapped);

    /** Releases what the binding itself holds ({@code WSACleanup}, the simulator's threads). */
    @Override
    void close();
}
