package io.veloq.testkit.tck;

import io.veloq.api.Capability;
import io.veloq.api.Completion;
import io.veloq.api.EventLoop;
import io.veloq.api.IoErrorKind;
import io.veloq.api.IoFd;
import io.veloq.api.IoRuntime;
import io.veloq.api.Op;
import io.veloq.api.buffer.FixedBuf;
import io.veloq.api.net.ShutdownHow;
import io.veloq.api.op.Close;
import io.veloq.api.op.Open;
import io.veloq.api.op.SendFile;
import io.veloq.api.op.Shutdown;
import io.veloq.api.op.Write;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.StandardSocketOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The rules of {@link SendFile} (file to socket without a user-space copy) that every driver reporting
 * {@link Capability#SEND_FILE} keeps: every byte of a large file, in order, across short transfers; offsets
 * and counts select exactly their bytes, end of file included; bad descriptors and a source that is not a
 * file fail without sending anything; cancellation, a deadline and a close of the socket end a SendFile to a
 * peer that does not read, and what the op reports as sent is exactly what the peer gets, never a byte more
 * or less. Extend it like {@link DriverTck} and supply the provider:
 *
 * <pre>{@code
 * class UringSendFileTest extends SendFileTck {
 *     @Override
 *     protected DriverProvider provider() { return new UringProvider(); }
 * }
 * }</pre>
 *
 * <p>Every rule is skipped, with the reason, on a driver that does not report {@code SEND_FILE}; such a
 * driver must refuse the op with {@code NOT_SUPPORTED} naming the capability, which
 * {@link CapabilityRules#required_opsOutsideTheCapabilitiesAreRefusedNamingTheCapability} checks. Files are
 * made through the runtime ({@code Open}, {@code Write}) in a temporary directory.
 *
 * @since 0.3
 */
public abstract class SendFileTck extends TckHarness {
    /** For subclasses. */
    protected SendFileTck() {
    }

    @Test
    public void required_aLargeFileArrivesByteForByteInFewerOpsThanBuffers() {
        withFile(4 * 1024 * 1024 + 123, (rt, file, data) -> {
            Conn p = connectedPair(rt.loop());
            CompletableFuture<byte[]> received = receiveToEndOfStream(rt.loop(), p.server);
            long off = 0;
            int ops = 0;
            while (off < data.length) {
                long want = data.length - off;
                long at = off;
                long n = await(rt.loop().submitAsync(new SendFile(p.client, file, off, want)),
                        "SendFile of " + want + " bytes at offset " + off).valueOrThrow();
                check(n > 0 && n <= want, () -> "SendFile of " + want + " bytes at offset " + at + " returned " + n
                        + " (a short transfer is fine, none at all or more than asked is not)");
                off += n;
                ops++;
            }
            shutdownWrite(rt.loop(), p.client);
            assertArrayEquals(data, await(received, "the peer's reading of " + data.length + " bytes to end of stream"),
                    "the bytes the peer received, against the file");
            int buffers = (data.length + rt.loop().bufPool().bufferSize() - 1) / rt.loop().bufPool().bufferSize();
            int used = ops;
            check(ops < buffers, () -> "SendFile moved " + data.length + " bytes in " + used + " ops: no more per op than one "
                    + "pool buffer would (" + buffers + " buffers), which is what SendFile exists to avoid");
            p.close(rt.loop());
        });
    }

    @Test
    public void required_offsetsAndCountsSelectExactlyTheirBytesAndStopAtEndOfFile() {
        withFile(100_000, (rt, file, data) -> {
            Conn p = connectedPair(rt.loop());
            CompletableFuture<byte[]> received = receiveToEndOfStream(rt.loop(), p.server);
            ByteArrayOutputStream expected = new ByteArrayOutputStream();
            sendRange(rt.loop(), p.client, file, data, 12_345, 1_000, expected);             // from the middle
            sendRange(rt.loop(), p.client, file, data, 0, 1, expected);                      // one byte at the start
            sendRange(rt.loop(), p.client, file, data, data.length - 10, 100, expected);     // past the end: 10 bytes
            assertEquals(0L, sendOnce(rt.loop(), p.client, file, data.length, 5), "SendFile at the end of the file sends nothing");
            assertEquals(0L, sendOnce(rt.loop(), p.client, file, data.length + 1_000L, 5), "SendFile past the end of the file sends nothing");
            assertEquals(0L, sendOnce(rt.loop(), p.client, file, 7, 0), "SendFile of 0 bytes sends nothing");
            shutdownWrite(rt.loop(), p.client);
            assertArrayEquals(expected.toByteArray(), await(received, "the peer's reading to end of stream"),
                    "the peer gets exactly the selected ranges, in order");
            p.close(rt.loop());
        });
    }

    @Test
    public void required_badDescriptorsFailAndSendNothing() {
        withFile(10_000, (rt, file, data) -> {
            Conn p = connectedPair(rt.loop());
            expectError(await(rt.loop().submitAsync(new SendFile(p.client, notOpenDescriptor(), 0, 100)), "SendFile from a file that "
                    + "is not open"), IoErrorKind.BAD_DESCRIPTOR, "SendFile from a descriptor that is not open");
            expectError(await(rt.loop().submitAsync(new SendFile(notOpenDescriptor(), file, 0, 100)), "SendFile to a socket that is "
                    + "not open"), IoErrorKind.BAD_DESCRIPTOR, "SendFile to a descriptor that is not open");
            Path dir = Files.createTempDirectory("veloq-tck-sendfile");
            try {
                IoFd writeOnly = IoFd.raw(await(rt.loop().submitAsync(new Open(dir.resolve("w.bin"), EnumSet.of(StandardOpenOption.CREATE,
                        StandardOpenOption.WRITE), 0644)), "Open for writing only").valueOrThrow());
                writeData(rt.loop(), writeOnly, data);
                expectError(await(rt.loop().submitAsync(new SendFile(p.client, writeOnly, 0, 100)), "SendFile from a file open for "
                        + "writing only"), IoErrorKind.BAD_DESCRIPTOR, "SendFile from a file open for writing only");
                closeAll(rt.loop(), writeOnly);
            } finally {
                deleteTree(dir);
            }
            byte[] marker = "after the failures".getBytes();
            sendAll(rt.loop(), p.client, marker);
            assertArrayEquals(marker, receiveExactly(rt.loop(), p.server, marker.length), "the failed SendFiles sent nothing: the "
                    + "peer's first bytes are the ones sent after them");
            p.close(rt.loop());
        });
    }

    @Test
    public void required_aSocketAsTheSourceIsInvalidAndSendsNothing() {
        withFile(1_000, (rt, file, data) -> {
            Conn p = connectedPair(rt.loop());
            Conn other = connectedPair(rt.loop());
            sendAll(rt.loop(), other.server, "not a file".getBytes()); // readable bytes on the would-be source
            expectError(await(rt.loop().submitAsync(new SendFile(p.client, other.client, 0, 10)), "SendFile from a socket"),
                    IoErrorKind.INVALID_ARGUMENT, "SendFile whose source is a socket, not a file");
            byte[] marker = "marker".getBytes();
            sendAll(rt.loop(), p.client, marker);
            assertArrayEquals(marker, receiveExactly(rt.loop(), p.server, marker.length), "the refused SendFile sent nothing");
            p.close(rt.loop());
            other.close(rt.loop());
        });
    }

    @Test
    public void required_cancelEndsAPendingSendFileAndReportsExactlyWhatWasSent() {
        withFile(8 * 1024 * 1024, (rt, file, data) -> {
            Conn p = connectedPair(rt.loop());
            Stuck s = sendUntilStuck(rt.loop(), p, file, data);
            check(rt.loop().cancel(s.op), "cancel of a pending SendFile finds it");
            long total = s.sent + sentBy(await(s.pending, "the cancelled SendFile"), IoErrorKind.CANCELLED, "a cancelled SendFile");
            checkPeerGetsExactly(rt.loop(), p, data, total);
        });
    }

    @Test
    public void required_closeOfTheSocketEndsAPendingSendFile() {
        withFile(8 * 1024 * 1024, (rt, file, data) -> {
            Conn p = connectedPair(rt.loop());
            Stuck s = sendUntilStuck(rt.loop(), p, file, data);
            assertEquals(0L, await(rt.loop().submitAsync(new Close(p.client)), "Close of a socket with a SendFile pending on it")
                    .valueOrThrow(), "Close result");
            long total = s.sent + sentBy(await(s.pending, "the SendFile pending on a socket that Close closed"),
                    IoErrorKind.CANCELLED, "a SendFile whose socket was closed");
            byte[] got = await(receiveToEndOfStream(rt.loop(), p.server), "the peer's reading to end of stream after the close");
            check(got.length == total, () -> "the SendFiles reported " + total + " bytes sent, the peer received " + got.length);
            assertArrayEquals(Arrays.copyOf(data, (int) total), got, "the peer gets the file's first bytes, as reported");
            rt.loop().submitAsync(new Close(p.server));
            rt.loop().submitAsync(new Close(p.listener));
        });
    }

    @Test
    public void required_aDeadlineEndsASendFileToAPeerThatDoesNotRead() {
        withFile(8 * 1024 * 1024, (rt, file, data) -> {
            Conn p = connectedPair(rt.loop());
            shrinkBuffers(rt.loop(), p);
            long sent = 0;
            Completion<SendFile> c;
            do {
                Op<SendFile> op = Op.of(new SendFile(p.client, file, sent, data.length - sent)).deadline(Duration.ofMillis(200));
                c = await(rt.loop().submitAsync(op), "SendFile with a 200 ms deadline to a peer that does not read");
                if (c.isSuccess()) {
                    check(c.value() > 0, "a SendFile that made no progress must end by its deadline, not with 0");
                    sent += c.value();
                }
            } while (c.isSuccess() && sent < data.length);
            check(!c.isSuccess(), "the peer never reads, so a SendFile must end by its deadline before the file is sent");
            expectError(c, IoErrorKind.TIMED_OUT, "a SendFile whose deadline passed");
            checkPeerGetsExactly(rt.loop(), p, data, sent);
        });
    }

    // ---- helpers ----

    @FunctionalInterface
    private interface FileRule {
        void run(IoRuntime rt, IoFd file, byte[] data) throws Exception;
    }

    /** Runs a rule with a file of {@code size} random bytes open for reading; skipped without SEND_FILE. */
    private void withFile(int size, FileRule body) {
        rule(rt -> {
            assumeCapability(rt.loop(), Capability.SEND_FILE);
            assumeCapability(rt.loop(), Capability.FILE_IO);
            Path dir = Files.createTempDirectory("veloq-tck-sendfile");
            try {
                byte[] data = randomBytes(size);
                Path path = dir.resolve("data.bin");
                IoFd w = IoFd.raw(await(rt.loop().submitAsync(new Open(path, EnumSet.of(StandardOpenOption.CREATE_NEW,
                        StandardOpenOption.WRITE), 0644)), "Open CREATE_NEW").valueOrThrow());
                writeData(rt.loop(), w, data);
                closeAll(rt.loop(), w);
                IoFd file = IoFd.raw(await(rt.loop().submitAsync(Open.read(path)), "Open for reading").valueOrThrow());
                try {
                    body.run(rt, file, data);
                } finally {
                    rt.loop().submitAsync(new Close(file));
                }
            } finally {
                deleteTree(dir);
            }
        });
    }

    private void writeData(EventLoop rt, IoFd fd, byte[] data) throws IOException {
        FixedBuf b = lease(rt);
        try {
            int off = 0;
            while (off < data.length) {
                b.clear();
                int n = Math.min(b.capacity(), data.length - off);
                b.put(data, off, n);
                long w = await(rt.submitAsync(new Write(fd, b, off)), "Write at " + off).valueOrThrow();
                check(w > 0, "Write made no progress");
                off += (int) w;
            }
        } finally {
            b.release();
        }
    }

    private long sendOnce(EventLoop rt, IoFd socket, IoFd file, long offset, long count) throws IOException {
        return await(rt.submitAsync(new SendFile(socket, file, offset, count)), "SendFile of " + count + " bytes at offset "
                + offset).valueOrThrow();
    }

    /** Sends the file's bytes [offset, offset + count), clipped at its end, resuming after short transfers. */
    private void sendRange(EventLoop rt, IoFd socket, IoFd file, byte[] data, int offset, int count,
                           ByteArrayOutputStream expected) throws IOException {
        int end = Math.min(data.length, offset + count);
        long at = offset;
        while (at < end) {
            long want = offset + count - at;
            long n = sendOnce(rt, socket, file, at, want);
            long from = at;
            check(n > 0 && at + n <= end, () -> "SendFile of " + want + " bytes at offset " + from + " of a " + data.length
                    + "-byte file returned " + n + "; it may send at most " + (end - from));
            at += n;
        }
        expected.write(data, offset, end - offset);
    }

    private void shutdownWrite(EventLoop rt, IoFd fd) throws IOException {
        await(rt.submitAsync(new Shutdown(fd, ShutdownHow.WRITE)), "Shutdown(WRITE) of " + fd).valueOrThrow();
    }

    /** Small send and receive buffers, so that a peer that does not read stops a SendFile soon. */
    private void shrinkBuffers(EventLoop rt, Conn p) throws IOException {
        if (rt.capabilities().contains(Capability.SOCKET_OPTIONS)) {
            rt.setOption(p.client, StandardSocketOptions.SO_SNDBUF, 4096);
            rt.setOption(p.server, StandardSocketOptions.SO_RCVBUF, 4096);
        }
    }

    private record Stuck(Op<SendFile> op, CompletableFuture<Completion<SendFile>> pending, long sent) {
    }

    /** SendFiles from the start of the file until one stays pending (the peer does not read). */
    private Stuck sendUntilStuck(EventLoop rt, Conn p, IoFd file, byte[] data) throws Exception {
        shrinkBuffers(rt, p);
        long sent = 0;
        while (sent < data.length) {
            Op<SendFile> op = Op.of(new SendFile(p.client, file, sent, data.length - sent));
            CompletableFuture<Completion<SendFile>> f = rt.submitAsync(op);
            try {
                Completion<SendFile> c = f.get(300, TimeUnit.MILLISECONDS);
                long n = c.valueOrThrow();
                check(n > 0, "a SendFile to a peer with room made no progress");
                sent += n;
            } catch (TimeoutException stuck) {
                return new Stuck(op, f, sent);
            } catch (ExecutionException e) {
                throw new AssertionError("SendFile failed: " + e.getCause(), e.getCause());
            }
        }
        long all = sent;
        throw new AssertionError("all " + all + " bytes were sent to a peer that does not read: no SendFile stayed pending");
    }

    /** What an ended SendFile sent: its count if it sent part of its chunk, else 0 after an error of {@code kind}. */
    private static long sentBy(Completion<SendFile> c, IoErrorKind kind, String what) {
        if (c.isSuccess()) {
            check(c.value() > 0, () -> what + " completed with 0: it must end with " + kind + " when it sent nothing");
            return c.value();
        }
        expectError(c, kind, what);
        return 0;
    }

    /** After a SendFile ended early: the peer reads exactly the first {@code total} bytes of the file, then end of stream. */
    private void checkPeerGetsExactly(EventLoop rt, Conn p, byte[] data, long total) throws IOException {
        shutdownWrite(rt, p.client);
        byte[] got = await(receiveToEndOfStream(rt, p.server), "the peer's reading to end of stream");
        check(got.length == total, () -> "the SendFiles reported " + total + " bytes sent, but the peer received " + got.length
                + " (a byte reported but not sent is lost; a byte sent but not reported is sent twice on resubmission)");
        assertArrayEquals(Arrays.copyOf(data, (int) total), got, "the peer gets the file's first bytes, in order");
        p.close(rt);
    }

}
