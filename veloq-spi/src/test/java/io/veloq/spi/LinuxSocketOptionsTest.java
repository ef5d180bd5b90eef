package io.veloq.spi;

import io.veloq.api.net.AddressFamily;
import io.veloq.api.net.VeloqSocketOptions;
import org.junit.jupiter.api.Test;

import java.net.NetworkInterface;
import java.net.SocketOption;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LinuxSocketOptionsTest {
    private final ByteBuffer buf = ByteBuffer.allocateDirect(LinuxSocketOptions.MAX_VALUE_SIZE).order(ByteOrder.nativeOrder());

    @Test
    void everyKeyOfTheIssueHasALinuxMapping() {
        List<SocketOption<?>> keys = List.of(StandardSocketOptions.TCP_NODELAY, StandardSocketOptions.SO_RCVBUF,
                StandardSocketOptions.SO_SNDBUF, StandardSocketOptions.SO_REUSEADDR, StandardSocketOptions.SO_REUSEPORT,
                StandardSocketOptions.SO_KEEPALIVE, StandardSocketOptions.SO_LINGER, StandardSocketOptions.IP_TOS,
                StandardSocketOptions.IP_MULTICAST_IF, StandardSocketOptions.IP_MULTICAST_TTL,
                StandardSocketOptions.IP_MULTICAST_LOOP, StandardSocketOptions.SO_BROADCAST,
                VeloqSocketOptions.IPV6_V6ONLY, VeloqSocketOptions.TCP_KEEPIDLE, VeloqSocketOptions.TCP_KEEPINTVL,
                VeloqSocketOptions.TCP_KEEPCNT, VeloqSocketOptions.TCP_QUICKACK, VeloqSocketOptions.TCP_CORK,
                VeloqSocketOptions.SO_BUSY_POLL, VeloqSocketOptions.TCP_FASTOPEN);
        for (SocketOption<?> k : keys) {
            assertTrue(LinuxSocketOptions.isSupported(k), k.name());
            assertEquals(k, LinuxSocketOptions.lookup(k, AddressFamily.INET6).option());
        }
        assertEquals(keys.size(), LinuxSocketOptions.supportedOptions().size());
    }

    @Test
    void levelsAndNamesAreLinuxs() {
        // Values from <asm-generic/socket.h>, <netinet/tcp.h>, <netinet/in.h>.
        check(StandardSocketOptions.SO_REUSEPORT, AddressFamily.INET, 1, 15);
        check(StandardSocketOptions.SO_LINGER, AddressFamily.INET, 1, 13);
        check(VeloqSocketOptions.SO_BUSY_POLL, AddressFamily.INET, 1, 46);
        check(StandardSocketOptions.TCP_NODELAY, AddressFamily.INET6, 6, 1);
        check(VeloqSocketOptions.TCP_QUICKACK, AddressFamily.INET, 6, 12);
        check(VeloqSocketOptions.TCP_FASTOPEN, AddressFamily.INET, 6, 23);
        check(VeloqSocketOptions.IPV6_V6ONLY, AddressFamily.INET6, 41, 26);
        check(StandardSocketOptions.IP_TOS, AddressFamily.INET, 0, 1);
        check(StandardSocketOptions.IP_TOS, AddressFamily.INET6, 41, 67);
        check(StandardSocketOptions.IP_MULTICAST_TTL, AddressFamily.INET6, 41, 18);
        assertTrue(LinuxSocketOptions.lookup(StandardSocketOptions.IP_TOS, AddressFamily.INET6).familyDependent());
        assertFalse(LinuxSocketOptions.lookup(StandardSocketOptions.SO_RCVBUF).familyDependent());
        assertEquals("IPV6_TCLASS", LinuxSocketOptions.lookup(StandardSocketOptions.IP_TOS, AddressFamily.INET6).nativeName());
    }

    private static void check(SocketOption<?> k, AddressFamily f, int level, int name) {
        LinuxSocketOptions.Mapping m = LinuxSocketOptions.lookup(k, f);
        assertEquals(level, m.level(), k.name() + " level");
        assertEquals(name, m.name(), k.name() + " name");
    }

    @Test
    void codecsRoundTrip() {
        LinuxSocketOptions.Mapping rcv = LinuxSocketOptions.lookup(StandardSocketOptions.SO_RCVBUF);
        assertEquals(4, rcv.encode(65536, buf));
        assertEquals(65536, buf.getInt(0));
        assertEquals(65536, rcv.decode(buf, 4));

        LinuxSocketOptions.Mapping nodelay = LinuxSocketOptions.lookup(StandardSocketOptions.TCP_NODELAY);
        nodelay.encode(true, buf);
        assertEquals(1, buf.getInt(0));
        assertEquals(Boolean.TRUE, nodelay.decode(buf, 4));
        buf.putInt(0, 0);
        assertEquals(Boolean.FALSE, nodelay.decode(buf, 4));

        LinuxSocketOptions.Mapping linger = LinuxSocketOptions.lookup(StandardSocketOptions.SO_LINGER);
        assertEquals(8, linger.encode(7, buf));
        assertEquals(1, buf.getInt(0));
        assertEquals(7, buf.getInt(4));
        assertEquals(7, linger.decode(buf, 8));
        linger.encode(-1, buf);
        assertEquals(0, buf.getInt(0), "negative linger means l_onoff = 0");
        assertEquals(-1, linger.decode(buf, 8));
        linger.encode(0, buf);
        assertEquals(1, buf.getInt(0), "linger 0 is on with a zero timeout: close sends RST");
        assertEquals(0, linger.decode(buf, 8));
    }

    @Test
    void oneByteAnswersOfMulticastOptionsAreRead() {
        LinuxSocketOptions.Mapping loop = LinuxSocketOptions.lookup(StandardSocketOptions.IP_MULTICAST_LOOP, AddressFamily.INET);
        buf.put(0, (byte) 1);
        assertEquals(Boolean.TRUE, loop.decode(buf, 1));
    }

    @Test
    void interfaceCodecs() throws Exception {
        NetworkInterface lo = NetworkInterface.getByName("lo");
        if (lo == null) {
            lo = NetworkInterface.networkInterfaces().filter(n -> {
                try {
                    return n.isLoopback();
                } catch (java.net.SocketException e) {
                    return false;
                }
            }).findFirst().orElseThrow();
        }
        LinuxSocketOptions.Mapping v6 = LinuxSocketOptions.lookup(StandardSocketOptions.IP_MULTICAST_IF, AddressFamily.INET6);
        assertEquals(4, v6.encode(lo, buf));
        assertEquals(lo.getIndex(), buf.getInt(0));
        assertEquals(lo, v6.decode(buf, 4));
        buf.putInt(0, 0);
        assertNull(v6.decode(buf, 4), "index 0: no interface chosen");

        LinuxSocketOptions.Mapping v4 = LinuxSocketOptions.lookup(StandardSocketOptions.IP_MULTICAST_IF, AddressFamily.INET);
        assertEquals(12, v4.encode(lo, buf));
        assertEquals(lo.getIndex(), buf.getInt(8));
        assertEquals(127, buf.get(4) & 0xff, "imr_address holds lo's IPv4 address, network order");
        // getsockopt answers the in_addr: move it to the front as the kernel would.
        for (int i = 0; i < 4; i++) {
            buf.put(i, buf.get(4 + i));
        }
        assertEquals(lo, v4.decode(buf, 4));
    }

    @Test
    void unsupportedKeysNameTheKeyAndTheOs() {
        SocketOption<Integer> custom = new SocketOption<>() {
            public String name() {
                return "SO_MADE_UP";
            }

            public Class<Integer> type() {
                return Integer.class;
            }
        };
        UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class,
                () -> LinuxSocketOptions.lookup(custom, AddressFamily.INET));
        assertTrue(e.getMessage().contains("SO_MADE_UP") && e.getMessage().contains("Linux"), e.getMessage());

        e = assertThrows(UnsupportedOperationException.class,
                () -> LinuxSocketOptions.lookup(VeloqSocketOptions.IPV6_V6ONLY, AddressFamily.INET));
        assertTrue(e.getMessage().contains("IPV6_V6ONLY") && e.getMessage().contains("IPv4"), e.getMessage());

        e = assertThrows(UnsupportedOperationException.class,
                () -> LinuxSocketOptions.lookup(StandardSocketOptions.TCP_NODELAY, AddressFamily.UNIX));
        assertTrue(e.getMessage().contains("Unix-domain"), e.getMessage());
        assertEquals(8, LinuxSocketOptions.lookup(StandardSocketOptions.SO_RCVBUF, AddressFamily.UNIX).name());
    }

    @Test
    void wrongValueTypeIsRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> LinuxSocketOptions.lookup(StandardSocketOptions.SO_RCVBUF).encode(true, buf));
        assertTrue(e.getMessage().contains("SO_RCVBUF"), e.getMessage());
    }

    @Test
    void familyOfSoDomain() {
        assertEquals(AddressFamily.INET, LinuxSocketOptions.familyOf(2));
        assertEquals(AddressFamily.INET6, LinuxSocketOptions.familyOf(10));
        assertEquals(AddressFamily.UNIX, LinuxSocketOptions.familyOf(1));
        assertNull(LinuxSocketOptions.familyOf(17));
    }
}
