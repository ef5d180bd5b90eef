package io.veloq.examples.xdp;

import io.veloq.api.IoRuntime;
import io.veloq.api.xdp.XdpAttach;
import io.veloq.api.xdp.XdpConfig;
import io.veloq.api.xdp.XdpSocket;
import io.veloq.testkit.VethPair;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The reflector on a real veth pair: datagrams from a namespace come back byte for byte. */
class XdpReflectTest {
    @Test
    void reflectsEveryDatagramByteForByte() throws Exception {
        assumeTrue(VethPair.missingPrivileges() == null, VethPair.missingPrivileges());
        try (VethPair veth = VethPair.create();
             IoRuntime rt = IoRuntime.builder().driver("uring").open();
             XdpSocket xsk = XdpSocket.open(rt, XdpConfig.builder(veth.hostIface()).udpPort(9000)
                     .attach(XdpAttach.GENERIC).frames(4096, 1024).build())) {
            XdpReflector r = new XdpReflector(xsk, 64);
            rt.execute(r::start);
            VethPair.Exchange ex = veth.udpExchange(5000, 9000, 200, 64, Duration.ofSeconds(10));
            System.out.println(ex);
            assertEquals(200, ex.received(), () -> String.join("\n", ex.lines()));
            assertEquals(0, ex.bad());
            CompletableFuture<Void> stopped = new CompletableFuture<>();
            rt.execute(() -> { r.stop(); stopped.complete(null); });
            stopped.get(10, TimeUnit.SECONDS);
        }
    }
}
