package io.veloq.api;

import io.veloq.api.op.OpPayload;

import java.io.IOException;
import java.util.Objects;

/**
 * The outcome of an op as a value: the payload (always handed back, so a failed {@code Recv} returns its
 * buffer), the result value on success, or the error.
 *
 * <pre>{@code
 * Completion<Recv> c = loop.call(new Recv(fd, buf));
 * if (c.isSuccess()) { int n = (int) c.value(); ... }
 * else { log(c.error()); }            // c.payload().buf() is ours again
 * long n = loop.call(new Send(fd, buf)).valueOrThrow();  // or throw the java.net exception
 * }</pre>
 *
 * @param payload the op's payload, handed back in every case
 * @param value   the result on success (bytes, handle, ...), 0 on failure
 * @param error   the error, {@code null} on success
 * @param <P>     the payload type
 * @since 0.1
 */
public record Completion<P extends OpPayload>(P payload, long value, VeloqIoException error) {
    public Completion {
        Objects.requireNonNull(payload, "payload");
    }

    public boolean isSuccess() {
        return error == null;
    }

    /**
     * Returns the value, or throws the error as the {@code java.net}/{@code java.nio.channels} exception a
     * Java user expects (see {@link VeloqIoException#toJava()}).
     */
    public long valueOrThrow() throws IOException {
        if (error != null) {
            throw error.toJava();
        }
        return value;
    }
}
