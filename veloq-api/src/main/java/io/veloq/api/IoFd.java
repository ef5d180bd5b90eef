package io.veloq.api;

import io.veloq.api.bootstrap.ApiAccess;
import io.veloq.api.bootstrap.SocketLifetime;

/**
 * A file descriptor as an operation names it: either a raw OS handle or an index into the driver's
 * table of registered ("fixed") files.
 *
 * <pre>{@code
 * IoFd fd = IoFd.raw(7);                 // a plain fd (Linux) or SOCKET/HANDLE (Windows)
 * IoFd.Fixed slot = loop.registerFile(fd); // io_uring registered file: no fd-table lookup per op
 * }</pre>
 *
 * @since 0.1
 */
public sealed interface IoFd permits IoFd.Raw, IoFd.Fixed {

    /**
     * A raw OS handle: an fd on Linux, a {@code SOCKET} or {@code HANDLE} on Windows. Two {@code Raw}s with
     * the same handle are equal.
     *
     * <p>A raw handle you made with {@link IoFd#raw(long)} is yours: Veloq hands it to the driver as it is,
     * and closing it, and never using its number after that, is up to you (the OS hands a closed number to
     * the next socket or file). The handle of a socket of the networking API ({@code TcpStream.fd()} and
     * the like) is bound to that socket instead: once the socket is closed, every op naming that
     * {@code Raw} (however it was built) completes with a closed-channel error and never reaches the
     * driver, even when the number already belongs to a newer socket; a synchronous call naming it
     * ({@code loop.setOption(fd, ...)}, {@code loop.localAddress(fd)}, ...) throws
     * {@link java.nio.channels.ClosedChannelException}.
     */
    final class Raw implements IoFd {
        static {
            ApiAccess.installFds(new ApiAccess.Fds() {
                @Override
                public Raw owned(long handle, SocketLifetime owner) {
                    return new Raw(handle, java.util.Objects.requireNonNull(owner, "owner"));
                }

                @Override
                public SocketLifetime owner(Raw fd) {
                    return fd.owner;
                }
            });
        }

        private final long handle;
        /* The lifetime of the socket this handle belongs to, null for a user's raw handle. */
        private final SocketLifetime owner;

        /** A raw handle; {@link IoFd#raw(long)} is the usual way to write it. */
        public Raw(long handle) {
            this(handle, null);
        }

        private Raw(long handle, SocketLifetime owner) {
            if (handle < 0) {
                throw new IllegalArgumentException("IoFd.Raw needs a non-negative handle, got " + handle);
            }
            this.handle = handle;
            this.owner = owner;
        }

        /** The OS handle. */
        public long handle() {
            return handle;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Raw r && r.handle == handle;
        }

        @Override
        public int hashCode() {
            return Long.hashCode(handle);
        }

        @Override
        public String toString() {
            return "fd " + handle;
        }
    }

    /** An index into the driver's registered-file table. */
    record Fixed(int index) implements IoFd {
        public Fixed {
            if (index < 0) {
                throw new IllegalArgumentException("IoFd.Fixed needs a non-negative index, got " + index);
            }
        }

        @Override
        public String toString() {
            return "fixed fd #" + index;
        }
    }

    /** Returns a raw descriptor. */
    static Raw raw(long handle) {
        return new Raw(handle);
    }

    /** Returns a registered-file descriptor. */
    static Fixed fixed(int index) {
        return new Fixed(index);
    }
}
