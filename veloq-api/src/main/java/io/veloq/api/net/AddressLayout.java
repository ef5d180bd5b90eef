package io.veloq.api.net;

/**
 * The native layout of socket addresses on a platform: the numeric family values. Everything else
 * Veloq relies on is the same on Linux and Windows x64: a 128-byte {@code sockaddr_storage}, the family
 * as a 16-bit value in host byte order (little-endian on both) at offset 0, ports in network byte order,
 * {@code sockaddr_in} 16 bytes, {@code sockaddr_in6} 28 bytes (flow info at 4, address at 8, scope id at
 * 24), {@code sockaddr_un} a 108-byte path after the family.
 *
 * <pre>{@code SockAddrStorage s = SockAddrStorage.allocate(AddressLayout.WINDOWS);}</pre>
 *
 * @since 0.1
 */
public enum AddressLayout {
    /** Linux: AF_UNIX=1, AF_INET=2, AF_INET6=10. */
    LINUX(2, 10, 1),
    /** Windows: AF_UNIX=1, AF_INET=2, AF_INET6=23. */
    WINDOWS(2, 23, 1);

    private final int inet;
    private final int inet6;
    private final int unix;

    AddressLayout(int inet, int inet6, int unix) {
        this.inet = inet;
        this.inet6 = inet6;
        this.unix = unix;
    }

    /** The native value of {@code family} in this layout. */
    public int nativeFamily(AddressFamily family) {
        return switch (family) {
            case INET -> inet;
            case INET6 -> inet6;
            case UNIX -> unix;
        };
    }

    /** The family for a native value, or {@code null} if this layout has none with that value. */
    public AddressFamily family(int nativeValue) {
        if (nativeValue == inet) {
            return AddressFamily.INET;
        }
        if (nativeValue == inet6) {
            return AddressFamily.INET6;
        }
        if (nativeValue == unix) {
            return AddressFamily.UNIX;
        }
        return null;
    }

    /** The layout of the platform this JVM runs on. */
    public static AddressLayout host() {
        return System.getProperty("os.name", "").startsWith("Windows") ? WINDOWS : LINUX;
    }
}
