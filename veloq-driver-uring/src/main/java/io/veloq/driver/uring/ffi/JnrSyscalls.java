package io.veloq.driver.uring.ffi;

import com.kenai.jffi.MemoryIO;
import jnr.ffi.LastError;
import jnr.ffi.LibraryLoader;
import jnr.ffi.Platform;
import jnr.ffi.Runtime;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** {@link Syscalls} over jnr-ffi. Thread-safe: errno is saved per thread by jnr-ffi. */
final class JnrSyscalls implements Syscalls {
    static {
        // jnr-ffi's x86 stubs corrupt the 6th argument (issue #181); the property is read when jnr-ffi
        // first generates a binding, so it is set before this class touches jnr-ffi at all. Another
        // library may have initialised jnr-ffi earlier: the self-test below catches that.
        System.setProperty("jnr.ffi.x86asm.enabled", "false");
    }

    // io_uring's numbers are the same on every architecture; mmap's and prctl's are not.
    private static final boolean AARCH64 = Platform.getNativePlatform().getCPU() == Platform.CPU.AARCH64;
    private static final long SYS_MMAP = AARCH64 ? 222 : 9;
    private static final long SYS_PRCTL = AARCH64 ? 167 : 157;
    private static final long SYS_BPF = AARCH64 ? 280 : 321;
    private static final long SYS_CAPGET = AARCH64 ? 90 : 125;
    private static final long SYS_CAPSET = AARCH64 ? 91 : 126;
    private static final long SYS_FCNTL = AARCH64 ? 25 : 72;
    private static final long SYS_IO_URING_SETUP = 425;
    private static final long SYS_IO_URING_ENTER = 426;
    private static final long SYS_IO_URING_REGISTER = 427;
    private static final int PR_GET_NO_NEW_PRIVS = 39;
    private static final int MAP_SHARED = 0x01;
    private static final int MAP_PRIVATE = 0x02;
    private static final int MAP_ANONYMOUS = 0x20;
    private static final int MAP_POPULATE = 0x8000;
    private static final int EINVAL = 22;
    private static final int PROT_READ_WRITE = 0x3;

    private static volatile JnrSyscalls instance;

    private final LibC libc;
    private final Runtime runtime;
    private final MemoryIO memory = MemoryIO.getInstance();
    private final boolean sixIntact;

    private JnrSyscalls(LibC libc) {
        this.libc = libc;
        this.runtime = Runtime.getRuntime(libc);
        this.sixIntact = selfTest();
    }

    static JnrSyscalls instance() {
        JnrSyscalls s = instance;
        if (s == null) {
            synchronized (JnrSyscalls.class) {
                s = instance;
                if (s == null) {
                    s = new JnrSyscalls(bind());
                    instance = s;
                }
            }
        }
        return s;
    }

    private static LibC bind() {
        Platform.CPU cpu = Platform.getNativePlatform().getCPU();
        if (cpu != Platform.CPU.X86_64 && cpu != Platform.CPU.AARCH64) {
            throw new IllegalStateException("the io_uring driver supports x86_64 and aarch64, not " + cpu);
        }
        String name = Platform.getNativePlatform().getStandardCLibraryName();
        try {
            return LibraryLoader.create(LibC.class).failImmediately().load(name);
        } catch (RuntimeException | LinkageError e) {
            throw new IllegalStateException("cannot bind libc (" + name + ") through jnr-ffi: " + e, e);
        }
    }

