package io.veloq.driver.iocp.win32;

/**
 * The numeric Win32 and Winsock constants the IOCP driver passes and checks, with their Windows SDK names
 * (winbase.h, winsock2.h, ws2def.h, ws2ipdef.h, mswsock.h, winerror.h).
 *
 * <pre>{@code w.wsaSocketW(Win32Constants.AF_INET6, Win32Constants.SOCK_STREAM, Win32Constants.IPPROTO_TCP, 0, 0, Win32Constants.WSA_FLAG_OVERLAPPED);}</pre>
 *
 * @since 0.1
 */
public final class Win32Constants {
    private Win32Constants() {
    }

    // Handles and returns
    public static final long INVALID_HANDLE_VALUE = -1L;
    public static final long INVALID_SOCKET = -1L;
    public static final int SOCKET_ERROR = -1;
    public static final int INFINITE = -1;

    // Error codes the driver branches on (the full table is the driver's Win32Error)
    public static final int ERROR_INVALID_HANDLE = 6;
    public static final int ERROR_HANDLE_EOF = 38;
    public static final int ERROR_INVALID_PARAMETER = 87;
    public static final int WAIT_TIMEOUT = 258;
    public static final int ERROR_ABANDONED_WAIT_0 = 735;
    public static final int ERROR_OPERATION_ABORTED = 995;
    public static final int ERROR_IO_PENDING = 997;
    public static final int ERROR_NOT_FOUND = 1168;
    public static final int WSA_IO_PENDING = ERROR_IO_PENDING;
    public static final int WSAEINVAL = 10022;
    public static final int WSAENOTSOCK = 10038;

    // Address families, socket types, protocols
    public static final int AF_UNIX = 1;
    public static final int AF_INET = 2;
    public static final int AF_INET6 = 23;
    public static final int SOCK_STREAM = 1;
    public static final int SOCK_DGRAM = 2;
    public static final int IPPROTO_IP = 0;
    public static final int IPPROTO_TCP = 6;
    public static final int IPPROTO_UDP = 17;
    public static final int IPPROTO_IPV6 = 41;

    // WSASocketW flags
    public static final int WSA_FLAG_OVERLAPPED = 0x01;
    public static final int WSA_FLAG_NO_HANDLE_INHERIT = 0x80;

    // shutdown
    public static final int SD_RECEIVE = 0;
    public static final int SD_SEND = 1;
    public static final int SD_BOTH = 2;

    // Socket options
    public static final int SOL_SOCKET = 0xFFFF;
    public static final int SO_REUSEADDR = 0x0004;
    /** {@code ~SO_REUSEADDR}: no other socket may bind the address, SO_REUSEADDR or not. */
    public static final int SO_EXCLUSIVEADDRUSE = ~SO_REUSEADDR;
    public static final int SO_KEEPALIVE = 0x0008;
    public static final int SO_BROADCAST = 0x0020;
    public static final int SO_LINGER = 0x0080;
    public static final int SO_SNDBUF = 0x1001;
    public static final int SO_RCVBUF = 0x1002;
    public static final int SO_ERROR = 0x1007;
    public static final int SO_TYPE = 0x1008;
    public static final int SO_PROTOCOL_INFOW = 0x2005;
    public static final int SO_UPDATE_ACCEPT_CONTEXT = 0x700B;
    public static final int SO_UPDATE_CONNECT_CONTEXT = 0x7010;
    public static final int TCP_NODELAY = 0x0001;
    public static final int TCP_KEEPALIVE = 3;
    public static final int TCP_FASTOPEN = 15;
    public static final int TCP_KEEPCNT = 16;
    public static final int TCP_KEEPINTVL = 17;
    public static final int IP_TOS = 3;
    public static final int IP_MULTICAST_TTL = 10;
    public static final int IP_MULTICAST_LOOP = 11;
    public static final int IPV6_MULTICAST_HOPS = 10;
    public static final int IPV6_MULTICAST_LOOP = 11;
    public static final int IPV6_V6ONLY = 27;

    /** {@code WSAPROTOCOL_INFOW.dwServiceFlags1} bit: the provider's handles are real IFS handles. */
    public static final int XP1_IFS_HANDLES = 0x00020000;

    // WSAIoctl
    public static final int SIO_GET_EXTENSION_FUNCTION_POINTER = 0xC8000006;
    /** {@code _WSAIOW(IOC_VENDOR, 12)}: with FALSE, an ICMP port unreachable no longer fails the next UDP receive. */
    public static final int SIO_UDP_CONNRESET = 0x9800000C;
    /** {@code _WSAIOW(IOC_VENDOR, 15)}: with FALSE, an ICMP TTL expired no longer fails the next UDP receive. */
    public static final int SIO_UDP_NETRESET = 0x9800000F;

    // SetFileCompletionNotificationModes
    public static final int FILE_SKIP_COMPLETION_PORT_ON_SUCCESS = 0x1;
    public static final int FILE_SKIP_SET_EVENT_ON_HANDLE = 0x2;

    // CreateFileW
    public static final int GENERIC_READ = 0x80000000;
    public static final int GENERIC_WRITE = 0x40000000;
    public static final int FILE_SHARE_READ = 0x1;
    public static final int FILE_SHARE_WRITE = 0x2;
    public static final int FILE_SHARE_DELETE = 0x4;
    public static final int CREATE_NEW = 1;
    public static final int CREATE_ALWAYS = 2;
    public static final int OPEN_EXISTING = 3;
    public static final int OPEN_ALWAYS = 4;
    public static final int TRUNCATE_EXISTING = 5;
    public static final int FILE_ATTRIBUTE_NORMAL = 0x80;
    public static final int FILE_FLAG_DELETE_ON_CLOSE = 0x04000000;
    public static final int FILE_FLAG_OVERLAPPED = 0x40000000;
    public static final int FILE_FLAG_WRITE_THROUGH = 0x80000000;

    // WSARecv/WSASend flags
    public static final int MSG_OOB = 0x1;
    public static final int MSG_PEEK = 0x2;
    public static final int MSG_WAITALL = 0x8;

    /** {@code MAKEWORD(2, 2)} for WSAStartup. */
    public static final short WINSOCK_VERSION_2_2 = 0x0202;
}
