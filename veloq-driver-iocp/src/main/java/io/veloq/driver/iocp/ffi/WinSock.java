package io.veloq.driver.iocp.ffi;

import jnr.ffi.annotations.SaveError;
import jnr.ffi.types.intptr_t;

/**
 * jnr-ffi binding of the ws2_32.dll functions the IOCP driver calls. {@code SOCKET} is pointer-sized
 * ({@code UINT_PTR}), so it is an {@code @intptr_t long} like every pointer. AcceptEx, ConnectEx and
 * GetAcceptExSockaddrs are not exported by ws2_32: they are called through the pointers
 * {@code WSAIoctl(SIO_GET_EXTENSION_FUNCTION_POINTER)} returns.
 *
 * <pre>{@code WinSock ws = LibraryLoader.create(WinSock.class).load("ws2_32");}</pre>
 *
 * @since 0.1
 */
public interface WinSock {
    @SaveError
    int WSAStartup(short versionRequested, @intptr_t long wsaData);

    @SaveError
    int WSACleanup();

    @SaveError
    @intptr_t
    long WSASocketW(int af, int type, int protocol, @intptr_t long protocolInfo, int group, int flags);

    @SaveError
    int WSARecv(@intptr_t long s, @intptr_t long buffers, int bufferCount, @intptr_t long bytesRecvd,
                @intptr_t long flags, @intptr_t long overlapped, @intptr_t long completionRoutine);

    @SaveError
    int WSASend(@intptr_t long s, @intptr_t long buffers, int bufferCount, @intptr_t long bytesSent, int flags,
                @intptr_t long overlapped, @intptr_t long completionRoutine);

    @SaveError
    int WSARecvFrom(@intptr_t long s, @intptr_t long buffers, int bufferCount, @intptr_t long bytesRecvd,
                    @intptr_t long flags, @intptr_t long from, @intptr_t long fromLength,
                    @intptr_t long overlapped, @intptr_t long completionRoutine);

    @SaveError
    int WSASendTo(@intptr_t long s, @intptr_t long buffers, int bufferCount, @intptr_t long bytesSent, int flags,
                  @intptr_t long to, int toLength, @intptr_t long overlapped, @intptr_t long completionRoutine);

    @SaveError
    int WSAIoctl(@intptr_t long s, int ioControlCode, @intptr_t long inBuffer, int inBufferLength,
                 @intptr_t long outBuffer, int outBufferLength, @intptr_t long bytesReturned,
                 @intptr_t long overlapped, @intptr_t long completionRoutine);

    @SaveError
    int closesocket(@intptr_t long s);

    @SaveError
    int shutdown(@intptr_t long s, int how);

    @SaveError
    int setsockopt(@intptr_t long s, int level, int optionName, @intptr_t long optionValue, int optionLength);

    @SaveError
    int getsockopt(@intptr_t long s, int level, int optionName, @intptr_t long optionValue,
                   @intptr_t long optionLength);

    @SaveError
    int bind(@intptr_t long s, @intptr_t long name, int nameLength);

    @SaveError
    int connect(@intptr_t long s, @intptr_t long name, int nameLength);

    @SaveError
    int listen(@intptr_t long s, int backlog);

    @SaveError
    int getsockname(@intptr_t long s, @intptr_t long name, @intptr_t long nameLength);

    @SaveError
    int getpeername(@intptr_t long s, @intptr_t long name, @intptr_t long nameLength);

    int WSAGetLastError();
}
