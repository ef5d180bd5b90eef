package io.veloq.driver.iocp.sim;

import java.nio.ByteBuffer;

/**
 * The overlapped Winsock calls of the simulator: WSARecv, WSASend, WSARecvFrom, WSASendTo, and the extension
 * functions AcceptEx, GetAcceptExSockaddrs and ConnectEx (only through the pointers WSAIoctl handed out). Each
 * checks its arguments as Winsock does and starts a {@link SimOp} on the socket: it completes at once, pends,
 * or fails at once (see {@link SimSocket#start}).
 */
final class SimOverlappedCalls {
    private final SimWin32 os;

    SimOverlappedCalls(SimWin32 os) {
        this.os = os;
    }

    /** Runs a Winsock start call: 0 if it completed at once, -1 with WSA_IO_PENDING or the error. */
    private int startOn(SimSocket s, SimOp op) {
        try {
            if (s.start(op)) {
                os.ok();
                return 0;
            }
            return os.wsa(997);
        } catch (SimError e) {
            return os.wsa(e.code);
        }
    }

    int wsaRecv(long s, long buffers, int bufferCount, long bytesRecvd, long flags, long overlapped,
                       long completionRoutine) {
        SimSocket sock = os.socket(s);
        if (sock == null) {
            return os.wsa(10038);
        }
        if (overlapped == 0 || completionRoutine != 0 || bufferCount < 1 || flags == 0) {
            return os.wsa(10022);
        }
        if (SimMemory.getInt(flags) != 0) {
            return os.wsa(10045); // MSG_PEEK/MSG_OOB/MSG_WAITALL are not modelled
        }
        try {
            sock.checkCanRecv(false);
        } catch (SimError e) {
            return os.wsa(e.code);
        }
        SimOp op = new SimOp(SimOp.Kind.RECV, overlapped);
        op.buffers = SimMemory.wsaBufs(buffers, bufferCount);
        int rc = startOn(sock, op);
        if (rc == 0 && bytesRecvd != 0) {
            SimMemory.putInt(bytesRecvd, (int) op.bytes);
        }
        return rc;
    }

    int wsaSend(long s, long buffers, int bufferCount, long bytesSent, int flags, long overlapped,
                       long completionRoutine) {
        SimSocket sock = os.socket(s);
        if (sock == null) {
            return os.wsa(10038);
        }
        if (overlapped == 0 || completionRoutine != 0 || bufferCount < 1) {
            return os.wsa(10022);
        }
        if (flags != 0) {
            return os.wsa(10045);
        }
        try {
            sock.checkCanSend(false);
        } catch (SimError e) {
            return os.wsa(e.code);
        }
        SimOp op = new SimOp(SimOp.Kind.SEND, overlapped);
        op.buffers = SimMemory.wsaBufs(buffers, bufferCount);
        for (ByteBuffer b : op.buffers) {
            op.total += b.remaining();
        }
        int rc = startOn(sock, op);
        if (rc == 0 && bytesSent != 0) {
            SimMemory.putInt(bytesSent, (int) op.bytes);
        }
        return rc;
    }

    int wsaRecvFrom(long s, long buffers, int bufferCount, long bytesRecvd, long flags, long from,
                           long fromLength, long overlapped, long completionRoutine) {
        SimSocket sock = os.socket(s);
        if (sock == null) {
            return os.wsa(10038);
        }
        if (overlapped == 0 || completionRoutine != 0 || bufferCount != 1 || flags == 0 || from == 0
                || fromLength == 0) {
            return os.wsa(10022);
        }
        if (SimMemory.getInt(fromLength) < SimAddresses.length(sock.family)) {
            return os.wsa(10014);
        }
        try {
            sock.checkCanRecv(true);
        } catch (SimError e) {
            return os.wsa(e.code);
        }
        SimOp op = new SimOp(SimOp.Kind.RECV_FROM, overlapped);
        op.buffers = SimMemory.wsaBufs(buffers, bufferCount);
        op.fromAddress = from;
        op.fromLengthAddress = fromLength;
        return startOn(sock, op);
    }

