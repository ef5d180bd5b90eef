package io.veloq.driver.uring;

import io.veloq.api.IoFd;
import io.veloq.api.VeloqIoException;
import io.veloq.api.net.AddressFamily;
import io.veloq.api.net.SockAddrStorage;
import io.veloq.driver.uring.ffi.Syscalls;
import io.veloq.spi.LinuxErrno;
import io.veloq.spi.LinuxSocketOptions;

import java.net.SocketOption;
import java.nio.ByteBuffer;
import java.util.function.IntUnaryOperator;

/**
 * The synchronous socket calls of the driver contract (bind, listen, addresses, options): plain system
 * calls, callable from any thread. A fixed fd is resolved to the raw fd registered in its slot. Option keys
 * map to level, name and value layout through {@link LinuxSocketOptions}, the table the fake uses too.
 *
 * <pre>{@code control.setOption(IoFd.raw(7), StandardSocketOptions.TCP_NODELAY, true);}</pre>
 */
final class SocketControl {

    private final Syscalls sys;
    private final NativeMemory mem;
    private final IntUnaryOperator fixedToRaw;

    /** @param fixedToRaw the raw fd registered in a fixed slot, or -1 */
    SocketControl(NativeMemory mem, IntUnaryOperator fixedToRaw) {
        this.sys = mem.syscalls();
        this.mem = mem;
        this.fixedToRaw = fixedToRaw;
    }

    void bind(IoFd fd, SockAddrStorage local) throws VeloqIoException {
        int raw = raw(fd, "bind");
        check(sys.bind(raw, sys.addressOf(local.block()), local.length()), "bind(" + fd + ", " + local + ")");
    }

    void listen(IoFd fd, int backlog) throws VeloqIoException {
        check(sys.listen(raw(fd, "listen"), backlog), "listen(" + fd + ", backlog " + backlog + ")");
    }

    void localAddress(IoFd fd, SockAddrStorage out) throws VeloqIoException {
        long block = sys.addressOf(out.block());
        out.setLength(SockAddrStorage.SIZE);
        check(sys.getsockname(raw(fd, "getsockname"), block, block + SockAddrStorage.LENGTH_OFFSET),
                "getsockname(" + fd + ")");
    }

    void remoteAddress(IoFd fd, SockAddrStorage out) throws VeloqIoException {
        long block = sys.addressOf(out.block());
        out.setLength(SockAddrStorage.SIZE);
        check(sys.getpeername(raw(fd, "getpeername"), block, block + SockAddrStorage.LENGTH_OFFSET),
                "getpeername(" + fd + ")");
    }

    <T> void setOption(IoFd fd, SocketOption<T> option, T value) throws VeloqIoException {
        int raw = raw(fd, "setsockopt");
        LinuxSocketOptions.Mapping m = mapping(raw, option, fd);
        long addr = mem.allocate(LinuxSocketOptions.MAX_VALUE_SIZE, "socket option value");
        try {
            int len = m.encode(value, mem.view(addr, LinuxSocketOptions.MAX_VALUE_SIZE));
            check(sys.setsockopt(raw, m.level(), m.name(), addr, len),
                    "setsockopt(" + fd + ", " + m.nativeName() + " = " + value + ")");
        } finally {
            mem.free(addr);
        }
    }

    <T> T getOption(IoFd fd, SocketOption<T> option) throws VeloqIoException {
        int raw = raw(fd, "getsockopt");
        LinuxSocketOptions.Mapping m = mapping(raw, option, fd);
        // The value, then its socklen_t, in one allocation.
        long addr = mem.allocate(LinuxSocketOptions.MAX_VALUE_SIZE + 4, "socket option value");
        try {
            ByteBuffer v = mem.view(addr, LinuxSocketOptions.MAX_VALUE_SIZE + 4);
            v.putInt(LinuxSocketOptions.MAX_VALUE_SIZE, m.size());
            check(sys.getsockopt(raw, m.level(), m.name(), addr, addr + LinuxSocketOptions.MAX_VALUE_SIZE),
                    "getsockopt(" + fd + ", " + m.nativeName() + ")");
            return option.type().cast(m.decode(v, v.getInt(LinuxSocketOptions.MAX_VALUE_SIZE)));
        } finally {
            mem.free(addr);
        }
    }

    /**
     * The option's level and name from {@link LinuxSocketOptions}; for a non-{@code SOL_SOCKET} key the
     * socket's family decides (IP_TOS is IPV6_TCLASS on IPv6; TCP keys do not apply to Unix sockets).
     */
    private LinuxSocketOptions.Mapping mapping(int raw, SocketOption<?> option, IoFd fd) throws VeloqIoException {
        LinuxSocketOptions.Mapping m = LinuxSocketOptions.lookup(option);
        if (m.level() == LinuxSocketOptions.SOL_SOCKET) {
            return m;
        }
        AddressFamily family = LinuxSocketOptions.familyOf(domain(raw, fd));
        return LinuxSocketOptions.lookup(option, family == null ? AddressFamily.INET : family);
    }

    private int domain(int raw, IoFd fd) throws VeloqIoException {
        long m = mem.allocate(8, "SO_DOMAIN value");
        try {
            ByteBuffer v = mem.view(m, 8);
            v.putInt(4, 4);
            check(sys.getsockopt(raw, LinuxSocketOptions.SOL_SOCKET, LinuxSocketOptions.SO_DOMAIN, m, m + 4),
                    "getsockopt(" + fd + ", SO_DOMAIN)");
            return v.getInt(0);
        } finally {
            mem.free(m);
        }
    }

    private int raw(IoFd fd, String call) throws VeloqIoException {
        if (fd instanceof IoFd.Raw r) {
            if (r.handle() > Integer.MAX_VALUE) {
                throw LinuxErrno.TABLE.exception(LinuxErrno.EBADF.code(), call + "(" + fd + ")");
            }
            return (int) r.handle();
        }
        int index = ((IoFd.Fixed) fd).index();
        int raw = fixedToRaw.applyAsInt(index);
        if (raw < 0) {
            throw LinuxErrno.TABLE.exception(LinuxErrno.EBADF.code(), call + "(" + fd
                    + "): no file is registered in that slot");
        }
        return raw;
    }

    private static void check(long rc, String what) throws VeloqIoException {
        if (rc < 0) {
            throw LinuxErrno.TABLE.exception((int) -rc, what);
        }
    }
}
