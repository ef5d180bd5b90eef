package io.veloq.driver.iocp;

import io.veloq.api.Capability;
import io.veloq.api.IoRuntime;
import io.veloq.api.buffer.BufPool;
import io.veloq.api.buffer.FixedBuf;
import io.veloq.api.net.TcpListener;
import io.veloq.api.net.TcpStream;
import io.veloq.driver.iocp.sim.SimWin32;
import io.veloq.testkit.DriverRuntimes;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/**
 * A growing pool on a driver without registered buffers (IOCP, through the simulator here): the pool just
 * grows, nothing is registered, and buffers from every slab carry sends and receives.
 */
class IocpPoolGrowthTest {
    @Test
    void thePoolGrowsAndBuffersFromEverySlabCarryData() throws Exception {
        SimWin32[] sim = new SimWin32[1];
        IoRuntime rt = DriverRuntimes.open(Bindings.provider(sim), IoRuntime.builder().buffers(4096, 1, 16));
        try {
            assertFalse(rt.capabilities().contains(Capability.REGISTERED_BUFFERS));
            BufPool pool = rt.loop().bufPool();
            assertFalse(pool.isRegistered());
            assertEquals(1, pool.capacity());
            List<FixedBuf> bufs = new ArrayList<>();
            for (int i = 0; i < 16; i++) {
                bufs.add(pool.lease());
            }
            assertEquals(5, pool.regionCount(), pool.toString()); // 1, 1, 2, 4, 8
            assertNull(pool.tryLease(), "at the cap");
            InetSocketAddress any = new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0);
            try (TcpListener l = TcpListener.bind(rt.loop(), any)) {
                CompletableFuture<TcpStream> accepted = l.acceptAsync();
                try (TcpStream c = TcpStream.connect(rt.loop(), new InetSocketAddress(InetAddress.getByName("127.0.0.1"), l.port()));
                     TcpStream s = accepted.get(10, TimeUnit.SECONDS)) {
                    for (int i = 0; i < 16; i++) {
                        FixedBuf out = bufs.get(i);
                        FixedBuf in = bufs.get(15 - i);
                        byte[] msg = ("from region " + out.regionIndex() + " to region " + in.regionIndex())
                                .getBytes(StandardCharsets.US_ASCII);
                        out.clear().put(msg);
                        in.clear();
                        assertEquals(msg.length, c.sendAll(out));
                        while (in.readableBytes() < msg.length) {
                            assertTrue(s.recv(in) > 0, "end of stream");
                        }
                        assertArrayEquals(msg, in.getBytes());
                    }
                }
            }
            bufs.forEach(FixedBuf::release);
        } finally {
            rt.close();
            if (sim[0] != null) {
                List<String> failures = sim[0].failures();
                sim[0].close();
                assertEquals(List.of(), failures, "exceptions or Windows-unsafe calls inside the IOCP simulator");
            }
        }
    }
}
