package io.veloq.testkit;

import io.veloq.api.IoFd;
import io.veloq.api.Op;
import io.veloq.api.IoRuntime;
import io.veloq.api.buffer.FixedBuf;
import io.veloq.api.net.AddressFamily;
import io.veloq.api.net.SockAddrStorage;
import io.veloq.api.net.SocketType;
import io.veloq.api.op.Accept;
import io.veloq.api.op.Close;
import io.veloq.api.op.Recv;
import io.veloq.api.op.Send;
import io.veloq.api.op.Socket;

import java.io.IOException;
import java.net.SocketAddress;

/** A small echo server written with completers, as an application would: the code under test of these tests. */
final class TestEcho {
    final IoRuntime rt;
    final IoFd.Raw listener;
    int open;
    int accepted;
    long echoed;

    TestEcho(IoRuntime rt, SocketAddress at) throws IOException {
        this.rt = rt;
        listener = IoFd.raw(rt.loop().call(new Socket(AddressFamily.INET, SocketType.STREAM)).valueOrThrow());
        rt.loop().bind(listener, at);
        rt.loop().listen(listener, 128);
        acceptNext();
    }

    private void acceptNext() {
        rt.loop().submit(Op.of(new Accept(listener, SockAddrStorage.allocate()), op -> {
            if (!op.isSuccess()) {
                return; // listener closed or runtime closing
            }
            accepted++;
            open++;
            new Conn(IoFd.raw(op.result())).read();
            acceptNext();
        }));
    }

    private final class Conn {
        final IoFd fd;
        final FixedBuf buf = rt.loop().bufPool().lease();

        Conn(IoFd fd) {
            this.fd = fd;
        }

        void read() {
            buf.clear();
            rt.loop().submit(Op.of(new Recv(fd, buf), op -> {
                if (!op.isSuccess() || op.result() == 0) {
                    close();
                    return;
                }
                write();
            }));
        }

        void write() {
            rt.loop().submit(Op.of(new Send(fd, buf), op -> {
                if (!op.isSuccess()) {
                    close();
                    return;
                }
                echoed += op.result();
                if (buf.readableBytes() > 0) {
                    write();
                } else {
                    read();
                }
            }));
        }

        void close() {
            buf.release();
            rt.loop().submit(Op.of(new Close(fd), op -> open--));
        }
    }
}
