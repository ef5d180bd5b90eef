package io.veloq.driver.uring;

import io.veloq.driver.uring.ffi.Syscalls;

import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The one place a driver instance gets native memory and ring mappings, counting what is live so a test
 * can prove that close leaves nothing behind. Thread-safe (socket-control calls allocate from any thread).
 *
 * <pre>{@code
 * NativeMemory mem = new NativeMemory(sys);
 * long ts = mem.allocate(16, "timespec");
 * mem.free(ts);
 * assert mem.live() == 0;
 * }</pre>
 */
final class NativeMemory {
    private static final AtomicLong PROCESS_LIVE = new AtomicLong();

    private final Syscalls sys;
    private final AtomicInteger live = new AtomicInteger();

    NativeMemory(Syscalls sys) {
        this.sys = sys;
    }

    /** The system calls this memory comes from. */
    Syscalls syscalls() {
        return sys;
    }

    /** Zeroed memory; never 0. */
    long allocate(long bytes, String what) {
        long addr = sys.malloc(bytes);
        if (addr == 0) {
            throw new OutOfMemoryError("io_uring driver: cannot allocate " + bytes + " bytes of native memory for " + what);
        }
        live.incrementAndGet();
        PROCESS_LIVE.incrementAndGet();
        return addr;
    }

    void free(long addr) {
        if (addr != 0) {
            sys.free(addr);
            live.decrementAndGet();
            PROCESS_LIVE.decrementAndGet();
        }
    }

    /** Maps a ring region of {@code ringFd}; returns the address or minus errno. */
    long map(long length, int ringFd, long offset) {
        long addr = sys.mmapShared(length, ringFd, offset);
        if (addr >= 0) {
            live.incrementAndGet();
            PROCESS_LIVE.incrementAndGet();
        }
        return addr;
    }

    /** Maps zeroed, page-aligned anonymous memory (an AF_XDP UMEM); returns the address or minus errno. */
    long mapAnonymous(long length) {
        long addr = sys.mmapAnonymous(length);
        if (addr >= 0) {
            live.incrementAndGet();
            PROCESS_LIVE.incrementAndGet();
        }
        return addr;
    }

    void unmap(long addr, long length) {
        if (addr != 0) {
            sys.munmap(addr, length);
            live.decrementAndGet();
            PROCESS_LIVE.decrementAndGet();
        }
    }

    /** A native-order view; valid until the memory is freed. */
    ByteBuffer view(long addr, long length) {
        return sys.view(addr, Math.toIntExact(length));
    }

    /** Allocations and mappings of this instance not yet freed. */
    int live() {
        return live.get();
    }

    /** Allocations and mappings of every driver instance in this JVM not yet freed (the probe included). */
    static long processLive() {
        return PROCESS_LIVE.get();
    }
}
