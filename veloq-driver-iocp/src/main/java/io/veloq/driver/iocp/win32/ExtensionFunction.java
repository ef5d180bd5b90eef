package io.veloq.driver.iocp.win32;

/**
 * The Winsock extension functions the driver loads with {@code WSAIoctl(SIO_GET_EXTENSION_FUNCTION_POINTER)},
 * each with its GUID (mswsock.h).
 *
 * <pre>{@code byte[] guid = ExtensionFunction.CONNECT_EX.guid();}</pre>
 *
 * @since 0.1
 */
public enum ExtensionFunction {
    /** {@code WSAID_ACCEPTEX} {b5367df1-cbac-11cf-95ca-00805f48a192}. */
    ACCEPT_EX("AcceptEx", Structs.Guid.bytes(0xb5367df1, 0xcbac, 0x11cf, 0x95, 0xca, 0x00, 0x80, 0x5f, 0x48, 0xa1, 0x92)),
    /** {@code WSAID_GETACCEPTEXSOCKADDRS} {b5367df2-cbac-11cf-95ca-00805f48a192}. */
    GET_ACCEPT_EX_SOCKADDRS("GetAcceptExSockaddrs",
            Structs.Guid.bytes(0xb5367df2, 0xcbac, 0x11cf, 0x95, 0xca, 0x00, 0x80, 0x5f, 0x48, 0xa1, 0x92)),
    /** {@code WSAID_CONNECTEX} {25a207b9-ddf3-4660-8ee9-76e58c74063e}. */
    CONNECT_EX("ConnectEx", Structs.Guid.bytes(0x25a207b9, 0xddf3, 0x4660, 0x8e, 0xe9, 0x76, 0xe5, 0x8c, 0x74, 0x06, 0x3e));

    private final String functionName;
    private final byte[] guid;

    ExtensionFunction(String functionName, byte[] guid) {
        this.functionName = functionName;
        this.guid = guid;
    }

    /** The Win32 name, e.g. {@code AcceptEx}. */
    public String functionName() {
        return functionName;
    }

    /** The GUID's 16 bytes as they lie in memory. */
    public byte[] guid() {
        return guid.clone();
    }

    /** The function whose GUID these 16 bytes are, or null. */
    public static ExtensionFunction ofGuid(byte[] bytes) {
        for (ExtensionFunction f : values()) {
            if (java.util.Arrays.equals(f.guid, bytes)) {
                return f;
            }
        }
        return null;
    }
}
