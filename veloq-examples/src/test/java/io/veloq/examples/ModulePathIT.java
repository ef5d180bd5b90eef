package io.veloq.examples;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.spi.ToolProvider;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The modular app, as a user runs it: a separate JVM with {@code java -p <modules> -m veloq.examples/...},
 * where {@code veloq.examples} requires only {@code veloq.api} and the host and drivers arrive by service
 * binding. Also checks every module jar's descriptor ({@code jar --describe-module}) against MODULES.md.
 */
class ModulePathIT {
    private static final List<String> FLAGS = List.of(ModularApp.JFFI_NATIVE_ACCESS);
    private static ModularApp.Result doctor;
    private static String expectedDriver;

    @BeforeAll
    static void doctorSaysWhichDriverToExpect() {
        assertTrue(Files.isDirectory(ModularApp.MODULES), "no module directory " + ModularApp.MODULES + ": run mvn package");
        doctor = ModularApp.run(ModularApp.currentJava(), FLAGS, "doctor");
        assertEquals(0, doctor.exitCode(), doctor.toString());
        Matcher m = Pattern.compile("Runtime.open\\(\\) would use: (\\S+)").matcher(doctor.out());
        expectedDriver = m.find() ? m.group(1) : "nio";
    }

    @Test
    void theDemoRunsOnTheBestDriverWithNoExtraFlags() {
        ModularApp.Result r = ModularApp.run(ModularApp.currentJava(), FLAGS, "demo");
        assertEquals(0, r.exitCode(), r.toString());
        assertTrue(r.out().contains("driver: " + expectedDriver + " ("), r.toString());
        assertTrue(r.out().contains("Nop: completed with 0"), r.toString());
        assertTrue(r.out().contains("Timeout(20 ms): completed with 0"), r.toString());
        assertTrue(r.out().contains("received \"ping from veloq\""), r.toString());
        assertTrue(r.out().contains("round trip OK on driver " + expectedDriver), r.toString());
        assertFalse(r.err().contains("WARNING"), "a warning on stderr:\n" + r);
        if (isLinuxWithIoUring()) {
            assertEquals("uring", expectedDriver, "io_uring is enabled here, so the uring driver must win:\n" + doctor);
        }
    }

    @Test
    void theDemoRunsOnTheFakeDriverWhenNamedAndTheTestkitIsAdded() {
        ModularApp.Result r = ModularApp.run(ModularApp.currentJava(), FLAGS, ModularApp.testkitModulePath(),
                "demo", "--driver", "fake");
        assertEquals(0, r.exitCode(), r.toString());
        assertTrue(r.out().contains("driver: fake (named with --driver)"), r.toString());
        assertTrue(r.out().contains("round trip OK on driver fake"), r.toString());
    }

    @Test
    void doctorReportsEveryProviderTheJdkAndTheIoUringSwitches() {
        String out = doctor.out();
        for (String s : List.of("Java", "version:", "System", "kernel:", "Modules", "module path;",
                "veloq.api@", "veloq.spi@", "veloq.driver.nio@", "Drivers found:", "nio: available, priority 50",
                "Driver chain (IoRuntime.open() takes the first available):")) {
            assertTrue(out.contains(s), "doctor does not print '" + s + "':\n" + doctor);
        }
        if (System.getProperty("os.name").startsWith("Linux")) {
            assertTrue(out.contains("io_uring_disabled:") && out.contains("seccomp:"), doctor.toString());
            assertTrue(Pattern.compile("uring: (available|UNAVAILABLE)").matcher(out).find(), doctor.toString());
            if (hasCode("veloq-driver-iocp")) {
                assertTrue(out.contains("iocp: UNAVAILABLE"), "IOCP must be reported unavailable on Linux, with why:\n" + doctor);
            }
        }
        assertFalse(doctor.err().contains("WARNING"), doctor.toString());
    }

    @Test
    void anUnknownDriverIdListsTheDriversFound() {
        ModularApp.Result r = ModularApp.run(ModularApp.currentJava(),
                List.of(ModularApp.JFFI_NATIVE_ACCESS, "-Dveloq.driver=nope"), "demo");
        assertEquals(1, r.exitCode(), r.toString());
        assertTrue(r.err().contains("unknown driver id 'nope' (from system property veloq.driver)"), r.toString());
        assertTrue(r.err().contains("Available drivers: ["), r.toString());
        assertTrue(r.err().contains("nio: available"), r.toString());
        assertTrue(r.err().contains("uring: "), r.toString());
    }

