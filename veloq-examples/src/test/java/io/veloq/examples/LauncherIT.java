package io.veloq.examples;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The {@code ./veloq} launcher itself (issue 10, defect 7): users add module-path entries
 * ({@code --module-path-add}, {@code VELOQ_MODULE_PATH}), and {@code --enable-native-access=org.jnrproject.jffi}
 * is passed only when jffi is resolved, so a module path with only the pure-Java driver runs without the
 * "Unknown module" warning. Runs the real script with {@code VELOQ_MODULES} pointing at module directories
 * made from the packaged jars (no Maven run).
 */
class LauncherIT {
    private static final Path ROOT = findRoot();

    private static Path findRoot() {
        for (Path p = ModularApp.MODULES; p != null; p = p.getParent()) {
            if (Files.isExecutable(p.resolve("veloq")) && Files.exists(p.resolve("MODULES.md"))) {
                return p;
            }
        }
        throw new AssertionError("no ./veloq above " + ModularApp.MODULES);
    }

    record Result(int code, String out, String err) {
        @Override
        public String toString() {
            return "exit " + code + "\n--- stdout:\n" + out + "--- stderr:\n" + err;
        }
    }

    private static Result veloq(Path java, Map<String, String> env, String... args) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(ROOT.resolve("veloq").toString());
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(ROOT.toFile());
        pb.environment().put("JAVA_HOME", java.getParent().getParent().toString());
        pb.environment().remove("VELOQ_JAVA_OPTS");
        pb.environment().remove("VELOQ_MODULE_PATH");
        pb.environment().putAll(env);
        pb.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        Process p = pb.start();
        CompletableFuture<String> out = CompletableFuture.supplyAsync(() -> read(p.getInputStream()));
        CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> read(p.getErrorStream()));
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "./veloq " + String.join(" ", args) + " still running");
        return new Result(p.exitValue(), out.get(), err.get());
    }

    private static String read(java.io.InputStream in) {
        try (in) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return e.toString();
        }
    }

    /** A module directory with the app and only the pure-Java driver: no jnr-ffi, no jffi. */
    private static Path pureJava(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(ModularApp.MODULES)) {
            for (Path jar : s.filter(p -> p.getFileName().toString().matches("veloq-(api|spi|driver-nio|examples)-\\d.*\\.jar"))
                    .collect(Collectors.toList())) {
                Files.copy(jar, dir.resolve(jar.getFileName()));
            }
        }
        return dir;
    }

    private static List<Path> javas() {
        List<Path> out = new ArrayList<>(List.of(ModularApp.currentJava()));
        Path j25 = ModularApp.jdk24Plus();
        if (j25 != null && !j25.equals(ModularApp.currentJava())) {
            out.add(j25);
        }
        return out;
    }

    @Test
    void onlyThePureJavaDriverRunsWithoutAnyWarning(@TempDir Path dir) throws Exception {
        Path modules = pureJava(dir);
        for (Path java : javas()) {
            Result r = veloq(java, Map.of("VELOQ_MODULES", modules.toString()), "demo");
            assertEquals(0, r.code(), java + ": " + r);
            assertTrue(r.out().contains("driver: nio (best available)"), r.toString());
            assertTrue(r.out().contains("round trip OK on driver nio"), r.toString());
            assertFalse(r.err().contains("WARNING"), java + " printed a warning (Unknown module?):\n" + r);
            Result d = veloq(java, Map.of("VELOQ_MODULES", modules.toString()), "doctor");
            assertTrue(d.out().contains("org.jnrproject.jffi is not in the boot layer"), d.toString());
            assertFalse(d.err().contains("WARNING"), d.toString());
        }
    }

    @Test
    void withAJnrDriverJffiGetsNativeAccess() throws Exception {
        Path java = ModularApp.jdk24Plus();
        assumeTrue(java != null, "native access is reported from JDK 22 on; no JDK 24+ here");
        Result d = veloq(java, Map.of("VELOQ_MODULES", ModularApp.MODULES.toString()), "doctor");
        assertEquals(0, d.code(), d.toString());
        assertTrue(d.out().contains("native access:     enabled for org.jnrproject.jffi"), d.toString());
        assertFalse(d.err().contains("WARNING"), d.toString());
    }

    @Test
    void usersAddModulePathEntriesByFlagOrEnvironment(@TempDir Path dir) throws Exception {
        Path modules = pureJava(dir);
        String testkit = ModularApp.testkitModulePath().stream().map(Path::toString)
                .collect(Collectors.joining(File.pathSeparator));
        Map<String, String> env = Map.of("VELOQ_MODULES", modules.toString());
        Result flag = veloq(ModularApp.currentJava(), env, "--module-path-add", testkit, "demo", "--driver", "fake");
        assertEquals(0, flag.code(), flag.toString());
        assertTrue(flag.out().contains("round trip OK on driver fake"), flag.toString());
        assertFalse(flag.err().contains("WARNING"), flag.toString());

        Result var = veloq(ModularApp.currentJava(), Map.of("VELOQ_MODULES", modules.toString(), "VELOQ_MODULE_PATH", testkit),
                "demo", "--driver", "fake");
        assertEquals(0, var.code(), var.toString());
        assertTrue(var.out().contains("round trip OK on driver fake"), var.toString());

        Result missing = veloq(ModularApp.currentJava(), env, "--module-path-add", dir.resolve("nope.jar").toString(), "demo");
        assertEquals(1, missing.code(), missing.toString());
        assertTrue(missing.err().contains("nope.jar does not exist"), missing.toString());
    }

    @Test
    void helpDocumentsTheModulePathOptions() throws Exception {
        Result r = veloq(ModularApp.currentJava(), Map.of("VELOQ_MODULES", ModularApp.MODULES.toString()), "help");
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.out().contains("--module-path-add") && r.out().contains("VELOQ_MODULE_PATH"), r.toString());
        String readme = Files.readString(ROOT.resolve("README.md"));
        assertTrue(readme.contains("--module-path-add") && readme.contains("VELOQ_MODULE_PATH"), "README documents them");
    }
}
