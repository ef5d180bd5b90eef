package io.veloq.examples;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.lang.ArchRule;
import io.veloq.testkit.arch.VeloqArchRules;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.spi.ToolProvider;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Veloq's layering rules ({@link VeloqArchRules}) applied to the shipped jars, and proof that each rule
 * catches what it is meant to (classes compiled here that break it on purpose).
 */
class ArchitectureIT {
    private static List<Path> veloqJars;
    private static JavaClasses veloq;

    @BeforeAll
    static void importTheShippedJars() throws IOException {
        try (Stream<Path> s = Files.list(ModularApp.MODULES)) {
            List<Path> shipped = new ArrayList<>(s.filter(p -> p.getFileName().toString().startsWith("veloq-")).sorted().toList());
            shipped.add(ModularApp.testkitJar()); // test code: not in the app's module directory
            veloqJars = shipped;
        }
        assertTrue(veloqJars.size() >= 6, "expected the veloq module jars in " + ModularApp.MODULES + ", found " + veloqJars);
        List<java.util.jar.JarFile> jars = new ArrayList<>();
        for (Path p : veloqJars) {
            jars.add(new java.util.jar.JarFile(p.toFile()));
        }
        veloq = new ClassFileImporter().importJars(jars);
        for (java.util.jar.JarFile j : jars) {
            j.close();
        }
        for (String must : List.of("io.veloq.api.Op", "io.veloq.api.net.SockAddrStorage", "io.veloq.spi.Driver",
                "io.veloq.spi.internal.host.LoopHost", "io.veloq.testkit.arch.VeloqArchRules", "io.veloq.examples.Main")) {
            assertTrue(veloq.contain(must), "the import lacks " + must + ": the rules would check nothing");
        }
        assertTrue(veloq.stream().anyMatch(c -> c.getPackageName().startsWith("io.veloq.driver.uring")),
                "no io_uring driver classes imported");
    }

    @Test
    void theApiDependsOnlyOnTheJdk() {
        VeloqArchRules.API_DEPENDS_ONLY_ON_JDK.check(veloq);
    }

    @Test
    void driversDependOnlyOnSpiApiJdkAndJnr() {
        VeloqArchRules.DRIVERS_DEPEND_ONLY_ON_SPI_API_JDK_AND_JNR.check(veloq);
        for (ArchRule r : VeloqArchRules.forDriver("io.veloq.driver.uring..")) {
            r.check(veloq);
        }
    }

    @Test
    void theNioDriverIsPureJava() {
        assertTrue(veloq.stream().anyMatch(c -> c.getPackageName().startsWith("io.veloq.driver.nio")), "no nio driver classes imported");
        for (ArchRule r : VeloqArchRules.forDriver("io.veloq.driver.nio..")) {
            r.check(veloq);
        }
        com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses().that().resideInAPackage("io.veloq.driver.nio..")
                .should().dependOnClassesThat().resideInAnyPackage("jnr..", "com.kenai..", "sun..", "jdk.internal..")
                .because("the nio driver runs wherever a JDK does: no native code, no JDK internals")
                .check(veloq);
    }

    @Test
    void noJnrTypeInAPublicSignatureOfApiOrSpi() {
        VeloqArchRules.NO_JNR_TYPES_IN_API_OR_SPI_SIGNATURES.check(veloq);
    }

    @Test
    void noPackageCycles() {
        VeloqArchRules.NO_PACKAGE_CYCLES.check(veloq);
    }

    @Test
    void noUnsafeAnywhere() {
        VeloqArchRules.NO_UNSAFE.check(veloq);
    }

    @Test
    void allIsEveryRule() {
        assertEquals(5, VeloqArchRules.all().size());
        VeloqArchRules.all().forEach(r -> r.check(veloq));
    }

    // ---- each rule bites: classes that break it, compiled here ----

