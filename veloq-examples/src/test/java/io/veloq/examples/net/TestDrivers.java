package io.veloq.examples.net;

import io.veloq.api.DriverDescription;
import io.veloq.api.IoRuntime;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/** The drivers the networking tests run on: the fake always, the io_uring driver where it is available. */
final class TestDrivers {
    private TestDrivers() {
    }

    /** Driver ids for {@code @MethodSource}. */
    static Stream<String> all() {
        List<String> ids = new ArrayList<>();
        ids.add("fake");
        if (kernelAvailable()) {
            ids.add("uring");
        }
        return ids.stream();
    }

    /** True when the io_uring driver can run here (it reads options back from the real kernel). */
    static boolean kernelAvailable() {
        for (DriverDescription d : IoRuntime.drivers()) {
            if (d.id().equals("uring") && d.available()) {
                return true;
            }
        }
        return false;
    }

    /** Skips the calling test, saying why, unless the io_uring driver is available. */
    static void assumeKernel(String whyNotOnTheFake) {
        org.junit.jupiter.api.Assumptions.assumeTrue(kernelAvailable(),
                "needs the io_uring driver, which is not available here; " + whyNotOnTheFake);
    }

    /** The kernel driver when available, else the fake. */
    static String best() {
        return kernelAvailable() ? "uring" : "fake";
    }

    static IoRuntime open(String driver) {
        return IoRuntime.builder().driver(driver).buffers(16 * 1024, 64).open();
    }
}
