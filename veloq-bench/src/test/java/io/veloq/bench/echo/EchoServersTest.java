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
                // On a loaded machine the first echoes may take a while: up to 10 windows of 300 ms.
                LoadResult r = null;
                for (int i = 0; i < 10 && (r == null || r.messages() <= 50); i++) {
                    lg.beginMeasure();
                    Thread.sleep(300);
                    r = lg.endMeasure();
                    LoadResult w = r;
                    assertEquals(0, w.errors(), () -> name + ": " + w.firstError());
                }
                assertTrue(r.messages() > 50, name + " echoes " + r.messages() + " in the last 300 ms window");
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
