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

    /**
     * One known code of a platform, typically an enum constant ({@link LinuxErrno}).
     *
     * @since 0.1
     */
    interface Code {
        /** The symbolic name, e.g. {@code ECONNRESET}. */
        String name();

        IoErrorKind kind();

        /** A short human explanation. */
        String description();
    }

    /**
     * A table over a lookup of known codes; an unknown code is named {@code unknownName + " " + code}, of
     * kind {@link IoErrorKind#OTHER}.
     *
     * <pre>{@code ErrorTable t = ErrorTable.of(LinuxErrno::of, "errno", "unknown error", 125, 110, "Linux errno");}</pre>
     *
     * @param lookup       the known code for a value, or null
     * @param unknownName  prefix naming an unknown code, e.g. {@code "errno"}
     * @param unknownText  the description of an unknown code
     * @param cancelled    {@link #cancelledCode()}
     * @param timedOut     {@link #timedOutCode()}
     * @param title        what {@code toString()} says
     */
    static ErrorTable of(java.util.function.IntFunction<? extends Code> lookup, String unknownName, String unknownText,
                         int cancelled, int timedOut, String title) {
        return new ErrorTable() {
            @Override
            public String name(int code) {
                Code c = lookup.apply(code);
                return c == null ? unknownName + " " + code : c.name();
            }

            @Override
            public IoErrorKind kind(int code) {
                Code c = lookup.apply(code);
                return c == null ? IoErrorKind.OTHER : c.kind();
            }

            @Override
            public String describe(int code) {
                Code c = lookup.apply(code);
                return c == null ? unknownText : c.description();
            }

            @Override
            public int cancelledCode() {
                return cancelled;
            }

            @Override
            public int timedOutCode() {
                return timedOut;
            }

            @Override
            public String toString() {
                return title;
            }
        };
    }
}
