package io.veloq.driver.nio;

import io.veloq.api.net.AddressFamily;
import io.veloq.api.net.SockAddrStorage;
import io.veloq.api.net.SocketType;
import io.veloq.api.op.Accept;
import io.veloq.api.op.Connect;
import io.veloq.api.op.OpKind;
import io.veloq.api.op.RecvFrom;
import io.veloq.api.op.SendFile;
import io.veloq.api.op.SendTo;
import io.veloq.api.op.Shutdown;
import io.veloq.api.op.Socket;
import io.veloq.spi.JavaErrors;
import io.veloq.spi.LinuxErrno;

import java.io.IOException;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.DatagramChannel;
import java.nio.channels.FileChannel;
import java.nio.channels.NetworkChannel;
import java.nio.channels.NonReadableChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;

/**
 * The socket ops, each one non-blocking attempt on a java.nio channel: a result (bytes, a handle, 0), minus
 * an errno, or {@link NioDriver#AGAIN} when it would block and must wait for readiness. Errors map through
 * {@link JavaErrors} by exception type and op, with what the driver knows on top (a send after its own
 * {@code Shutdown(WRITE)} is {@code EPIPE}, as on Linux, where java.nio says only "closed"). Loop thread.
 */
final class SocketOps {
    private static final long EPIPE = -LinuxErrno.EPIPE.code();
    private static final long ENOTCONN = -LinuxErrno.ENOTCONN.code();
    private static final long EINVAL = -LinuxErrno.EINVAL.code();
    private static final long EMFILE = -LinuxErrno.EMFILE.code();
    /** A vectored op on a datagram socket: java.nio's scattering read cannot tell "none waiting" from an empty datagram. */
    private static final long EOPNOTSUPP = -LinuxErrno.EOPNOTSUPP.code();

    private final NioDriver driver;
    private final HandleTable handles;

    SocketOps(NioDriver driver, HandleTable handles, BufferViews views) {
        this.driver = driver;
        this.handles = handles;
    }

    /** {@code Socket}: a new channel and its handle. */
    long open(Socket s) {
        StandardProtocolFamily pf = switch (s.family()) {
            case INET -> StandardProtocolFamily.INET;
            case INET6 -> StandardProtocolFamily.INET6;
            case UNIX -> StandardProtocolFamily.UNIX;
        };
        long id = handles.reserve();
        if (id == HandleTable.FULL) {
            return EMFILE;
        }
        try {
            Handle h;
            if (s.type() == SocketType.STREAM) {
                // A placeholder until listen or connect says what it is (see Handle).
                SocketChannel ch = SocketChannel.open(pf);
                ch.configureBlocking(false);
                h = new Handle(id, ch, Handle.Kind.STREAM, s.family());
            } else {
                DatagramChannel ch = DatagramChannel.open(pf);
                ch.configureBlocking(false);
                h = new Handle(id, ch, Handle.Kind.DATAGRAM, s.family());
            }
            handles.publish(h);
            return id;
        } catch (IOException | RuntimeException e) {
            handles.release(id);
            return JavaErrors.result(e, OpKind.SOCKET);
        }
    }

    /** The read side: Accept, Recv, RecvFrom, and Read on a socket (a recv without flags). */
    long read(OpSlot s) {
        Handle h = s.handle;
        try {
            return switch (h.kind()) {
                case LISTENER -> s.kind == OpKind.ACCEPT ? accept(s, h) : ENOTCONN;
                case STREAM -> s.kind == OpKind.ACCEPT ? EINVAL
                        : s.kind == OpKind.RECV_MSG ? scatter(h.stream(), s) : receive(h.stream(), s.view);
                case DATAGRAM -> s.kind == OpKind.ACCEPT || s.kind == OpKind.RECV_MSG ? EOPNOTSUPP : datagram(s, h);
                case FILE -> EINVAL;
            };
        } catch (IOException | RuntimeException e) {
            return JavaErrors.result(e, s.kind == OpKind.READ ? OpKind.RECV : s.kind);
        }
    }

    /** A stream receive: bytes, 0 at end of stream, or would-block. */
    private static long receive(SocketChannel ch, ByteBuffer view) throws IOException {
        if (!view.hasRemaining()) {
            return 0; // recv(2) of 0 bytes returns 0 at once
        }
        int n = ch.read(view);
        return n > 0 ? n : n < 0 ? 0 : NioDriver.AGAIN; // -1 is end of stream: the kernel's 0
    }