    int wsaSendTo(long s, long buffers, int bufferCount, long bytesSent, int flags, long to, int toLength,
                         long overlapped, long completionRoutine) {
        SimSocket sock = os.socket(s);
        if (sock == null) {
            return os.wsa(10038);
        }
        if (overlapped == 0 || completionRoutine != 0 || bufferCount != 1 || flags != 0) {
            return os.wsa(10022);
        }
        SimOp op = new SimOp(SimOp.Kind.SEND_TO, overlapped);
        try {
            sock.checkCanSend(true);
            op.to = SimAddresses.read(to, toLength, sock.family);
        } catch (SimError e) {
            return os.wsa(e.code);
        }
        op.buffers = SimMemory.wsaBufs(buffers, bufferCount);
        return startOn(sock, op);
    }

    // ---- extension functions ----

    private static void checkPointer(long function, long expected, String name) {
        if (function != expected) {
            throw new IllegalStateException(name + " called through 0x" + Long.toHexString(function)
                    + ", which is not the pointer WSAIoctl returned for it (0x" + Long.toHexString(expected)
                    + "): on Windows this would jump to a wild address");
        }
    }

    boolean acceptEx(long function, long listenSocket, long acceptSocket, long outputBuffer,
                            int receiveDataLength, int localAddressLength, int remoteAddressLength,
                            long bytesReceived, long overlapped) {
        checkPointer(function, SimWin32.ACCEPT_EX, "AcceptEx");
        SimSocket listener = os.socket(listenSocket);
        SimSocket into = os.socket(acceptSocket);
        if (listener == null || into == null) {
            return os.wsa(10038) == 0;
        }
        if (receiveDataLength != 0) {
            throw new UnsupportedOperationException("simulator: AcceptEx with receive data is not modelled");
        }
        if (outputBuffer == 0 || overlapped == 0) {
            return os.wsa(10014) == 0;
        }
        try {
            listener.checkCanAcceptInto(into, localAddressLength, remoteAddressLength);
        } catch (SimError e) {
            return os.wsa(e.code) == 0;
        }
        SimOp op = new SimOp(SimOp.Kind.ACCEPT, overlapped);
        op.acceptSocket = into;
        op.acceptBuffer = outputBuffer;
        op.localLength = localAddressLength;
        op.remoteLength = remoteAddressLength;
        int rc = startOn(listener, op);
        if (rc == 0 && bytesReceived != 0) {
            SimMemory.putInt(bytesReceived, 0);
        }
        return rc == 0;
    }

    void getAcceptExSockaddrs(long function, long outputBuffer, int receiveDataLength,
                                     int localAddressLength, int remoteAddressLength, long localSockaddr,
                                     long localSockaddrLength, long remoteSockaddr, long remoteSockaddrLength) {
        checkPointer(function, SimWin32.GET_ACCEPT_EX_SOCKADDRS, "GetAcceptExSockaddrs");
        long local = outputBuffer + receiveDataLength;
        long remote = local + localAddressLength;
        int localLen = Short.toUnsignedInt(SimMemory.view(local + 8, 2).getShort(0));
        int remoteLen = Short.toUnsignedInt(SimMemory.view(remote + 8, 2).getShort(0));
        SimMemory.putLong(localSockaddr, localLen == 0 ? 0 : local + 10);
        SimMemory.putInt(localSockaddrLength, localLen);
        SimMemory.putLong(remoteSockaddr, remoteLen == 0 ? 0 : remote + 10);
        SimMemory.putInt(remoteSockaddrLength, remoteLen);
    }

    boolean connectEx(long function, long s, long name, int nameLength, long sendBuffer, int sendDataLength,
                             long bytesSent, long overlapped) {
        checkPointer(function, SimWin32.CONNECT_EX, "ConnectEx");
        SimSocket sock = os.socket(s);
        if (sock == null) {
            return os.wsa(10038) == 0;
        }
        if (sendBuffer != 0) {
            throw new UnsupportedOperationException("simulator: ConnectEx with send data is not modelled");
        }
        if (overlapped == 0) {
            return os.wsa(10022) == 0;
        }
        SimOp op = new SimOp(SimOp.Kind.CONNECT, overlapped);
        try {
            sock.checkCanConnect();
            op.to = SimAddresses.read(name, nameLength, sock.family);
        } catch (SimError e) {
            return os.wsa(e.code) == 0;
        }
        if (op.to.getAddress() instanceof java.net.Inet4Address && os.refusedByIpv6OnlyListener(op.to.getPort())) {
            return os.wsa(10061) == 0; // WSAECONNREFUSED: nobody listens on IPv4 there
        }
        int rc = startOn(sock, op);
        if (rc == 0 && bytesSent != 0) {
            SimMemory.putInt(bytesSent, 0);
        }
        return rc == 0;
    }
}
