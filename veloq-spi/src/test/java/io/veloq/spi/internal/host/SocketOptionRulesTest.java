package io.veloq.spi.internal.host;

import io.veloq.api.IoFd;
import io.veloq.api.net.VeloqSocketOptions;
import org.junit.jupiter.api.Test;

import java.net.SocketOption;
import java.net.StandardSocketOptions;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SocketOptionRulesTest {
    private static final IoFd FD = IoFd.raw(7);

    private static <T> void refused(SocketOption<T> o, T v, String... words) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SocketOptionRules.validate(o, v, FD), o.name() + "=" + v);
        assertTrue(e.getMessage().contains(o.name()), e.getMessage());
        assertTrue(e.getMessage().contains("fd 7"), e.getMessage());
        for (String w : words) {
            assertTrue(e.getMessage().contains(w), e.getMessage());
        }
    }

    private static <T> void accepted(SocketOption<T> o, T v) {
        assertDoesNotThrow(() -> SocketOptionRules.validate(o, v, FD), o.name() + "=" + v);
    }

    @Test
    void bufferSizes() {
        refused(StandardSocketOptions.SO_RCVBUF, -1, "-1");
        refused(StandardSocketOptions.SO_SNDBUF, Integer.MIN_VALUE);
        refused(StandardSocketOptions.SO_RCVBUF, 0);
        accepted(StandardSocketOptions.SO_RCVBUF, 1);
        accepted(StandardSocketOptions.SO_SNDBUF, 1 << 20);
    }

    @Test
    void linger() {
        refused(StandardSocketOptions.SO_LINGER, 65536, "65535");
        accepted(StandardSocketOptions.SO_LINGER, 65535);
        accepted(StandardSocketOptions.SO_LINGER, 0);
        accepted(StandardSocketOptions.SO_LINGER, -1);
    }

    @Test
    void ipByteSizedValues() {
        refused(StandardSocketOptions.IP_TOS, 256, "0..255");
        refused(StandardSocketOptions.IP_TOS, -1);
        accepted(StandardSocketOptions.IP_TOS, 0xb8);
        refused(StandardSocketOptions.IP_MULTICAST_TTL, 300);
        accepted(StandardSocketOptions.IP_MULTICAST_TTL, 1);
    }

    @Test
    void veloqKeys() {
        refused(VeloqSocketOptions.TCP_KEEPIDLE, 0, "1..32767");
        refused(VeloqSocketOptions.TCP_KEEPIDLE, 40000);
        accepted(VeloqSocketOptions.TCP_KEEPIDLE, 30);
        refused(VeloqSocketOptions.TCP_KEEPINTVL, -5);
        accepted(VeloqSocketOptions.TCP_KEEPINTVL, 10);
        refused(VeloqSocketOptions.TCP_KEEPCNT, 128, "1..127");
        accepted(VeloqSocketOptions.TCP_KEEPCNT, 9);
        refused(VeloqSocketOptions.SO_BUSY_POLL, -1);
        accepted(VeloqSocketOptions.SO_BUSY_POLL, 0);
        refused(VeloqSocketOptions.TCP_FASTOPEN, -1);
        accepted(VeloqSocketOptions.TCP_FASTOPEN, 16);
        accepted(VeloqSocketOptions.TCP_CORK, true);
        accepted(VeloqSocketOptions.IPV6_V6ONLY, false);
    }

    @Test
    void nullAndWrongType() {
        refused(StandardSocketOptions.TCP_NODELAY, null, "null");
        @SuppressWarnings({"unchecked", "rawtypes"})
        SocketOption<Object> raw = (SocketOption) StandardSocketOptions.SO_RCVBUF;
        refused(raw, "big", "Integer", "String");
    }
}
