package io.veloq.driver.nio;

import io.veloq.api.Capability;
import io.veloq.api.IoFd;
import io.veloq.api.net.AddressFamily;
import io.veloq.api.net.SockAddrStorage;
import io.veloq.api.net.SocketType;
import io.veloq.api.op.Connect;
import io.veloq.api.op.OpPayload;
import io.veloq.api.op.Recv;
import io.veloq.api.op.RecvMsg;
import io.veloq.api.op.Send;
import io.veloq.api.op.SendMsg;
import io.veloq.api.op.SendTo;
import io.veloq.api.op.Socket;
import io.veloq.spi.LinuxErrno;

import java.util.Set;

/**
 * The ops java.nio cannot express, refused in {@code prepare} with an errno and, for the error message, the
 * reason ({@code Driver.explainRefusal}): registered files and buffers, Unix datagram sockets and abstract
 * Unix names (java.nio has neither), and {@code recv}/{@code send} flags other than {@code MSG_NOSIGNAL}
 * (java.nio takes none; {@code MSG_NOSIGNAL} is what it always does).
 */
final class Refusals {
    /** {@code MSG_NOSIGNAL}: java.nio never raises SIGPIPE, so this one flag is honoured. */
    static final int MSG_NOSIGNAL = 0x4000;

    private static final int EBADF = -LinuxErrno.EBADF.code();
    private static final int EOPNOTSUPP = -LinuxErrno.EOPNOTSUPP.code();
    private static final int EAFNOSUPPORT = -LinuxErrno.EAFNOSUPPORT.code();
    private static final int EPROTONOSUPPORT = -LinuxErrno.EPROTONOSUPPORT.code();

    private Refusals() {
    }

    /** 0, or minus the errno to refuse {@code p} with. Allocates nothing for the ops it accepts. */
    static int check(OpPayload p, Set<Capability> caps) {
        if (p.fd() instanceof IoFd.Fixed) {
            return EBADF; // no registered-file table: as the kernel answers for an empty slot
        }
        switch (p.kind()) {
            case READ_FIXED, WRITE_FIXED, ACCEPT_MULTISHOT, RECV_MULTISHOT -> {
                return EOPNOTSUPP;
            }
            case RECV -> {
                return flags(((Recv) p).flags());
            }
            case SEND -> {
                return flags(((Send) p).flags());
            }
            case RECV_MSG -> {
                return flags(((RecvMsg) p).flags());
            }
            case SEND_MSG -> {
                return flags(((SendMsg) p).flags());
            }
            case SOCKET -> {
                Socket s = (Socket) p;
                if (s.family() == AddressFamily.UNIX && s.type() == SocketType.DATAGRAM) {
                    return EPROTONOSUPPORT;
                }
                if (s.family() == AddressFamily.UNIX && !caps.contains(Capability.UNIX_SOCKETS)) {
                    return EAFNOSUPPORT;
                }
                return 0;
            }
            case CONNECT -> {
                return abstractName(((Connect) p).address());
            }
            case SEND_TO -> {
                return abstractName(((SendTo) p).to());
            }
            default -> {
                return 0;
            }
        }
    }

    private static int flags(int flags) {
        return (flags & ~MSG_NOSIGNAL) == 0 ? 0 : EOPNOTSUPP;
    }

    private static int abstractName(SockAddrStorage a) {
        return a.isAbstractUnix() ? EAFNOSUPPORT : 0;
    }

    /** Why {@link #check} refused {@code p}, or null. */
    static String explain(OpPayload p, int code, Set<Capability> caps) {
        if (p.fd() instanceof IoFd.Fixed) {
            return "the nio driver has no registered (fixed) files; use the raw handle";
        }
        switch (p.kind()) {
            case READ_FIXED, WRITE_FIXED -> {
                return "the nio driver has no registered buffers (capability REGISTERED_BUFFERS); use Read/Write";
            }
            case ACCEPT_MULTISHOT, RECV_MULTISHOT -> {
                // Refused rather than emulated: every completion it delivers is final (no MORE), so an op
                // with many completions never reaches its loop (capability MULTISHOT absent).
                return "the nio driver has no multishot ops (capability MULTISHOT): use one Accept/Recv per "
                        + "completion (the net API's acceptEach and recvEach do that by themselves)";
            }
            case RECV, SEND, RECV_MSG, SEND_MSG -> {
                int flags = p instanceof Recv r ? r.flags() : p instanceof Send d ? d.flags()
                        : p instanceof RecvMsg rm ? rm.flags() : ((SendMsg) p).flags();
                return "flags 0x" + Integer.toHexString(flags & ~MSG_NOSIGNAL) + " are not supported by the nio driver: "
                        + "java.nio takes no recv/send flags; it honours MSG_NOSIGNAL (0x4000) only";
            }
            case SOCKET -> {
                Socket s = (Socket) p;
                if (s.family() == AddressFamily.UNIX && s.type() == SocketType.DATAGRAM) {
                    return "java.nio has no Unix-domain datagram sockets, so the nio driver cannot make one";
                }
                return "Unix-domain sockets need java.nio's UNIX protocol family, which this JDK lacks";
            }
            case CONNECT, SEND_TO -> {
                return "abstract Unix-domain names are Linux-only and java.nio has no form for them";
            }
            default -> {
                return null;
            }
        }
    }
}
