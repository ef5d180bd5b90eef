package io.veloq.api;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.net.BindException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.ClosedChannelException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.util.Objects;

/**
 * The one exception type for a failed op: it carries the platform code and its symbolic name
 * ({@code ECONNRESET} / errno 104, {@code WSAECONNRESET} / 10054, {@code ERROR_OPERATION_ABORTED} / 995),
 * its platform-independent {@link IoErrorKind}, and what failed (op and descriptor).
 *
 * <p>{@link #toJava()} gives the exception a Java user expects for the kind ({@link ConnectException},
 * {@link SocketTimeoutException}, {@link AsynchronousCloseException}, ...), with this one as its cause.
 *
 * <pre>{@code
 * VeloqIoException e = completion.error();
 * if (e.kind() == IoErrorKind.CONNECTION_RESET) reconnect();
 * System.err.println(e.codeName());   // "ECONNRESET"
 * }</pre>
 *
 * @since 0.1
 */
public class VeloqIoException extends IOException {
    private static final long serialVersionUID = 1L;

    private final IoErrorKind kind;
    private final int code;
    private final String codeName;
    private final String what;

    /**
     * @param kind     the platform-independent kind
     * @param code     the platform code (errno, Win32 or Winsock error), positive
     * @param codeName its symbolic name, e.g. {@code ECONNRESET}
     * @param what     what failed, e.g. {@code "Recv on fd 7 (op #12)"}
     * @param detail   a human explanation, e.g. {@code "connection reset by peer"}; may be null
     */
    public VeloqIoException(IoErrorKind kind, int code, String codeName, String what, String detail) {
        super(what + " failed: " + codeName + " (" + code + ")" + (detail == null ? "" : ": " + detail));
        this.kind = Objects.requireNonNull(kind, "kind");
        this.code = code;
        this.codeName = Objects.requireNonNull(codeName, "codeName");
        this.what = what;
    }

    public IoErrorKind kind() {
        return kind;
    }

    /** The platform code: errno on Linux, the Win32/Winsock error on Windows. */
    public int code() {
        return code;
    }

    /** The symbolic name of {@link #code()}, e.g. {@code ECONNREFUSED} or {@code WSAECONNREFUSED}. */
    public String codeName() {
        return codeName;
    }

    /** What failed: the op and its descriptor. */
    public String what() {
        return what;
    }

    /**
     * The {@code java.net} / {@code java.nio} exception a Java user expects for this kind, with this
     * exception as its cause; this exception itself when no better type exists.
     */
    public IOException toJava() {
        String msg = getMessage();
        IOException mapped = switch (kind) {
            case CONNECTION_REFUSED -> new ConnectException(msg);
            case TIMED_OUT -> new SocketTimeoutException(msg);
            case CONNECTION_RESET, CONNECTION_ABORTED, BROKEN_PIPE, NOT_CONNECTED -> new SocketException(msg);
            case ADDRESS_IN_USE, ADDRESS_NOT_AVAILABLE -> new BindException(msg);
            case HOST_UNREACHABLE, NETWORK_UNREACHABLE -> new NoRouteToHostException(msg);
            case CANCELLED -> new AsynchronousCloseException();
            case BAD_DESCRIPTOR -> new ClosedChannelException();
            case NOT_FOUND -> new FileNotFoundException(msg);
            case ALREADY_EXISTS -> new FileAlreadyExistsException(what, null, msg);
            case PERMISSION_DENIED -> new AccessDeniedException(what, null, msg);
            default -> null;
        };
        if (mapped == null) {
            return this;
        }
        mapped.initCause(this);
        return mapped;
    }
}
