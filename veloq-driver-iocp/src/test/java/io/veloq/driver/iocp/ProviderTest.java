package io.veloq.driver.iocp;

import io.veloq.api.Capability;
import io.veloq.api.DriverDescription;
import io.veloq.spi.Availability;
import io.veloq.spi.DriverConfig;
import io.veloq.spi.DriverProvider;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.module.ModuleDescriptor;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The service as the runtime finds it: module descriptor, ServiceLoader, availability, capabilities. */
public class ProviderTest {

    @Test
    void moduleExportsOnlyTheFfiPackageAndProvidesTheService() {
        Module m = IocpDriverProvider.class.getModule();
        assertTrue(m.isNamed(), "tests run on the module path");
        assertEquals("veloq.driver.iocp", m.getName());
        ModuleDescriptor d = m.getDescriptor();
        assertEquals(Set.of("io.veloq.driver.iocp.ffi"),
                d.exports().stream().map(ModuleDescriptor.Exports::source).collect(Collectors.toSet()));
        assertTrue(d.exports().stream().noneMatch(ModuleDescriptor.Exports::isQualified),
                "jnr-ffi implements the binding interfaces from an unnamed module: the export must be unqualified");
        assertEquals(Set.of("io.veloq.driver.iocp.IocpDriverProvider"), d.provides().stream()
                .filter(p -> p.service().equals(DriverProvider.class.getName()))
                .flatMap(p -> p.providers().stream()).collect(Collectors.toSet()));
        Set<String> requires = d.requires().stream().map(ModuleDescriptor.Requires::name).collect(Collectors.toSet());
        assertTrue(requires.containsAll(Set.of("veloq.spi", "org.jnrproject.ffi", "org.jnrproject.jffi", "org.objectweb.asm")),
                requires.toString());
    }

    @Test
    void theRuntimeFindsTheProviderAsAServiceAndReportsWhyItIsUnavailable() {
        // IoRuntime.drivers() is what ./veloq doctor prints: api -> spi host -> ServiceLoader of DriverProvider.
        DriverDescription d = io.veloq.api.IoRuntime.drivers().stream().filter(x -> x.id().equals("iocp")).findFirst()
                .orElseThrow(() -> new AssertionError("iocp not among " + io.veloq.api.IoRuntime.drivers()));
        assertEquals(Bindings.windows(), d.available(), d.reason());
        if (!Bindings.windows()) {
            assertTrue(d.reason().startsWith("IOCP requires Windows (this is "), d.reason());
        }
        assertEquals(Set.of(Capability.FILE_IO, Capability.SOCKET_OPTIONS, Capability.DATAGRAM_SOCKETS, Capability.IPV6_V6ONLY,
                Capability.MULTISHOT), d.capabilities());
    }

    @Test
    void availabilityIsTruthfulForThisOs() throws IOException {
        IocpDriverProvider p = new IocpDriverProvider();
        assertEquals("iocp", p.id());
        assertEquals(100, p.priority());
        assertFalse(p.explicitOnly());
        assertEquals(Set.of(Capability.FILE_IO, Capability.SOCKET_OPTIONS, Capability.DATAGRAM_SOCKETS, Capability.IPV6_V6ONLY,
                Capability.MULTISHOT), p.capabilities());
        Availability a = p.availability();
        if (Bindings.windows()) {
            assertTrue(a.available(), a.reason());
            return;
        }
        assertFalse(a.available());
        assertEquals("IOCP requires Windows (this is " + System.getProperty("os.name") + " "
                + System.getProperty("os.version") + ")", a.reason());
        IOException e = assertThrows(IOException.class, () -> p.open(new DriverConfig(0, 8, 8, 0, Map.of())));
        assertTrue(e.getMessage().contains("IOCP requires Windows"), e.getMessage());
        assertTrue(p.details().get("binding").contains("loaded on first open"), p.details().toString());
    }

    @Test
    void aSimulatorBackedProviderIsAvailableEverywhere() {
        IocpDriverProvider p = IocpDriverProvider.withBinding(io.veloq.driver.iocp.sim.SimWin32::new, "the simulator");
        assertTrue(p.availability().available());
        assertTrue(p.availability().reason().contains("simulator"));
    }
}
