package io.veloq.examples;

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
        List<String> cmd = new ArrayList<>();
        cmd.add(java.toString());
        cmd.addAll(jvmOptions);
        cmd.add("-p");
        cmd.add(MODULES.toString());
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

    private static String read(InputStream in) {
        try (in) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
