package io.veloq.testkit;

import io.veloq.api.IoRuntime;
import io.veloq.api.buffer.FixedBuf;
import io.veloq.api.xdp.XdpConfig;
import io.veloq.api.xdp.XdpSocket;
import io.veloq.api.xdp.XdpStatistics;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static io.veloq.testkit.SimulatedXdp.Delivery.DROPPED_FILL_RING_EMPTY;
import static io.veloq.testkit.SimulatedXdp.Delivery.DROPPED_RX_RING_FULL;
import static io.veloq.testkit.SimulatedXdp.Delivery.DROPPED_TOO_LONG;
import static io.veloq.testkit.SimulatedXdp.Delivery.PASSED_TO_STACK;
import static io.veloq.testkit.SimulatedXdp.Delivery.RECEIVED;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The fake kernel's AF_XDP receive path, step by step with nothing in between (no reflector running, so
 * every ring moves only when the test says): a full RX ring drops and counts without losing the frame it
 * took from the fill ring, and a frame longer than a UMEM frame minus the headroom is dropped and counted
 * without touching the fill ring. Each frame that is received arrives byte for byte.
 */
class SimulatedXdpTest {
    private IoRuntime rt;
    private SimulatedXdp net;

    @BeforeEach
    void open() {
        rt = IoRuntime.builder().driver("fake").open();
        net = SimulatedXdp.of(rt).addInterface("sim0", 2);
    }

    @AfterEach
    void close() {
        rt.close();
    }

