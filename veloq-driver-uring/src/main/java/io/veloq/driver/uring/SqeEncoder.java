package io.veloq.driver.uring;

import io.veloq.api.IoFd;
import io.veloq.api.buffer.BufVec;
import io.veloq.api.buffer.FixedBuf;
import io.veloq.api.net.SockAddrStorage;
import io.veloq.api.op.Accept;
import io.veloq.api.op.Connect;
import io.veloq.api.op.Fsync;
import io.veloq.api.op.Open;
import io.veloq.api.op.OpKind;
import io.veloq.api.op.OpPayload;
import io.veloq.api.op.Read;
import io.veloq.api.op.ReadFixed;
import io.veloq.api.op.Recv;
import io.veloq.api.op.RecvMsg;
import io.veloq.api.op.SendMsg;
import io.veloq.api.op.RecvFrom;
import io.veloq.api.op.Send;
import io.veloq.api.op.SendTo;
import io.veloq.api.op.Shutdown;
import io.veloq.api.op.Socket;
import io.veloq.api.op.Timeout;
import io.veloq.api.op.Write;
import io.veloq.api.op.WriteFixed;
import io.veloq.api.net.AddressLayout;
import io.veloq.driver.uring.ffi.Syscalls;
import io.veloq.spi.IoBuffers;
import io.veloq.spi.LinuxErrno;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

import static io.veloq.driver.uring.IoUringAbi.*;

/**
 * Turns ops into SQEs. One table, indexed by {@link OpKind}, says for each kind its opcode, whether it
 * names a descriptor and which part of its buffer it uses; a single pass fills the SQE's fields from
 * that and the payload, so there is no class per op. Per-op native structures (msghdr, iovec, timespec)
 * go into the op's slot scratch. Loop thread only; allocates nothing except for an {@code Open}'s path.
 */
final class SqeEncoder {
    private enum Buffer { NONE, FILL, DRAIN }

    private record Template(int opcode, boolean takesFd, Buffer buffer) {
    }

    private static final Template[] TEMPLATES = new Template[OpKind.count()];

    static {
        t(OpKind.NOP, OP_NOP, false, Buffer.NONE);
        t(OpKind.TIMEOUT, OP_TIMEOUT, false, Buffer.NONE);
        // OpKind.CANCEL stays null: the host turns it into prepareCancel.
        t(OpKind.SOCKET, OP_SOCKET, false, Buffer.NONE);
        t(OpKind.ACCEPT, OP_ACCEPT, true, Buffer.NONE);
        t(OpKind.CONNECT, OP_CONNECT, true, Buffer.NONE);
        t(OpKind.SHUTDOWN, OP_SHUTDOWN, true, Buffer.NONE);
        t(OpKind.RECV, OP_RECV, true, Buffer.FILL);
        t(OpKind.SEND, OP_SEND, true, Buffer.DRAIN);
        t(OpKind.RECV_FROM, OP_RECVMSG, true, Buffer.FILL);
        t(OpKind.SEND_TO, OP_SENDMSG, true, Buffer.DRAIN);
        t(OpKind.READ, OP_READ, true, Buffer.FILL);
        t(OpKind.WRITE, OP_WRITE, true, Buffer.DRAIN);
        t(OpKind.READ_FIXED, OP_READ_FIXED, true, Buffer.FILL);
        t(OpKind.WRITE_FIXED, OP_WRITE_FIXED, true, Buffer.DRAIN);
        t(OpKind.OPEN, OP_OPENAT, false, Buffer.NONE);
        t(OpKind.CLOSE, OP_CLOSE, true, Buffer.NONE);
        t(OpKind.FSYNC, OP_FSYNC, true, Buffer.NONE);
        // Vectored: the buffers go into the vector's iovec table, not the SQE (see vectorMsghdr).
        t(OpKind.RECV_MSG, OP_RECVMSG, true, Buffer.NONE);
        t(OpKind.SEND_MSG, OP_SENDMSG, true, Buffer.NONE);
    }

    private static void t(OpKind k, int opcode, boolean takesFd, Buffer buffer) {
        TEMPLATES[k.ordinal()] = new Template(opcode, takesFd, buffer);
    }

    private static final int EINVAL = LinuxErrno.EINVAL.code();
    private static final int EBADF = LinuxErrno.EBADF.code();
    private static final int EFAULT = LinuxErrno.EFAULT.code();
    private static final int EOPNOTSUPP = LinuxErrno.EOPNOTSUPP.code();
    private static final int EAFNOSUPPORT = LinuxErrno.EAFNOSUPPORT.code();

