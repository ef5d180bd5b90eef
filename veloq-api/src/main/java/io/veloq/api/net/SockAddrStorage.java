package io.veloq.api.net;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * Any socket address (IPv4, IPv6 with flow info and scope id, Unix domain including Linux abstract
 * names) in one {@code sockaddr_storage}-sized block laid out exactly as the platform's kernel expects,
 * so upper layers never switch on the family and drivers hand its memory to the kernel as is.
 *
 * <p>The block is off-heap (a direct buffer) and followed by a 4-byte {@code socklen_t} holding the
 * address length, which the kernel reads and, for {@code accept}/{@code recvfrom}, writes back. A storage
 * named by an in-flight op belongs to the driver until the op completes.
 *
 * <pre>{@code
 * SockAddrStorage a = SockAddrStorage.of(new InetSocketAddress("127.0.0.1", 8080));
 * a.family();             // INET
 * a.length();             // 16
 * a.toSocketAddress();    // /127.0.0.1:8080
 * }</pre>
 *
 * @since 0.1
 */
public final class SockAddrStorage {
    /** {@code sizeof(struct sockaddr_storage)} on Linux and Windows x64. */
    public static final int SIZE = 128;
    /** Offset of the {@code socklen_t} length that follows the address block. */
    public static final int LENGTH_OFFSET = SIZE;
    /** {@code sizeof(struct sockaddr_in)}. */
    public static final int SOCKADDR_IN_SIZE = 16;
    /** {@code sizeof(struct sockaddr_in6)}. */
    public static final int SOCKADDR_IN6_SIZE = 28;
    /** Bytes available for a Unix-domain path ({@code sun_path}). */
    public static final int UNIX_PATH_MAX = 108;
    private static final int UNIX_PATH_OFFSET = 2;

    private final AddressLayout layout;
    private final ByteBuffer block;

    private SockAddrStorage(AddressLayout layout) {
        this.layout = Objects.requireNonNull(layout, "layout");
        this.block = ByteBuffer.allocateDirect(SIZE + 4).order(ByteOrder.nativeOrder());
    }

    /** An empty storage (length 0) in the host platform's layout, ready for Accept or RecvFrom. */
    public static SockAddrStorage allocate() {
        return new SockAddrStorage(AddressLayout.host());
    }

    /** An empty storage in the given layout. */
    public static SockAddrStorage allocate(AddressLayout layout) {
        return new SockAddrStorage(layout);
    }

    /** A storage holding {@code address} in the host platform's layout. */
    public static SockAddrStorage of(SocketAddress address) {
        return of(address, AddressLayout.host());
    }

    /** A storage holding {@code address} in the given layout. */
    public static SockAddrStorage of(SocketAddress address, AddressLayout layout) {
        SockAddrStorage s = new SockAddrStorage(layout);
        s.set(address);
        return s;
    }

    public AddressLayout layout() {
        return layout;
    }

    /**
     * The raw block: {@value #SIZE} address bytes then the 4-byte length, native byte order. Drivers pass
     * its address to the kernel; applications should not need it.
     */
    public ByteBuffer block() {
        return block;
    }

    /** Clears the storage to length 0, ready to receive an address. */
    public SockAddrStorage clear() {
        for (int i = 0; i < SIZE; i++) {
            block.put(i, (byte) 0);
        }
        setLength(0);
        return this;
    }

    /** Prepares for a kernel that writes an address in: zeroed, with the capacity as the length. */
    public SockAddrStorage prepareForReceive() {
        clear();
        setLength(SIZE);
        return this;
    }

    /** The address length in bytes ({@code socklen_t}); 0 when empty. */
    public int length() {
        return block.getInt(LENGTH_OFFSET);
    }

    /** Sets the length; drivers call it when the kernel reports one separately. */
    public void setLength(int length) {
        if (length < 0 || length > SIZE) {
            throw new IllegalArgumentException("sockaddr length must be 0.." + SIZE + ", got " + length);
        }
        block.putInt(LENGTH_OFFSET, length);
    }

    public boolean isEmpty() {
        return length() == 0;
    }

    /** The family, or {@code null} when empty or not one Veloq knows. */
    public AddressFamily family() {
        if (isEmpty()) {
            return null;
        }
        return layout.family(Short.toUnsignedInt(block.getShort(0)));
    }

