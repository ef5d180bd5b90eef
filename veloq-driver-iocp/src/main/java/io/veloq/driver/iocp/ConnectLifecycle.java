package io.veloq.driver.iocp;

import io.veloq.api.IoFd;
import io.veloq.api.OpLifecycle;
import io.veloq.api.VeloqIoException;
import io.veloq.api.net.AddressFamily;
import io.veloq.api.net.AddressLayout;
import io.veloq.api.op.Connect;
import io.veloq.driver.iocp.win32.Structs;
import io.veloq.driver.iocp.win32.Win32;

import static io.veloq.driver.iocp.win32.Win32Constants.*;

/**
 * Connect on Windows: ConnectEx refuses an unbound socket (WSAEINVAL), and a socket it connected does not
 * behave as connected (getpeername, shutdown) until {@code SO_UPDATE_CONNECT_CONTEXT} is set.
 * <ul>
 *   <li>{@link #preAlloc}: if getsockname says the socket is unbound, binds it to the wildcard address of
 *       the destination's family, port 0. Nothing is allocated, so it returns {@link OpLifecycle#NONE}.</li>
 *   <li>{@link #intoOutput}: sets {@code SO_UPDATE_CONNECT_CONTEXT}; the result stays 0.</li>
 * </ul>
 * A datagram socket needs neither: the driver connects it with a plain {@code connect} (ConnectEx is for
 * stream sockets only), which binds an unbound socket itself, so both steps are skipped for it.
 */
final class ConnectLifecycle implements OpLifecycle<Connect> {
    private final IocpDriver driver;

    ConnectLifecycle(IocpDriver driver) {
        this.driver = driver;
    }

    @Override
    public long preAlloc(Connect c) throws VeloqIoException {
        long s = socket(c);
        if (datagram(c)) {
            return NONE;
        }
        Win32 w = driver.win32();
        driver.scratchMem.putInt(IocpDriver.SCR_LEN, Structs.SockaddrStorage.SIZE);
        if (w.getsockname(s, driver.scratchBase + IocpDriver.SCR_SOCKADDR, driver.scratchBase + IocpDriver.SCR_LEN) == 0) {
            return NONE; // already bound
        }
        int err = w.wsaGetLastError();
        if (err != WSAEINVAL) {
            throw Win32Error.TABLE.exception(err, c.describe() + ": getsockname before ConnectEx");
        }
        AddressFamily family = c.address().family();
        int len;
        for (int i = 0; i < Structs.SockaddrStorage.SIZE; i++) {
            driver.scratchMem.put(IocpDriver.SCR_SOCKADDR + i, (byte) 0);
        }
        if (family == AddressFamily.INET6) {
            len = Structs.SockaddrIn6.SIZE; // [::]:0
        } else if (family == AddressFamily.INET) {
            len = Structs.SockaddrIn.SIZE;  // 0.0.0.0:0
        } else {
            throw Win32Error.TABLE.exception(Win32Error.WSAEAFNOSUPPORT.code(), c.describe());
        }
        driver.scratchMem.putShort(IocpDriver.SCR_SOCKADDR, (short) AddressLayout.WINDOWS.nativeFamily(family));
        if (w.bind(s, driver.scratchBase + IocpDriver.SCR_SOCKADDR, len) != 0) {
            throw Win32Error.TABLE.exception(w.wsaGetLastError(), c.describe()
                    + ": binding to the wildcard address, which ConnectEx requires");
        }
        return NONE;
    }

    @Override
    public long intoOutput(Connect c, long preAllocated, long result) throws VeloqIoException {
        long s = socket(c);
        if (datagram(c)) {
            return result;
        }
        Win32 w = driver.win32();
        if (w.setsockopt(s, SOL_SOCKET, SO_UPDATE_CONNECT_CONTEXT, 0, 0) != 0) {
            throw Win32Error.TABLE.exception(w.wsaGetLastError(), c.describe() + ": SO_UPDATE_CONNECT_CONTEXT");
        }
        return result;
    }

    @Override
    public void discard(Connect c, long preAllocated) {
        // nothing was allocated; a wildcard bind cannot be undone and does no harm
    }

    /** A datagram socket the driver knows; throws naming the handle when it knows none. */
    private boolean datagram(Connect c) throws VeloqIoException {
        return (driver.control().socketKind(c.fd(), c.describe()) & HandleTable.DATAGRAM) != 0;
    }

    private static long socket(Connect c) throws VeloqIoException {
        if (c.fd() instanceof IoFd.Raw r) {
            return r.handle();
        }
        throw Win32Error.TABLE.exception(Win32Error.ERROR_NOT_SUPPORTED.code(), c.describe());
    }
}
