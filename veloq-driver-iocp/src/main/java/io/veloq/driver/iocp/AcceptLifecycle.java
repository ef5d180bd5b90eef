package io.veloq.driver.iocp;

import io.veloq.api.IoFd;
import io.veloq.api.OpLifecycle;
import io.veloq.api.VeloqIoException;
import io.veloq.api.op.Accept;
import io.veloq.driver.iocp.win32.ExtensionFunction;
import io.veloq.driver.iocp.win32.Structs;
import io.veloq.driver.iocp.win32.Win32;

import static io.veloq.driver.iocp.win32.Win32Constants.*;

/**
 * Accept on Windows: AcceptEx needs the socket for the incoming connection before it starts.
 * <ul>
 *   <li>{@link #preAlloc}: creates an overlapped TCP socket of the listener's address family (found with
 *       getsockname).</li>
 *   <li>The driver passes it to AcceptEx with the slot's address buffer of
 *       {@code (sizeof(SOCKADDR_STORAGE) + 16) x 2} bytes and completes the op with the slot's index.</li>
 *   <li>{@link #intoOutput}: sets {@code SO_UPDATE_ACCEPT_CONTEXT} (so getsockname, getpeername and
 *       shutdown work on the new socket), parses the local and remote addresses out of the slot's buffer
 *       with GetAcceptExSockaddrs, stores the remote one in the Accept's {@code peer}, and returns the
 *       socket: the same value the application sees on Linux.</li>
 *   <li>{@link #discard}: closes the pre-created socket when the accept failed or was cancelled.</li>
 * </ul>
 * Runs on the loop thread, which owns the driver's scratch memory.
 */
final class AcceptLifecycle implements OpLifecycle<Accept> {
    private final IocpDriver driver;

    AcceptLifecycle(IocpDriver driver) {
        this.driver = driver;
    }

    @Override
    public long preAlloc(Accept a) throws VeloqIoException {
        return createAcceptSocket(a.fd(), a.describe());
    }

    /** The socket AcceptEx needs for the next connection on listener {@code fd} ({@code what} names the op). */
    long createAcceptSocket(IoFd fd, String what) throws VeloqIoException {
        long listener = listener(fd, what);
        driver.control().socketKind(fd, what); // a listener the driver knows, or a clear error
        Win32 w = driver.win32();
        driver.scratchMem.putInt(IocpDriver.SCR_LEN, Structs.SockaddrStorage.SIZE);
        if (w.getsockname(listener, driver.scratchBase + IocpDriver.SCR_SOCKADDR,
                driver.scratchBase + IocpDriver.SCR_LEN) != 0) {
            throw Win32Error.TABLE.exception(w.wsaGetLastError(), what
                    + ": getsockname of the listening socket (is it bound and listening?)");
        }
        int family = Short.toUnsignedInt(driver.scratchMem.getShort(IocpDriver.SCR_SOCKADDR));
        long s = w.wsaSocketW(family, SOCK_STREAM, IPPROTO_TCP, 0, 0, WSA_FLAG_OVERLAPPED | WSA_FLAG_NO_HANDLE_INHERIT);
        if (s == INVALID_SOCKET) {
            throw Win32Error.TABLE.exception(w.wsaGetLastError(), what
                    + ": creating the socket AcceptEx needs (WSASocketW, family " + family + ")");
        }
        driver.handles().register(s, HandleTable.SOCKET | HandleTable.TYPED
                | (family == AF_INET6 ? HandleTable.INET6 : 0));
        return s;
    }

    @Override
    public long intoOutput(Accept a, long socket, long slot) throws VeloqIoException {
        long listener = updateAcceptContext(a.fd(), a.describe(), socket);
        Win32 w = driver.win32();
        long fn = driver.sockets().extension(ExtensionFunction.GET_ACCEPT_EX_SOCKADDRS, listener);
        if (fn < 0) {
            throw Win32Error.TABLE.exception((int) -fn, a.describe() + ": loading GetAcceptExSockaddrs");
        }
        OverlappedSlots slots = driver.slots();
        long buffer = slots.address((int) slot, OverlappedSlots.ACCEPT_BUF);
        long scr = driver.scratchBase;
        driver.scratchMem.putLong(IocpDriver.SCR_LOCAL_PTR, 0);
        driver.scratchMem.putLong(IocpDriver.SCR_REMOTE_PTR, 0);
        w.getAcceptExSockaddrs(fn, buffer, 0, Structs.ACCEPT_EX_ADDRESS_LENGTH, Structs.ACCEPT_EX_ADDRESS_LENGTH,
                scr + IocpDriver.SCR_LOCAL_PTR, scr + IocpDriver.SCR_LOCAL_LEN,
                scr + IocpDriver.SCR_REMOTE_PTR, scr + IocpDriver.SCR_REMOTE_LEN);
        int local = checkedOffset(a, "local", buffer, IocpDriver.SCR_LOCAL_PTR, IocpDriver.SCR_LOCAL_LEN);
        int remote = checkedOffset(a, "remote", buffer, IocpDriver.SCR_REMOTE_PTR, IocpDriver.SCR_REMOTE_LEN);
        if (local < 0 || remote < 0 || !AddressCodec.decode(slots.mem, remote,
                driver.scratchMem.getInt(IocpDriver.SCR_REMOTE_LEN), a.peer())) {
            throw Win32Error.TABLE.exception(Win32Error.WSAEFAULT.code(), a.describe()
                    + ": GetAcceptExSockaddrs returned no usable peer address for socket " + socket);
        }
        return socket;
    }

    /**
     * Makes the accepted {@code socket} a full socket of listener {@code fd} (SO_UPDATE_ACCEPT_CONTEXT: then
     * getsockname, getpeername and shutdown work on it); returns the listener's handle.
     */
    long updateAcceptContext(IoFd fd, String what, long socket) throws VeloqIoException {
        long listener = listener(fd, what);
        Win32 w = driver.win32();
        driver.scratchMem.putLong(IocpDriver.SCR_HANDLE, listener);
        if (w.setsockopt(socket, SOL_SOCKET, SO_UPDATE_ACCEPT_CONTEXT, driver.scratchBase + IocpDriver.SCR_HANDLE, 8) != 0) {
            throw Win32Error.TABLE.exception(w.wsaGetLastError(), what
                    + ": SO_UPDATE_ACCEPT_CONTEXT on the accepted socket " + socket);
        }
        return listener;
    }

    /** The offset in slot memory of an address GetAcceptExSockaddrs pointed to, or -1 if it lies outside the buffer. */
    private int checkedOffset(Accept a, String which, long buffer, int ptrAt, int lenAt) {
        long p = driver.scratchMem.getLong(ptrAt);
        int len = driver.scratchMem.getInt(lenAt);
        if (p < buffer || len <= 0 || len > Structs.SockaddrStorage.SIZE
                || p + len > buffer + Structs.ACCEPT_EX_BUFFER_LENGTH) {
            return -1;
        }
        return (int) (p - driver.slots().base);
    }

    @Override
    public void discard(Accept a, long socket) {
        driver.handles().remove(socket);
        driver.win32().closesocket(socket);
    }

    private static long listener(IoFd fd, String what) throws VeloqIoException {
        if (fd instanceof IoFd.Raw r) {
            return r.handle();
        }
        throw Win32Error.TABLE.exception(Win32Error.ERROR_NOT_SUPPORTED.code(), what);
    }
}
