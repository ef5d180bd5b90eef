package io.veloq.api;

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

    /** A raw OS handle: an fd on Linux, a {@code SOCKET} or {@code HANDLE} on Windows. */
    record Raw(long handle) implements IoFd {
        public Raw {
            if (handle < 0) {
                throw new IllegalArgumentException("IoFd.Raw needs a non-negative handle, got " + handle);
            }
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