    /**
     * Stores {@code address}: an {@link InetSocketAddress} (must be resolved) or a
     * {@link UnixDomainSocketAddress}.
     *
     * @throws IllegalArgumentException for an unresolved host, a too-long Unix path or an unknown type
     */
    public SockAddrStorage set(SocketAddress address) {
        Objects.requireNonNull(address, "address");
        if (address instanceof InetSocketAddress inet) {
            if (inet.isUnresolved()) {
                throw new IllegalArgumentException("cannot store unresolved address " + inet
                        + ": resolve the host first (InetAddress.getByName)");
            }
            InetAddress ip = inet.getAddress();
            if (ip instanceof Inet4Address) {
                setInet4(ip.getAddress(), inet.getPort());
            } else {
                Inet6Address ip6 = (Inet6Address) ip;
                setInet6(ip6.getAddress(), inet.getPort(), 0, ip6.getScopeId());
            }
        } else if (address instanceof UnixDomainSocketAddress unix) {
            setUnixPath(unix.getPath().toString());
        } else {
            throw new IllegalArgumentException("unsupported socket address type " + address.getClass().getName()
                    + " (" + address + "): use InetSocketAddress or UnixDomainSocketAddress");
        }
        return this;
    }

    /** Stores an IPv4 address. */
    public SockAddrStorage setInet4(byte[] addr, int port) {
        if (addr.length != 4) {
            throw new IllegalArgumentException("IPv4 address needs 4 bytes, got " + addr.length);
        }
        checkPort(port);
        clear();
        block.putShort(0, (short) layout.nativeFamily(AddressFamily.INET));
        putPort(port);
        for (int i = 0; i < 4; i++) {
            block.put(4 + i, addr[i]);
        }
        setLength(SOCKADDR_IN_SIZE);
        return this;
    }

    /** Stores an IPv6 address with flow info and scope id. */
    public SockAddrStorage setInet6(byte[] addr, int port, int flowInfo, int scopeId) {
        if (addr.length != 16) {
            throw new IllegalArgumentException("IPv6 address needs 16 bytes, got " + addr.length);
        }
        checkPort(port);
        clear();
        block.putShort(0, (short) layout.nativeFamily(AddressFamily.INET6));
        putPort(port);
        putBigEndianInt(4, flowInfo);
        for (int i = 0; i < 16; i++) {
            block.put(8 + i, addr[i]);
        }
        block.putInt(24, scopeId);
        setLength(SOCKADDR_IN6_SIZE);
        return this;
    }

    /** Stores a Linux abstract Unix-domain name (no file; a leading NUL byte in {@code sun_path}). */
    public SockAddrStorage setAbstractUnix(String name) {
        byte[] b = name.getBytes(StandardCharsets.UTF_8);
        if (b.length + 1 > UNIX_PATH_MAX) {
            throw new IllegalArgumentException("abstract Unix socket name '" + name + "' is " + b.length
                    + " bytes; at most " + (UNIX_PATH_MAX - 1) + " fit");
        }
        clear();
        block.putShort(0, (short) layout.nativeFamily(AddressFamily.UNIX));
        block.put(UNIX_PATH_OFFSET, (byte) 0);
        for (int i = 0; i < b.length; i++) {
            block.put(UNIX_PATH_OFFSET + 1 + i, b[i]);
        }
        setLength(UNIX_PATH_OFFSET + 1 + b.length);
        return this;
    }

    private void setUnixPath(String path) {
        byte[] b = path.getBytes(StandardCharsets.UTF_8);
        if (b.length + 1 > UNIX_PATH_MAX) {
            throw new IllegalArgumentException("Unix socket path '" + path + "' is " + b.length
                    + " bytes; at most " + (UNIX_PATH_MAX - 1) + " fit in sockaddr_un");
        }
        clear();
        block.putShort(0, (short) layout.nativeFamily(AddressFamily.UNIX));
        if (b.length == 0) {
            // The unnamed address (an empty path): family only, what getpeername reports for an unbound
            // client. Binding it makes Linux autobind an abstract name; connecting to it fails (EINVAL).
            setLength(UNIX_PATH_OFFSET);
            return;
        }
        for (int i = 0; i < b.length; i++) {
            block.put(UNIX_PATH_OFFSET + i, b[i]);
        }
        // Length includes the terminating NUL, as getsockname reports it.
        setLength(UNIX_PATH_OFFSET + b.length + 1);
    }

    /** True for a Unix-domain address in the abstract namespace. */
    public boolean isAbstractUnix() {
        return family() == AddressFamily.UNIX && length() > UNIX_PATH_OFFSET && block.get(UNIX_PATH_OFFSET) == 0;
    }