    @Test
    void onJdk24PlusItRunsWithIllegalNativeAccessDeniedAndPrintsNoWarning() {
        Path java = ModularApp.jdk24Plus();
        assumeTrue(java != null, "no JDK 24+ here (this JVM is " + Runtime.version() + ", and no " + ModularApp.JDK25 + ")");
        List<String> deny = List.of(ModularApp.JFFI_NATIVE_ACCESS, "--illegal-native-access=deny");
        ModularApp.Result d = ModularApp.run(java, deny, "doctor");
        assertEquals(0, d.exitCode(), d.toString());
        if (d.out().contains("org.jnrproject.jffi is not in the boot layer")) {
            throw new AssertionError("no jnr-based driver was resolved, so this run proves nothing:\n" + d);
        }
        assertTrue(d.out().contains("native access:     enabled for org.jnrproject.jffi"), d.toString());
        ModularApp.Result r = ModularApp.run(java, deny, "demo");
        assertEquals(0, r.exitCode(), r.toString());
        assertTrue(r.out().contains("round trip OK on driver " + expectedDriver), r.toString());
        assertFalse(r.err().contains("WARNING"), "a warning on stderr with native access denied:\n" + r);
        assertFalse(d.err().contains("WARNING"), d.toString());
    }

    // ---- module descriptors ----