    private final ByteBuffer sqes;
    private final boolean[] supported;
    private final Syscalls sys;
    private final NativeMemory mem;
    private final SlotTable slots;
    private final ByteBuffer scratch;
    private final BufferAddresses buffers;
    private final FixedFiles fixedFiles;

    SqeEncoder(ByteBuffer sqes, boolean[] supported, NativeMemory mem, SlotTable slots, BufferAddresses buffers,
               FixedFiles fixedFiles) {
        this.sqes = sqes;
        this.supported = supported;
        this.sys = mem.syscalls();
        this.mem = mem;
        this.slots = slots;
        this.scratch = slots.scratch();
        this.buffers = buffers;
        this.fixedFiles = fixedFiles;
    }

    /** The opcode for a kind, or -1 for one the driver does not submit (Cancel). */
    static int opcode(OpKind kind) {
        Template t = TEMPLATES[kind.ordinal()];
        return t == null ? -1 : t.opcode;
    }

    /**
     * Checks that {@code p} can be submitted, before any slot or SQE is taken: 0, or minus the errno to
     * refuse it with.
     */
    int check(OpPayload p) {
        Template t = TEMPLATES[p.kind().ordinal()];
        if (t == null) {
            return -EINVAL;
        }
        if (!supported[t.opcode]) {
            return -EOPNOTSUPP;
        }
        if (t.takesFd) {
            IoFd fd = p.fd();
            if (fd instanceof IoFd.Raw r) {
                if (r.handle() > Integer.MAX_VALUE) {
                    return -EBADF;
                }
            } else if (fixedFiles == null || !fixedFiles.occupied(((IoFd.Fixed) fd).index())) {
                return -EBADF;
            }
        }
        return 0;
    }

    /**
     * Writes the SQE of {@code p} at SQ index {@code sqIndex}. Returns 0, or minus the errno to refuse the
     * op with (nothing is then submitted; a path allocated for it is freed with its slot).
     *
     * @param link true to link the next SQE (a LINK_TIMEOUT) to this one
     */
    int encode(int sqIndex, OpPayload p, int slot, long userData, boolean link) {
        OpKind kind = p.kind();
        Template t = TEMPLATES[kind.ordinal()];
        int sqeFlags = link ? SQE_IO_LINK : 0;
        int fd = 0;
        int fileIndex = 0;
        if (t.takesFd) {
            IoFd f = p.fd();
            if (f instanceof IoFd.Raw r) {
                fd = (int) r.handle();
            } else if (kind == OpKind.CLOSE) {
                fileIndex = ((IoFd.Fixed) f).index() + 1; // closes the registered slot itself
            } else {
                fd = ((IoFd.Fixed) f).index();
                sqeFlags |= SQE_FIXED_FILE;
            }
        }
        long addr = 0;
        int len = 0;
        if (t.buffer != Buffer.NONE) {
            FixedBuf buf = p.buffer();
            if (t.buffer == Buffer.FILL) {
                addr = buffers.address(buf) + IoBuffers.fillOffset(buf);
                len = IoBuffers.fillLength(buf);
            } else {
                addr = buffers.address(buf) + IoBuffers.drainOffset(buf);
                len = IoBuffers.drainLength(buf);
            }
        }
        long off = 0;
        int opFlags = 0;
        int bufIndex = 0;
        switch (kind) {
            case NOP, CLOSE -> {
            }
            case TIMEOUT -> {
                addr = timespec(slot, SlotTable.OP_TIMESPEC, ((Timeout) p).nanos());
                len = 1;
            }
            case SOCKET -> {
                Socket s = (Socket) p;
                fd = AddressLayout.LINUX.nativeFamily(s.family());
                off = (s.type() == io.veloq.api.net.SocketType.STREAM ? SOCK_STREAM : SOCK_DGRAM) | SOCK_CLOEXEC;
            }
            case ACCEPT -> {
                SockAddrStorage peer = ((Accept) p).peer();
                if (peer.layout() != AddressLayout.LINUX) {
                    return -EAFNOSUPPORT;
                }
                peer.setLength(SockAddrStorage.SIZE); // the kernel reads the room it has, then writes the length
                addr = sys.addressOf(peer.block());
                off = addr + SockAddrStorage.LENGTH_OFFSET;
                opFlags = SOCK_CLOEXEC;
            }
            case CONNECT -> {
                SockAddrStorage to = ((Connect) p).address();
                if (to.layout() != AddressLayout.LINUX) {
                    return -EAFNOSUPPORT;
                }
                addr = sys.addressOf(to.block());
                off = to.length();
            }
            case SHUTDOWN -> len = switch (((Shutdown) p).how()) {
                case READ -> 0;
                case WRITE -> 1;
                case BOTH -> 2;
            };
            case RECV -> opFlags = ((Recv) p).flags();
            case SEND -> opFlags = ((Send) p).flags() | MSG_NOSIGNAL;
            case RECV_FROM -> {
                SockAddrStorage from = ((RecvFrom) p).from();
                if (from.layout() != AddressLayout.LINUX) {
                    return -EAFNOSUPPORT;
                }
                addr = msghdr(slot, sys.addressOf(from.block()), SockAddrStorage.SIZE, addr, len);
                len = 1;
            }
            case SEND_TO -> {
                SockAddrStorage to = ((SendTo) p).to();
                if (to.layout() != AddressLayout.LINUX) {
                    return -EAFNOSUPPORT;
                }
                addr = msghdr(slot, sys.addressOf(to.block()), to.length(), addr, len);
                len = 1;
                opFlags = MSG_NOSIGNAL;
            }
            case RECV_MSG -> {
                addr = vectorMsghdr(slot, p.buffers(), true);
                len = 1;
                opFlags = ((RecvMsg) p).flags();
            }
            case SEND_MSG -> {
                addr = vectorMsghdr(slot, p.buffers(), false);
                len = 1;
                opFlags = ((SendMsg) p).flags() | MSG_NOSIGNAL;
            }
            case READ -> off = ((Read) p).offset();
            case WRITE -> off = ((Write) p).offset();
            case READ_FIXED, WRITE_FIXED -> {
                FixedBuf buf = p.buffer();
                bufIndex = buf.regionIndex();
                if (!buffers.inRegisteredRegion(bufIndex, addr, len)) {
                    return -EFAULT; // what the kernel says for a buffer outside its registered region
                }
                off = kind == OpKind.READ_FIXED ? ((ReadFixed) p).offset() : ((WriteFixed) p).offset();
            }
            case OPEN -> {
                Open o = (Open) p;
                int flags = OpenFlags.of(o.options());
                if (flags == OpenFlags.UNSUPPORTED) {
                    return -EOPNOTSUPP;
                }
                fd = AT_FDCWD;
                addr = path(slot, o);
                len = o.mode();
                opFlags = flags;
            }
            case FSYNC -> opFlags = ((Fsync) p).dataOnly() ? FSYNC_DATASYNC : 0;
            default -> {
                return -EINVAL;
            }
        }
        write(sqIndex, t.opcode, sqeFlags, fd, off, addr, len, opFlags, userData, bufIndex, fileIndex);
        return 0;
    }

