package io.veloq.bench.echo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.veloq.bench.load.LoadConfig;
import io.veloq.bench.load.LoadGenerator;
import io.veloq.bench.load.LoadResult;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(60)
class EchoServersTest {

    @Test
    void registryKnowsAllFourAndTheVeloqSlotIsHonest() {
        assertTrue(EchoServers.names().containsAll(EchoServers.DEFAULT_ORDER));
        assertNull(EchoServers.unavailableReason(EchoServers.NIO));
        boolean veloqPresent;
        try {
            Class.forName(EchoServers.VELOQ_CLASS);
            veloqPresent = true;
        } catch (ClassNotFoundException e) {
            veloqPresent = false;
        }
        if (!veloqPresent) {
            assertEquals("not available yet", EchoServers.unavailableReason(EchoServers.VELOQ));
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> EchoServers.create(EchoServers.VELOQ));
            assertTrue(e.getMessage().contains("not available yet"));
        }
        assertThrows(IllegalArgumentException.class, () -> EchoServers.create("nope"));
    }

    private static void echoes(String name) throws Exception {
        String why = EchoServers.unavailableReason(name);
        Assumptions.assumeTrue(why == null, () -> name + ": " + why);
        EchoServer s = EchoServers.create(name);
        int port = s.start(0);
        try {
            assertEquals(1, s.loopThreads().size(), "single event-loop thread");
            assertTrue(s.describe().length() > 0);
            try (LoadGenerator lg = new LoadGenerator(new LoadConfig(
                    new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 4, 8, 512, false, 1))) {
                lg.start();
                Thread.sleep(200);
                lg.beginMeasure();
                Thread.sleep(300);
                LoadResult r = lg.endMeasure();
                assertEquals(0, r.errors(), () -> name + ": " + r.firstError());
                assertTrue(r.messages() > 50, name + " echoes " + r.messages());
            }
        } finally {
            s.stop();
        }
    }

    @Test
    void nettyEpollEchoes() throws Exception {
        echoes(EchoServers.NETTY_EPOLL);
    }

    @Test
    void nettyIoUringEchoes() throws Exception {
        echoes(EchoServers.NETTY_URING);
    }

    @Test
    void nioEchoesAndPoolsItsBuffers() throws Exception {
        echoes(EchoServers.NIO);
    }
}
