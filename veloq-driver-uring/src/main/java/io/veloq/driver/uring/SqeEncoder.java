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
import io.veloq.api.op.RecvMultishot;
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
    private record Template(int opcode, boolean takesFd) {
    }

    private static final Template[] TEMPLATES = new Template[OpKind.count()];

    static {
        t(OpKind.NOP, OP_NOP, false);
        t(OpKind.TIMEOUT, OP_TIMEOUT, false);
        // OpKind.CANCEL stays null: the host turns it into prepareCancel.
        t(OpKind.SOCKET, OP_SOCKET, false);
        t(OpKind.ACCEPT, OP_ACCEPT, true);
        t(OpKind.CONNECT, OP_CONNECT, true);
        t(OpKind.SHUTDOWN, OP_SHUTDOWN, true);
        t(OpKind.RECV, OP_RECV, true);
        t(OpKind.SEND, OP_SEND, true);
        t(OpKind.RECV_FROM, OP_RECVMSG, true);
        t(OpKind.SEND_TO, OP_SENDMSG, true);
        t(OpKind.READ, OP_READ, true);
        t(OpKind.WRITE, OP_WRITE, true);
        t(OpKind.READ_FIXED, OP_READ_FIXED, true);
        t(OpKind.WRITE_FIXED, OP_WRITE_FIXED, true);
        t(OpKind.OPEN, OP_OPENAT, false);
        t(OpKind.CLOSE, OP_CLOSE, true);
        t(OpKind.FSYNC, OP_FSYNC, true);
        t(OpKind.ACCEPT_MULTISHOT, OP_ACCEPT, true);
        t(OpKind.RECV_MULTISHOT, OP_RECV, true);
        // Vectored: the buffers go into the vector's iovec table, not the SQE (see vectorMsghdr).
        t(OpKind.RECV_MSG, OP_RECVMSG, true);
        t(OpKind.SEND_MSG, OP_SENDMSG, true);
    }

    private static void t(OpKind k, int opcode, boolean takesFd) {
        TEMPLATES[k.ordinal()] = new Template(opcode, takesFd);
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
    private final ProvidedBuffers provided;
    private final boolean zeroCopy;

    SqeEncoder(ByteBuffer sqes, boolean[] supported, NativeMemory mem, SlotTable slots, BufferAddresses buffers,
               FixedFiles fixedFiles, ProvidedBuffers provided, boolean zeroCopy) {
        if (sqes.order() != java.nio.ByteOrder.LITTLE_ENDIAN) {
            // write() packs fields for a little-endian kernel ABI (x86_64, aarch64, riscv64: all we run on).
            throw new IllegalStateException("the io_uring driver supports little-endian machines only");
        }
        this.provided = provided;
        this.zeroCopy = zeroCopy;
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
        if (p instanceof RecvMultishot r && !provided.has(r.ring().group())) {
            return -EINVAL; // the host registers a ring before any op names it: a ring of another loop
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
        int opcode = t.opcode;
        int sqeFlags = link ? SQE_IO_LINK : 0;
        int ioprio = 0;
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
        OpKind.BufferUse use = kind.bufferUse();
        if (use == OpKind.BufferUse.FILL) {
            FixedBuf buf = p.buffer();
            addr = buffers.address(buf) + IoBuffers.fillOffset(buf);
            len = IoBuffers.fillLength(buf);
        } else if (use == OpKind.BufferUse.DRAIN) {
            FixedBuf buf = p.buffer();
            addr = buffers.address(buf) + IoBuffers.drainOffset(buf);
            len = IoBuffers.drainLength(buf);
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
            case SEND -> {
                Send send = (Send) p;
                opFlags = send.flags() | MSG_NOSIGNAL;
                if (send.zeroCopy() && zeroCopy) {
                    opcode = OP_SEND_ZC;
                    int region = send.buf().regionIndex();
                    if (send.buf().pool().isRegistered() && buffers.inRegisteredRegion(region, addr, len)) {
                        ioprio = RECVSEND_FIXED_BUF; // the pages are pinned already: no per-send pinning
                        bufIndex = region;
                    }
                }
            }
            case ACCEPT_MULTISHOT -> {
                ioprio = ACCEPT_MULTISHOT; // no address: each accept would overwrite it (getpeername instead)
                opFlags = SOCK_CLOEXEC;
            }
            case RECV_MULTISHOT -> {
                RecvMultishot r = (RecvMultishot) p;
                ioprio = RECV_MULTISHOT;
                sqeFlags |= SQE_BUFFER_SELECT;
                bufIndex = r.ring().group(); // buf_group shares the field with buf_index
                opFlags = r.flags();
            }
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
        write(sqIndex, opcode, sqeFlags, ioprio, fd, off, addr, len, opFlags, userData, bufIndex, fileIndex);
        return 0;
    }

    /** A LINK_TIMEOUT for the op just encoded in {@code slot}, due {@code nanos} after it starts. */
    void encodeLinkTimeout(int sqIndex, int slot, long nanos, long userData) {
        long ts = timespec(slot, SlotTable.LINK_TIMESPEC, nanos);
        write(sqIndex, OP_LINK_TIMEOUT, 0, 0, 0, 0, ts, 1, 0, userData, 0, 0);
    }

    /**
     * An ASYNC_CANCEL of every request on descriptor {@code fd}, hard-linked to the next SQE (the Close of
     * {@code fd}), which runs whatever the cancel found.
     */
    void encodeCancelFd(int sqIndex, int fd, long userData) {
        write(sqIndex, OP_ASYNC_CANCEL, SQE_IO_HARDLINK, 0, fd, 0, 0, 0, ASYNC_CANCEL_FD | ASYNC_CANCEL_ALL, userData, 0, 0);
    }

    /**
     * A MSG_RING that posts a CQE with user data {@code targetUserData} (result 0) into the ring {@code ringFd};
     * this ring gets its own CQE ({@code userData}) with the outcome. (CQE_SKIP would spare that one, but
     * kernels refuse it for data messages with EINVAL.)
     */
    void encodeMsgRing(int sqIndex, int ringFd, long targetUserData, long userData) {
        write(sqIndex, OP_MSG_RING, 0, 0, ringFd, targetUserData, MSG_DATA, 0, 0, userData, 0, 0);
    }

    /** An ASYNC_CANCEL of the request with {@code target} user data (or of everything with ANY). */
    void encodeCancel(int sqIndex, long target, int cancelFlags, long userData) {
        write(sqIndex, OP_ASYNC_CANCEL, 0, 0, 0, 0, target, 0, cancelFlags, userData, 0, 0);
    }

    /**
     * A SPLICE of {@code len} bytes from {@code fdIn} (at {@code offIn}, or -1 for a pipe) to {@code fdOut}
     * (a pipe or a socket: no output offset). {@code sqeFlags} carries {@code FIXED_FILE} for a registered
     * {@code fdOut} and {@code IO_LINK} to chain the next SQE; {@code inFixed} says {@code fdIn} is a
     * registered-file index.
     */
    void encodeSplice(int sqIndex, int fdIn, boolean inFixed, long offIn, int fdOut, int sqeFlags, int len,
                      long userData) {
        write(sqIndex, OP_SPLICE, sqeFlags, 0, fdOut, -1L, offIn, len, inFixed ? SPLICE_F_FD_IN_FIXED : 0, userData,
                0, fdIn);
    }

    /**
     * A SPLICE of up to {@code len} bytes from the pipe read end {@code pipeIn} to {@code fdOut}, with
     * {@code SPLICE_F_NONBLOCK}: an empty pipe fails with EAGAIN at once (the flag governs the pipe only; a
     * blocking socket still blocks until every byte is sent).
     */
    void encodeSpliceFromPipe(int sqIndex, int pipeIn, int fdOut, int sqeFlags, int len, long userData) {
        write(sqIndex, OP_SPLICE, sqeFlags, 0, fdOut, -1L, -1L, len, SPLICE_F_NONBLOCK, userData, 0, pipeIn);
    }

    /**
     * A plain TIMEOUT (count 0: only time ends it) of {@code nanos}, its timespec in the slot's link-timeout
     * scratch: the deadline of a SendFile chain, which a LINK_TIMEOUT cannot guard (see {@link SpliceChains}).
     */
    void encodeDeadline(int sqIndex, int slot, long nanos, long userData) {
        long ts = timespec(slot, SlotTable.LINK_TIMESPEC, nanos);
        write(sqIndex, OP_TIMEOUT, 0, 0, 0, 0, ts, 1, 0, userData, 0, 0);
    }

    /** A one-shot POLL_ADD on {@code fd} for {@code pollMask} ({@code poll32_events}). */
    void encodePollAdd(int sqIndex, int fd, int pollMask, long userData) {
        write(sqIndex, OP_POLL_ADD, 0, 0, fd, 0, 0, 0, pollMask, userData, 0, 0);
    }

    /** A READ of {@code len} bytes from {@code fd} into {@code addr}. */
    void encodeRead(int sqIndex, int fd, long addr, int len, long userData) {
        write(sqIndex, OP_READ, 0, 0, fd, 0, addr, len, 0, userData, 0, 0);
    }

    /** A pure TIMEOUT (no completion count) due at the absolute CLOCK_MONOTONIC time in the timespec at {@code ts}. */
    void encodeDeadline(int sqIndex, long ts, long userData) {
        write(sqIndex, OP_TIMEOUT, 0, 0, 0, 0, ts, 1, TIMEOUT_ABS, userData, 0, 0);
    }

    /**
     * Moves the TIMEOUT whose user data is {@code target} to the absolute time in the timespec at {@code ts};
     * {@code sqeFlags} {@link IoUringAbi#SQE_CQE_SKIP_SUCCESS} posts a CQE only if the move fails.
     */
    void encodeTimeoutUpdate(int sqIndex, long target, long ts, int sqeFlags, long userData) {
        // TIMEOUT_REMOVE: addr is the target, addr2 (the off field) the new timespec, len 0.
        write(sqIndex, OP_TIMEOUT_REMOVE, sqeFlags, 0, 0, ts, target, 0, TIMEOUT_UPDATE | TIMEOUT_ABS, userData, 0, 0);
    }

    private void write(int sqIndex, int opcode, int sqeFlags, int ioprio, int fd, long off, long addr, int len,
                       int opFlags, long userData, int bufIndex, int fileIndex) {
        // Eight 8-byte stores instead of fourteen field stores: the SQE's fields packed the way the kernel
        // reads them (little-endian: the first field in the low bytes of each word).
        int b = sqIndex * SQE_SIZE;
        ByteBuffer s = sqes;
        s.putLong(b, (opcode & 0xffL) | (sqeFlags & 0xffL) << 8 | (ioprio & 0xffffL) << 16 | (long) fd << 32);
        s.putLong(b + SQE_OFF, off);
        s.putLong(b + SQE_ADDR, addr);
        s.putLong(b + SQE_LEN, (len & 0xffffffffL) | (long) opFlags << 32);
        s.putLong(b + SQE_USER_DATA, userData);
        s.putLong(b + SQE_BUF_INDEX, (bufIndex & 0xffffL) | (long) fileIndex << 32); // personality 0
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