    private <T> T onLoop(Callable<T> c) throws Exception {
        CompletableFuture<T> f = new CompletableFuture<>();
        rt.loop().execute(() -> {
            try {
                f.complete(c.call());
            } catch (Throwable t) {
                f.completeExceptionally(t);
            }
        });
        try {
            return f.get(30, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof Exception x ? x : e;
        }
    }

    private static byte[] frame(int length, int seed) {
        byte[] b = new byte[length];
        for (int i = 0; i < length; i++) {
            b[i] = (byte) (seed * 31 + i);
        }
        return b;
    }

    /** Receives what the RX ring holds; returns the packets' bytes, frames back on the free stack. */
    private List<byte[]> drain(XdpSocket xsk) throws Exception {
        return onLoop(() -> {
            List<byte[]> out = new ArrayList<>();
            FixedBuf[] batch = new FixedBuf[64];
            int n = xsk.receive(batch, 0, batch.length);
            for (int i = 0; i < n; i++) {
                out.add(batch[i].getBytes());
            }
            xsk.free(batch, 0, n);
            return out;
        });
    }

    @Test
    void aFullRxRingDropsAndCountsAndKeepsTheFrameItTook() throws Exception {
        try (XdpSocket xsk = XdpSocket.open(rt.loop(), XdpConfig.builder("sim0").frames(2048, 32).rings(16, 16, 4, 16).build())) {
            assertEquals(8, (int) onLoop(() -> xsk.fill(8)));
            for (int i = 0; i < 4; i++) {
                assertEquals(RECEIVED, net.deliver("sim0", 0, frame(60, i)), "frame " + i);
            }
            assertEquals(DROPPED_RX_RING_FULL, net.deliver("sim0", 0, frame(60, 4)), "a 4-entry RX ring holds 4");
            assertEquals(DROPPED_RX_RING_FULL, net.deliver("sim0", 0, frame(60, 5)));
            XdpStatistics st = xsk.statistics();
            assertEquals(2, st.rxRingFull());
            assertEquals(2, st.rxDropped());
            assertEquals(0, st.fillRingEmpty());

            List<byte[]> got = drain(xsk);
            assertEquals(4, got.size());
            for (int i = 0; i < 4; i++) {
                assertArrayEquals(frame(60, i), got.get(i), "frame " + i + " byte for byte");
            }
            assertEquals(4, xsk.filled(), "4 frames left in the kernel's hands");

            // The frame taken for the dropped delivery was kept by the kernel, not lost: with the RX ring
            // emptied, four more arrive (one on that kept frame, three from the fill ring), then the fill
            // ring runs dry.
            for (int i = 10; i < 14; i++) {
                assertEquals(RECEIVED, net.deliver("sim0", 0, frame(100, i)), "frame " + i);
            }
            got = drain(xsk);
            assertEquals(4, got.size());
            for (int i = 0; i < 4; i++) {
                assertArrayEquals(frame(100, 10 + i), got.get(i));
            }
            assertEquals(0, xsk.filled());
            assertEquals(DROPPED_FILL_RING_EMPTY, net.deliver("sim0", 0, frame(100, 21)));
            st = xsk.statistics();
            assertEquals(2, st.rxRingFull());
            assertEquals(1, st.fillRingEmpty());
            assertEquals(3, st.rxDropped());
            assertEquals(32, xsk.freeFrames(), "every frame is back: none was lost to the drops");
        }
    }

    @Test
    void aFrameLongerThanAUmemFrameMinusHeadroomIsDroppedAndCounted() throws Exception {
        // 2048-byte frames: the kernel keeps 256 bytes of headroom, the config asks for 64 more.
        try (XdpSocket xsk = XdpSocket.open(rt.loop(), XdpConfig.builder("sim0").frames(2048, 16).headroom(64).rings(8).build())) {
            int max = 2048 - XdpConfig.KERNEL_HEADROOM - 64;
            assertEquals(4, (int) onLoop(() -> xsk.fill(4)));
            assertEquals(DROPPED_TOO_LONG, net.deliver("sim0", 0, frame(max + 1, 1)));
            assertEquals(DROPPED_TOO_LONG, net.deliver("sim0", 0, frame(9000, 2)));
            XdpStatistics st = xsk.statistics();
            assertEquals(2, st.rxDropped());
            assertEquals(0, st.rxRingFull());
            assertEquals(0, st.fillRingEmpty());
            assertEquals(4, xsk.filled(), "a frame too long takes nothing from the fill ring");
            assertEquals(List.of(), drain(xsk));

            byte[] longest = frame(max, 3);
            assertEquals(RECEIVED, net.deliver("sim0", 0, longest));
            int start = onLoop(() -> {
                FixedBuf[] one = new FixedBuf[1];
                assertEquals(1, xsk.receive(one, 0, 1));
                int r = one[0].readerIndex();
                assertArrayEquals(longest, one[0].getBytes(), "the longest frame that fits, byte for byte");
                xsk.free(one[0]);
                return r;
            });
            assertEquals(XdpConfig.KERNEL_HEADROOM + 64, start, "the packet starts after both headrooms");
            assertEquals(2, xsk.statistics().rxDropped());
        }
    }

    @Test
    void framesForAnotherQueueOrWithoutASocketGoToTheStack() throws Exception {
        try (XdpSocket xsk = XdpSocket.open(rt.loop(), XdpConfig.builder("sim0").queue(1).frames(2048, 8).rings(8).build())) {
            onLoop(() -> xsk.fill(8));
            assertEquals(PASSED_TO_STACK, net.deliver("sim0", 0, frame(60, 1)), "no socket on queue 0");
            assertEquals(RECEIVED, net.deliver("sim0", 1, frame(60, 2)));
            List<byte[]> got = drain(xsk);
            assertEquals(1, got.size());
            assertArrayEquals(frame(60, 2), got.get(0));
            assertEquals(0, xsk.statistics().rxDropped());
        }
        assertEquals(PASSED_TO_STACK, net.deliver("sim0", 1, frame(60, 3)), "closed: the program is detached");
        assertEquals(Arrays.asList(), net.takeTransmitted("sim0"));
    }

    /** A sharer on another queue gets the owner's UMEM, frames and headroom; one on the owner's queue is refused. */
    @Test
    void aSharerOnAnotherQueueUsesTheOwnersUmemAndHeadroom() throws Exception {
        try (XdpSocket owner = XdpSocket.open(rt.loop(), XdpConfig.builder("sim0").frames(2048, 16).headroom(64).rings(8).build());
             XdpSocket sharer = XdpSocket.open(rt.loop(), XdpConfig.builder("sim0").queue(1).rings(8).sharedUmem(owner).build())) {
            assertEquals(16, sharer.frameCount());
            assertEquals(4, (int) onLoop(() -> sharer.fill(4)));
            assertEquals(12, owner.freeFrames(), "one free stack for both");
            assertEquals(RECEIVED, net.deliver("sim0", 1, frame(80, 7)));
            int start = onLoop(() -> {
                FixedBuf[] one = new FixedBuf[1];
                assertEquals(1, sharer.receive(one, 0, 1));
                int r = one[0].readerIndex();
                assertArrayEquals(frame(80, 7), one[0].getBytes());
                owner.free(one[0]);
                return r;
            });
            assertEquals(XdpConfig.KERNEL_HEADROOM + 64, start, "the UMEM's headroom is the owner's");
            IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                    () -> XdpSocket.open(rt.loop(), XdpConfig.builder("sim0").rings(8).sharedUmem(owner).build()));
            org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().contains("queue 0 of sim0"), e.getMessage());
        }
    }
}
