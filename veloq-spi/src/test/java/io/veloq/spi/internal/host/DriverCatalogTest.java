package io.veloq.spi.internal.host;

import io.veloq.api.Capability;
import io.veloq.api.DriverDescription;
import io.veloq.api.IoRuntime;
import io.veloq.spi.Availability;
import io.veloq.spi.Driver;
import io.veloq.spi.DriverConfig;
import io.veloq.spi.DriverProvider;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Driver choice: named, by property, best available; and the messages when nothing fits. */
class DriverCatalogTest {

    /** A provider that only answers questions; these tests never open a driver. */
    record Named(String id, int priority, Availability availability, boolean explicitOnly) implements DriverProvider {
        @Override
        public Set<Capability> capabilities() {
            return Set.of(Capability.FIXED_FILES);
        }

        @Override
        public Map<String, String> details() {
            return Map.of("kernel", "6.18");
        }

        @Override
        public Driver open(DriverConfig config) {
            throw new AssertionError("not opened in these tests");
        }
    }

    private static final Named URING = new Named("uring", 100, Availability.available("io_uring ok"), false);
    private static final Named IOCP = new Named("iocp", 100, Availability.unavailable("IOCP requires Windows, this is Linux"), false);
    private static final Named FAKE = new Named("fake", 1, Availability.available("simulation"), true);
    private static final Named NIO = new Named("nio", 10, Availability.available("fallback"), false);

    private static void assertMentions(Throwable t, String... fragments) {
        String msg = String.valueOf(t.getMessage());
        for (String f : fragments) {
            assertTrue(msg.contains(f), () -> "expected the message to mention '" + f + "', but it was: " + msg);
        }
    }

    @Test
    void theBestAvailableWinsAndTheFakeOnlyWhenNamed() {
        assertSame(URING, DriverCatalog.of(List.of(FAKE, NIO, IOCP, URING)).select(null));
        assertSame(NIO, DriverCatalog.of(List.of(FAKE, NIO, IOCP)).select(null));
        assertSame(FAKE, DriverCatalog.of(List.of(FAKE, URING)).select("fake"));
        assertSame(URING, DriverCatalog.of(List.of(FAKE, URING)).select(" uring "), "ids are trimmed");
    }

    @Test
    void anUnknownIdListsEveryDriverFoundAndWhy() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> DriverCatalog.of(List.of(URING, IOCP, FAKE)).select("epoll"));
        assertMentions(e, "unknown driver id 'epoll'", "Available drivers: [",
                "fake: available (only when named)", "iocp: refused, IOCP requires Windows, this is Linux", "uring: available");
    }

    @Test
    void anUnknownIdFromTheSystemPropertySaysWhereItCameFrom() {
        String old = System.getProperty(DriverCatalog.PROPERTY);
        System.setProperty(DriverCatalog.PROPERTY, "nope");
        try {
            assertMentions(assertThrows(IllegalArgumentException.class, () -> DriverCatalog.of(List.of(URING)).select(null)),
                    "unknown driver id 'nope'", "from system property veloq.driver", "uring: available");
            assertSame(URING, DriverCatalog.of(List.of(URING)).select("uring"), "the builder wins over the property");
        } finally {
            if (old == null) {
                System.clearProperty(DriverCatalog.PROPERTY);
            } else {
                System.setProperty(DriverCatalog.PROPERTY, old);
            }
        }
    }

    @Test
    void anUnavailableNamedDriverSaysWhy() {
        assertMentions(assertThrows(IllegalStateException.class, () -> DriverCatalog.of(List.of(IOCP, URING)).select("iocp")),
                "driver 'iocp' is unavailable: IOCP requires Windows, this is Linux", "uring: available");
    }

    @Test
    void whenNothingFitsEveryRefusalIsListedAndTheFakeIsMentioned() {
        assertMentions(assertThrows(IllegalStateException.class, () -> DriverCatalog.of(List.of(IOCP, FAKE)).select(null)),
                "no usable Veloq driver", "iocp: refused, IOCP requires Windows", "only when named: --driver fake with ./veloq",
                "-Dveloq.driver=fake (VELOQ_JAVA_OPTS with ./veloq)", "IoRuntime.builder().driver(\"fake\") in code");
        assertMentions(assertThrows(IllegalArgumentException.class, () -> DriverCatalog.of(List.of()).select("uring")),
                "Available drivers: none found", "veloq-driver-uring");
    }

    @Test
    void aProbeThatThrowsIsAnUnavailableDriverNotACrash() {
        DriverProvider broken = new Named("broken", 50, null, false);
        DriverProvider throwing = new DriverProvider() {
            @Override
            public String id() {
                return "throwing";
            }

            @Override
            public int priority() {
                return 200;
            }

            @Override
            public Availability availability() {
                throw new UnsatisfiedLinkError("libfoo.so: cannot open shared object file");
            }

            @Override
            public Set<Capability> capabilities() {
                throw new IllegalStateException("no caps either");
            }

            @Override
            public Driver open(DriverConfig config) {
                throw new AssertionError();
            }
        };
        DriverCatalog c = DriverCatalog.of(List.of(throwing, broken, URING));
        assertSame(URING, c.select(null), "the broken ones are skipped");
        assertMentions(assertThrows(IllegalStateException.class, () -> c.select("broken")),
                "driver 'broken' is unavailable", "availability() returned null");
        assertMentions(assertThrows(IllegalStateException.class, () -> c.select("throwing")),
                "availability probe failed", "UnsatisfiedLinkError", "libfoo.so");
        DriverDescription d = c.describe().get(1); // sorted: broken, throwing, uring
        assertEquals("throwing", d.id());
        assertFalse(d.available());
        assertEquals(Set.of(), d.capabilities(), "capabilities that throw are reported empty");
    }

    @Test
    void describeReportsEachDriverSortedById() {
        List<DriverDescription> all = DriverCatalog.of(List.of(URING, IOCP, FAKE)).describe();
        assertEquals(List.of("fake", "iocp", "uring"), all.stream().map(DriverDescription::id).toList());
        DriverDescription fake = all.get(0);
        assertTrue(fake.available());
        assertTrue(fake.explicitOnly());
        assertEquals(1, fake.priority());
        DriverDescription iocp = all.get(1);
        assertFalse(iocp.available());
        assertEquals("IOCP requires Windows, this is Linux", iocp.reason());
        assertEquals(Map.of("kernel", "6.18"), all.get(2).details());
        assertEquals(Set.of(Capability.FIXED_FILES), all.get(2).capabilities());
    }

    @Test
    void throughTheRealServiceLoaderPathAnUnknownIdSaysWhatWasFound() {
        // veloq-spi's tests have the host (found by veloq.api through RuntimeFactory) and no driver module.
        assertEquals(List.of(), IoRuntime.drivers());
        assertMentions(assertThrows(IllegalArgumentException.class, () -> IoRuntime.builder().driver("uring").open()),
                "unknown driver id 'uring'", "Available drivers: none found");
        assertMentions(assertThrows(IllegalStateException.class, IoRuntime::open), "no usable Veloq driver");
    }
}
