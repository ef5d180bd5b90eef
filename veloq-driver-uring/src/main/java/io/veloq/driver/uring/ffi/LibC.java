package io.veloq.driver.uring.ffi;

/**
 * The libc functions the io_uring driver calls, bound by jnr-ffi. Internal: public only because jnr-ffi
 * implements it in an unnamed module. Pointers are passed as {@code long} addresses; every function
 * returns -1 (or {@code MAP_FAILED}) and sets errno on failure.
 *
 * <pre>{@code long rc = libc.syscall(SYS_IO_URING_ENTER, ringFd, toSubmit, minComplete, flags, 0L);}</pre>
 */
public interface LibC {
    /** {@code syscall(2)} with five arguments: six in all (see NATIVE.md pitfall 1). */
    long syscall(long number, long a1, long a2, long a3, long a4, long a5);

    /** {@code syscall(2)} with six arguments: seven in all, off jnr-ffi's fast path. */
    long syscall(long number, long a1, long a2, long a3, long a4, long a5, long a6);

    long mmap(long addr, long length, int prot, int flags, int fd, long offset);

    int munmap(long addr, long length);

    int eventfd(int initval, int flags);

    long write(int fd, long buf, long count);

    long read(int fd, long buf, long count);

    int close(int fd);

    int pipe2(long fds, int flags);

    int socket(int domain, int type, int protocol);

    int bind(int fd, long addr, int len);

    int listen(int fd, int backlog);

    int getsockname(int fd, long addr, long lenAddr);

    int getpeername(int fd, long addr, long lenAddr);

    int setsockopt(int fd, int level, int name, long value, int len);

    int getsockopt(int fd, int level, int name, long value, long lenAddr);

    long send(int fd, long buf, long len, int flags);

    long recv(int fd, long buf, long len, int flags);

    int if_nametoindex(String name);

    int getrlimit(int resource, long rlim);

    int setrlimit(int resource, long rlim);
}
