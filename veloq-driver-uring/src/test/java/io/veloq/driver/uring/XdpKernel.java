package io.veloq.driver.uring;

import io.veloq.api.Capability;
import io.veloq.api.IoRuntime;
import io.veloq.spi.Availability;
import io.veloq.spi.Driver;
import io.veloq.spi.DriverConfig;
import io.veloq.spi.DriverProvider;
import io.veloq.testkit.DriverRuntimes;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/** What the AF_XDP kernel tests share: a runtime whose driver they can inspect, loop-thread calls, waits, capabilities. */
final class XdpKernel {
    private XdpKernel() {
    }

    /** A uring provider that remembers the driver it opened. */
    static final class Capturing implements DriverProvider {
        private final UringProvider real = new UringProvider();
        volatile UringDriver driver;

        @Override
        public String id() {
            return real.id();
        }

        @Override
        public int priority() {
            return real.priority();
        }

        @Override
        public Availability availability() {
            return real.availability();
        }

        @Override
        public Set<Capability> capabilities() {
            return real.capabilities();
        }

        @Override
        public Driver open(DriverConfig config) throws IOException {
            UringDriver d = (UringDriver) real.open(config);
            driver = d;
            return d;
        }
    }

    static IoRuntime open(Capturing p) {
        return DriverRuntimes.open(p, IoRuntime.builder().driver("uring"));
    }

    static <T> T onLoop(IoRuntime rt, Callable<T> c) throws Exception {
        CompletableFuture<T> f = new CompletableFuture<>();
        rt.loop().execute(() -> {
            try {
                f.complete(c.call());
            } catch (Throwable t) {
                f.completeExceptionally(t);
            }
        });
        try {
            return f.get(30, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
            if (e.getCause() instanceof Exception ex) {
                throw ex;
            }
            throw e;
        }
    }

    static void waitFor(String what, Duration within, BooleanSupplier done) throws InterruptedException {
        long deadline = System.nanoTime() + within.toNanos();
        while (!done.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("still not " + what + " after " + within);
            }
            Thread.sleep(10);
        }
    }

    /** What /proc/self/fd/N links to now ("socket:[123]"), or null when the descriptor is closed. */
    static String fdTarget(int fd) {
        try {
            return Files.readSymbolicLink(Path.of("/proc/self/fd", String.valueOf(fd))).toString();
        } catch (IOException e) {
            return null;
        }
    }

    /** Linux capability numbers. */
    static final int CAP_IPC_LOCK = 14;
    static final int CAP_NET_ADMIN = 12;
    static final int CAP_NET_RAW = 13;
    static final int CAP_SYS_ADMIN = 21;
    static final int CAP_BPF = 39;

    /** Drops {@code caps} from the calling thread's effective set only (capset is per thread). */
    static void dropEffective(int... caps) {
        var sys = io.veloq.driver.uring.ffi.Syscalls.load();
        long hdr = sys.malloc(8);
        long data = sys.malloc(24);
        try {
            ByteBuffer h = sys.view(hdr, 8);
            h.putInt(0, 0x20080522); // _LINUX_CAPABILITY_VERSION_3
            h.putInt(4, 0);
            if (sys.capget(hdr, data) < 0) {
                throw new IllegalStateException("capget failed");
            }
            ByteBuffer d = sys.view(data, 24);
            for (int c : caps) {
                int word = c / 32;
                d.putInt(word * 12, d.getInt(word * 12) & ~(1 << (c % 32)));
            }
            long rc = sys.capset(hdr, data);
            if (rc < 0) {
                throw new IllegalStateException("capset failed: " + rc);
            }
        } finally {
            sys.free(hdr);
            sys.free(data);
        }
    }
}
