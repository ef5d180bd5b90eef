package io.veloq.spi;

import io.veloq.api.op.OpKind;

import java.io.InterruptedIOException;
import java.net.BindException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.PortUnreachableException;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.channels.AlreadyBoundException;
import java.nio.channels.AlreadyConnectedException;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ConnectionPendingException;
import java.nio.channels.IllegalBlockingModeException;
import java.nio.channels.InterruptedByTimeoutException;
import java.nio.channels.NoConnectionPendingException;
import java.nio.channels.NonReadableChannelException;
import java.nio.channels.NonWritableChannelException;
import java.nio.channels.NotYetBoundException;
import java.nio.channels.NotYetConnectedException;
import java.nio.channels.OverlappingFileLockException;
import java.nio.channels.UnresolvedAddressException;
import java.nio.channels.UnsupportedAddressTypeException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;

/**
 * The Linux errno a JDK exception stands for, for drivers that run on {@code java.nio} instead of a kernel
 * interface (the {@code nio} driver, a third-party pure-Java driver). Such a driver reports
 * {@link LinuxErrno} codes ({@link LinuxErrno#TABLE} as its {@link Driver#errors()}), so applications see
 * the same {@link io.veloq.api.IoErrorKind}, the same {@code codeName()} and, through
 * {@link io.veloq.api.VeloqIoException#toJava()}, the same {@code java.net} exception as on io_uring.
 *
 * <p>The mapping goes by the exception's <em>type</em>, never by its message (messages are localised and
 * change between JDK releases). Where the JDK throws a plain {@link java.io.IOException} or
 * {@link SocketException} without a type of its own (a reset, a broken pipe, a full descriptor table), the
 * {@link OpKind} of the operation decides, as the kernel's answer to that call would:
 * <table>
 *   <caption>Untyped failures by operation</caption>
 *   <tr><th>op</th><th>plain {@code SocketException} / {@code IOException}</th></tr>
 *   <tr><td>RECV, RECV_FROM</td><td>{@code ECONNRESET} (the JDK's "connection reset")</td></tr>
 *   <tr><td>SEND, SEND_TO</td><td>{@code EPIPE} (Linux's answer to a send after a reset or shutdown)</td></tr>
 *   <tr><td>CONNECT</td><td>{@code ECONNREFUSED}</td></tr>
 *   <tr><td>ACCEPT</td><td>{@code EMFILE}: the only accept failures java.nio does not type are
 *       resource exhaustion (EMFILE, ENFILE, ENOBUFS, ENOMEM), which call for the same back-off</td></tr>
 *   <tr><td>file ops, anything else</td><td>{@code EIO}</td></tr>
 * </table>
 *
 * <pre>{@code
 * try {
 *     n = channel.read(view);
 * } catch (IOException | RuntimeException e) {
 *     return -JavaErrors.errno(e, OpKind.RECV).code();   // e.g. -104 (ECONNRESET)
 * }
 * }</pre>
 *
 * @since 0.1
 */
public final class JavaErrors {
    private JavaErrors() {
    }

    /**
     * The errno for {@code failure}, thrown while doing an op of {@code kind} (null when not an op: bind,
     * listen, options). Never null: an exception this table does not know is {@code EIO} (or
     * {@code EINVAL} for an unchecked argument error).
     */
    public static LinuxErrno errno(Throwable failure, OpKind kind) {
        if (failure instanceof io.veloq.api.VeloqIoException v && LinuxErrno.of(v.code()) != null) {
            return LinuxErrno.of(v.code()); // already a Linux code (a driver's own check)
        }
        // Most specific types first: several of these extend one another.
        if (failure instanceof ClosedByInterruptException) {
            return LinuxErrno.EINTR;
        }
        if (failure instanceof AsynchronousCloseException) {
            return LinuxErrno.ECANCELED; // closed under a pending call: the op was aborted, as io_uring cancels it
        }
        if (failure instanceof ClosedChannelException) {
            return LinuxErrno.EBADF;
        }
        if (failure instanceof InterruptedByTimeoutException || failure instanceof SocketTimeoutException) {
            return LinuxErrno.ETIMEDOUT;
        }
        if (failure instanceof InterruptedIOException) {
            return LinuxErrno.EINTR;
        }
        if (failure instanceof PortUnreachableException) {
            return LinuxErrno.ECONNREFUSED; // ICMP port unreachable is ECONNREFUSED on a Linux UDP socket
        }
        if (failure instanceof ConnectException) {
            return LinuxErrno.ECONNREFUSED;
        }
        if (failure instanceof NoRouteToHostException) {
            return LinuxErrno.EHOSTUNREACH;
        }
        if (failure instanceof BindException) {
            return LinuxErrno.EADDRINUSE;
        }
        if (failure instanceof NotYetConnectedException) {
            return kind == OpKind.SEND || kind == OpKind.SEND_TO ? LinuxErrno.EPIPE : LinuxErrno.ENOTCONN;
        }
        if (failure instanceof NotYetBoundException) {
            return LinuxErrno.EINVAL; // accept on a socket that is not listening
        }
        if (failure instanceof AlreadyConnectedException) {
            return LinuxErrno.EISCONN;
        }
        if (failure instanceof ConnectionPendingException) {
            return LinuxErrno.EALREADY;
        }
        if (failure instanceof AlreadyBoundException || failure instanceof NoConnectionPendingException
                || failure instanceof IllegalBlockingModeException || failure instanceof UnresolvedAddressException
                || failure instanceof OverlappingFileLockException) {
            return LinuxErrno.EINVAL;
        }
        if (failure instanceof UnsupportedAddressTypeException) {
            return LinuxErrno.EAFNOSUPPORT;
        }
        if (failure instanceof NonReadableChannelException || failure instanceof NonWritableChannelException) {
            return LinuxErrno.EBADF; // read(2) on an O_WRONLY descriptor, write(2) on an O_RDONLY one
        }
        if (failure instanceof NoSuchFileException) {
            return LinuxErrno.ENOENT;
        }
        if (failure instanceof FileAlreadyExistsException) {
            return LinuxErrno.EEXIST;
        }
        if (failure instanceof AccessDeniedException) {
            return LinuxErrno.EACCES;
        }
        if (failure instanceof NotDirectoryException) {
            return LinuxErrno.ENOTDIR;
        }
        if (failure instanceof FileSystemException) {
            return LinuxErrno.EIO;
        }
        if (failure instanceof UnsupportedOperationException) {
            return LinuxErrno.EOPNOTSUPP;
        }
        if (failure instanceof SecurityException) {
            return LinuxErrno.EACCES;
        }
        if (failure instanceof IllegalArgumentException) {
            return LinuxErrno.EINVAL;
        }
        if (failure instanceof OutOfMemoryError) {
            return LinuxErrno.ENOMEM;
        }
        return untyped(kind);
    }

    /** The errno of a failure the JDK reports without a type of its own, by what the op was doing. */
    static LinuxErrno untyped(OpKind kind) {
        if (kind == null) {
            return LinuxErrno.EIO;
        }
        return switch (kind) {
            case RECV, RECV_FROM -> LinuxErrno.ECONNRESET;
            case SEND, SEND_TO -> LinuxErrno.EPIPE;
            case CONNECT -> LinuxErrno.ECONNREFUSED;
            case ACCEPT -> LinuxErrno.EMFILE;
            default -> LinuxErrno.EIO;
        };
    }

    /** {@link #errno} as a negative completion result ({@code -errno}). */
    public static int result(Throwable failure, OpKind kind) {
        return -errno(failure, kind).code();
    }
}
