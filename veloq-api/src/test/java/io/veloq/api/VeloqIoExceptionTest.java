package io.veloq.api;

import io.veloq.api.op.Nop;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

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
import java.util.Map;

import static io.veloq.api.Messages.assertMentions;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

class VeloqIoExceptionTest {
    private static final Map<IoErrorKind, Class<? extends IOException>> EXPECTED = Map.ofEntries(
            Map.entry(IoErrorKind.CONNECTION_REFUSED, ConnectException.class),
            Map.entry(IoErrorKind.TIMED_OUT, SocketTimeoutException.class),
            Map.entry(IoErrorKind.CONNECTION_RESET, SocketException.class),
            Map.entry(IoErrorKind.CONNECTION_ABORTED, SocketException.class),
            Map.entry(IoErrorKind.BROKEN_PIPE, SocketException.class),
            Map.entry(IoErrorKind.NOT_CONNECTED, SocketException.class),
            Map.entry(IoErrorKind.ADDRESS_IN_USE, BindException.class),
            Map.entry(IoErrorKind.ADDRESS_NOT_AVAILABLE, BindException.class),
            Map.entry(IoErrorKind.HOST_UNREACHABLE, NoRouteToHostException.class),
            Map.entry(IoErrorKind.NETWORK_UNREACHABLE, NoRouteToHostException.class),
            Map.entry(IoErrorKind.CANCELLED, AsynchronousCloseException.class),
            Map.entry(IoErrorKind.BAD_DESCRIPTOR, ClosedChannelException.class),
            Map.entry(IoErrorKind.NOT_FOUND, FileNotFoundException.class),
            Map.entry(IoErrorKind.ALREADY_EXISTS, FileAlreadyExistsException.class),
            Map.entry(IoErrorKind.PERMISSION_DENIED, AccessDeniedException.class));

    @ParameterizedTest
    @EnumSource(IoErrorKind.class)
    void mapsEachKindToTheJavaExceptionAUserExpects(IoErrorKind kind) {
        VeloqIoException e = new VeloqIoException(kind, 99, "ECODE", "Recv on fd 7 (op #1)", "detail");
        IOException java = e.toJava();
        Class<? extends IOException> expected = EXPECTED.get(kind);
        if (expected == null) {
            assertSame(e, java, kind + " has no better Java type: the exception itself");
            return;
        }
        assertEquals(expected, java.getClass(), kind.name());
        assertSame(e, java.getCause(), "the Veloq exception, with code and name, is the cause");
    }

    @Test
    void messageCarriesWhatCodeNameAndDetail() {
        VeloqIoException e = new VeloqIoException(IoErrorKind.CONNECTION_RESET, 10054, "WSAECONNRESET",
                "Recv on fd 12 (op #3)", "connection reset by peer");
        assertEquals("Recv on fd 12 (op #3) failed: WSAECONNRESET (10054): connection reset by peer", e.getMessage());
        assertEquals(10054, e.code());
        assertEquals("WSAECONNRESET", e.codeName());
        assertEquals("Recv on fd 12 (op #3)", e.what());
        assertEquals(IoErrorKind.CONNECTION_RESET, e.kind());
        assertMentions(e.toJava(), "WSAECONNRESET", "fd 12");
        assertEquals("Close on fd 1 failed: EBADF (9)",
                new VeloqIoException(IoErrorKind.BAD_DESCRIPTOR, 9, "EBADF", "Close on fd 1", null).getMessage());
    }

    @Test
    void completionThrowsTheMappedExceptionAndHandsThePayloadBack() {
        Nop nop = new Nop();
        VeloqIoException refused = new VeloqIoException(IoErrorKind.CONNECTION_REFUSED, 111, "ECONNREFUSED",
                "Connect on fd 5 to /127.0.0.1:1", "connection refused");
        Completion<Nop> failed = new Completion<>(nop, 0, refused);
        ConnectException thrown = assertThrows(ConnectException.class, failed::valueOrThrow);
        assertSame(refused, thrown.getCause());
        assertMentions(thrown, "ECONNREFUSED", "Connect on fd 5");
        assertSame(nop, failed.payload());
        assertEquals(0, failed.value());
        assertMentions(assertThrows(NullPointerException.class, () -> new Completion<>(null, 0, null)), "payload");
    }
}
