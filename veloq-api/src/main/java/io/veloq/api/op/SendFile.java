package io.veloq.api.op;

import io.veloq.api.IoFd;

import java.util.Objects;

/**
 * Sends up to {@code count} bytes of a file, starting at {@code offset}, to a connected stream socket without
 * copying them through user space: io_uring splices file -> pipe -> socket (two linked {@code SPLICE}s
 * through a pipe of the driver's, one per op in flight, reused), the nio driver calls the JDK's
 * {@code FileChannel.transferTo} ({@code sendfile(2)} on Linux). No buffer of the loop's pool is involved, so
 * one op moves far more than a pool buffer holds. The IOCP driver does not have it yet ({@code TransmitFile}
 * is not bound): the runtime refuses the op there, see below.
 *
 * <pre>{@code
 * long off = 0;
 * while (off < size) {                                  // a short transfer continues where it stopped
 *     off += loop.call(new SendFile(socket, file, off, size - off)).valueOrThrow();
 * }
 * }</pre>
 *
 * <h2>Result and short transfers</h2>
 * The op completes with the number of bytes that reached the socket, from {@code offset} on, in order. It
 * may be less than {@code count}: a driver moves at most one chunk per op (io_uring: its pipe's capacity,
 * 256 KiB by default; nio: what the socket's send buffer takes), and end of file stops it (0 when {@code offset} is at or past
 * the end). Resubmit with {@code offset + n} and {@code count - n} to continue: no byte is sent twice or
 * skipped. A file that shrinks under the op gives a short count, never bytes from elsewhere.
 *
 * <h2>Errors</h2>
 * <ul>
 *   <li>{@code socket} or {@code file} not open: {@code BAD_DESCRIPTOR} ({@code EBADF}); a {@code file}
 *       open for writing only: {@code BAD_DESCRIPTOR} too.</li>
 *   <li>{@code file} that is not a regular file (a socket, a pipe): {@code INVALID_ARGUMENT} (Linux
 *       {@code ESPIPE} or {@code EINVAL}); nothing is sent.</li>
 *   <li>A peer that reset or closed: {@code CONNECTION_RESET} / {@code BROKEN_PIPE}, as for {@link Send}
 *       ({@code MSG_NOSIGNAL} semantics: never a {@code SIGPIPE}).</li>
 *   <li>If part of the chunk was sent before the error, the op completes with that count instead, and the
 *       error shows on the next op, as {@code write(2)} does.</li>
 * </ul>
 *
 * <h2>Cancellation, deadlines, close</h2>
 * A cancelled op (or one whose deadline passed, or whose socket was closed) completes with
 * {@code CANCELLED} ({@code TIMED_OUT} for a deadline) if nothing was sent; if part of it already left, it
 * completes successfully with that count: those bytes are on the wire, the rest is not. Closing the
 * {@code file} while the op is pending does not cancel it: the op holds its own reference to the file.
 *
 * <p>Needs {@link io.veloq.api.Capability#SEND_FILE}; without it the runtime refuses the op with
 * {@code NOT_SUPPORTED} (read the file into a buffer and {@link Send} it instead).
 *
 * @param socket a connected stream socket; its loop's driver owns nothing else of the op
 * @param file   a regular file open for reading; its file position is neither used nor moved
 * @param offset where in the file to start, {@code >= 0}
 * @param count  how many bytes to send at most, {@code >= 0} (0 completes with 0)
 * @since 0.3
 */
public record SendFile(IoFd socket, IoFd file, long offset, long count) implements OpPayload {
    public SendFile {
        Objects.requireNonNull(socket, "SendFile needs a socket");
        Objects.requireNonNull(file, "SendFile to " + socket + " needs a file");
        if (offset < 0) {
            throw new IllegalArgumentException("SendFile of " + file + " to " + socket
                    + ": file offset must be >= 0, got " + offset);
        }
        if (count < 0) {
            throw new IllegalArgumentException("SendFile of " + file + " to " + socket
                    + ": count must be >= 0, got " + count);
        }
    }

    @Override
    public OpKind kind() {
        return OpKind.SEND_FILE;
    }

    /** The socket: the op belongs to it (closing the socket ends the op). */
    @Override
    public IoFd fd() {
        return socket;
    }

    @Override
    public String describe() {
        return "SendFile of " + file + " (offset " + offset + ", " + count + " bytes) to " + socket;
    }
}