    /** A LINK_TIMEOUT for the op just encoded in {@code slot}, due {@code nanos} after it starts. */
    void encodeLinkTimeout(int sqIndex, int slot, long nanos, long userData) {
        long ts = timespec(slot, SlotTable.LINK_TIMESPEC, nanos);
        write(sqIndex, OP_LINK_TIMEOUT, 0, 0, 0, ts, 1, 0, userData, 0, 0);
    }

    /**
     * An ASYNC_CANCEL of every request on descriptor {@code fd}, hard-linked to the next SQE (the Close of
     * {@code fd}), which runs whatever the cancel found.
     */
    void encodeCancelFd(int sqIndex, int fd, long userData) {
        write(sqIndex, OP_ASYNC_CANCEL, SQE_IO_HARDLINK, fd, 0, 0, 0, ASYNC_CANCEL_FD | ASYNC_CANCEL_ALL, userData, 0, 0);
    }

    /** An ASYNC_CANCEL of the request with {@code target} user data (or of everything with ANY). */
    void encodeCancel(int sqIndex, long target, int cancelFlags, long userData) {
        write(sqIndex, OP_ASYNC_CANCEL, 0, 0, 0, target, 0, cancelFlags, userData, 0, 0);
    }

    /** A one-shot POLL_ADD on {@code fd} for {@code pollMask} ({@code poll32_events}). */
    void encodePollAdd(int sqIndex, int fd, int pollMask, long userData) {
        write(sqIndex, OP_POLL_ADD, 0, fd, 0, 0, 0, pollMask, userData, 0, 0);
    }

    /** A READ of {@code len} bytes from {@code fd} into {@code addr}. */
    void encodeRead(int sqIndex, int fd, long addr, int len, long userData) {
        write(sqIndex, OP_READ, 0, fd, 0, addr, len, 0, userData, 0, 0);
    }

    /** A TIMEOUT on the timespec at {@code ts} that also completes after {@code count} other completions. */
    void encodeTimeout(int sqIndex, long ts, int count, long userData) {
        write(sqIndex, OP_TIMEOUT, 0, 0, count, ts, 1, 0, userData, 0, 0);
    }