    /** One {@code jar --describe-module} output, split by directive. */
    record Descriptor(String name, Set<String> exports, Set<String> qualifiedExports, Set<String> requires,
                      Set<String> uses, Set<String> provides, Set<String> contains) {
        static Descriptor of(Path jar) {
            ToolProvider tool = ToolProvider.findFirst("jar").orElseThrow(() -> new AssertionError("no jar tool in this JDK"));
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            int rc = tool.run(new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8),
                    "--describe-module", "--file", jar.toString());
            String text = out.toString(StandardCharsets.UTF_8);
            assertEquals(0, rc, "jar --describe-module --file " + jar + ": " + err);
            if (text.contains("No module descriptor found")) {
                throw new AssertionError(jar.getFileName() + " has no module-info.class:\n" + text);
            }
            String[] lines = text.strip().split("\\R");
            String name = lines[0].split("[@ ]")[0];
            Map<String, Set<String>> by = new TreeMap<>();
            for (String k : List.of("exports", "qualified exports", "requires", "uses", "provides", "contains")) {
                by.put(k, new TreeSet<>());
            }
            for (int i = 1; i < lines.length; i++) {
                String l = lines[i].strip();
                if (l.startsWith("qualified exports ")) {
                    by.get("qualified exports").add(l.substring("qualified exports ".length()));
                } else if (!l.isEmpty()) {
                    int sp = l.indexOf(' ');
                    Set<String> set = by.get(l.substring(0, sp));
                    assertNotNull(set, "unexpected line in the descriptor of " + jar.getFileName() + ": " + l);
                    set.add(l.substring(sp + 1));
                }
            }
            return new Descriptor(name, by.get("exports"), by.get("qualified exports"), by.get("requires"),
                    by.get("uses"), by.get("provides"), by.get("contains"));
        }
    }

    private static Path jar(String artifact) throws IOException {
        try (Stream<Path> s = Files.list(ModularApp.MODULES)) {
            return s.filter(p -> p.getFileName().toString().matches(Pattern.quote(artifact) + "-\\d.*\\.jar"))
                    .findFirst().orElseThrow(() -> new AssertionError(artifact + " jar missing from " + ModularApp.MODULES));
        }
    }

    /** False for a module whose sources are not written yet (an empty jar), which has nothing to describe. */
    private static boolean hasCode(String artifact) {
        try (java.util.zip.ZipFile z = new java.util.zip.ZipFile(jar(artifact).toFile())) {
            return z.stream().anyMatch(e -> e.getName().endsWith(".class"));
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    private static String modulesMd() throws IOException {
        Path here = Path.of("").toAbsolutePath();
        for (Path p = here; p != null; p = p.getParent()) {
            Path md = p.resolve("MODULES.md");
            if (Files.exists(md)) {
                return Files.readString(md).replaceAll("\\s+", " ");
            }
        }
        throw new AssertionError("MODULES.md not found above " + here);
    }

    private static void documented(String md, Descriptor d, String what) {
        assertTrue(md.contains(what.replaceAll("\\s+", " ")), "MODULES.md does not document '" + what + "' of " + d.name());
    }

    @Test
    void veloqApiRequiresOnlyJavaBaseAndExportsTheBridgeOnlyToTheSpi() throws IOException {
        Descriptor d = Descriptor.of(jar("veloq-api"));
        assertEquals("veloq.api", d.name());
        assertEquals(Set.of("java.base mandated"), d.requires());
        assertEquals(Set.of("io.veloq.api", "io.veloq.api.op", "io.veloq.api.buffer", "io.veloq.api.net", "io.veloq.api.tls",
                "io.veloq.api.xdp"),
                d.exports());
        assertEquals(Set.of("io.veloq.api.bootstrap to veloq.spi"), d.qualifiedExports());
        assertEquals(Set.of("io.veloq.api.bootstrap.RuntimeFactory", "io.veloq.api.bootstrap.XdpFactory"), d.uses());
        assertEquals(Set.of(), d.provides());
        String md = modulesMd();
        documented(md, d, "exports io.veloq.api, io.veloq.api.op, io.veloq.api.buffer, io.veloq.api.net, io.veloq.api.tls, io.veloq.api.xdp");
        documented(md, d, "exports io.veloq.api.bootstrap to veloq.spi");
        documented(md, d, "uses io.veloq.api.bootstrap.RuntimeFactory");
        documented(md, d, "uses io.veloq.api.bootstrap.XdpFactory");
    }

    @Test
    void veloqSpiRequiresTheApiTransitivelyProvidesTheRuntimeAndUsesDrivers() throws IOException {
        Descriptor d = Descriptor.of(jar("veloq-spi"));
        assertEquals("veloq.spi", d.name());
        assertEquals(Set.of("java.base mandated", "veloq.api transitive"), d.requires());
        assertEquals(Set.of("io.veloq.spi", "io.veloq.spi.xdp"), d.exports());
        assertEquals(Set.of("io.veloq.spi.internal.host to veloq.testkit"), d.qualifiedExports());
        assertEquals(Set.of("io.veloq.spi.DriverProvider"), d.uses());
        assertEquals(Set.of("io.veloq.api.bootstrap.RuntimeFactory with io.veloq.spi.internal.host.HostRuntimeFactory",
                "io.veloq.api.bootstrap.XdpFactory with io.veloq.spi.internal.xdp.HostXdpFactory"), d.provides());
        String md = modulesMd();
        documented(md, d, "requires transitive veloq.api");
        documented(md, d, "exports io.veloq.spi.internal.host to veloq.testkit");
        documented(md, d, "uses io.veloq.spi.DriverProvider");
        documented(md, d, "provides io.veloq.api.bootstrap.RuntimeFactory with io.veloq.spi.internal.host.HostRuntimeFactory");
        documented(md, d, "exports io.veloq.spi, io.veloq.spi.xdp");
        documented(md, d, "provides io.veloq.api.bootstrap.XdpFactory with io.veloq.spi.internal.xdp.HostXdpFactory");
    }

    @Test
    void driversProvideADriverAndExportOnlyTheirBindingPackage() throws IOException {
        List<String> checked = new ArrayList<>();
        for (String id : List.of("uring", "iocp")) {
            String artifact = "veloq-driver-" + id;
            if (!hasCode(artifact)) {
                continue; // not written yet: nothing to check (the uring one must exist, see below)
            }
            Descriptor d = Descriptor.of(jar(artifact));
            assertEquals("veloq.driver." + id, d.name());
            Set<String> required = d.requires().stream().map(r -> r.split(" ")[0]).collect(Collectors.toSet());
            assertTrue(required.containsAll(Set.of("veloq.spi", "org.jnrproject.ffi", "org.jnrproject.jffi", "org.objectweb.asm")),
                    d.name() + " requires " + d.requires());
            assertFalse(required.contains("jdk.unsupported"), d.name() + " must not require jdk.unsupported");
            assertEquals(Set.of("io.veloq.driver." + id + ".ffi"), d.exports(),
                    d.name() + " exports only its jnr binding package");
            assertEquals(Set.of(), d.qualifiedExports());
            assertEquals(Set.of(), d.uses());
            assertEquals(1, d.provides().size(), d.provides().toString());
            assertTrue(d.provides().iterator().next().startsWith("io.veloq.spi.DriverProvider with io.veloq.driver." + id + "."),
                    d.provides().toString());
            documented(modulesMd(), d, "provides " + d.provides().iterator().next());
            checked.add(id);
        }
        assertTrue(checked.contains("uring"), "the io_uring driver jar has no code");
        String md = modulesMd();
        documented(md, Descriptor.of(jar("veloq-driver-uring")), "requires org.jnrproject.ffi, org.jnrproject.jffi, org.objectweb.asm");
    }

    @Test
    void theNioDriverIsPureJavaAndExportsNothing() throws IOException {
        Descriptor d = Descriptor.of(jar("veloq-driver-nio"));
        assertEquals("veloq.driver.nio", d.name());
        assertEquals(Set.of("java.base mandated", "veloq.spi", "jdk.net"), d.requires());
        assertEquals(Set.of(), d.exports());
        assertEquals(Set.of(), d.qualifiedExports());
        assertEquals(Set.of(), d.uses());
        assertEquals(Set.of("io.veloq.spi.DriverProvider with io.veloq.driver.nio.NioProvider"), d.provides());
        String md = modulesMd();
        documented(md, d, "requires veloq.spi, jdk.net");
        documented(md, d, "provides io.veloq.spi.DriverProvider with io.veloq.driver.nio.NioProvider");
    }

    @Test
    void theAppsModuleDirectoryShipsNoTestCode() throws IOException {
        try (Stream<Path> s = Files.list(ModularApp.MODULES)) {
            List<String> test = s.map(p -> p.getFileName().toString())
                    .filter(n -> n.startsWith("veloq-testkit") || n.startsWith("junit-") || n.startsWith("archunit")
                            || n.startsWith("opentest4j") || n.startsWith("apiguardian"))
                    .collect(Collectors.toList());
            assertEquals(List.of(), test, "the demo falls back to nio, so " + ModularApp.MODULES + " needs no testkit");
        }
    }

    @Test
    void theTestkitProvidesTheFakeDriverAndExportsTheArchRules() throws IOException {
        Descriptor d = Descriptor.of(ModularApp.testkitJar());
        assertEquals("veloq.testkit", d.name());
        assertTrue(d.requires().contains("veloq.spi transitive"), d.requires().toString());
        assertTrue(d.exports().containsAll(Set.of("io.veloq.testkit", "io.veloq.testkit.arch")), d.exports().toString());
        assertEquals(Set.of("io.veloq.spi.DriverProvider with io.veloq.testkit.internal.FakeProvider"), d.provides());
        assertEquals(Set.of(), d.uses());
        String md = modulesMd();
        for (String e : d.exports()) {
            documented(md, d, "exports " + e);
        }
        documented(md, d, "provides " + d.provides().iterator().next());
    }

    @Test
    void theExamplesRequireOnlyTheApi() throws IOException {
        Descriptor d = Descriptor.of(jar("veloq-examples"));
        assertEquals("veloq.examples", d.name());
        assertEquals(Set.of("java.base mandated", "veloq.api"), d.requires());
        assertEquals(Set.of(), d.exports());
        assertEquals(Set.of(), d.qualifiedExports());
        assertEquals(Set.of(), d.uses());
        assertEquals(Set.of(), d.provides());
    }

    private static boolean isLinuxWithIoUring() {
        if (!System.getProperty("os.name").startsWith("Linux")) {
            return false;
        }
        try {
            String disabled = Files.readString(Path.of("/proc/sys/kernel/io_uring_disabled")).strip();
            String status = Files.readString(Path.of("/proc/self/status"));
            return disabled.equals("0") && status.contains("Seccomp:\t0");
        } catch (IOException e) {
            return false;
        }
    }
}
