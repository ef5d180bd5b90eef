package io.veloq.driver.iocp;

import io.veloq.api.IoErrorKind;
import io.veloq.api.IoFd;
import io.veloq.api.buffer.BufPool;
import io.veloq.api.buffer.FixedBuf;
import io.veloq.api.net.AddressFamily;
import io.veloq.api.op.Close;
import io.veloq.api.op.Open;
import io.veloq.api.op.Read;
import io.veloq.api.op.Recv;
import io.veloq.api.op.Write;
import io.veloq.driver.iocp.sim.SimWin32;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.EnumSet;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * #16 item 4, on the simulator (which can fail a completion with any status): a failed file completion is
 * reported as RtlNtStatusToDosError reports it (what GetOverlappedResult would say), a failed socket completion
 * as WSAGetOverlappedResult would, never as a catch-all code.
 */
public class CompletionStatusTest {
    private final SimWin32 sim = new SimWin32(SimWin32.Options.DEFAULTS.withFileSyncRatio(0));
    private final BufPool pool = BufPool.allocate(4096, 4);

    @AfterEach
    void close() {
        List<String> failures = sim.failures();
        sim.close();
        assertEquals(List.of(), failures);
    }

    private String fileFailure(Path dir, int status, boolean write) throws Exception {
        try (DriverHarness h = DriverHarness.open(Bindings.provider(sim), 8)) {
            IoFd fd = IoFd.raw(h.value(new Open(dir.resolve("f" + Integer.toHexString(status)),
                    EnumSet.of(StandardOpenOption.READ, StandardOpenOption.WRITE, StandardOpenOption.CREATE), 0644)));
            FixedBuf fill = pool.lease().put(new byte[100]);
            h.value(new Write(fd, fill, 0));
            fill.release();
            sim.failNextCompletion(((IoFd.Raw) fd).handle(), status);
            FixedBuf b = pool.lease();
            if (write) {
                b.put(new byte[10]);
            }
            DriverHarness.Result r = h.run(write ? new Write(fd, b, 0) : new Read(fd, b, 0));
            b.release();
            h.value(new Close(fd));
            return r.error().codeName();
        }
    }

    @Test
    void fileStatusesGoThroughRtlNtStatusToDosError(@TempDir Path dir) throws Exception {
        assertEquals("ERROR_IO_DEVICE", fileFailure(dir, 0xC0000185, false), "STATUS_IO_DEVICE_ERROR");
        assertEquals("ERROR_CRC", fileFailure(dir, 0xC000009C, false), "STATUS_DEVICE_DATA_ERROR");
        assertEquals("ERROR_LOCK_VIOLATION", fileFailure(dir, 0xC0000054, true), "STATUS_FILE_LOCK_CONFLICT");
        assertEquals("ERROR_DISK_FULL", fileFailure(dir, 0xC000007F, true), "STATUS_DISK_FULL");
        assertEquals("ERROR_DISK_FULL", fileFailure(dir, 0xC0070070, true), "facility 7 carries ERROR_DISK_FULL");
        assertEquals("ERROR_SEM_TIMEOUT", fileFailure(dir, 0xC00000B5, false), "STATUS_IO_TIMEOUT on a file");
    }

    @Test
    void socketStatusesBecomeTheWinsockCodes() throws Exception {
        try (DriverHarness h = DriverHarness.open(Bindings.provider(sim), 8)) {
            IoFd[] p = h.tcpPair(AddressFamily.INET);
            long recv = h.start(new Recv(p[1], pool.lease()));
            h.turn(TimeUnit.MILLISECONDS.toNanos(5));
            sim.failNextCompletion(((IoFd.Raw) p[1]).handle(), 0xC00000B0); // STATUS_PIPE_DISCONNECTED
            h.value(new io.veloq.api.op.Send(p[0], pool.lease().put(new byte[]{1})));
            DriverHarness.Result r = h.await(recv);
            assertEquals("WSAESHUTDOWN", r.error().codeName());
            assertEquals(IoErrorKind.BROKEN_PIPE, r.error().kind());
            h.value(new Close(p[0]));
            h.value(new Close(p[1]));
        }
    }
}
