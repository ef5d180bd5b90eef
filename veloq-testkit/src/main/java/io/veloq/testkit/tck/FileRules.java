package io.veloq.testkit.tck;

import io.veloq.api.Capability;
import io.veloq.api.Completion;
import io.veloq.api.EventLoop;
import io.veloq.api.IoErrorKind;
import io.veloq.api.IoFd;
import io.veloq.api.IoRuntime;
import io.veloq.api.Op;
import io.veloq.api.OpState;
import io.veloq.api.buffer.BufPool;
import io.veloq.api.buffer.FixedBuf;
import io.veloq.api.net.AddressFamily;
import io.veloq.api.net.ShutdownHow;
import io.veloq.api.net.SockAddrStorage;
import io.veloq.api.net.SocketType;
import io.veloq.api.op.Accept;
import io.veloq.api.op.Close;
import io.veloq.api.op.Connect;
import io.veloq.api.op.Fsync;
import io.veloq.api.op.Nop;
import io.veloq.api.op.Open;
import io.veloq.api.op.OpPayload;
import io.veloq.api.op.Read;
import io.veloq.api.op.ReadFixed;
import io.veloq.api.op.Recv;
import io.veloq.api.op.RecvFrom;
import io.veloq.api.op.Send;
import io.veloq.api.op.SendTo;
import io.veloq.api.op.Shutdown;
import io.veloq.api.op.Socket;
import io.veloq.api.op.Timeout;
import io.veloq.api.op.Write;
import io.veloq.api.op.WriteFixed;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardSocketOptions;
import java.net.UnixDomainSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The file and registered-resource rules, each skipped, with the reason, when the driver does not report its
 * capability: file ops ({@link Capability#FILE_IO}), registered files ({@link Capability#FIXED_FILES}) and
 * registered buffers ({@link Capability#REGISTERED_BUFFERS}).
 * Part of {@link DriverTck}; extend that.
 *
 * @since 0.1
 */
public abstract class FileRules extends NetworkRules {
    FileRules() {
    }

    @Test
    public void optional_fileOpenWriteReadFsyncClose() {
        rule(rt -> {
            assumeCapability(rt.loop(), Capability.FILE_IO);
            Path dir = Files.createTempDirectory("veloq-tck");
            try {
                Path file = dir.resolve("data.bin");
                IoFd fd = IoFd.raw(await(rt.loop().submitAsync(new Open(file, EnumSet.of(StandardOpenOption.CREATE_NEW,
                        StandardOpenOption.READ, StandardOpenOption.WRITE), 0644)), "Open CREATE_NEW").valueOrThrow());
                byte[] data = randomBytes(10_000);
                FixedBuf b = lease(rt.loop()).put(data);
                assertEquals((long) data.length, await(rt.loop().submitAsync(new Write(fd, b, 0)), "Write").valueOrThrow(), "Write result");
                assertEquals(0L, await(rt.loop().submitAsync(new Fsync(fd, false)), "Fsync").valueOrThrow(), "Fsync result");
                b.clear();
                ByteArrayOutputStream got = new ByteArrayOutputStream();
                while (got.size() < data.length) {
                    long n = await(rt.loop().submitAsync(new Read(fd, b, got.size())), "Read").valueOrThrow();
                    check(n > 0, () -> "Read at offset " + got.size() + " of a " + data.length + "-byte file returned 0");
                    got.writeBytes(b.getBytes());
                    b.clear();
                }
                assertArrayEquals(data, got.toByteArray(), "file content read back");
                assertEquals(0L, await(rt.loop().submitAsync(new Read(fd, b, data.length)), "Read at end of file").valueOrThrow(),
                        "Read at end of file");
                assertEquals(0L, await(rt.loop().submitAsync(new Close(fd)), "Close").valueOrThrow(), "Close result");
                expectError(await(rt.loop().submitAsync(new Open(file, EnumSet.of(StandardOpenOption.CREATE_NEW,
                        StandardOpenOption.WRITE), 0644)), "Open CREATE_NEW of an existing file"), IoErrorKind.ALREADY_EXISTS,
                        "Open CREATE_NEW of an existing file");
                expectError(await(rt.loop().submitAsync(Open.read(dir.resolve("missing"))), "Open of a missing file"),
                        IoErrorKind.NOT_FOUND, "Open of a missing file");
                b.release();
            } finally {
                deleteTree(dir);
            }
        });
    }

    @Test
    public void optional_fixedFiles() {
        rule(rt -> {
            assumeCapability(rt.loop(), Capability.FIXED_FILES);
            Conn p = connectedPair(rt.loop());
            IoFd.Fixed fixed = rt.loop().registerFile((IoFd.Raw) p.server);
            sendAll(rt.loop(), p.client, new byte[] {4, 2});
            assertArrayEquals(new byte[] {4, 2}, receiveExactly(rt.loop(), fixed, 2), "bytes received through a fixed file");
            FixedBuf b = lease(rt.loop());
            rt.loop().unregisterFile(fixed);
            b.clear();
            expectError(await(rt.loop().submitAsync(new Recv(fixed, b)), "Recv on an unregistered slot"), IoErrorKind.BAD_DESCRIPTOR,
                    "Recv on an unregistered fixed-file slot");
            b.release();
            p.close(rt.loop());
        });
    }

    @Test
    public void optional_registeredBuffers() {
        rule(rt -> {
            assumeCapability(rt.loop(), Capability.REGISTERED_BUFFERS);
            assumeCapability(rt.loop(), Capability.FILE_IO);
            BufPool pool = rt.loop().bufPool();
            check(pool != null && pool.isRegistered(), "a driver with REGISTERED_BUFFERS registers the loop's pool");
            Path dir = Files.createTempDirectory("veloq-tck");
            try {
                IoFd fd = IoFd.raw(await(rt.loop().submitAsync(new Open(dir.resolve("fixed.bin"), EnumSet.of(StandardOpenOption.CREATE,
                        StandardOpenOption.READ, StandardOpenOption.WRITE), 0644)), "Open").valueOrThrow());
                byte[] data = randomBytes(4096);
                FixedBuf b = pool.lease().put(data);
                assertEquals((long) data.length, await(rt.loop().submitAsync(new WriteFixed(fd, b, 0)), "WriteFixed").valueOrThrow(), "WriteFixed");
                b.clear();
                assertEquals((long) data.length, await(rt.loop().submitAsync(new ReadFixed(fd, b, 0)), "ReadFixed").valueOrThrow(), "ReadFixed");
                assertArrayEquals(data, b.getBytes(), "ReadFixed content");
                try (BufPool own = BufPool.allocate(4096, 1)) {
                    FixedBuf foreign = own.lease();
                    boolean refused;
                    try {
                        refused = !await(rt.loop().submitAsync(new ReadFixed(fd, foreign, 0)), "ReadFixed of an unregistered buffer").isSuccess();
                    } catch (IllegalArgumentException | IllegalStateException e) {
                        refused = true; // refused at submission: also fine
                    }
                    check(refused, "ReadFixed with a buffer that is not registered must fail");
                    foreign.release();
                }
                b.release();
                closeAll(rt.loop(), fd);
            } finally {
                deleteTree(dir);
            }
        });
    }
}
