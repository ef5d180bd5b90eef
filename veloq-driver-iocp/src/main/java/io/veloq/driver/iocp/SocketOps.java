package io.veloq.driver.iocp;

import io.veloq.api.IoFd;
import io.veloq.api.OpLifecycle;
import io.veloq.api.buffer.BufVec;
import io.veloq.api.buffer.FixedBuf;
import io.veloq.api.net.AddressFamily;
import io.veloq.api.net.AddressLayout;
import io.veloq.api.op.Accept;
import io.veloq.api.op.Close;
import io.veloq.api.op.Connect;
import io.veloq.api.op.Recv;
import io.veloq.api.op.RecvFrom;
import io.veloq.api.op.Send;
import io.veloq.api.op.SendTo;
import io.veloq.api.op.Shutdown;
import io.veloq.api.op.Socket;
import io.veloq.driver.iocp.win32.ExtensionFunction;
import io.veloq.driver.iocp.win32.NativeMemory;
import io.veloq.driver.iocp.win32.Structs;
import io.veloq.driver.iocp.win32.Win32;
import io.veloq.spi.IoBuffers;

import java.nio.ByteBuffer;

import static io.veloq.driver.iocp.OverlappedSlots.ACCEPT_BUF;
import static io.veloq.driver.iocp.OverlappedSlots.ADDRESS;
import static io.veloq.driver.iocp.OverlappedSlots.BYTES;
import static io.veloq.driver.iocp.OverlappedSlots.FLAGS;
import static io.veloq.driver.iocp.OverlappedSlots.FROM_LEN;
import static io.veloq.driver.iocp.OverlappedSlots.WSABUF;
import static io.veloq.driver.iocp.win32.Win32Constants.*;

/**
 * The socket ops of one driver: each starts its Winsock call (WSARecv, WSASend, WSARecvFrom, WSASendTo,
 * AcceptEx, ConnectEx) with its slot's OVERLAPPED and leaves the outcome to {@link IocpDriver#started}; Socket,
 * Shutdown and Close run at once (a Close that would block, SO_LINGER on with a timeout, runs off the loop).
 *
 * <p>Every UDP socket the driver creates gets {@code SIO_UDP_CONNRESET} and {@code SIO_UDP_NETRESET} set to
 * FALSE, as Go does: otherwise Windows turns an ICMP port unreachable (or TTL expired) answering any datagram
 * the socket sent into a WSAECONNRESET (WSAENETRESET) failing its next receive, where Linux stays silent.
 *
 * <p>ConnectEx works on stream sockets only. A {@code Connect} op on a UDP socket (what
 * {@code UdpSocket.connect} submits) is a plain {@code connect} instead: it only sets the default destination
 * and filter, completes at once with 0, and needs neither the wildcard bind nor {@code SO_UPDATE_CONNECT_CONTEXT}
 * ({@link ConnectLifecycle} skips both for datagram sockets). Loop thread only.
 */
final class SocketOps {
    private final IocpDriver d;
    private final Win32 w;
    private final OverlappedSlots slots;
    private final ByteBuffer mem;
    private final long[] extensionPointers = new long[ExtensionFunction.values().length];

    SocketOps(IocpDriver driver) {
        this.d = driver;
        this.w = driver.win32();
        this.slots = driver.slots();
        this.mem = slots.mem;
    }

    // ---- overlapped ----

    void startRecv(int slot, Recv r) {
        FixedBuf b = r.buf();
        startWsaRecv(slot, r.fd(), r.flags(),
                NativeMemory.address(IoBuffers.memory(b)) + IoBuffers.fillOffset(b), IoBuffers.fillLength(b));
    }

    /** WSARecv of up to {@code len} bytes from the start of {@code buf}'s memory (a buffer-ring buffer). */
    void startRecvInto(int slot, IoFd fd, int linuxFlags, FixedBuf buf) {
        startWsaRecv(slot, fd, linuxFlags, NativeMemory.address(IoBuffers.memory(buf)), buf.capacity());
    }

    /** One overlapped WSARecv of up to {@code len} bytes at {@code addr}. */
    private void startWsaRecv(int slot, IoFd fd, int linuxFlags, long addr, int len) {
        long h = ((IoFd.Raw) fd).handle();
        int flags = recvFlags(linuxFlags);
        if (flags < 0) {
            d.ready(slot, -Win32Error.WSAEOPNOTSUPP.code());
            return;
        }
        int hf = d.associate(slot, h, true);
        if (hf < 0) {
            return;
        }
        int off = slots.arm(slot);
        Structs.WsaBuf.put(mem, off + WSABUF, addr, len);
        mem.putInt(off + FLAGS, flags);
        int rc = w.wsaRecv(h, slots.address(slot, WSABUF), 1, 0, slots.address(slot, FLAGS), slots.overlapped(slot), 0);
        d.started(slot, rc == 0, hf, true);
    }