    private static final Map<String, String> VIOLATIONS = Map.of(
            "io/veloq/api/fixture/LeakyBuffer.java", """
                    package io.veloq.api.fixture;
                    public class LeakyBuffer {
                        private jnr.ffi.Pointer hidden;          // a dependency: breaks the api rule
                        public jnr.ffi.Pointer address() { return hidden; }   // and the signature rule
                    }
                    """,
            "io/veloq/spi/fixture/LeakySpi.java", """
                    package io.veloq.spi.fixture;
                    public interface LeakySpi {
                        java.util.List<com.kenai.jffi.CallContext> contexts();   // inside a generic type too
                    }
                    """,
            "io/veloq/spi/fixture/QuietSpi.java", """
                    package io.veloq.spi.fixture;
                    public class QuietSpi {
                        private jnr.ffi.Pointer internalOnly;    // private: allowed
                        void packagePrivate(jnr.ffi.Pointer p) { }
                    }
                    """,
            "io/veloq/driver/fixture/BadDriver.java", """
                    package io.veloq.driver.fixture;
                    public class BadDriver {
                        io.veloq.spi.internal.host.RuntimeHost host;   // the host is not for drivers
                        org.objectweb.asm.ClassVisitor visitor;        // nor is ASM
                        sun.misc.Unsafe unsafe;                         // nor Unsafe, anywhere
                        jnr.ffi.Pointer fine;                           // jnr-ffi is allowed
                        io.veloq.spi.Driver alsoFine;
                    }
                    """,
            "io/veloq/cyclefixture/a/A.java", """
                    package io.veloq.cyclefixture.a;
                    public class A { io.veloq.cyclefixture.b.B b; }
                    """,
            "io/veloq/cyclefixture/b/B.java", """
                    package io.veloq.cyclefixture.b;
                    public class B { io.veloq.cyclefixture.a.A a; }
                    """);

    private static JavaClasses compileViolations(Path dir) throws IOException {
        Path src = dir.resolve("src");
        Path out = dir.resolve("classes");
        List<String> files = new ArrayList<>();
        for (Map.Entry<String, String> e : VIOLATIONS.entrySet()) {
            Path f = src.resolve(e.getKey());
            Files.createDirectories(f.getParent());
            Files.writeString(f, e.getValue());
            files.add(f.toString());
        }
        String classPath;
        try (Stream<Path> s = Files.list(ModularApp.MODULES)) {
            classPath = s.map(Path::toString).collect(Collectors.joining(java.io.File.pathSeparator));
        }
        ToolProvider javac = ToolProvider.findFirst("javac").orElseThrow(() -> new AssertionError("no javac in this JDK"));
        List<String> args = new ArrayList<>(List.of("-d", out.toString(), "-cp", classPath, "-proc:none", "-nowarn",
                "-XDignore.symbol.file"));
        args.addAll(files);
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream errs = new PrintStream(err, true, java.nio.charset.StandardCharsets.UTF_8);
        int rc = javac.run(errs, errs, args.toArray(String[]::new));
        assertEquals(0, rc, "the fixture classes do not compile:\n" + err);
        return new ClassFileImporter().importPath(out);
    }

    private static String violationOf(ArchRule rule, JavaClasses classes) {
        AssertionError e = assertThrows(AssertionError.class, () -> rule.check(classes), rule.getDescription() + " did not fire");
        return e.getMessage();
    }

    @Test
    void eachRuleCatchesWhatItIsFor(@TempDir Path dir) throws IOException {
        JavaClasses bad = compileViolations(dir);

        String api = violationOf(VeloqArchRules.API_DEPENDS_ONLY_ON_JDK, bad);
        assertTrue(api.contains("LeakyBuffer") && api.contains("jnr.ffi.Pointer"), api);

        String signatures = violationOf(VeloqArchRules.NO_JNR_TYPES_IN_API_OR_SPI_SIGNATURES, bad);
        assertTrue(signatures.contains("address(...) returns jnr.ffi.Pointer"), signatures);
        assertTrue(signatures.contains("contexts(...) returns com.kenai.jffi.CallContext"), signatures);
        assertTrue(!signatures.contains("QuietSpi") && !signatures.contains("LeakyBuffer: field hidden"),
                "private and package-private members are not public signatures:\n" + signatures);

        String drivers = violationOf(VeloqArchRules.DRIVERS_DEPEND_ONLY_ON_SPI_API_JDK_AND_JNR, bad);
        assertTrue(drivers.contains("io.veloq.spi.internal.host.RuntimeHost") && drivers.contains("org.objectweb.asm.ClassVisitor"), drivers);
        assertTrue(!drivers.contains("jnr.ffi.Pointer") && !drivers.contains("io.veloq.spi.Driver>"), "allowed types flagged:\n" + drivers);

        String unsafe = violationOf(VeloqArchRules.NO_UNSAFE, bad);
        assertTrue(unsafe.contains("BadDriver") && unsafe.contains("sun.misc.Unsafe"), unsafe);

        String cycles = violationOf(VeloqArchRules.NO_PACKAGE_CYCLES, bad);
        assertTrue(cycles.contains("io.veloq.cyclefixture.a") && cycles.contains("io.veloq.cyclefixture.b"), cycles);

        String thirdParty = violationOf(VeloqArchRules.forDriver("io.veloq.driver.fixture..").get(0), bad);
        assertTrue(thirdParty.contains("RuntimeHost"), thirdParty);
    }
}