    /** The abstract name of an abstract Unix-domain address. */
    public String abstractName() {
        if (!isAbstractUnix()) {
            throw new IllegalStateException("not an abstract Unix-domain address: " + this);
        }
        return new String(bytes(UNIX_PATH_OFFSET + 1, length() - UNIX_PATH_OFFSET - 1), StandardCharsets.UTF_8);
    }

    /** The port of an IP address. */
    public int port() {
        AddressFamily f = family();
        if (f != AddressFamily.INET && f != AddressFamily.INET6) {
            throw new IllegalStateException("no port in " + this);
        }
        return ((block.get(2) & 0xff) << 8) | (block.get(3) & 0xff);
    }

    /**
     * Converts back to a JDK address: {@link InetSocketAddress} for IP, {@link UnixDomainSocketAddress} for
     * a path-named Unix socket; the unnamed Unix address (family only, length 2, what an unbound client's
     * peer address is) gives an empty path, and {@code of(UnixDomainSocketAddress.of(""))} stores it back.
     *
     * @throws IllegalStateException when empty, abstract, or of an unknown family
     */
    public SocketAddress toSocketAddress() {
        AddressFamily f = family();
        if (f == null) {
            throw new IllegalStateException("cannot convert " + this + " to a SocketAddress");
        }
        try {
            switch (f) {
                case INET -> {
                    return new InetSocketAddress(InetAddress.getByAddress(bytes(4, 4)), port());
                }
                case INET6 -> {
                    int port = port();
                    int scope = block.getInt(24);
                    byte[] a = bytes(8, 16);
                    InetAddress ip = scope != 0 ? Inet6Address.getByAddress(null, a, scope)
                            : InetAddress.getByAddress(a);
                    return new InetSocketAddress(ip, port);
                }
                default -> {
                    if (isAbstractUnix()) {
                        throw new IllegalStateException("abstract Unix address '@" + abstractName()
                                + "' has no UnixDomainSocketAddress form; use abstractName()");
                    }
                    int n = Math.max(0, length() - UNIX_PATH_OFFSET);
                    int end = 0;
                    while (end < n && block.get(UNIX_PATH_OFFSET + end) != 0) {
                        end++;
                    }
                    return UnixDomainSocketAddress.of(new String(bytes(UNIX_PATH_OFFSET, end), StandardCharsets.UTF_8));
                }
            }
        } catch (UnknownHostException e) {
            throw new IllegalStateException("malformed address bytes (length " + length() + ")", e);
        }
    }

    /** Copies the address bytes (length {@link #length()}). */
    public byte[] toBytes() {
        return bytes(0, length());
    }

    /** Copies {@code len} raw bytes (e.g. from a kernel) into the block and sets the length. */
    public SockAddrStorage setBytes(byte[] raw, int len) {
        if (len > SIZE || len > raw.length) {
            throw new IllegalArgumentException("sockaddr of " + len + " bytes does not fit (max " + SIZE + ")");
        }
        clear();
        for (int i = 0; i < len; i++) {
            block.put(i, raw[i]);
        }
        setLength(len);
        return this;
    }

    /** Copies another storage's content (same layout required). */
    public SockAddrStorage copyFrom(SockAddrStorage other) {
        if (other.layout != layout) {
            throw new IllegalArgumentException("cannot copy a " + other.layout + " address into a " + layout + " storage");
        }
        for (int i = 0; i < SIZE + 4; i++) {
            block.put(i, other.block.get(i));
        }
        return this;
    }

    private byte[] bytes(int off, int len) {
        byte[] out = new byte[len];
        for (int i = 0; i < len; i++) {
            out[i] = block.get(off + i);
        }
        return out;
    }

    private void putPort(int port) {
        block.put(2, (byte) (port >>> 8));
        block.put(3, (byte) port);
    }

    private void putBigEndianInt(int off, int v) {
        block.put(off, (byte) (v >>> 24));
        block.put(off + 1, (byte) (v >>> 16));
        block.put(off + 2, (byte) (v >>> 8));
        block.put(off + 3, (byte) v);
    }

    private static void checkPort(int port) {
        if (port < 0 || port > 0xffff) {
            throw new IllegalArgumentException("port out of range 0..65535: " + port);
        }
    }

    @Override
    public String toString() {
        AddressFamily f = family();
        if (f == null) {
            return isEmpty() ? "<empty address>" : "<address of unknown family " + block.getShort(0) + ">";
        }
        if (isAbstractUnix()) {
            return "unix:@" + abstractName();
        }
        SocketAddress a = toSocketAddress();
        return f == AddressFamily.UNIX ? "unix:" + a : a.toString();
    }
}
