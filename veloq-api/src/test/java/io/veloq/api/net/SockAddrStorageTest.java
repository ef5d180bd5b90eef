package io.veloq.api.net;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;
import java.net.UnknownHostException;
import java.util.HexFormat;

import static io.veloq.api.Messages.assertMentions;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Byte-exact {@code sockaddr} vectors for every family on both layouts. The expected bytes are written out
 * from the C structures: family in host order (little-endian on x86-64 and arm64 Linux and Windows x64),
 * port and IPv6 flow info in network order, IPv6 scope id in host order.
 */
class SockAddrStorageTest {
    private static final HexFormat HEX = HexFormat.of();

    private static byte[] hex(String s) {
        return HEX.parseHex(s.replace(" ", ""));
    }

    private static String hex(byte[] b) {
        return HEX.formatHex(b);
    }

    @ParameterizedTest
    @EnumSource(AddressLayout.class)
    void ipv4Vector(AddressLayout layout) throws UnknownHostException {
        SockAddrStorage s = SockAddrStorage.of(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 8080), layout);
        // sockaddr_in: family 2 | port 8080 = 0x1f90 | 127.0.0.1 | 8 bytes of zero padding
        assertEquals(hex(hex("0200 1f90 7f000001 0000000000000000")), hex(s.toBytes()));
        assertEquals(SockAddrStorage.SOCKADDR_IN_SIZE, s.length());
        assertEquals(AddressFamily.INET, s.family());
        assertEquals(8080, s.port());
    }

    @Test
    void ipv6VectorLinuxWithFlowInfoAndScopeId() {
        byte[] fe80_1 = hex("fe800000000000000000000000000001");
        SockAddrStorage s = SockAddrStorage.allocate(AddressLayout.LINUX).setInet6(fe80_1, 443, 0x000abcde, 3);
        // sockaddr_in6: family 10 | port 443 = 0x01bb | flow info (network order) | address | scope id (host order)
        assertEquals("0a00" + "01bb" + "000abcde" + "fe800000000000000000000000000001" + "03000000", hex(s.toBytes()));
        assertEquals(SockAddrStorage.SOCKADDR_IN6_SIZE, s.length());
        assertEquals(AddressFamily.INET6, s.family());
    }

    @Test
    void ipv6VectorWindowsUsesFamily23() {
        byte[] loop = hex("00000000000000000000000000000001");
        SockAddrStorage s = SockAddrStorage.allocate(AddressLayout.WINDOWS).setInet6(loop, 65535, 0x01020304, 0x11223344);
        assertEquals("1700" + "ffff" + "01020304" + "00000000000000000000000000000001" + "44332211", hex(s.toBytes()));
        assertEquals(AddressFamily.INET6, s.family());
        assertEquals(65535, s.port());
    }

    @ParameterizedTest
    @EnumSource(AddressLayout.class)
    @EnabledOnOs(value = OS.LINUX, disabledReason = "Unix paths with / separators and Linux sockaddr_un bytes; on Windows Path turns / into \\")
    void unixPathVector(AddressLayout layout) {
        SockAddrStorage s = SockAddrStorage.of(UnixDomainSocketAddress.of("/tmp/v.sock"), layout);
        // sockaddr_un: family 1 | path | NUL; the length counts the NUL, as getsockname reports it
        assertEquals("0100" + hex("/tmp/v.sock".getBytes()) + "00", hex(s.toBytes()));
        assertEquals(2 + 11 + 1, s.length());
        assertEquals(AddressFamily.UNIX, s.family());
        assertFalse(s.isAbstractUnix());
    }

    @Test
    void abstractUnixVector() {
        SockAddrStorage s = SockAddrStorage.allocate(AddressLayout.LINUX).setAbstractUnix("veloq");
        // a leading NUL in sun_path; the length covers exactly the name, no terminator
        assertEquals("0100" + "00" + hex("veloq".getBytes()), hex(s.toBytes()));
        assertEquals(2 + 1 + 5, s.length());
        assertTrue(s.isAbstractUnix());
        assertEquals("veloq", s.abstractName());
        assertEquals("unix:@veloq", s.toString());
        assertMentions(assertThrows(IllegalStateException.class, s::toSocketAddress), "@veloq", "abstractName()");
    }

    @Test
    void abstractNameOfThe107BytesThatFit() {
        String name = "a".repeat(SockAddrStorage.UNIX_PATH_MAX - 1);
        SockAddrStorage s = SockAddrStorage.allocate(AddressLayout.LINUX).setAbstractUnix(name);
        assertEquals(2 + SockAddrStorage.UNIX_PATH_MAX, s.length());
        assertEquals(name, s.abstractName());
        assertMentions(assertThrows(IllegalArgumentException.class,
                () -> SockAddrStorage.allocate(AddressLayout.LINUX).setAbstractUnix(name + "a")), name + "a", "108 bytes");
    }

    @ParameterizedTest
    @EnumSource(AddressLayout.class)
    void roundTripsInet4(AddressLayout layout) throws UnknownHostException {
        InetSocketAddress a = new InetSocketAddress(InetAddress.getByName("192.168.1.20"), 54321);
        SocketAddress back = SockAddrStorage.of(a, layout).toSocketAddress();
        assertEquals(a, back);
        assertInstanceOf(Inet4Address.class, ((InetSocketAddress) back).getAddress());
    }

    @ParameterizedTest
    @EnumSource(AddressLayout.class)
    void roundTripsInet6WithScopeId(AddressLayout layout) throws UnknownHostException {
        Inet6Address ip = Inet6Address.getByAddress(null, hex("fe800000000000000211223344556677"), 7);
        SockAddrStorage s = SockAddrStorage.of(new InetSocketAddress(ip, 9000), layout);
        assertEquals("07000000", hex(s.toBytes()).substring(48)); // scope id at offset 24
        InetSocketAddress back = (InetSocketAddress) s.toSocketAddress();
        Inet6Address backIp = assertInstanceOf(Inet6Address.class, back.getAddress());
        assertArrayEquals(ip.getAddress(), backIp.getAddress());
        assertEquals(7, backIp.getScopeId());
        assertEquals(9000, back.getPort());
    }

    @Test
    void roundTripsInet6WithoutScope() throws UnknownHostException {
        InetSocketAddress a = new InetSocketAddress(InetAddress.getByName("::1"), 1);
        assertEquals(a, SockAddrStorage.of(a, AddressLayout.LINUX).toSocketAddress());
    }

    @ParameterizedTest
    @EnumSource(AddressLayout.class)
    @EnabledOnOs(value = OS.LINUX, disabledReason = "Unix paths with / separators and Linux sockaddr_un bytes; on Windows Path turns / into \\")
    void roundTripsUnixPath(AddressLayout layout) {
        UnixDomainSocketAddress a = UnixDomainSocketAddress.of("/run/veloq/echo.sock");
        assertEquals(a, SockAddrStorage.of(a, layout).toSocketAddress());
        assertEquals("unix:/run/veloq/echo.sock", SockAddrStorage.of(a, layout).toString());
    }

    @Test
    @EnabledOnOs(value = OS.LINUX, disabledReason = "Unix paths with / separators and Linux sockaddr_un bytes; on Windows Path turns / into \\")
    void unixPathOf107BytesFitsAnd108IsRefusedNamingThePath() {
        String fits = "/" + "p".repeat(106);
        SockAddrStorage s = SockAddrStorage.of(UnixDomainSocketAddress.of(fits), AddressLayout.LINUX);
        assertEquals(2 + 107 + 1, s.length());
        assertEquals(UnixDomainSocketAddress.of(fits), s.toSocketAddress());

        String tooLong = fits + "q";
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SockAddrStorage.of(UnixDomainSocketAddress.of(tooLong), AddressLayout.LINUX));
        assertMentions(e, tooLong, "108 bytes", "sockaddr_un");
    }

    @Test
    @EnabledOnOs(value = OS.LINUX, disabledReason = "Unix paths with / separators and Linux sockaddr_un bytes; on Windows Path turns / into \\")
    void multiByteUnixPathIsMeasuredInBytes() {
        String path = "/" + "\u00e9".repeat(54); // 1 + 108 bytes in UTF-8
        assertMentions(assertThrows(IllegalArgumentException.class,
                () -> SockAddrStorage.of(UnixDomainSocketAddress.of(path), AddressLayout.LINUX)), path, "109 bytes");
    }

    @Test
    void unresolvedHostIsRefusedNamingIt() {
        InetSocketAddress unresolved = InetSocketAddress.createUnresolved("no-such-host.invalid", 80);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SockAddrStorage.of(unresolved));
        assertMentions(e, "no-such-host.invalid", "unresolved");
    }

    @Test
    void theUnnamedUnixAddressRoundTripsBothWays() {
        // What getpeername reports for an unbound client: the family alone, length 2.
        for (AddressLayout layout : new AddressLayout[] {AddressLayout.LINUX, AddressLayout.WINDOWS}) {
            SockAddrStorage fromKernel = SockAddrStorage.of(UnixDomainSocketAddress.of("/x"), layout);
            fromKernel.setBytes(fromKernel.toBytes(), 2);
            assertEquals(AddressFamily.UNIX, fromKernel.family());
            assertEquals(UnixDomainSocketAddress.of(""), fromKernel.toSocketAddress());
            SockAddrStorage back = SockAddrStorage.of(fromKernel.toSocketAddress(), layout);
            assertEquals(2, back.length());
            assertArrayEquals(fromKernel.toBytes(), back.toBytes());
            assertFalse(back.isAbstractUnix());
        }
    }

    @Test
    void foreignAddressTypesAreRefused() {
        SocketAddress odd = new SocketAddress() {
            private static final long serialVersionUID = 1L;

            @Override
            public String toString() {
                return "odd-address";
            }
        };
        assertMentions(assertThrows(IllegalArgumentException.class, () -> SockAddrStorage.of(odd)),
                "odd-address", "InetSocketAddress or UnixDomainSocketAddress");
    }

    @Test
    void portAndAddressLengthsAreChecked() {
        SockAddrStorage s = SockAddrStorage.allocate(AddressLayout.LINUX);
        assertMentions(assertThrows(IllegalArgumentException.class, () -> s.setInet4(new byte[4], 65536)), "65536");
        assertMentions(assertThrows(IllegalArgumentException.class, () -> s.setInet4(new byte[3], 1)), "4 bytes", "got 3");
        assertMentions(assertThrows(IllegalArgumentException.class, () -> s.setInet6(new byte[4], 1, 0, 0)), "16 bytes");
        assertMentions(assertThrows(IllegalArgumentException.class, () -> s.setLength(129)), "129");
        assertMentions(assertThrows(IllegalStateException.class, s::port), "no port", "<empty address>");
    }

    @Test
    void emptyStorageReadyForTheKernel() {
        SockAddrStorage s = SockAddrStorage.allocate(AddressLayout.LINUX);
        assertTrue(s.isEmpty());
        assertNull(s.family());
        assertEquals("<empty address>", s.toString());
        assertThrows(IllegalStateException.class, s::toSocketAddress);

        s.setInet4(new byte[] {10, 0, 0, 1}, 7).prepareForReceive();
        assertEquals(SockAddrStorage.SIZE, s.length());
        for (int i = 0; i < SockAddrStorage.SIZE; i++) {
            assertEquals(0, s.block().get(i), "byte " + i + " not zeroed");
        }
        assertEquals(SockAddrStorage.SIZE + 4, s.block().capacity());
        assertTrue(s.block().isDirect());
    }

    @Test
    void parsesWhatAKernelWroteIn() throws UnknownHostException {
        // accept(2) on Linux wrote a sockaddr_in6 for [::ffff:10.1.2.3]:40000 and its length
        SockAddrStorage s = SockAddrStorage.allocate(AddressLayout.LINUX).prepareForReceive();
        byte[] raw = hex("0a00 9c40 00000000 00000000000000000000ffff0a010203 00000000");
        for (int i = 0; i < raw.length; i++) {
            s.block().put(i, raw[i]);
        }
        s.setLength(raw.length);
        InetSocketAddress a = (InetSocketAddress) s.toSocketAddress();
        assertEquals(40000, a.getPort());
        assertEquals(InetAddress.getByName("10.1.2.3"), a.getAddress()); // the JDK folds v4-mapped to v4

        SockAddrStorage w = SockAddrStorage.allocate(AddressLayout.WINDOWS).setBytes(hex("1700 0050 00000000 00000000000000000000000000000001 00000000"), 28);
        assertEquals(new InetSocketAddress(InetAddress.getByName("::1"), 80), w.toSocketAddress());
        assertEquals(AddressFamily.INET6, w.family());
        // the Linux value 10 means nothing on Windows
        w.setBytes(hex("0a00 0050"), 4);
        assertNull(w.family());
        assertEquals("<address of unknown family 10>", w.toString());
    }

    @Test
    void copyFromKeepsBytesAndLengthAndRefusesAnotherLayout() throws UnknownHostException {
        SockAddrStorage a = SockAddrStorage.of(new InetSocketAddress(InetAddress.getByName("1.2.3.4"), 5), AddressLayout.LINUX);
        SockAddrStorage b = SockAddrStorage.allocate(AddressLayout.LINUX).copyFrom(a);
        assertArrayEquals(a.toBytes(), b.toBytes());
        assertEquals(a.toSocketAddress(), b.toSocketAddress());
        assertMentions(assertThrows(IllegalArgumentException.class,
                () -> SockAddrStorage.allocate(AddressLayout.WINDOWS).copyFrom(a)), "LINUX", "WINDOWS");
    }

    @Test
    void layoutsMapFamiliesBothWays() {
        for (AddressLayout l : AddressLayout.values()) {
            for (AddressFamily f : AddressFamily.values()) {
                assertEquals(f, l.family(l.nativeFamily(f)), l + " " + f);
            }
            assertNull(l.family(99));
        }
        assertEquals(10, AddressLayout.LINUX.nativeFamily(AddressFamily.INET6));
        assertEquals(23, AddressLayout.WINDOWS.nativeFamily(AddressFamily.INET6));
        assertEquals(2, AddressLayout.WINDOWS.nativeFamily(AddressFamily.INET));
        assertEquals(1, AddressLayout.LINUX.nativeFamily(AddressFamily.UNIX));
        assertEquals(System.getProperty("os.name").startsWith("Windows") ? AddressLayout.WINDOWS : AddressLayout.LINUX,
                AddressLayout.host());
    }
}