    /**
     * A vectored stream receive: one scattering read over the vector's views (java.nio's {@code readv}), so the
     * bytes land in order across the buffers; 0 at end of stream, or would-block. A vector with no free space
     * receives 0 at once, like {@code recvmsg} with empty iovecs.
     */
    private static long scatter(SocketChannel ch, OpSlot s) throws IOException {
        if (s.view == null || !anyRemaining(s)) {
            return 0;
        }
        long n = ch.read(s.vector, 0, s.vectorLength);
        return n > 0 ? n : n < 0 ? 0 : NioDriver.AGAIN;
    }

    /** A vectored stream send: one gathering write (java.nio's {@code writev}); the bytes taken, or would-block. */
    private static long gather(SocketChannel ch, OpSlot s) throws IOException {
        if (s.view == null || !anyRemaining(s)) {
            return 0;
        }
        long n = ch.write(s.vector, 0, s.vectorLength);
        return n > 0 ? n : NioDriver.AGAIN;
    }

    private static boolean anyRemaining(OpSlot s) {
        for (int i = 0; i < s.vectorLength; i++) {
            if (s.vector[i].hasRemaining()) {
                return true;
            }
        }
        return false;
    }

    /** One datagram (receive, not read: read cannot tell "none waiting" from an empty datagram). */
    private long datagram(OpSlot s, Handle h) throws IOException {
        int before = s.view.position();
        SocketAddress from = h.datagram().receive(s.view);
        if (from == null) {
            return NioDriver.AGAIN;
        }
        if (s.kind == OpKind.RECV_FROM) {
            Addresses.store(from, ((RecvFrom) s.payload).from());
        }
        return s.view.position() - before;
    }

    private long accept(OpSlot s, Handle listener) throws IOException {
        SocketChannel ch = listener.listener().accept();
        if (ch == null) {
            return NioDriver.AGAIN;
        }
        long id = handles.reserve();
        if (id == HandleTable.FULL) {
            ch.close();
            return EMFILE;
        }
        try {
            ch.configureBlocking(false);
            for (Handle.Setting setting : listener.settings()) {
                // What Linux's accepted sockets inherit from the listener, where java.nio's server channel
                // could not hold it.
                if (ch.supportedOptions().contains(setting.key())) {
                    setting.applyTo(ch);
                }
            }
            Addresses.store(ch.getRemoteAddress(), ((Accept) s.payload).peer());
            handles.publish(new Handle(id, ch, Handle.Kind.STREAM, listener.family));
            return id;
        } catch (IOException | RuntimeException e) {
            handles.release(id);
            ch.close();
            throw e;
        }
    }

    /** The write side: Connect, Send, SendTo, and Write on a socket. */
    long write(OpSlot s) {
        Handle h = s.handle;
        try {
            return switch (h.kind()) {
                case STREAM -> s.kind == OpKind.CONNECT ? connect(s, h)
                        : s.kind == OpKind.SEND_MSG ? gather(h.stream(), s)
                        : s.kind == OpKind.SEND_FILE ? sendFile((SendFile) s.payload, h.stream())
                        : send(h.stream(), s.view);
                case DATAGRAM -> s.kind == OpKind.CONNECT ? connectDatagram(s, h)
                        : s.kind == OpKind.SEND_MSG || s.kind == OpKind.SEND_FILE ? EOPNOTSUPP : sendDatagram(s, h);
                case LISTENER -> s.kind == OpKind.CONNECT ? EINVAL : EPIPE;
                case FILE -> EINVAL;
            };
        } catch (ClosedChannelException e) {
            if (!h.isClosed() && h.outputShut()) {
                return EPIPE;
            }
            return JavaErrors.result(e, s.kind);
        } catch (IOException | RuntimeException e) {
            return JavaErrors.result(e, s.kind == OpKind.WRITE || s.kind == OpKind.SEND_FILE ? OpKind.SEND : s.kind);
        }
    }