    private void write(int sqIndex, int opcode, int sqeFlags, int fd, long off, long addr, int len, int opFlags,
                       long userData, int bufIndex, int fileIndex) {
        int b = sqIndex * SQE_SIZE;
        ByteBuffer s = sqes;
        s.put(b + SQE_OPCODE, (byte) opcode);
        s.put(b + SQE_FLAGS, (byte) sqeFlags);
        s.putShort(b + SQE_IOPRIO, (short) 0);
        s.putInt(b + SQE_FD, fd);
        s.putLong(b + SQE_OFF, off);
        s.putLong(b + SQE_ADDR, addr);
        s.putInt(b + SQE_LEN, len);
        s.putInt(b + SQE_OP_FLAGS, opFlags);
        s.putLong(b + SQE_USER_DATA, userData);
        s.putShort(b + SQE_BUF_INDEX, (short) bufIndex);
        s.putShort(b + SQE_PERSONALITY, (short) 0);
        s.putInt(b + SQE_FILE_INDEX, fileIndex);
        s.putLong(b + SQE_ADDR3, 0L);
        s.putLong(b + SQE_PAD, 0L);
    }

    private long timespec(int slot, int offset, long nanos) {
        int b = slot * SlotTable.SLOT_BYTES + offset;
        scratch.putLong(b, nanos / 1_000_000_000L);
        scratch.putLong(b + 8, nanos % 1_000_000_000L);
        return slots.address(slot, offset);
    }

    private long msghdr(int slot, long name, int nameLen, long base, int len) {
        int b = slot * SlotTable.SLOT_BYTES;
        int m = b + SlotTable.MSGHDR;
        int v = b + SlotTable.IOVEC;
        scratch.putLong(v, base);
        scratch.putLong(v + 8, len);
        scratch.putLong(m + MSGHDR_NAME, name);
        scratch.putInt(m + MSGHDR_NAMELEN, nameLen);
        scratch.putInt(m + MSGHDR_NAMELEN + 4, 0);
        scratch.putLong(m + MSGHDR_IOV, slots.address(slot, SlotTable.IOVEC));
        scratch.putLong(m + MSGHDR_IOVLEN, 1);
        scratch.putLong(m + MSGHDR_CONTROL, 0);
        scratch.putLong(m + MSGHDR_CONTROLLEN, 0);
        scratch.putLong(m + MSGHDR_FLAGS, 0);
        return slots.address(slot, SlotTable.MSGHDR);
    }

    /**
     * A msghdr in the slot's scratch whose iovecs are the vector's own table, one per buffer: the free space
     * of each ({@code fill}) or its readable bytes. The table lives with the vector, which the op keeps
     * reachable until completion, so the kernel may read it whenever it issues the request.
     */
    private long vectorMsghdr(int slot, BufVec vec, boolean fill) {
        ByteBuffer table = IoBuffers.vectorTable(vec);
        int n = vec.size();
        for (int i = 0; i < n; i++) {
            FixedBuf b = vec.get(i);
            long base = buffers.address(b);
            table.putLong(i * IOVEC_SIZE, base + (fill ? IoBuffers.fillOffset(b) : IoBuffers.drainOffset(b)));
            table.putLong(i * IOVEC_SIZE + 8, fill ? IoBuffers.fillLength(b) : IoBuffers.drainLength(b));
        }
        int m = slot * SlotTable.SLOT_BYTES + SlotTable.MSGHDR;
        scratch.putLong(m + MSGHDR_NAME, 0);
        scratch.putInt(m + MSGHDR_NAMELEN, 0);
        scratch.putInt(m + MSGHDR_NAMELEN + 4, 0);
        scratch.putLong(m + MSGHDR_IOV, sys.addressOf(table));
        scratch.putLong(m + MSGHDR_IOVLEN, n);
        scratch.putLong(m + MSGHDR_CONTROL, 0);
        scratch.putLong(m + MSGHDR_CONTROLLEN, 0);
        scratch.putLong(m + MSGHDR_FLAGS, 0);
        return slots.address(slot, SlotTable.MSGHDR);
    }

    /** The sender-address length recvmsg wrote into the slot's msghdr. */
    int receivedNameLength(int slot) {
        return scratch.getInt(slot * SlotTable.SLOT_BYTES + SlotTable.MSGHDR + MSGHDR_NAMELEN);
    }

    private long path(int slot, Open o) {
        byte[] b = o.path().toAbsolutePath().toString().getBytes(StandardCharsets.UTF_8);
        long addr = mem.allocate(b.length + 1L, "path of " + o.describe());
        ByteBuffer v = mem.view(addr, b.length + 1L);
        v.put(0, b);
        v.put(b.length, (byte) 0);
        slots.holdPath(slot, addr);
        return addr;
    }
}