    /**
     * Six-argument calls with a known answer: prctl(PR_GET_NO_NEW_PRIVS) must refuse a non-zero 5th
     * syscall argument and accept zero; an anonymous mmap must accept offset 0 and refuse offset 1.
     */
    private boolean selfTest() {
        long ok = libc.syscall(SYS_PRCTL, PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0);
        long bad = libc.syscall(SYS_PRCTL, PR_GET_NO_NEW_PRIVS, 0, 0, 0, 1);
        boolean syscallOk = ok >= 0 && bad == -1 && errno() == EINVAL;
        long m = libc.mmap(0, 4096, PROT_READ_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        boolean mmapOk = m != -1;
        if (mmapOk) {
            libc.munmap(m, 4096);
        }
        long m2 = libc.mmap(0, 4096, PROT_READ_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 1);
        mmapOk &= m2 == -1 && errno() == EINVAL;
        if (m2 != -1) {
            libc.munmap(m2, 4096);
        }
        return syscallOk && mmapOk;
    }

    private int errno() {
        return LastError.getLastError(runtime);
    }

    private long check(long rc) {
        return rc == -1 ? -errno() : rc;
    }

    @Override
    public long ioUringSetup(int entries, long params) {
        return sixIntact ? check(libc.syscall(SYS_IO_URING_SETUP, entries, params, 0, 0, 0))
                : check(libc.syscall(SYS_IO_URING_SETUP, entries, params, 0, 0, 0, 0));
    }

    @Override
    public long ioUringEnter(int ringFd, int toSubmit, int minComplete, int flags) {
        return sixIntact ? check(libc.syscall(SYS_IO_URING_ENTER, ringFd, toSubmit, minComplete, flags, 0L))
                : check(libc.syscall(SYS_IO_URING_ENTER, ringFd, toSubmit, minComplete, flags, 0L, 0L));
    }

    @Override
    public long ioUringEnter(int ringFd, int toSubmit, int minComplete, int flags, long arg, long argSize) {
        return check(libc.syscall(SYS_IO_URING_ENTER, ringFd, toSubmit, minComplete, flags, arg, argSize));
    }

    @Override
    public long ioUringRegister(int ringFd, int opcode, long arg, int nrArgs) {
        return sixIntact ? check(libc.syscall(SYS_IO_URING_REGISTER, ringFd, opcode, arg, nrArgs, 0))
                : check(libc.syscall(SYS_IO_URING_REGISTER, ringFd, opcode, arg, nrArgs, 0, 0));
    }

    @Override
    public long mmapShared(long length, int fd, long offset) {
        int flags = MAP_SHARED | MAP_POPULATE;
        return sixIntact ? check(libc.mmap(0, length, PROT_READ_WRITE, flags, fd, offset))
                : check(libc.syscall(SYS_MMAP, 0, length, PROT_READ_WRITE, flags, fd, offset));
    }

    @Override
    public long munmap(long addr, long length) {
        return check(libc.munmap(addr, length));
    }

    @Override
    public long eventfd(int initval, int flags) {
        return check(libc.eventfd(initval, flags));
    }

    @Override
    public long write(int fd, long addr, long count) {
        return check(libc.write(fd, addr, count));
    }

    @Override
    public long read(int fd, long addr, long count) {
        return check(libc.read(fd, addr, count));
    }

    @Override
    public long close(int fd) {
        return check(libc.close(fd));
    }

    @Override
    public long pipe2(long fds, int flags) {
        return check(libc.pipe2(fds, flags));
    }

    @Override
    public long fcntl(int fd, int cmd, long arg) {
        // The raw system call: libc's fcntl is variadic, which jnr-ffi does not bind reliably.
        return sixIntact ? check(libc.syscall(SYS_FCNTL, fd, cmd, arg, 0, 0))
                : check(libc.syscall(SYS_FCNTL, fd, cmd, arg, 0, 0, 0));
    }

    @Override
    public long socket(int domain, int type, int protocol) {
        return check(libc.socket(domain, type, protocol));
    }

    @Override
    public long bind(int fd, long addr, int len) {
        return check(libc.bind(fd, addr, len));
    }

    @Override
    public long listen(int fd, int backlog) {
        return check(libc.listen(fd, backlog));
    }

    @Override
    public long getsockname(int fd, long addr, long lenAddr) {
        return check(libc.getsockname(fd, addr, lenAddr));
    }

    @Override
    public long getpeername(int fd, long addr, long lenAddr) {
        return check(libc.getpeername(fd, addr, lenAddr));
    }

    @Override
    public long setsockopt(int fd, int level, int name, long value, int len) {
        return check(libc.setsockopt(fd, level, name, value, len));
    }

    @Override
    public long getsockopt(int fd, int level, int name, long value, long lenAddr) {
        return check(libc.getsockopt(fd, level, name, value, lenAddr));
    }

    @Override
    public long kickSend(int fd, int flags) {
        return check(libc.send(fd, 0, 0, flags));
    }

    @Override
    public long kickRecv(int fd, int flags) {
        return check(libc.recv(fd, 0, 0, flags));
    }

    @Override
    public long bpf(int cmd, long attr, int size) {
        return sixIntact ? check(libc.syscall(SYS_BPF, cmd, attr, size, 0, 0))
                : check(libc.syscall(SYS_BPF, cmd, attr, size, 0, 0, 0));
    }

    @Override
    public long ifNameToIndex(String name) {
        int idx = libc.if_nametoindex(name);
        return idx == 0 ? -errno() : idx;
    }

    @Override
    public long mmapAnonymous(long length) {
        int flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE;
        return sixIntact ? check(libc.mmap(0, length, PROT_READ_WRITE, flags, -1, 0))
                : check(libc.syscall(SYS_MMAP, 0, length, PROT_READ_WRITE, flags, -1, 0));
    }

    @Override
    public long getrlimit(int resource, long rlim) {
        return check(libc.getrlimit(resource, rlim));
    }

    @Override
    public long setrlimit(int resource, long rlim) {
        return check(libc.setrlimit(resource, rlim));
    }

    @Override
    public long capget(long hdr, long data) {
        return sixIntact ? check(libc.syscall(SYS_CAPGET, hdr, data, 0, 0, 0))
                : check(libc.syscall(SYS_CAPGET, hdr, data, 0, 0, 0, 0));
    }

    @Override
    public long capset(long hdr, long data) {
        return sixIntact ? check(libc.syscall(SYS_CAPSET, hdr, data, 0, 0, 0))
                : check(libc.syscall(SYS_CAPSET, hdr, data, 0, 0, 0, 0));
    }

    @Override
    public long malloc(long bytes) {
        return memory.allocateMemory(bytes, true);
    }

    @Override
    public void free(long addr) {
        memory.freeMemory(addr);
    }

    @Override
    public ByteBuffer view(long addr, int length) {
        return memory.newDirectByteBuffer(addr, length).order(ByteOrder.nativeOrder());
    }

    @Override
    public long addressOf(ByteBuffer direct) {
        return memory.getDirectBufferAddress(direct);
    }

    @Override
    public boolean sixArgumentCallsIntact() {
        return sixIntact;
    }
}
