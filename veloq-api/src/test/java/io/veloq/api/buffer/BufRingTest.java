package io.veloq.api.buffer;

import io.veloq.api.bootstrap.ApiAccess;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static io.veloq.api.Messages.assertMentions;
import static org.junit.jupiter.api.Assertions.*;

/** A buffer ring's bookkeeping: which buffers the kernel may fill, which the application holds. */
class BufRingTest {
    private static final ApiAccess.Bufs BUFS = ApiAccess.bufs();

    private final BufPool pool = BufPool.allocate(64, 4);
    private final ManualRingHost host = new ManualRingHost();

    private BufRing ring(int n) {
        FixedBuf[] bufs = new FixedBuf[n];
        for (int i = 0; i < n; i++) {
            bufs[i] = pool.lease();
        }
        return BUFS.newRing("test ring", bufs, 5, host);
    }

    @Test
    void aBufferInTheRingRefusesEveryAccessUntilTheDriverFillsIt() {
        BufRing ring = ring(2);
        FixedBuf b = BUFS.ringBuffers(ring)[1];
        assertMentions(assertThrows(IllegalStateException.class, b::readableBytes), "released to", "test ring",
                "kernel may be writing");
        FixedBuf got = BUFS.takeFromRing(ring, 1, 10);
        assertSame(b, got);
        assertEquals(10, got.readableBytes(), "the chunk's bytes are readable");
        assertEquals(0, got.readerIndex());
        assertSame(ring, got.ring());
    }

    @Test
    void releaseOnTheLoopGoesStraightBackToTheDriverNotThePool() {
        BufRing ring = ring(2);
        FixedBuf got = BUFS.takeFromRing(ring, 0, 3);
        got.release();
        assertEquals(List.of(0), host.provided);
        assertEquals(2, pool.outstanding(), "ring buffers stay leased from the pool");
        assertMentions(assertThrows(IllegalStateException.class, got::release), "double release");
    }

    @Test
    void releaseOnAnotherThreadIsHandedToTheLoop() throws Exception {
        BufRing ring = ring(1);
        FixedBuf got = BUFS.takeFromRing(ring, 0, 3);
        CountDownLatch done = new CountDownLatch(1);
        Thread t = new Thread(() -> {
            got.release();
            done.countDown();
        });
        t.start();
        assertTrue(done.await(5, TimeUnit.SECONDS));
        assertEquals(List.of(), host.provided, "not from the releasing thread");
        host.runTasks();
        assertEquals(List.of(0), host.provided, "the loop gave it back");
    }

    @Test
    void theDriverCannotReportABufferTheApplicationHolds() {
        BufRing ring = ring(1);
        BUFS.takeFromRing(ring, 0, 3);
        assertMentions(assertThrows(IllegalStateException.class, () -> BUFS.takeFromRing(ring, 0, 3)),
                "buffer id 0", "application holds it");
        assertMentions(assertThrows(IllegalStateException.class, () -> BUFS.takeFromRing(ring, 9, 3)),
                "buffer id 9", "1 buffers");
    }

    @Test
    void closingReturnsRingBuffersToThePoolAndHeldOnesWhenReleased() {
        BufRing ring = ring(3);
        FixedBuf held = BUFS.takeFromRing(ring, 2, 1);
        ring.close();
        assertSame(ring, host.closed);
        assertTrue(ring.isClosed());
        assertEquals(1, pool.outstanding(), "the two in the ring went back; the held one is still out");
        held.release();
        assertEquals(0, pool.outstanding(), "released after close: back to the pool, not the ring");
        assertNull(held.ring());
        assertEquals(List.of(), host.provided);
    }
}
