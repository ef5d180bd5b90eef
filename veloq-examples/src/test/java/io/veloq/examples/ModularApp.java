package io.veloq.examples;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** Starts the packaged app as a separate JVM on the module path and captures what it printed. */
final class ModularApp {
    /** The directory `mvn package` fills with every module jar (failsafe passes it in). */
    static final Path MODULES = Path.of(System.getProperty("veloq.modules.dir", "target/modules")).toAbsolutePath();
    static final String JFFI_NATIVE_ACCESS = "--enable-native-access=org.jnrproject.jffi";
    static final Path JDK25 = Path.of("/usr/lib/jvm/temurin-25-jdk-amd64");

    record Result(List<String> command, int exitCode, String out, String err) {
        @Override
        public String toString() {
            return String.join(" ", command) + "\n-> exit " + exitCode + "\n--- stdout:\n" + out + "--- stderr:\n" + err;
        }
    }

    private ModularApp() {
    }

    /** The java launcher of the JVM running the tests. */
    static Path currentJava() {
        return Path.of(System.getProperty("java.home"), "bin", "java");
    }

    /** A JDK 24+ launcher (for --illegal-native-access=deny): this JVM if it is one, else Temurin 25 if installed. */
    static Path jdk24Plus() {
        if (Runtime.version().feature() >= 24) {
            return currentJava();
        }
        Path j = JDK25.resolve("bin/java");
        return Files.isExecutable(j) ? j : null;
    }

    /**
     * {@code java [jvmOptions] -p MODULES -m veloq.examples/io.veloq.examples.Main args}: the module path and
     * the main module, nothing else (no --add-modules/--add-opens/--add-exports).
     */
    static Result run(Path java, List<String> jvmOptions, String... args) {
        return run(java, jvmOptions, List.of(), args);
    }

    /** {@link #run(Path, List, String...)} with {@code extra} after MODULES on the module path. */
    static Result run(Path java, List<String> jvmOptions, List<Path> extra, String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(java.toString());
        cmd.addAll(jvmOptions);
        cmd.add("-p");
        StringBuilder mp = new StringBuilder(MODULES.toString());
        for (Path p : extra) {
            mp.append(File.pathSeparator).append(p);
        }
        cmd.add(mp.toString());
        cmd.add("-m");
        cmd.add("veloq.examples/io.veloq.examples.Main");
        cmd.addAll(List.of(args));
        for (String c : cmd) {
            if (c.startsWith("--add-")) {
                throw new AssertionError("the modular app must run without " + c);
            }
        }
        try {
            Process p = new ProcessBuilder(cmd).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
            CompletableFuture<String> out = CompletableFuture.supplyAsync(() -> read(p.getInputStream()));
            CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> read(p.getErrorStream()));
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError("still running after 120 s: " + cmd + "\nstdout so far:\n" + out.getNow("?"));
            }
            return new Result(cmd, p.exitValue(), out.join(), err.join());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }

    /**
     * What {@code --driver fake} needs on top of MODULES, which ships no test code: the testkit and the
     * modules it requires (JUnit's API, ArchUnit), taken from this test JVM's class path.
     */
    static List<Path> testkitModulePath() {
        List<Path> out = new ArrayList<>();
        for (String e : System.getProperty("java.class.path").split(File.pathSeparator)) {
            Path p = Path.of(e).toAbsolutePath();
            String n = p.getFileName().toString();
            boolean testkitClasses = n.equals("classes") && p.getParent() != null && p.getParent().getParent() != null
                    && p.getParent().getParent().getFileName().toString().equals("veloq-testkit");
            if (testkitClasses || n.startsWith("veloq-testkit-") || n.startsWith("junit-jupiter-api-")
                    || n.startsWith("junit-platform-commons-") || n.startsWith("opentest4j-") || n.startsWith("apiguardian-api-")
                    || n.matches("archunit-\\d.*\\.jar") || n.startsWith("slf4j-api-")) {
                out.add(p);
            }
        }
        if (out.stream().noneMatch(p -> p.toString().contains("veloq-testkit"))) {
            throw new AssertionError("veloq-testkit is not on the test class path: " + System.getProperty("java.class.path"));
        }
        return out;
    }

    /** The testkit's jar (or classes directory) on the test class path. */
    static Path testkitJar() {
        return testkitModulePath().stream().filter(p -> p.toString().contains("veloq-testkit")).findFirst().orElseThrow();
    }

    private static String read(InputStream in) {
        try (in) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