    void startSend(int slot, Send s) {
        long h = ((IoFd.Raw) s.fd()).handle();
        int flags = sendFlags(s.flags());
        if (flags < 0) {
            d.ready(slot, -Win32Error.WSAEOPNOTSUPP.code());
            return;
        }
        int hf = d.associate(slot, h, true);
        if (hf < 0) {
            return;
        }
        int off = slots.arm(slot);
        putBuffer(off, s.buf(), false);
        int rc = w.wsaSend(h, slots.address(slot, WSABUF), 1, 0, flags, slots.overlapped(slot), 0);
        d.started(slot, rc == 0, hf, true);
    }

    /** One WSARecv/WSASend over every buffer of {@code vec}: its WSABUF array is the vector's own table. */
    void startVectored(int slot, IoFd fd, BufVec vec, int userFlags, boolean recv) {
        long h = ((IoFd.Raw) fd).handle();
        int flags = recv ? recvFlags(userFlags) : sendFlags(userFlags);
        if (flags < 0) {
            d.ready(slot, -Win32Error.WSAEOPNOTSUPP.code());
            return;
        }
        if (vec.size() == 0) {
            d.ready(slot, 0); // nothing to send (an empty receive is refused by the api before it gets here)
            return;
        }
        int hf = d.associate(slot, h, true);
        if (hf < 0) {
            return;
        }
        int off = slots.arm(slot);
        long table = WsaBufTable.fill(vec, recv);
        int rc;
        if (recv) {
            mem.putInt(off + FLAGS, flags);
            rc = w.wsaRecv(h, table, vec.size(), 0, slots.address(slot, FLAGS), slots.overlapped(slot), 0);
        } else {
            rc = w.wsaSend(h, table, vec.size(), 0, flags, slots.overlapped(slot), 0);
        }
        d.started(slot, rc == 0, hf, true);
    }

    void startRecvFrom(int slot, RecvFrom r) {
        long h = ((IoFd.Raw) r.fd()).handle();
        int hf = d.associate(slot, h, true);
        if (hf < 0) {
            return;
        }
        int off = slots.arm(slot);
        putBuffer(off, r.buf(), true);
        mem.putInt(off + FLAGS, 0);
        mem.putInt(off + FROM_LEN, Structs.SockaddrStorage.SIZE);
        int rc = w.wsaRecvFrom(h, slots.address(slot, WSABUF), 1, 0, slots.address(slot, FLAGS),
                slots.address(slot, ADDRESS), slots.address(slot, FROM_LEN), slots.overlapped(slot), 0);
        d.started(slot, rc == 0, hf, true);
    }

    void startSendTo(int slot, SendTo s) {
        long h = ((IoFd.Raw) s.fd()).handle();
        int off = OverlappedSlots.offset(slot);
        int len = AddressCodec.encode(s.to(), mem, off + ADDRESS);
        if (len < 0) {
            d.ready(slot, -Win32Error.WSAEAFNOSUPPORT.code());
            return;
        }
        int hf = d.associate(slot, h, true);
        if (hf < 0) {
            return;
        }
        slots.arm(slot);
        putBuffer(off, s.buf(), false);
        int rc = w.wsaSendTo(h, slots.address(slot, WSABUF), 1, 0, 0, slots.address(slot, ADDRESS), len,
                slots.overlapped(slot), 0);
        d.started(slot, rc == 0, hf, true);
    }

    void startAccept(int slot, Accept a) {
        startAccept(slot, a.fd());
    }

    /** AcceptEx on listener {@code fd} into the socket pre-allocated for {@code slot}. */
    void startAccept(int slot, IoFd fd) {
        long listener = ((IoFd.Raw) fd).handle();
        long acceptSocket = d.preAllocated(slot);
        if (acceptSocket == OpLifecycle.NONE) {
            d.ready(slot, -WSAEINVAL); // the host runs AcceptLifecycle.preAlloc first; without a socket AcceptEx cannot run
            return;
        }
        int hf = d.associate(slot, listener, true);
        if (hf < 0) {
            return;
        }
        long fn = extension(ExtensionFunction.ACCEPT_EX, listener);
        if (fn < 0) {
            d.ready(slot, fn);
            return;
        }
        slots.arm(slot);
        boolean ok = w.acceptEx(fn, listener, acceptSocket, slots.address(slot, ACCEPT_BUF), 0,
                Structs.ACCEPT_EX_ADDRESS_LENGTH, Structs.ACCEPT_EX_ADDRESS_LENGTH, slots.address(slot, BYTES),
                slots.overlapped(slot));
        d.started(slot, ok, hf, true);
    }

