package io.veloq.driver.iocp;

import io.veloq.api.IoFd;
import io.veloq.api.VeloqIoException;
import io.veloq.api.net.SockAddrStorage;
import io.veloq.driver.iocp.win32.NativeMemory;
import io.veloq.driver.iocp.win32.Structs;
import io.veloq.driver.iocp.win32.Win32;

import java.net.SocketOption;
import java.nio.ByteBuffer;

import static io.veloq.driver.iocp.win32.Win32Constants.*;

/**
 * The socket-control calls of the driver SPI: bind, listen, getsockname/getpeername and socket options. Any
 * thread, so each call allocates the little native memory it needs. Only sockets the driver created or
 * adopted are touched; anything else is refused with an error naming the handle and how to adopt one.
 *
 * <h2>SO_REUSEADDR on stream sockets</h2>
 * On Linux SO_REUSEADDR only lets a restarted server bind over connections lingering in TIME_WAIT, which is
 * why the net layer sets it on every TCP listener. On Windows it means something else and unsafe: a second
 * socket with SO_REUSEADDR may bind an address another socket is already bound to, even one that is
 * listening, and take over its connections (port stealing). So on TCP sockets the driver never passes
 * SO_REUSEADDR to Winsock: {@code setOption(SO_REUSEADDR, v)} only records {@code v}, and
 * {@code getOption} reads the recorded value back (the JDK emulates it the same way on Windows). Every
 * {@link #bind} of a TCP socket sets {@code SO_EXCLUSIVEADDRUSE} first, so no other socket can bind the same
 * address while this one (or a connection it accepted) is alive; a bind that collides fails with
 * WSAEADDRINUSE / WSAEACCES. The price, documented by Microsoft: a server restarted on the same port while
 * connections it accepted are still open cannot bind until they are. Driver option
 * {@code iocp.exclusive-bind=false} drops SO_EXCLUSIVEADDRUSE and leaves Windows' default rules (SO_REUSEADDR
 * stays emulated either way). On UDP sockets SO_REUSEADDR is passed through: sharing a port between
 * datagram sockets (multicast receivers) is what it is for.
 *
 * <h2>Options that depend on Windows</h2>
 * See {@link WinSocketOptions}: the multicast options of an IPv6 socket are the IPPROTO_IPV6 ones, and
 * IP_TOS is refused because Windows ignores it.
 */
final class SocketControl {
    private final Win32 w;
    private final HandleTable handles;
    private final boolean exclusiveBind;

    SocketControl(Win32 w, HandleTable handles, boolean exclusiveBind) {
        this.w = w;
        this.handles = handles;
        this.exclusiveBind = exclusiveBind;
    }

    /** The kind flags of a socket the driver knows; throws naming the handle otherwise. */
    int socketKind(IoFd fd, String what) throws VeloqIoException {
        long h = raw(fd, what);
        int kind = handles.kind(h);
        if ((kind & HandleTable.SOCKET) == 0) {
            throw Win32Error.TABLE.exception(WSAENOTSOCK, what + " on " + fd + ": " + unknown(h, kind));
        }
        return kind;
    }

    /** Why a handle was refused: unknown (stale, or opened elsewhere: adopt it), or a file. */
    static String unknown(long h, int kind) {
        return kind == 0
                ? "handle 0x" + Long.toHexString(h) + " was not created by the iocp driver (Socket, Accept, Open) nor "
                + "adopted; it may be a stale IoFd whose value Windows gave to another handle. A handle from "
                + "elsewhere must be adopted first: IocpDriverProvider.adopt(handle)"
                : "handle 0x" + Long.toHexString(h) + " is a file, not a socket";
    }

    static long raw(IoFd fd, String what) {
        if (fd instanceof IoFd.Raw r) {
            return r.handle();
        }
        throw new UnsupportedOperationException("the iocp driver does not support registered (fixed) files: " + what
                + " on " + fd + "; use IoFd.Raw (capability FIXED_FILES is not offered on Windows)");
    }

    void bind(IoFd fd, SockAddrStorage local) throws VeloqIoException {
        int kind = socketKind(fd, "bind");
        long h = raw(fd, "bind");
        try (NativeMemory.Block b = NativeMemory.allocate(Structs.SockaddrStorage.SIZE + 8)) {
            int len = AddressCodec.encode(local, b.buffer(), 0);
            if (len < 0) {
                throw Win32Error.TABLE.exception(Win32Error.WSAEAFNOSUPPORT.code(), "bind of " + fd + " to " + local);
            }
            if (exclusiveBind && (kind & HandleTable.DATAGRAM) == 0) {
                // No port stealing: see "SO_REUSEADDR on stream sockets" in the class comment.
                b.buffer().putInt(Structs.SockaddrStorage.SIZE, 1); // the BOOL after the sockaddr
                if (w.setsockopt(h, SOL_SOCKET, SO_EXCLUSIVEADDRUSE, b.address() + Structs.SockaddrStorage.SIZE, 4) != 0) {
                    throw Win32Error.TABLE.exception(w.wsaGetLastError(), "setsockopt SO_EXCLUSIVEADDRUSE before the bind of "
                            + fd + " to " + local + " (is Winsock's SO_REUSEADDR set on it?)");
                }
            }
            if (w.bind(h, b.address(), len) != 0) {
                throw Win32Error.TABLE.exception(w.wsaGetLastError(), "bind of " + fd + " to " + local);
            }
        }
    }

