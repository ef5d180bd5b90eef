package io.veloq.testkit;

import io.veloq.api.IoFd;
import io.veloq.api.IoRuntime;
import io.veloq.api.buffer.BufPool;
import io.veloq.api.buffer.FixedBuf;
import io.veloq.api.op.Close;
import io.veloq.api.op.Open;
import io.veloq.api.op.ReadFixed;
import io.veloq.api.op.WriteFixed;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * A growing pool on the fake driver: it registers buffers like the kernel (a fixed op on an unregistered
 * region is EFAULT) and relies on the SPI's default {@code addBufferRegion} (registering the whole table
 * again), so this also proves that default works for a driver written before pools grew.
 */
class FakePoolGrowthTest {
    @Test
    void fixedOpsWorkOnBuffersFromEverySlabOfAGrowingPool() throws Exception {
        try (IoRuntime rt = IoRuntime.builder().driver("fake").buffers(256, 1, 24).open()) {
            BufPool pool = rt.loop().bufPool();
            assertTrue(pool.isRegistered());
            assertEquals(1, pool.capacity());
            List<FixedBuf> bufs = new ArrayList<>();
            for (int i = 0; i < 24; i++) {
                bufs.add(pool.lease());
            }
            assertEquals(6, pool.regionCount(), pool.toString()); // 1, 1, 2, 4, 8, 8
            long fd = rt.loop().call(new Open(Path.of("/sim/fixed.bin"), EnumSet.of(StandardOpenOption.CREATE,
                    StandardOpenOption.READ, StandardOpenOption.WRITE), 0600)).valueOrThrow();
            for (int i = 0; i < bufs.size(); i++) {
                byte[] text = ("block " + i + " region " + bufs.get(i).regionIndex()).getBytes(StandardCharsets.US_ASCII);
                bufs.get(i).put(text);
                assertEquals(text.length, rt.loop().call(new WriteFixed(IoFd.raw(fd), bufs.get(i), i * 256L)).valueOrThrow());
            }
            for (int i = 0; i < bufs.size(); i++) {
                FixedBuf in = bufs.get(bufs.size() - 1 - i).clear();
                long n = rt.loop().call(new ReadFixed(IoFd.raw(fd), in, i * 256L)).valueOrThrow();
                assertTrue(n >= ("block " + i + " region 0").length(), "read " + n + " bytes"); // may be short
                String got = new String(in.getBytes(), StandardCharsets.US_ASCII);
                assertTrue(got.startsWith("block " + i + " region "), got);
            }
            rt.loop().call(new Close(IoFd.raw(fd))).valueOrThrow();
            assertNull(pool.tryLease());
            IllegalStateException e = assertThrows(IllegalStateException.class, pool::lease);
            assertTrue(e.getMessage().contains("loop 0's buffer pool is exhausted: all 24 buffers"), e.getMessage());
            bufs.forEach(FixedBuf::release);
        }
    }
}
