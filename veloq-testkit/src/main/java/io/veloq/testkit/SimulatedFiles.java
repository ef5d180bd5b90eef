package io.veloq.testkit;

import io.veloq.testkit.internal.FakeKernel;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * The simulation's file store: every path is absolute and normalised, every directory exists, nothing
 * touches the real disk.
 *
 * <pre>{@code
 * sim.files().put(Path.of("/etc/app.conf"), "port=7000");
 * ... the code opens and reads it through the runtime ...
 * assertEquals("saved", sim.files().text(Path.of("/var/app/state")));
 * }</pre>
 *
 * @since 0.1
 */
public final class SimulatedFiles {
    private final FakeKernel kernel;

    SimulatedFiles(FakeKernel kernel) {
        this.kernel = kernel;
    }

    /** Creates or replaces a file. */
    public SimulatedFiles put(Path path, byte[] content) {
        kernel.files.put(path, content);
        return this;
    }

    public SimulatedFiles put(Path path, String text) {
        return put(path, text.getBytes(StandardCharsets.UTF_8));
    }

    /** The file's content, or null if it does not exist. */
    public byte[] content(Path path) {
        return kernel.files.content(path);
    }

    /** The content as UTF-8, or null. */
    public String text(Path path) {
        byte[] b = content(path);
        return b == null ? null : new String(b, StandardCharsets.UTF_8);
    }

    public boolean exists(Path path) {
        return content(path) != null;
    }

    /** How many times Fsync ran on the file (-1 if it does not exist). */
    public long syncCount(Path path) {
        return kernel.files.syncs(path);
    }

    public boolean delete(Path path) {
        return kernel.files.delete(path);
    }
}