    void listen(IoFd fd, int backlog) throws VeloqIoException {
        socketKind(fd, "listen");
        if (w.listen(raw(fd, "listen"), backlog) != 0) {
            throw Win32Error.TABLE.exception(w.wsaGetLastError(), "listen on " + fd + " with backlog " + backlog);
        }
    }

    void address(IoFd fd, SockAddrStorage out, boolean local) throws VeloqIoException {
        String what = local ? "getsockname" : "getpeername";
        socketKind(fd, what);
        long h = raw(fd, what);
        try (NativeMemory.Block b = NativeMemory.allocate(Structs.SockaddrStorage.SIZE + 8)) {
            b.buffer().putInt(Structs.SockaddrStorage.SIZE, Structs.SockaddrStorage.SIZE);
            long lenAddr = b.address() + Structs.SockaddrStorage.SIZE;
            int rc = local ? w.getsockname(h, b.address(), lenAddr) : w.getpeername(h, b.address(), lenAddr);
            if (rc != 0) {
                throw Win32Error.TABLE.exception(w.wsaGetLastError(), what + " of " + fd);
            }
            if (!AddressCodec.decode(b.buffer(), 0, b.buffer().getInt(Structs.SockaddrStorage.SIZE), out)) {
                throw Win32Error.TABLE.exception(Win32Error.WSAEAFNOSUPPORT.code(),
                        what + " of " + fd + " returned an address of unknown family");
            }
        }
    }

    <T> void setOption(IoFd fd, SocketOption<T> option, T value) throws VeloqIoException {
        String what = "setsockopt " + option.name() + "=" + value;
        int kind = socketKind(fd, what);
        long h = raw(fd, what);
        WinSocketOptions.Native n = nativeOption(option, kind);
        if (n.name() == SO_REUSEADDR && n.level() == SOL_SOCKET && (kind & HandleTable.DATAGRAM) == 0) {
            // Emulated on TCP sockets: see "SO_REUSEADDR on stream sockets" in the class comment.
            handles.mark(h, HandleTable.REUSE_ADDR, (Boolean) value);
            return;
        }
        try (NativeMemory.Block b = NativeMemory.allocate(8)) {
            ByteBuffer m = b.buffer();
            if (n.encoding() == WinSocketOptions.Encoding.LINGER) {
                int seconds = (Integer) value;
                m.putShort(Structs.Linger.ONOFF, (short) (seconds < 0 ? 0 : 1));
                m.putShort(Structs.Linger.LINGER, (short) Math.max(0, seconds));
            } else if (value instanceof Boolean bool) {
                m.putInt(0, bool ? 1 : 0);
            } else if (value instanceof Integer i) {
                m.putInt(0, i);
            } else {
                throw new UnsupportedOperationException("socket option " + option.name() + " with a "
                        + option.type().getSimpleName() + " value is not supported by the iocp driver on Windows");
            }
            if (w.setsockopt(h, n.level(), n.name(), b.address(), 4) != 0) {
                throw Win32Error.TABLE.exception(w.wsaGetLastError(), what + " on " + fd);
            }
        }
    }

    <T> T getOption(IoFd fd, SocketOption<T> option) throws VeloqIoException {
        String what = "getsockopt " + option.name();
        int kind = socketKind(fd, what);
        long h = raw(fd, what);
        WinSocketOptions.Native n = nativeOption(option, kind);
        if (n.name() == SO_REUSEADDR && n.level() == SOL_SOCKET && (kind & HandleTable.DATAGRAM) == 0) {
            return option.type().cast((handles.kind(h) & HandleTable.REUSE_ADDR) != 0);
        }
        try (NativeMemory.Block b = NativeMemory.allocate(16)) {
            ByteBuffer m = b.buffer();
            m.putInt(8, 4);
            if (w.getsockopt(h, n.level(), n.name(), b.address(), b.address() + 8) != 0) {
                throw Win32Error.TABLE.exception(w.wsaGetLastError(), what + " on " + fd);
            }
            int len = m.getInt(8);
            Object value;
            if (n.encoding() == WinSocketOptions.Encoding.LINGER) {
                value = m.getShort(Structs.Linger.ONOFF) == 0 ? -1 : Short.toUnsignedInt(m.getShort(Structs.Linger.LINGER));
            } else {
                int raw = len == 1 ? m.get(0) : m.getInt(0);
                value = option.type() == Boolean.class ? (Object) (raw != 0) : (Object) raw;
            }
            return option.type().cast(value);
        }
    }

    private static WinSocketOptions.Native nativeOption(SocketOption<?> option, int kind) {
        if (option.name().equals("IP_TOS")) {
            throw new UnsupportedOperationException(WinSocketOptions.REFUSED_IP_TOS);
        }
        WinSocketOptions.Native n = WinSocketOptions.of(option, (kind & HandleTable.INET6) != 0);
        if (n == null || !(option.type() == Boolean.class || option.type() == Integer.class)) {
            throw new UnsupportedOperationException("socket option " + option.name()
                    + " is not supported on Windows by the iocp driver");
        }
        return n;
    }
}