    void startConnect(int slot, Connect c) {
        long h = ((IoFd.Raw) c.fd()).handle();
        int off = OverlappedSlots.offset(slot);
        int len = AddressCodec.encode(c.address(), mem, off + ADDRESS);
        if (len < 0) {
            d.ready(slot, -Win32Error.WSAEAFNOSUPPORT.code());
            return;
        }
        int kind = d.handles().kind(h);
        if ((kind & HandleTable.SOCKET) == 0) {
            d.ready(slot, -WSAENOTSOCK);
            return;
        }
        if ((kind & HandleTable.DATAGRAM) != 0) {
            // ConnectEx is for stream sockets; a datagram connect completes at once and queues nothing.
            d.ready(slot, w.connect(h, slots.address(slot, ADDRESS), len) == 0 ? 0 : -w.wsaGetLastError());
            return;
        }
        int hf = d.associate(slot, h, true);
        if (hf < 0) {
            return;
        }
        long fn = extension(ExtensionFunction.CONNECT_EX, h);
        if (fn < 0) {
            d.ready(slot, fn);
            return;
        }
        slots.arm(slot);
        boolean ok = w.connectEx(fn, h, slots.address(slot, ADDRESS), len, 0, 0, slots.address(slot, BYTES),
                slots.overlapped(slot));
        d.started(slot, ok, hf, true);
    }

    private void putBuffer(int off, FixedBuf buf, boolean fill) {
        ByteBuffer m = IoBuffers.memory(buf);
        long addr = NativeMemory.address(m) + (fill ? IoBuffers.fillOffset(buf) : IoBuffers.drainOffset(buf));
        Structs.WsaBuf.put(mem, off + WSABUF, addr, fill ? IoBuffers.fillLength(buf) : IoBuffers.drainLength(buf));
    }

    /** Linux recv(2) flags to Winsock's; -1 for one Windows lacks. */
    static int recvFlags(int linux) {
        int out = 0;
        int rest = linux & ~0x4000; // MSG_NOSIGNAL: Windows never raises SIGPIPE
        if ((rest & 0x1) != 0) {
            out |= MSG_OOB;
        }
        if ((rest & 0x2) != 0) {
            out |= MSG_PEEK;
        }
        if ((rest & 0x100) != 0) {
            out |= MSG_WAITALL;
        }
        return (rest & ~(0x1 | 0x2 | 0x100)) != 0 ? -1 : out;
    }

    /** Linux send(2) flags to Winsock's; -1 for one Windows lacks. */
    static int sendFlags(int linux) {
        int rest = linux & ~0x4000; // MSG_NOSIGNAL
        if ((rest & ~0x1) != 0) {
            return -1;
        }
        return (rest & 0x1) != 0 ? MSG_OOB : 0;
    }

    /**
     * The address of an extension function, loaded once per driver with
     * WSAIoctl(SIO_GET_EXTENSION_FUNCTION_POINTER) on {@code socket}; minus the Winsock error when that fails.
     * (Microsoft's TCP/IP providers share one implementation for IPv4 and IPv6.)
     */
    long extension(ExtensionFunction f, long socket) {
        long cached = extensionPointers[f.ordinal()];
        if (cached != 0) {
            return cached;
        }
        ByteBuffer scratch = d.scratchMem;
        byte[] guid = f.guid();
        for (int i = 0; i < guid.length; i++) {
            scratch.put(IocpDriver.SCR_GUID + i, guid[i]);
        }
        scratch.putLong(IocpDriver.SCR_FUNCTION, 0);
        long base = d.scratchBase;
        int rc = w.wsaIoctl(socket, SIO_GET_EXTENSION_FUNCTION_POINTER, base + IocpDriver.SCR_GUID, Structs.Guid.SIZE,
                base + IocpDriver.SCR_FUNCTION, 8, base + IocpDriver.SCR_BYTES, 0, 0);
        if (rc != 0) {
            return -w.wsaGetLastError();
        }
        long fn = scratch.getLong(IocpDriver.SCR_FUNCTION);
        if (fn == 0) {
            return -WSAEINVAL;
        }
        extensionPointers[f.ordinal()] = fn;
        return fn;
    }

