package io.veloq.driver.uring;

import io.veloq.driver.uring.ffi.Syscalls;

/** Test helper: a pipe from the kernel, through the driver's own system calls. */
final class Pipes {
    private static final int O_CLOEXEC = 0x80000;

    private Pipes() {
    }

    static int[] open() {
        Syscalls sys = KernelProbe.get().syscalls();
        NativeMemory mem = new NativeMemory(sys);
        long fds = mem.allocate(8, "pipe fds");
        try {
            long rc = sys.pipe2(fds, O_CLOEXEC);
            if (rc < 0) {
                throw new IllegalStateException("pipe2 failed: errno " + -rc);
            }
            var v = mem.view(fds, 8);
            return new int[] {v.getInt(0), v.getInt(4)};
        } finally {
            mem.free(fds);
        }
    }

    static void close(int[] p) {
        Syscalls sys = KernelProbe.get().syscalls();
        sys.close(p[0]);
        sys.close(p[1]);
    }
}
