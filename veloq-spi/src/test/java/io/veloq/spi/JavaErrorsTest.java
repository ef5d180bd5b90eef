package io.veloq.spi;

import io.veloq.api.IoErrorKind;
import io.veloq.api.VeloqIoException;
import io.veloq.api.op.OpKind;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.BindException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.PortUnreachableException;
import java.net.SocketException;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.DatagramChannel;
import java.nio.channels.FileChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The JDK-exception-to-errno mapping, with the exceptions java.nio really throws for each situation (made
 * here against loopback sockets and a temporary directory), then checked to be the same kind and name an
 * io_uring completion would carry.
 */
class JavaErrorsTest {
    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();

    private static void expect(LinuxErrno errno, Throwable thrown, OpKind kind) {
        assertEquals(errno, JavaErrors.errno(thrown, kind), thrown + " during " + kind);
        assertEquals(-errno.code(), JavaErrors.result(thrown, kind));
    }

    private static int freePort() throws IOException {
        try (ServerSocketChannel s = ServerSocketChannel.open().bind(new InetSocketAddress(LOOPBACK, 0))) {
            return ((InetSocketAddress) s.getLocalAddress()).getPort();
        }
    }

    @Test
    void connectToAClosedPortIsConnectionRefused() throws IOException {
        try (SocketChannel c = SocketChannel.open()) {
            IOException e = assertThrows(IOException.class, () -> c.connect(new InetSocketAddress(LOOPBACK, freePort())));
            expect(LinuxErrno.ECONNREFUSED, e, OpKind.CONNECT);
            assertEquals(IoErrorKind.CONNECTION_REFUSED, LinuxErrno.TABLE.kind(JavaErrors.errno(e, OpKind.CONNECT).code()));
        }
    }

    @Test
    void bindToAPortInUseIsAddressInUse() throws IOException {
        try (ServerSocketChannel a = ServerSocketChannel.open().bind(new InetSocketAddress(LOOPBACK, 0));
             ServerSocketChannel b = ServerSocketChannel.open()) {
            IOException e = assertThrows(IOException.class, () -> b.bind(a.getLocalAddress()));
            expect(LinuxErrno.EADDRINUSE, e, null);
        }
    }

    @Test
    void aClosedChannelIsABadDescriptorAndACloseUnderAPendingCallCancelsIt() throws Exception {
        SocketChannel closed = SocketChannel.open();
        closed.close();
        expect(LinuxErrno.EBADF, assertThrows(IOException.class, () -> closed.read(ByteBuffer.allocate(1))), OpKind.RECV);

        try (ServerSocketChannel l = ServerSocketChannel.open().bind(new InetSocketAddress(LOOPBACK, 0));
             SocketChannel c = SocketChannel.open(l.getLocalAddress());
             SocketChannel s = l.accept()) {
            CompletableFuture<Throwable> blocked = CompletableFuture.supplyAsync(() -> {
                try {
                    s.read(ByteBuffer.allocate(1)); // blocks: nothing is sent
                    return null;
                } catch (IOException e) {
                    return e;
                }
            });
            Thread.sleep(100);
            s.close();
            Throwable t = blocked.get(10, TimeUnit.SECONDS);
            assertTrue(t instanceof AsynchronousCloseException, String.valueOf(t));
            expect(LinuxErrno.ECANCELED, t, OpKind.RECV);
        }
    }

    @Test
    void anUnconnectedSocketIsNotConnectedToReceiveAndABrokenPipeToSend() throws IOException {
        try (SocketChannel c = SocketChannel.open()) {
            RuntimeException r = assertThrows(RuntimeException.class, () -> c.read(ByteBuffer.allocate(1)));
            expect(LinuxErrno.ENOTCONN, r, OpKind.RECV);
            RuntimeException w = assertThrows(RuntimeException.class, () -> c.write(ByteBuffer.allocate(1)));
            expect(LinuxErrno.EPIPE, w, OpKind.SEND); // send(2) on a never-connected TCP socket
        }
    }

    @Test
    void aResetIsConnectionResetOnReceiveAndBrokenPipeOnSend() throws Exception {
        try (ServerSocketChannel l = ServerSocketChannel.open().bind(new InetSocketAddress(LOOPBACK, 0));
             SocketChannel c = SocketChannel.open(l.getLocalAddress())) {
            SocketChannel s = l.accept();
            s.setOption(StandardSocketOptions.SO_LINGER, 0);
            s.close(); // RST
            Thread.sleep(50);
            IOException r = assertThrows(IOException.class, () -> c.read(ByteBuffer.allocate(16)));
            assertTrue(r instanceof SocketException, "java.nio's type for a reset: " + r.getClass());
            expect(LinuxErrno.ECONNRESET, r, OpKind.RECV);
            IOException w = assertThrows(IOException.class, () -> {
                for (int i = 0; i < 100; i++) {
                    c.write(ByteBuffer.allocate(1024));
                    Thread.sleep(5);
                }
            });
            expect(LinuxErrno.EPIPE, w, OpKind.SEND);
        }
    }

    @Test
    void aDatagramToAClosedPortIsRefusedOnTheNextReceive() throws Exception {
        try (DatagramChannel d = DatagramChannel.open()) {
            d.connect(new InetSocketAddress(LOOPBACK, freePort()));
            d.write(ByteBuffer.wrap(new byte[] {1}));
            Thread.sleep(50);
            IOException e = assertThrows(IOException.class, () -> d.read(ByteBuffer.allocate(8)));
            assertTrue(e instanceof PortUnreachableException, String.valueOf(e));
            expect(LinuxErrno.ECONNREFUSED, e, OpKind.RECV);
        }
    }

    @Test
    void fileErrorsAreTheirErrnos(@TempDir Path dir) throws IOException {
        Path missing = dir.resolve("missing");
        expect(LinuxErrno.ENOENT, assertThrows(IOException.class, () -> FileChannel.open(missing)), OpKind.OPEN);
        Path f = Files.writeString(dir.resolve("f"), "x");
        expect(LinuxErrno.EEXIST, assertThrows(IOException.class,
                () -> FileChannel.open(f, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)), OpKind.OPEN);
        try (FileChannel w = FileChannel.open(f, StandardOpenOption.WRITE)) {
            expect(LinuxErrno.EBADF, assertThrows(RuntimeException.class, () -> w.read(ByteBuffer.allocate(1), 0)),
                    OpKind.READ); // read(2) on an O_WRONLY descriptor
        }
        expect(LinuxErrno.ENOTDIR, assertThrows(IOException.class,
                () -> Files.newDirectoryStream(f).close()), OpKind.OPEN);
    }

    @Test
    void theTypeDecidesNeverTheMessage() {
        // The same words, different types; and misleading words on a typed exception.
        expect(LinuxErrno.ECONNRESET, new SocketException("Broken pipe"), OpKind.RECV);
        expect(LinuxErrno.EPIPE, new IOException("Connection reset by peer"), OpKind.SEND);
        expect(LinuxErrno.ECONNREFUSED, new ConnectException("No route to host"), OpKind.CONNECT);
        expect(LinuxErrno.EADDRINUSE, new BindException(""), null);
        expect(LinuxErrno.EMFILE, new IOException("anything"), OpKind.ACCEPT);
        expect(LinuxErrno.EIO, new IOException("Too many open files"), OpKind.READ);
    }

    @Test
    void aVeloqExceptionKeepsItsCode() {
        VeloqIoException v = LinuxErrno.TABLE.exception(LinuxErrno.EAFNOSUPPORT.code(), "bind(fd 3)");
        expect(LinuxErrno.EAFNOSUPPORT, v, OpKind.CONNECT);
    }
}
