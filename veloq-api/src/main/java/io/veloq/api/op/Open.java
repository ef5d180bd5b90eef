package io.veloq.api.op;

import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.EnumSet;
import java.util.Objects;
import java.util.Set;

/**
 * Opens a file; completes with its handle. Options follow {@link StandardOpenOption}: READ, WRITE,
 * APPEND, CREATE, CREATE_NEW, TRUNCATE_EXISTING, DSYNC, SYNC (others are refused by the driver with a
 * clear error).
 *
 * <pre>{@code long fd = loop.call(new Open(path, EnumSet.of(READ, WRITE, CREATE), 0644)).valueOrThrow();}</pre>
 *
 * @param path    the file
 * @param options how to open it; READ when empty
 * @param mode    permission bits for a created file (e.g. {@code 0644})
 * @since 0.1
 */
public record Open(Path path, Set<StandardOpenOption> options, int mode) implements OpPayload {
    public Open {
        Objects.requireNonNull(path, "Open needs a path");
        Objects.requireNonNull(options, "Open needs a set of options (may be empty)");
        options = options.isEmpty() ? Set.of(StandardOpenOption.READ)
                : Set.copyOf(EnumSet.copyOf(options));
        if ((mode & ~07777) != 0) {
            throw new IllegalArgumentException("Open of " + path + ": mode must be permission bits (0 to 07777), got 0"
                    + Integer.toOctalString(mode));
        }
    }

    public static Open read(Path path) {
        return new Open(path, Set.of(StandardOpenOption.READ), 0);
    }

    @Override
    public OpKind kind() {
        return OpKind.OPEN;
    }

    @Override
    public String describe() {
        return "Open of " + path;
    }
}
