package io.veloq.examples.net;

import io.veloq.api.DriverDescription;
import io.veloq.api.IoRuntime;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * The drivers the networking and echo tests run on: the fake always, the pure-Java nio driver always (it runs
 * anywhere), the io_uring driver where it is available. The same test bodies run on each, parameterized.
 */
public final class TestDrivers {
    private TestDrivers() {
    }

    /** Every driver, for {@code @MethodSource("io.veloq.examples.net.TestDrivers#all")}. */
    public static Stream<String> all() {
        List<String> ids = new ArrayList<>(List.of("fake", "nio"));
        if (kernelAvailable()) {
            ids.add("uring");
        }
        return ids.stream();
    }

    /** The drivers with real sockets, which a plain JDK client can reach: nio, and io_uring where available. */
    public static Stream<String> real() {
        List<String> ids = new ArrayList<>(List.of("nio"));
        if (kernelAvailable()) {
            ids.add("uring");
        }
        return ids.stream();
    }

    /**
     * The drivers with Linux's socket-option semantics (TCP_CORK, TCP_FASTOPEN, IPV6_V6ONLY settable, options
     * as getsockopt reports them): the fake, which models them, and io_uring. java.nio (the nio driver) has a
     * smaller set; its options are tested in veloq-driver-nio.
     */
    public static Stream<String> linuxOptions() {
        List<String> ids = new ArrayList<>(List.of("fake"));
        if (kernelAvailable()) {
            ids.add("uring");
        }
        return ids.stream();
    }

    /**
     * The drivers that hand a closed descriptor's number to the next socket (the kernel's lowest-free rule):
     * the fake and io_uring. The nio driver never does (its handles carry a generation: a closed handle's
     * number is never issued again, see its {@code NioDriverTest}), so tests that need a reused number to
     * exist cannot set their scene up on it.
     */
    public static Stream<String> reusingNumbers() {
        return linuxOptions();
    }

    /** True when the io_uring driver can run here (it reads options back from the real kernel). */
    public static boolean kernelAvailable() {
        for (DriverDescription d : IoRuntime.drivers()) {
            if (d.id().equals("uring") && d.available()) {
                return true;
            }
        }
        return false;
    }

    /** Skips the calling test, saying why, unless the io_uring driver is available. */
    public static void assumeKernel(String whyNotOnTheFake) {
        org.junit.jupiter.api.Assumptions.assumeTrue(kernelAvailable(),
                "needs the io_uring driver, which is not available here; " + whyNotOnTheFake);
    }

    /** The kernel driver when available, else the pure-Java one: real sockets either way. */
    public static String best() {
        return kernelAvailable() ? "uring" : "nio";
    }

    public static IoRuntime open(String driver) {
        return IoRuntime.builder().driver(driver).buffers(16 * 1024, 64).open();
    }
}
