package io.veloq.examples;

import io.veloq.api.DriverDescription;
import io.veloq.api.IoRuntime;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The guide cannot rot: copies the {@code pom.xml}, {@code module-info.java}, {@code Main.java} and the
 * {@code java} command out of {@code docs/maven.md} (the fenced block after each {@code <!-- guide-snippet:
 * NAME -->} marker), builds that project with Maven against the jars of this build, runs the command and
 * checks what it prints.
 *
 * <p>Offline and without touching the shared local repository: this build's Veloq jars and poms are
 * placed in a temporary local repository under {@code target/guide-it/repo}, and Maven's only remote
 * repository there is a mirror of the user's local repository ({@code file://~/.m2/repository}), which holds
 * every plugin and library the snippet needs because this build used them (override the path with
 * {@code -Dveloq.it.m2repo=...}).
 */
class GuideIT {
    private static final String VERSION = "0.1.0-SNAPSHOT";
    private static final String EXPECTED = "driver uring: received ping (4 bytes)";

    @Test
    @Timeout(value = 15, unit = TimeUnit.MINUTES) // a whole Maven build, on a machine shared with other builds
    void theMavenGuideBuildsAndRunsOnTheModulePath() throws Exception {
        boolean uring = false;
        for (DriverDescription d : IoRuntime.drivers()) {
            uring |= d.id().equals("uring") && d.available();
        }
        Assumptions.assumeTrue(uring, "the guide's app runs on the io_uring driver, which is not available here");

        Path modules = Path.of(System.getProperty("veloq.modules.dir", "target/modules")).toAbsolutePath();
        Path root = modules.getParent().getParent().getParent();
        String guide = Files.readString(root.resolve("docs/maven.md"));

        Path work = modules.getParent().resolve("guide-it");
        deleteTree(work);
        Path repo = Files.createDirectories(work.resolve("repo"));
        install(repo, "veloq-parent", root.resolve("pom.xml"), null);
        install(repo, "veloq-bom", root.resolve("veloq-bom/pom.xml"), null);
        for (String module : List.of("veloq-api", "veloq-spi", "veloq-driver-uring")) {
            install(repo, module, root.resolve(module).resolve("pom.xml"), modules.resolve(module + "-" + VERSION + ".jar"));
        }
        Path m2 = Path.of(System.getProperty("veloq.it.m2repo",
                Path.of(System.getProperty("user.home"), ".m2", "repository").toString()));
        Path settings = work.resolve("settings.xml");
        Files.writeString(settings, "<settings><mirrors><mirror><id>local-cache</id><mirrorOf>*</mirrorOf><url>"
                + m2.toUri() + "</url></mirror></mirrors></settings>\n");

        Path project = work.resolve("hello-veloq");
        Path src = Files.createDirectories(project.resolve("src/main/java/com/example/hello"));
        Files.writeString(project.resolve("pom.xml"), snippet(guide, "pom.xml"));
        Files.writeString(project.resolve("src/main/java/module-info.java"), snippet(guide, "module-info.java"));
        Files.writeString(src.resolve("Main.java"), snippet(guide, "Main.java"));

        Result build = run(project, 600, "mvn", "-B", "-s", settings.toString(), "-Dmaven.repo.local=" + repo, "package");
        assertEquals(0, build.exit, "mvn package of the guide's project failed:\n" + build.output);
        assertTrue(Files.isRegularFile(project.resolve("target/modules/hello-veloq-1.0.0.jar")), build.output);

        List<String> command = new ArrayList<>(Arrays.asList(snippet(guide, "run").trim().split("\\s+")));
        assertEquals("java", command.get(0), "the guide's run line starts with java: " + command);
        command.set(0, Path.of(System.getProperty("java.home"), "bin", "java").toString());
        Result app = run(project, 120, command.toArray(String[]::new));
        assertEquals(0, app.exit, String.join(" ", command) + " failed:\n" + app.output);
        assertTrue(app.output.contains(EXPECTED), "expected '" + EXPECTED + "' from the guide's app, got:\n" + app.output);
        assertTrue(guide.contains(EXPECTED), "the guide shows the output the app prints");
        assertFalse(app.output.contains("WARNING"), app.output);

        // On JDK 24+ the native-access flag is what keeps jffi quiet: deny illegal access and look for warnings.
        Path jdk25 = Path.of("/usr/lib/jvm/temurin-25-jdk-amd64/bin/java");
        if (Files.isExecutable(jdk25)) {
            List<String> strict = new ArrayList<>(command);
            strict.set(0, jdk25.toString());
            strict.add(1, "--illegal-native-access=deny");
            Result r = run(project, 120, strict.toArray(String[]::new));
            assertEquals(0, r.exit, String.join(" ", strict) + " failed:\n" + r.output);
            assertTrue(r.output.contains(EXPECTED), r.output);
            assertFalse(r.output.contains("WARNING"), r.output);
        }
    }

    /** The fenced block after {@code <!-- guide-snippet: NAME -->}. */
    static String snippet(String doc, String name) {
        String marker = "<!-- guide-snippet: " + name + " -->";
        int at = doc.indexOf(marker);
        assertTrue(at >= 0, "docs/maven.md has no " + marker);
        int fence = doc.indexOf("```", at);
        int start = doc.indexOf('\n', fence) + 1;
        int end = doc.indexOf("```", start);
        assertTrue(fence > 0 && end > start, "no fenced block after " + marker);
        return doc.substring(start, end);
    }

    /** Places a module's pom (and jar) where a local repository keeps them, as {@code install:install-file} would. */
    private static void install(Path repo, String artifact, Path pom, Path jar) throws IOException {
        Path dir = Files.createDirectories(repo.resolve("io/veloq").resolve(artifact).resolve(VERSION));
        Files.copy(pom, dir.resolve(artifact + "-" + VERSION + ".pom"));
        if (jar != null) {
            assertTrue(Files.isRegularFile(jar), jar + " is missing: run mvn package first");
            Files.copy(jar, dir.resolve(artifact + "-" + VERSION + ".jar"));
        }
    }

    private record Result(int exit, String output) {
    }

    private static Result run(Path dir, long timeoutSeconds, String... command) throws Exception {
        Path log = Files.createTempFile(dir.getParent(), "run", ".log");
        Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(log.toFile()).start();
        if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError(String.join(" ", command) + " did not finish within " + timeoutSeconds
                    + " s:\n" + Files.readString(log));
        }
        return new Result(p.exitValue(), Files.readString(log, StandardCharsets.UTF_8));
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
