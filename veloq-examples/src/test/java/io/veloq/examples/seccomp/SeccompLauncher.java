package io.veloq.examples.seccomp;

import jnr.ffi.LastError;
import jnr.ffi.LibraryLoader;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;
import jnr.ffi.annotations.SaveError;

/**
 * A test-only launcher: blocks {@code io_uring_setup} for this whole process with a seccomp filter that
 * answers {@code EPERM}, as Docker's default profile does, then runs {@code io.veloq.examples.Main} with the
 * given arguments. What the app sees is a real kernel refusing io_uring, not a simulation.
 *
 * <pre>{@code java -cp <test class path> io.veloq.examples.seccomp.SeccompLauncher doctor}</pre>
 *
 * <p>The filter is installed with {@code prctl(PR_SET_NO_NEW_PRIVS)} and
 * {@code seccomp(SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, prog)} (every thread of the JVM, which
 * is already running several), through jnr-ffi. The classic-BPF program checks the architecture first
 * ({@code seccomp_data.arch}; syscall numbers differ between ABIs), then the syscall number (425 is
 * {@code io_uring_setup} on x86_64 and arm64 alike), and allows everything else.
 */
public final class SeccompLauncher {
    static final int PR_SET_NO_NEW_PRIVS = 38;
    static final int SECCOMP_SET_MODE_FILTER = 1;
    static final int SECCOMP_FILTER_FLAG_TSYNC = 1;
    static final int AUDIT_ARCH_X86_64 = 0xC000003E;
    static final int AUDIT_ARCH_AARCH64 = 0xC00000B7;
    static final int NR_IO_URING_SETUP = 425;
    static final int SECCOMP_RET_ALLOW = 0x7fff0000;
    static final int SECCOMP_RET_ERRNO = 0x00050000;
    static final int EPERM = 1;
    // Classic BPF opcodes.
    static final int BPF_LD_W_ABS = 0x20;
    static final int BPF_JMP_JEQ_K = 0x15;
    static final int BPF_RET_K = 0x06;
    // struct seccomp_data { int nr; __u32 arch; ... }
    static final int DATA_NR = 0;
    static final int DATA_ARCH = 4;

    /** The libc calls the launcher needs. */
    public interface LibC {
        @SaveError
        int prctl(int option, long arg2, long arg3, long arg4, long arg5);

        @SaveError
        long syscall(long number, long a1, long a2, long a3);
    }

    private SeccompLauncher() {
    }

    public static void main(String[] args) throws Exception {
        install();
        Class.forName("io.veloq.examples.Main").getMethod("main", String[].class).invoke(null, (Object) args);
    }

    /** The program: {@code io_uring_setup} fails with EPERM on x86_64 and arm64; everything else is allowed. */
    static int[][] program() {
        return new int[][] {
            {BPF_LD_W_ABS, 0, 0, DATA_ARCH},
            {BPF_JMP_JEQ_K, 1, 0, AUDIT_ARCH_X86_64},   // x86_64: to the nr check
            {BPF_JMP_JEQ_K, 0, 2, AUDIT_ARCH_AARCH64},  // arm64: to the nr check; any other ABI: allow
            {BPF_LD_W_ABS, 0, 0, DATA_NR},
            {BPF_JMP_JEQ_K, 1, 0, NR_IO_URING_SETUP},
            {BPF_RET_K, 0, 0, SECCOMP_RET_ALLOW},
            {BPF_RET_K, 0, 0, SECCOMP_RET_ERRNO | EPERM},
        };
    }

    static void install() {
        System.setProperty("jnr.ffi.x86asm.enabled", "false");
        String arch = System.getProperty("os.arch");
        long seccompNr = switch (arch) {
            case "amd64", "x86_64" -> 317;
            case "aarch64" -> 277;
            default -> throw new IllegalStateException("SeccompLauncher knows the seccomp syscall of x86_64 and arm64, not " + arch);
        };
        LibC libc = LibraryLoader.create(LibC.class).load("c");
        Runtime rt = Runtime.getRuntime(libc);
        if (libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
            throw new IllegalStateException("prctl(PR_SET_NO_NEW_PRIVS) failed: errno " + LastError.getLastError(rt));
        }
        int[][] prog = program();
        Pointer filter = Memory.allocateDirect(rt, prog.length * 8);
        for (int i = 0; i < prog.length; i++) {
            // struct sock_filter { __u16 code; __u8 jt; __u8 jf; __u32 k; }
            filter.putShort(i * 8L, (short) prog[i][0]);
            filter.putByte(i * 8L + 2, (byte) prog[i][1]);
            filter.putByte(i * 8L + 3, (byte) prog[i][2]);
            filter.putInt(i * 8L + 4, prog[i][3]);
        }
        // struct sock_fprog { unsigned short len; struct sock_filter *filter; } (pointer at 8 on 64-bit)
        Pointer fprog = Memory.allocateDirect(rt, 16);
        fprog.putShort(0, (short) prog.length);
        fprog.putAddress(8, filter.address());
        long rc = libc.syscall(seccompNr, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, fprog.address());
        if (rc != 0) {
            throw new IllegalStateException("seccomp(SECCOMP_SET_MODE_FILTER, TSYNC) returned " + rc + ", errno "
                    + LastError.getLastError(rt));
        }
        // Prove it: io_uring_setup(1, NULL) is refused with EPERM now (EFAULT would mean the filter let it through).
        long probe = libc.syscall(NR_IO_URING_SETUP, 1, 0, 0);
        int errno = LastError.getLastError(rt);
        if (probe != -1 || errno != EPERM) {
            throw new IllegalStateException("the seccomp filter is installed but io_uring_setup returned " + probe
                    + " with errno " + errno + ", not EPERM");
        }
        System.err.println("seccomp-launcher: io_uring_setup is blocked for this process (EPERM, like Docker's default profile)");
    }
}
