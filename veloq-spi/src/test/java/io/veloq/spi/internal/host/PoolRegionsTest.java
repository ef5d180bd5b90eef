package io.veloq.spi.internal.host;

import io.veloq.api.Capability;
import io.veloq.api.Completion;
import io.veloq.api.Op;
import io.veloq.api.buffer.BufPool;
import io.veloq.api.buffer.FixedBuf;
import io.veloq.api.op.OpKind;
import io.veloq.api.op.ReadFixed;
import io.veloq.api.op.Recv;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The host registers each region a loop's pool adds, on the loop thread, before the first fixed-buffer op
 * that names it, through the SPI's {@code addBufferRegion} (here its default: the old one-argument
 * {@code registerBuffers} with every region). A region the driver refuses is named in the error of the
 * fixed op that needed it; the regions before it stay registered, and its buffers still serve other ops.
 */
class PoolRegionsTest extends HostFixture {
    @Test
    void newRegionsAreRegisteredBeforeTheFirstFixedOpAndARefusalIsNamed() throws Exception {
        open(b -> b.buffers(64, 1, 8), d -> {
            d.capabilities = Set.of(Capability.REGISTERED_BUFFERS);
            d.registrableRegions = 2;
        });
        BufPool p = rt.loop().bufPool();
        assertEquals(List.of(1), driver().bufferRegistrations, "the first chunk, registered at open");
        List<FixedBuf> bufs = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            bufs.add(p.lease()); // slabs of 1, 1, 2, 4
        }
        assertEquals(4, p.regionCount());
        assertEquals(List.of(1), driver().bufferRegistrations, "growing on a foreign thread registers nothing yet");

        // a fixed op on region 1: registered first, then prepared
        FixedBuf inRegion1 = bufs.get(1);
        assertEquals(1, inRegion1.regionIndex());
        CompletableFuture<Completion<ReadFixed>> ok = rt.loop().submitAsync(Op.of(new ReadFixed(FD, inRegion1, 0)));
        ScriptedDriver.Submission s = driver().awaitInFlight(OpKind.READ_FIXED, 1).get(0);
        assertEquals(List.of(1, 2), driver().bufferRegistrations);
        driver().complete(s.userData(), 0);
        assertNull(ok.get(5, TimeUnit.SECONDS).error());

        // region 3 needs region 2 first, which the driver refuses
        FixedBuf inRegion3 = bufs.get(7);
        assertEquals(3, inRegion3.regionIndex());
        CompletableFuture<Completion<ReadFixed>> refused = rt.loop().submitAsync(Op.of(new ReadFixed(FD, inRegion3, 0)));
        s = driver().awaitInFlight(OpKind.READ_FIXED, 1).get(0);
        driver().complete(s.userData(), -14); // EFAULT, what a kernel says for an unregistered buffer
        Completion<ReadFixed> c = refused.get(5, TimeUnit.SECONDS);
        assertNotNull(c.error());
        String m = c.error().getMessage();
        for (String part : List.of("EFAULT", "region 3 of loop 0's buffer pool", "is not registered with the driver",
                "registered regions 0..1 and refused region 2", "ENOMEM")) {
            assertTrue(m.contains(part), "missing '" + part + "' in: " + m);
        }
        assertEquals(List.of(1, 2), driver().bufferRegistrations, "the regions before stay as they were");

        // the refused region's buffers still serve non-fixed ops
        CompletableFuture<Completion<Recv>> recv = rt.loop().submitAsync(Op.of(new Recv(FD, inRegion3)));
        s = driver().awaitInFlight(OpKind.RECV, 1).get(0);
        driver().complete(s.userData(), 3);
        assertEquals(3, recv.get(5, TimeUnit.SECONDS).valueOrThrow());
        bufs.forEach(FixedBuf::release);
    }
}
