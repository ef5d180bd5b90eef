package io.veloq.spi;

import io.veloq.api.IoErrorKind;
import io.veloq.api.VeloqIoException;

/**
 * A platform's error codes: their symbolic names, meanings and {@link IoErrorKind}s. Drivers report errors
 * as codes; the host turns them into {@link VeloqIoException}s through this table, so every driver's errors
 * look alike. {@link LinuxErrno} is Linux's; a driver for another OS supplies its own.
 *
 * <pre>{@code
 * ErrorTable t = LinuxErrno.TABLE;
 * t.name(104);   // "ECONNRESET"
 * t.kind(104);   // IoErrorKind.CONNECTION_RESET
 * }</pre>
 *
 * @since 0.1
 */
public interface ErrorTable {
    /** The symbolic name, e.g. {@code ECONNRESET}; {@code "E?<code>"}-like for an unknown code. */
    String name(int code);

    /** The platform-independent kind. */
    IoErrorKind kind(int code);

    /** A short human explanation, e.g. {@code "connection reset by peer"}. */
    String describe(int code);

    /** The platform code that means "cancelled" (ECANCELED, ERROR_OPERATION_ABORTED). */
    int cancelledCode();

    /** The platform code that means "timed out" (ETIMEDOUT, WSAETIMEDOUT). */
    int timedOutCode();

    /** Builds the exception for {@code code} when {@code what} failed. */
    default VeloqIoException exception(int code, String what) {
        return new VeloqIoException(kind(code), code, name(code), what, describe(code));
    }
}
