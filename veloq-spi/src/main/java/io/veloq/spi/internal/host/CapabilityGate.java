package io.veloq.spi.internal.host;

import io.veloq.api.Capability;
import io.veloq.api.IoErrorKind;
import io.veloq.api.IoFd;
import io.veloq.api.VeloqIoException;
import io.veloq.api.net.AddressFamily;
import io.veloq.api.net.SockAddrStorage;
import io.veloq.api.net.SocketType;
import io.veloq.api.op.Connect;
import io.veloq.api.op.OpKind;
import io.veloq.api.op.OpPayload;
import io.veloq.api.op.Recv;
import io.veloq.api.op.Send;
import io.veloq.api.op.SendFile;
import io.veloq.api.op.SendTo;
import io.veloq.api.op.Socket;

import java.util.EnumSet;
import java.util.Set;

/**
 * Which capability an op needs ({@link OpKind#capability()} for what a kind always needs, plus the cases that
 * depend on the payload: flags, fixed files, socket families, abstract names), checked against what
 * one driver reports, so that an op the driver cannot run is refused by the host with an error naming the
 * capability, before the driver sees it. Built once per loop; {@link #missing} allocates nothing, and for a
 * driver that reports every capability a kind can need it is one array read.
 */
final class CapabilityGate {
    /** {@code MSG_NOSIGNAL}: always applied where it exists, so it needs no capability. */
    private static final int MSG_NOSIGNAL = 0x4000;

    private final Set<Capability> caps;
    /** Per kind: could an op of this kind need a capability the driver lacks? */
    private final boolean[] check = new boolean[OpKind.count()];

    CapabilityGate(Set<Capability> capabilities) {
        this.caps = capabilities.isEmpty() ? EnumSet.noneOf(Capability.class) : EnumSet.copyOf(capabilities);
        boolean fixed = !caps.contains(Capability.FIXED_FILES);
        for (OpKind k : OpKind.values()) {
            Capability base = k.capability();
            check[k.ordinal()] = fixed || (base != null && !caps.contains(base)) || switch (k) {
                case SEND_TO -> !caps.contains(Capability.UNIX_ABSTRACT_NAMES);
                case SOCKET -> !caps.containsAll(EnumSet.of(Capability.UNIX_SOCKETS, Capability.DATAGRAM_SOCKETS,
                        Capability.UNIX_DATAGRAM_SOCKETS));
                case RECV, SEND -> !caps.contains(Capability.MESSAGE_FLAGS);
                case CONNECT -> !caps.contains(Capability.UNIX_ABSTRACT_NAMES);
                default -> false;
            };
        }
    }

    /** The capability {@code p} needs and the driver lacks, or null when the driver can run it. */
    Capability missing(OpPayload p) {
        return missing(p, p.kind());
    }

    /** {@link #missing(OpPayload)} with the payload's kind known (cached in its op). */
    Capability missing(OpPayload p, OpKind k) {
        if (!check[k.ordinal()]) {
            return null;
        }
        if (p.fd() instanceof IoFd.Fixed && !caps.contains(Capability.FIXED_FILES)) {
            return Capability.FIXED_FILES;
        }
        Capability base = k.capability(); // what the kind always needs (OpKind's attribute)
        if (base != null && !caps.contains(base)) {
            return base;
        }
        Capability needed = switch (k) {
            case SEND_TO -> abstractName(((SendTo) p).to()) ? Capability.UNIX_ABSTRACT_NAMES : null;
            case SOCKET -> forSocket((Socket) p);
            case RECV -> flagged(((Recv) p).flags()) ? Capability.MESSAGE_FLAGS : null;
            case SEND -> flagged(((Send) p).flags()) ? Capability.MESSAGE_FLAGS : null;
            case CONNECT -> abstractName(((Connect) p).address()) ? Capability.UNIX_ABSTRACT_NAMES : null;
            case SEND_FILE -> ((SendFile) p).file() instanceof IoFd.Fixed ? Capability.FIXED_FILES : null;
            default -> null;
        };
        return needed == null || caps.contains(needed) ? null : needed;
    }

    private Capability forSocket(Socket s) {
        boolean unix = s.family() == AddressFamily.UNIX;
        boolean datagram = s.type() == SocketType.DATAGRAM;
        if (unix && !caps.contains(Capability.UNIX_SOCKETS)) {
            return Capability.UNIX_SOCKETS;
        }
        if (datagram && !caps.contains(Capability.DATAGRAM_SOCKETS)) {
            return Capability.DATAGRAM_SOCKETS;
        }
        return unix && datagram ? Capability.UNIX_DATAGRAM_SOCKETS : null;
    }

    private static boolean flagged(int flags) {
        return (flags & ~MSG_NOSIGNAL) != 0;
    }

    private static boolean abstractName(SockAddrStorage a) {
        return a != null && a.family() == AddressFamily.UNIX && a.isAbstractUnix();
    }

    /** The refusal: kind NOT_SUPPORTED, no platform code, a message naming the driver and the capability. */
    static VeloqIoException refusal(String driverId, Capability missing, String what) {
        return new VeloqIoException(IoErrorKind.NOT_SUPPORTED, 0, "NOT_SUPPORTED", what, "the " + driverId
                + " driver does not support " + describe(missing) + " (it does not report capability " + missing
                + "), so the runtime refused the op before it reached the driver");
    }

    private static String describe(Capability c) {
        return switch (c) {
            case FIXED_FILES -> "registered (fixed) files";
            case REGISTERED_BUFFERS -> "registered buffers (ReadFixed/WriteFixed); use Read/Write with any buffer";
            case FILE_IO -> "file I/O";
            case DATAGRAM_SOCKETS -> "datagram sockets";
            case UNIX_SOCKETS -> "Unix-domain sockets";
            case UNIX_DATAGRAM_SOCKETS -> "Unix-domain datagram sockets";
            case UNIX_ABSTRACT_NAMES -> "abstract Unix-domain names";
            case MESSAGE_FLAGS -> "recv/send flags other than 0";
            case MULTISHOT -> "multishot ops (AcceptMultishot, RecvMultishot, buffer rings); use Accept/Recv, which "
                    + "the net API falls back to by itself";
            case SEND_FILE -> "SendFile (file to socket without a copy); read the file into a buffer and Send it";
            default -> c.toString();
        };
    }
}
