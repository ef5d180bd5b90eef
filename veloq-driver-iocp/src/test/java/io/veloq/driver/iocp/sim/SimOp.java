package io.veloq.driver.iocp.sim;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;

/** One overlapped operation in the simulated kernel, from its start to its completion. */
final class SimOp {
    enum Kind { RECV, SEND, RECV_FROM, SEND_TO, ACCEPT, CONNECT, READ_FILE, WRITE_FILE }

    final Kind kind;
    final long overlapped;
    ByteBuffer[] buffers;
    long total;
    long done;
    // RECV_FROM
    long fromAddress;
    long fromLengthAddress;
    // SEND_TO, CONNECT
    InetSocketAddress to;
    // ACCEPT
    SimSocket acceptSocket;
    long acceptBuffer;
    int localLength;
    int remoteLength;
    // files
    long fileOffset;
    long bufferAddress;
    int length;
    // outcome
    int status;
    int wsaError;
    long bytes;

    SimOp(Kind kind, long overlapped) {
        this.kind = kind;
        this.overlapped = overlapped;
    }

    void succeed(long n) {
        status = 0;
        bytes = n;
    }

    void fail(SimFailure f) {
        status = f.ntStatus;
        wsaError = f.wsaError;
        bytes = 0;
    }

    void fail(int ntStatus, int win32Error) {
        status = ntStatus;
        wsaError = win32Error;
        bytes = 0;
    }
}
