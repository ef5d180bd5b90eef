package io.veloq.driver.uring.ffi;

import java.nio.ByteBuffer;

/**
 * The narrow view of the kernel the io_uring driver needs: the three io_uring system calls, mappings,
 * a few socket calls and native memory. Internal to the driver. Every call returns its result when
 * {@code >= 0} and minus errno on failure, the kernel's own convention, so callers never read errno.
 *
 * <pre>{@code
 * Syscalls sys = Syscalls.load();
 * long fd = sys.ioUringSetup(8, paramsAddress);      // -EPERM when io_uring is disabled
 * }</pre>
 */
public interface Syscalls {
    /**
     * Loads libc through jnr-ffi with its x86 assembly stubs off, then checks that six-argument calls
     * are passed intact (jnr-ffi issue #181); if they are not, six-argument calls are routed through the
     * seven-argument form instead.
     *
     * @throws IllegalStateException when libc cannot be bound, with the cause
     */
    static Syscalls load() {
        return JnrSyscalls.instance();
    }

    long ioUringSetup(int entries, long params);

    /** The six-argument {@code io_uring_enter} (no extended argument): the fast form. */
    long ioUringEnter(int ringFd, int toSubmit, int minComplete, int flags);

    /** {@code io_uring_enter} with an extended argument ({@code IORING_ENTER_EXT_ARG}). */
    long ioUringEnter(int ringFd, int toSubmit, int minComplete, int flags, long arg, long argSize);

    long ioUringRegister(int ringFd, int opcode, long arg, int nrArgs);

    /** {@code mmap(NULL, length, PROT_READ|PROT_WRITE, MAP_SHARED|MAP_POPULATE, fd, offset)}. */
    long mmapShared(long length, int fd, long offset);

    long munmap(long addr, long length);

    long eventfd(int initval, int flags);

    long write(int fd, long addr, long count);

    long read(int fd, long addr, long count);

    long close(int fd);

    /** {@code pipe2(fds, flags)}: two ints at {@code fds}. */
    long pipe2(long fds, int flags);

    /** {@code fcntl(fd, cmd, arg)} with an integer argument ({@code F_SETPIPE_SZ}, {@code F_GETPIPE_SZ}). */
    long fcntl(int fd, int cmd, long arg);

    long socket(int domain, int type, int protocol);

    long bind(int fd, long addr, int len);

    long listen(int fd, int backlog);

    long getsockname(int fd, long addr, long lenAddr);

    long getpeername(int fd, long addr, long lenAddr);

    long setsockopt(int fd, int level, int name, long value, int len);

    long getsockopt(int fd, int level, int name, long value, long lenAddr);

    /** {@code send(fd, NULL, 0, flags)}: an AF_XDP TX kick. */
    long kickSend(int fd, int flags);

    /** {@code recv(fd, NULL, 0, flags)}: an AF_XDP fill-ring kick. */
    long kickRecv(int fd, int flags);

    /** {@code bpf(cmd, attr, size)}. */
    long bpf(int cmd, long attr, int size);

    /** {@code if_nametoindex(name)}: the index, or minus errno ({@code ENODEV}) when there is no such interface. */
    long ifNameToIndex(String name);

    /** {@code mmap(NULL, length, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS|MAP_POPULATE, -1, 0)}: zeroed, page-aligned. */
    long mmapAnonymous(long length);

    /** {@code getrlimit(resource, rlim)}: two 8-byte values (soft, hard) at {@code rlim}. */
    long getrlimit(int resource, long rlim);

    /** {@code setrlimit(resource, rlim)}. */
    long setrlimit(int resource, long rlim);

    /** {@code capget(hdr, data)} (raw system call; tests drop capabilities per thread with {@link #capset}). */
    long capget(long hdr, long data);

    /** {@code capset(hdr, data)}: changes the calling thread's capabilities only. */
    long capset(long hdr, long data);

    /** Zeroed native memory, or 0 when none is left. */
    long malloc(long bytes);

    void free(long addr);

    /** A native-order view of {@code length} bytes at {@code addr}; valid until the memory is freed. */
    ByteBuffer view(long addr, int length);

    /** The address of a direct buffer's first byte (index 0, not its position). */
    long addressOf(ByteBuffer direct);

    /** False when the six-argument self-test failed and such calls go through the seven-argument form. */
    boolean sixArgumentCallsIntact();
}
