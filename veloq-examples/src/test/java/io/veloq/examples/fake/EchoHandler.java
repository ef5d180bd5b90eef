package io.veloq.examples.fake;

import io.veloq.api.EventLoop;
import io.veloq.api.IoErrorKind;
import io.veloq.api.IoFd;
import io.veloq.api.Op;
import io.veloq.api.buffer.FixedBuf;
import io.veloq.api.net.AddressFamily;
import io.veloq.api.net.SockAddrStorage;
import io.veloq.api.net.SocketType;
import io.veloq.api.op.Accept;
import io.veloq.api.op.Close;
import io.veloq.api.op.Recv;
import io.veloq.api.op.Send;
import io.veloq.api.op.Socket;

import java.io.IOException;
import java.net.SocketAddress;
import java.time.Duration;

/**
 * A tiny echo server written the way an application would write one: completers on the loop thread, one
 * buffer per connection, resubmitting after short writes, closing on end of stream or error, retrying a
 * failed accept after {@link #ACCEPT_RETRY}. It is the
 * code under test of {@link EchoHandlerTest}; it uses only {@code veloq.api}.
 */
final class EchoHandler {
    static final Duration ACCEPT_RETRY = Duration.ofMillis(10);

    private final EventLoop loop;
    private final IoFd listener;
    private int open;
    private long echoed;

    private EchoHandler(EventLoop loop, IoFd listener) {
        this.loop = loop;
        this.listener = listener;
    }

    /** Listens on {@code address} and echoes every connection until it ends. */
    static EchoHandler start(EventLoop loop, SocketAddress address) throws IOException {
        IoFd fd = IoFd.raw(loop.call(new Socket(AddressFamily.INET, SocketType.STREAM)).valueOrThrow());
        loop.bind(fd, address);
        loop.listen(fd, 128);
        EchoHandler h = new EchoHandler(loop, fd);
        h.acceptNext();
        return h;
    }

    /** Connections accepted and not yet closed. */
    int openConnections() {
        return open;
    }

    /** Bytes echoed so far. */
    long echoed() {
        return echoed;
    }

    private void acceptNext() {
        loop.submit(Op.of(new Accept(listener, SockAddrStorage.allocate(loop.addressLayout())), op -> {
            if (!op.isSuccess()) {
                IoErrorKind kind = op.error().kind();
                if (kind != IoErrorKind.CANCELLED && kind != IoErrorKind.BAD_DESCRIPTOR) {
                    // EMFILE and friends are transient: try again a little later instead of giving up.
                    loop.schedule(this::acceptNext, ACCEPT_RETRY);
                }
                return; // otherwise the listener was closed, or the runtime is closing
            }
            open++;
            new Connection(IoFd.raw(op.result()), loop.bufPool().lease()).receive();
            acceptNext();
        }));
    }

    private final class Connection {
        private final IoFd fd;
        private final FixedBuf buf;

        Connection(IoFd fd, FixedBuf buf) {
            this.fd = fd;
            this.buf = buf;
        }

        void receive() {
            buf.clear();
            loop.submit(Op.of(new Recv(fd, buf), op -> {
                if (!op.isSuccess() || op.result() == 0) {
                    close(); // end of stream, reset, or cancelled by close
                    return;
                }
                send();
            }));
        }

        void send() {
            loop.submit(Op.of(new Send(fd, buf), op -> {
                if (!op.isSuccess()) {
                    close();
                    return;
                }
                echoed += op.result();
                if (buf.readableBytes() > 0) {
                    send(); // a short write: the rest is still readable in buf
                } else {
                    receive();
                }
            }));
        }

        void close() {
            buf.release();
            loop.submit(Op.of(new Close(fd), op -> open--));
        }
    }
}