    /** Skipping the port on success is safe only for providers whose handles are IFS handles (no LSP). */
    boolean hasIfsHandles(long socket) {
        d.scratchMem.putInt(IocpDriver.SCR_LEN, Structs.WsaProtocolInfoW.SIZE);
        if (w.getsockopt(socket, SOL_SOCKET, SO_PROTOCOL_INFOW, d.scratchBase + IocpDriver.SCR_PROTOCOL_INFO,
                d.scratchBase + IocpDriver.SCR_LEN) != 0) {
            return false;
        }
        int flags1 = d.scratchMem.getInt(IocpDriver.SCR_PROTOCOL_INFO + Structs.WsaProtocolInfoW.SERVICE_FLAGS1);
        return (flags1 & XP1_IFS_HANDLES) != 0;
    }

    // ---- at once ----

    long createSocket(Socket s) {
        if (s.family() == AddressFamily.UNIX) {
            return -Win32Error.WSAEAFNOSUPPORT.code();
        }
        int af = AddressLayout.WINDOWS.nativeFamily(s.family());
        boolean stream = s.type() == io.veloq.api.net.SocketType.STREAM;
        long h = w.wsaSocketW(af, stream ? SOCK_STREAM : SOCK_DGRAM, stream ? IPPROTO_TCP : IPPROTO_UDP, 0, 0,
                WSA_FLAG_OVERLAPPED | WSA_FLAG_NO_HANDLE_INHERIT);
        if (h == INVALID_SOCKET) {
            return -w.wsaGetLastError();
        }
        if (!stream) {
            int err = disableUdpResets(w, h);
            if (err != 0) {
                w.closesocket(h);
                return -err;
            }
        }
        d.handles().register(h, HandleTable.SOCKET | HandleTable.TYPED | (stream ? 0 : HandleTable.DATAGRAM)
                | (af == AF_INET6 ? HandleTable.INET6 : 0));
        return h;
    }

    /**
     * WSAIoctl(SIO_UDP_CONNRESET, FALSE) and WSAIoctl(SIO_UDP_NETRESET, FALSE) on a UDP socket; 0, or the Winsock
     * error. Any thread (it allocates its own memory).
     */
    static int disableUdpResets(Win32 w, long socket) {
        try (NativeMemory.Block b = NativeMemory.allocate(16)) {
            b.buffer().putInt(0, 0); // BOOL FALSE
            for (int code : new int[]{SIO_UDP_CONNRESET, SIO_UDP_NETRESET}) {
                if (w.wsaIoctl(socket, code, b.address(), 4, 0, 0, b.address() + 8, 0, 0) != 0) {
                    return w.wsaGetLastError();
                }
            }
            return 0;
        }
    }

    long shutdown(Shutdown s) {
        long h = ((IoFd.Raw) s.fd()).handle();
        if ((d.handles().kind(h) & HandleTable.SOCKET) == 0) {
            return -WSAENOTSOCK;
        }
        int how = switch (s.how()) {
            case READ -> SD_RECEIVE;
            case WRITE -> SD_SEND;
            case BOTH -> SD_BOTH;
        };
        return w.shutdown(h, how) == 0 ? 0 : -w.wsaGetLastError();
    }

    /**
     * Close of a socket or file the driver knows. An unknown handle is refused, never guessed at: its value
     * may belong to a handle someone else opened since (Windows reuses values at once). A socket with
     * SO_LINGER on and a timeout is closed off the loop: closesocket blocks until the peer took the data.
     */
    void close(int slot, Close c) {
        long h = ((IoFd.Raw) c.fd()).handle();
        int kind = d.handles().remove(h);
        if (kind == 0) {
            d.ready(slot, -ERROR_INVALID_HANDLE);
        } else if ((kind & HandleTable.FILE) != 0) {
            d.ready(slot, w.closeHandle(h) ? 0 : -w.lastError());
        } else if ((kind & HandleTable.DATAGRAM) == 0 && lingers(h)) {
            d.offload(slot, () -> w.closesocket(h) == 0 ? 0 : -w.wsaGetLastError(), r -> { });
        } else {
            d.ready(slot, w.closesocket(h) == 0 ? 0 : -w.wsaGetLastError());
        }
    }

    /** SO_LINGER on with a non-zero timeout: closesocket would block (sockets are in blocking mode). */
    private boolean lingers(long socket) {
        ByteBuffer scratch = d.scratchMem;
        scratch.putInt(IocpDriver.SCR_LEN, Structs.Linger.SIZE);
        scratch.putInt(IocpDriver.SCR_HANDLE, 0);
        if (w.getsockopt(socket, SOL_SOCKET, SO_LINGER, d.scratchBase + IocpDriver.SCR_HANDLE,
                d.scratchBase + IocpDriver.SCR_LEN) != 0) {
            return false;
        }
        return scratch.getShort(IocpDriver.SCR_HANDLE + Structs.Linger.ONOFF) != 0
                && scratch.getShort(IocpDriver.SCR_HANDLE + Structs.Linger.LINGER) != 0;
    }
}