    /**
     * A SendFile: {@code FileChannel.transferTo} into the non-blocking socket, on the loop thread as Netty's
     * epoll transport calls {@code sendfile}: the JDK uses {@code sendfile(2)} for a file to a socket, so the
     * page-cache pages go to the socket without a copy through the Java heap, and a socket that takes
     * nothing yields would-block (the op waits for OP_WRITE) instead of a wait on the loop. The errors are
     * splice's: a source that is not a file {@code EINVAL}, one not open for reading {@code EBADF}.
     */
    private long sendFile(SendFile p, SocketChannel to) throws IOException {
        Handle f = handles.get(p.file());
        if (f == null) {
            return -LinuxErrno.EBADF.code();
        }
        if (f.isSocket()) {
            return -LinuxErrno.EINVAL.code();
        }
        FileChannel fc = f.file();
        if (p.count() == 0 || p.offset() >= fc.size()) {
            return 0; // end of file (transferTo's 0 would read as a full socket)
        }
        try {
            long n = fc.transferTo(p.offset(), p.count(), to);
            return n > 0 ? n : NioDriver.AGAIN;
        } catch (NonReadableChannelException writeOnly) {
            return -LinuxErrno.EBADF.code();
        }
    }

    /** A stream send: the bytes the socket took (maybe fewer than asked), or would-block. */
    private static long send(SocketChannel ch, ByteBuffer view) throws IOException {
        if (!view.hasRemaining()) {
            return 0;
        }
        int n = ch.write(view);
        return n > 0 ? n : NioDriver.AGAIN;
    }

    private long sendDatagram(OpSlot s, Handle h) throws IOException {
        DatagramChannel ch = h.datagram();
        int len = s.view.remaining();
        int n;
        if (s.kind == OpKind.SEND_TO) {
            SockAddrStorage to = ((SendTo) s.payload).to();
            n = ch.send(s.view, Addresses.of(to));
        } else if (ch.isConnected()) {
            n = ch.write(s.view);
        } else {
            return -LinuxErrno.EDESTADDRREQ.code(); // send(2) on an unconnected datagram socket
        }
        return n == 0 && len > 0 ? NioDriver.AGAIN : n;
    }

    private long connect(OpSlot s, Handle h) throws IOException {
        SocketChannel ch = h.stream();
        if (!s.connecting) {
            if (ch.isConnected()) {
                return -LinuxErrno.EISCONN.code();
            }
            SocketAddress remote = Addresses.of(((Connect) s.payload).address());
            if (!Addresses.sameFamily(h.family, remote)) {
                return -LinuxErrno.EAFNOSUPPORT.code();
            }
            SocketControl.bindPending(h);
            s.connecting = true;
            if (ch.connect(remote)) {
                return 0;
            }
            return NioDriver.AGAIN;
        }
        return ch.finishConnect() ? 0 : NioDriver.AGAIN;
    }

    private long connectDatagram(OpSlot s, Handle h) throws IOException {
        DatagramChannel ch = h.datagram();
        SocketAddress remote = Addresses.of(((Connect) s.payload).address());
        if (ch.isConnected()) {
            ch.disconnect(); // connect(2) of a datagram socket replaces its peer
        }
        ch.connect(remote);
        return 0;
    }

    /** {@code Shutdown}: at once, as shutdown(2) is. */
    long shutdown(OpSlot s) {
        Handle h = s.handle;
        Shutdown op = (Shutdown) s.payload;
        try {
            NetworkChannel ch = (NetworkChannel) h.channel();
            if (ch instanceof SocketChannel sc) {
                if (!sc.isConnected()) {
                    return ENOTCONN;
                }
                switch (op.how()) {
                    case READ -> sc.shutdownInput();
                    case WRITE -> {
                        h.outputShut(true);
                        sc.shutdownOutput();
                    }
                    case BOTH -> {
                        h.outputShut(true);
                        sc.shutdownInput();
                        sc.shutdownOutput();
                    }
                }
                return 0;
            }
            if (ch instanceof ServerSocketChannel) {
                return ENOTCONN;
            }
            return ((DatagramChannel) ch).isConnected() ? -LinuxErrno.EOPNOTSUPP.code() : ENOTCONN;
        } catch (IOException | RuntimeException e) {
            return JavaErrors.result(e, OpKind.SHUTDOWN);
        }
    }

    @Override
    public String toString() {
        return "socket ops of " + driver;
    }

    /** For messages: the family a Socket op was for. */
    static String family(AddressFamily f) {
        return f == AddressFamily.INET6 ? "IPv6" : f == AddressFamily.UNIX ? "Unix-domain" : "IPv4";
    }
}
