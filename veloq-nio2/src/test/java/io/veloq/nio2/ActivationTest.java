package io.veloq.nio2;

import org.junit.jupiter.api.Test;
import probe.ActivationProbe;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * How the JDK finds the provider, in separate JVMs, exactly as MODULES.md documents it: on the class path
 * only when the system property names it (the jar has no {@code META-INF/services} entry, so it never
 * takes over by accident); on the module path by service binding alone, and with the property too.
 */
class ActivationTest {
    private static final String PROPERTY = "-Djava.nio.channels.spi.AsynchronousChannelProvider=" + VeloqChannelProvider.class.getName();
    private static final Path MODULE_PATH = Paths.get("target", "module-path");

    @Test
    void classPathWithoutThePropertyKeepsTheJdkProvider() throws Exception {
        String out = run(List.of("-cp", classPath()));
        assertTrue(out.contains("provider: sun.nio.ch."), out);
        assertTrue(out.contains("round trip: hi"), out);
    }

    @Test
    void classPathWithThePropertyUsesVeloq() throws Exception {
        String out = run(List.of("--enable-native-access=ALL-UNNAMED", PROPERTY, "-cp", classPath()));
        assertTrue(out.contains("provider: " + VeloqChannelProvider.class.getName()), out);
        assertTrue(out.contains("channel: io.veloq.nio2.internal.VeloqSocketChannel"), out);
        assertTrue(out.contains("round trip: hi"), out);
    }

    @Test
    void modulePathBindsTheServiceWithNoFlag() throws Exception {
        String out = run(List.of("--enable-native-access=org.jnrproject.jffi", "-p", modulePath(), "-cp", testClasses()));
        assertTrue(out.contains("provider: " + VeloqChannelProvider.class.getName()), out);
        assertTrue(out.contains("round trip: hi"), out);
        assertFalse(out.contains("WARNING"), out);
    }

    @Test
    void modulePathWithThePropertyUsesVeloqToo() throws Exception {
        String out = run(List.of("--enable-native-access=org.jnrproject.jffi", PROPERTY, "-p", modulePath(), "-cp", testClasses()));
        assertTrue(out.contains("provider: " + VeloqChannelProvider.class.getName()), out);
        assertTrue(out.contains("round trip: hi"), out);
    }

    @Test
    void theModuleDescriptorIsTheOneModulesMdDocuments() throws IOException {
        java.lang.module.ModuleDescriptor d;
        try (InputStream in = Files.newInputStream(Paths.get("target", "classes", "module-info.class"))) {
            d = java.lang.module.ModuleDescriptor.read(in);
        }
        assertEquals("veloq.nio2", d.name());
        assertEquals(java.util.Set.of("java.base", "veloq.api"),
                d.requires().stream().map(java.lang.module.ModuleDescriptor.Requires::name).collect(Collectors.toSet()));
        assertEquals(java.util.Set.of("io.veloq.nio2"),
                d.exports().stream().map(e -> e.source() + (e.isQualified() ? " to " + e.targets() : "")).collect(Collectors.toSet()));
        assertEquals(java.util.Set.of(), d.uses());
        assertEquals(1, d.provides().size());
        java.lang.module.ModuleDescriptor.Provides p = d.provides().iterator().next();
        assertEquals("java.nio.channels.spi.AsynchronousChannelProvider", p.service());
        assertEquals(List.of(VeloqChannelProvider.class.getName()), p.providers());
        String md = modulesMd();
        for (String line : List.of("requires veloq.api", "exports io.veloq.nio2",
                "provides java.nio.channels.spi.AsynchronousChannelProvider with io.veloq.nio2.VeloqChannelProvider")) {
            assertTrue(md.contains(line), "MODULES.md does not document '" + line + "' of veloq.nio2");
        }
        assertFalse(Files.exists(Paths.get("target", "classes", "META-INF", "services",
                "java.nio.channels.spi.AsynchronousChannelProvider")), "no class-path service entry: the property activates it there");
    }

    private static String modulesMd() throws IOException {
        for (Path p = Paths.get("").toAbsolutePath(); p != null; p = p.getParent()) {
            Path md = p.resolve("MODULES.md");
            if (Files.exists(md)) {
                return Files.readString(md).replaceAll("\\s+", " ");
            }
        }
        throw new AssertionError("MODULES.md not found");
    }

    /** This module's classes (a module: it has its module-info) plus the copied jars. */
    private static String modulePath() throws IOException {
        assertTrue(Files.isDirectory(MODULE_PATH), "no " + MODULE_PATH + ": the build copies it in process-test-classes");
        try (Stream<Path> jars = Files.list(MODULE_PATH)) {
            List<String> entries = new ArrayList<>();
            entries.add(Paths.get("target", "classes").toAbsolutePath().toString());
            entries.addAll(jars.map(p -> p.toAbsolutePath().toString()).sorted().collect(Collectors.toList()));
            return String.join(File.pathSeparator, entries);
        }
    }

    private static String testClasses() throws URISyntaxException {
        return Paths.get(ActivationProbe.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
    }

    /** The same jars on the class path, with the probe. */
    private static String classPath() throws IOException, URISyntaxException {
        return modulePath() + File.pathSeparator + testClasses();
    }

    private static String run(List<String> jvmArgs) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(Paths.get(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-Djnr.ffi.x86asm.enabled=false");
        cmd.addAll(jvmArgs);
        cmd.add(ActivationProbe.class.getName());
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        p.getOutputStream().close();
        byte[] out = p.getInputStream().readAllBytes();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the probe JVM did not exit");
        String text = new String(out, StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), String.join(" ", cmd) + "\n" + text);
        return text;
    }
}
