package io.veloq.driver.uring;

import io.veloq.api.IoFd;
import io.veloq.api.VeloqIoException;
import io.veloq.api.net.SockAddrStorage;
import io.veloq.driver.uring.ffi.Syscalls;
import io.veloq.spi.LinuxErrno;

import java.net.SocketOption;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.util.function.IntUnaryOperator;

/**
 * The synchronous socket calls of the driver contract (bind, listen, addresses, options): plain system
 * calls, callable from any thread. A fixed fd is resolved to the raw fd registered in its slot.
 *
 * <pre>{@code control.setOption(IoFd.raw(7), StandardSocketOptions.TCP_NODELAY, true);}</pre>
 */
final class SocketControl {
    private static final int SOL_SOCKET = 1;
    private static final int IPPROTO_IP = 0;
    private static final int IPPROTO_TCP = 6;
    private static final int IPPROTO_IPV6 = 41;
    private static final int SO_REUSEADDR = 2;
    private static final int SO_BROADCAST = 6;
    private static final int SO_SNDBUF = 7;
    private static final int SO_RCVBUF = 8;
    private static final int SO_KEEPALIVE = 9;
    private static final int SO_LINGER = 13;
    private static final int SO_REUSEPORT = 15;
    private static final int SO_DOMAIN = 39;
    private static final int TCP_NODELAY = 1;
    private static final int IP_TOS = 1;
    private static final int IP_MULTICAST_TTL = 33;
    private static final int IP_MULTICAST_LOOP = 34;
    private static final int IPV6_MULTICAST_HOPS = 18;
    private static final int IPV6_MULTICAST_LOOP = 19;
    private static final int IPV6_TCLASS = 67;
    private static final int AF_INET6 = 10;

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
        int[] where = where(raw, option, fd);
        long mem8 = mem.allocate(8, "socket option value");
        try {
            ByteBuffer v = mem.view(mem8, 8);
            int len = 4;
            if (option == StandardSocketOptions.SO_LINGER) {
                int secs = (Integer) value;
                v.putInt(0, secs >= 0 ? 1 : 0);
                v.putInt(4, Math.max(secs, 0));
                len = 8;
            } else if (value instanceof Boolean b) {
                v.putInt(0, b ? 1 : 0);
            } else {
                v.putInt(0, (Integer) value);
            }
            check(sys.setsockopt(raw, where[0], where[1], mem8, len),
                    "setsockopt(" + fd + ", " + option.name() + " = " + value + ")");
        } finally {
            mem.free(mem8);
        }
    }

    <T> T getOption(IoFd fd, SocketOption<T> option) throws VeloqIoException {
        int raw = raw(fd, "getsockopt");
        int[] where = where(raw, option, fd);
        long m = mem.allocate(12, "socket option value");
        try {
            ByteBuffer v = mem.view(m, 12);
            v.putInt(8, 8);
            check(sys.getsockopt(raw, where[0], where[1], m, m + 8), "getsockopt(" + fd + ", " + option.name() + ")");
            Object out;
            if (option == StandardSocketOptions.SO_LINGER) {
                out = v.getInt(0) != 0 ? v.getInt(4) : -1;
            } else if (option.type() == Boolean.class) {
                out = v.getInt(0) != 0;
            } else {
                out = v.getInt(0);
            }
            return option.type().cast(out);
        } finally {
            mem.free(m);
        }
    }

    /** {level, name} of an option for this socket's family. */
    private int[] where(int raw, SocketOption<?> o, IoFd fd) throws VeloqIoException {
        if (o == StandardSocketOptions.TCP_NODELAY) {
            return new int[] {IPPROTO_TCP, TCP_NODELAY};
        } else if (o == StandardSocketOptions.SO_REUSEADDR) {
            return new int[] {SOL_SOCKET, SO_REUSEADDR};
        } else if (o == StandardSocketOptions.SO_REUSEPORT) {
            return new int[] {SOL_SOCKET, SO_REUSEPORT};
        } else if (o == StandardSocketOptions.SO_KEEPALIVE) {
            return new int[] {SOL_SOCKET, SO_KEEPALIVE};
        } else if (o == StandardSocketOptions.SO_BROADCAST) {
            return new int[] {SOL_SOCKET, SO_BROADCAST};
        } else if (o == StandardSocketOptions.SO_SNDBUF) {
            return new int[] {SOL_SOCKET, SO_SNDBUF};
        } else if (o == StandardSocketOptions.SO_RCVBUF) {
            return new int[] {SOL_SOCKET, SO_RCVBUF};
        } else if (o == StandardSocketOptions.SO_LINGER) {
            return new int[] {SOL_SOCKET, SO_LINGER};
        }
        boolean v6 = o == StandardSocketOptions.IP_TOS || o == StandardSocketOptions.IP_MULTICAST_TTL
                || o == StandardSocketOptions.IP_MULTICAST_LOOP ? isInet6(raw, fd) : false;
        if (o == StandardSocketOptions.IP_TOS) {
            return v6 ? new int[] {IPPROTO_IPV6, IPV6_TCLASS} : new int[] {IPPROTO_IP, IP_TOS};
        } else if (o == StandardSocketOptions.IP_MULTICAST_TTL) {
            return v6 ? new int[] {IPPROTO_IPV6, IPV6_MULTICAST_HOPS} : new int[] {IPPROTO_IP, IP_MULTICAST_TTL};
        } else if (o == StandardSocketOptions.IP_MULTICAST_LOOP) {
            return v6 ? new int[] {IPPROTO_IPV6, IPV6_MULTICAST_LOOP} : new int[] {IPPROTO_IP, IP_MULTICAST_LOOP};
        }
        throw new UnsupportedOperationException("socket option " + o.name() + " (on " + fd
                + ") is not supported by the io_uring driver on Linux");
    }

    private boolean isInet6(int raw, IoFd fd) throws VeloqIoException {
        long m = mem.allocate(8, "SO_DOMAIN value");
        try {
            ByteBuffer v = mem.view(m, 8);
            v.putInt(4, 4);
            check(sys.getsockopt(raw, SOL_SOCKET, SO_DOMAIN, m, m + 4), "getsockopt(" + fd + ", SO_DOMAIN)");
            return v.getInt(0) == AF_INET6;
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
