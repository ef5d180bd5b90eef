package io.veloq.driver.uring;

/**
 * The io_uring kernel ABI this driver uses: opcodes, flags and structure offsets from
 * {@code <linux/io_uring.h>}, plus the few libc constants the driver needs. Values are fixed by the
 * kernel's user-space ABI and are the same on x86_64 and aarch64.
 */
final class IoUringAbi {
    private IoUringAbi() {
    }

    // ---- opcodes (enum io_uring_op) ----
    static final int OP_NOP = 0;
    static final int OP_FSYNC = 3;
    static final int OP_READ_FIXED = 4;
    static final int OP_WRITE_FIXED = 5;
    static final int OP_POLL_ADD = 6;
    static final int OP_SENDMSG = 9;
    static final int OP_RECVMSG = 10;
    static final int OP_TIMEOUT = 11;
    static final int OP_TIMEOUT_REMOVE = 12;
    /** timeout_flags: the timespec is an absolute CLOCK_MONOTONIC time. */
    static final int TIMEOUT_ABS = 1;
    /** timeout_flags of a TIMEOUT_REMOVE: move the target timeout instead of removing it (5.11). */
    static final int TIMEOUT_UPDATE = 1 << 1;
    static final int OP_ACCEPT = 13;
    static final int OP_ASYNC_CANCEL = 14;
    static final int OP_LINK_TIMEOUT = 15;
    static final int OP_CONNECT = 16;
    static final int OP_OPENAT = 18;
    static final int OP_CLOSE = 19;
    static final int OP_READ = 22;
    static final int OP_WRITE = 23;
    static final int OP_SEND = 26;
    static final int OP_SPLICE = 30;
    static final int OP_RECV = 27;
    static final int OP_SHUTDOWN = 34;
    static final int OP_SOCKET = 45;
    /** Since 5.18: post a CQE into another ring (cross-loop submission without an eventfd). */
    static final int OP_MSG_RING = 40;
    /** MSG_RING command in {@code addr}: post a CQE with the given user data and result. */
    static final int MSG_DATA = 0;
    /** Since 6.0: zero-copy send; result CQE with F_MORE, then an F_NOTIF CQE. */
    static final int OP_SEND_ZC = 47;
    /** Names for diagnostics, indexed by opcode. */
    static final String[] OP_NAMES = new String[64];

    static {
        String[][] names = {
            {"0", "NOP"}, {"3", "FSYNC"}, {"4", "READ_FIXED"}, {"5", "WRITE_FIXED"}, {"9", "SENDMSG"},
            {"10", "RECVMSG"}, {"11", "TIMEOUT"}, {"13", "ACCEPT"}, {"14", "ASYNC_CANCEL"},
            {"15", "LINK_TIMEOUT"}, {"16", "CONNECT"}, {"18", "OPENAT"}, {"19", "CLOSE"}, {"22", "READ"},
            {"23", "WRITE"}, {"26", "SEND"}, {"27", "RECV"}, {"30", "SPLICE"}, {"34", "SHUTDOWN"}, {"40", "MSG_RING"},
            {"45", "SOCKET"}, {"47", "SEND_ZC"},
        };
        for (String[] n : names) {
            OP_NAMES[Integer.parseInt(n[0])] = n[1];
        }
    }

    // ---- io_uring_setup ----
    static final int SETUP_CQSIZE = 1 << 3;
    static final int SETUP_CLAMP = 1 << 4;
    static final int SETUP_SUBMIT_ALL = 1 << 7;
    static final int SETUP_COOP_TASKRUN = 1 << 8;
    static final int SETUP_TASKRUN_FLAG = 1 << 9;
    static final int SETUP_SINGLE_ISSUER = 1 << 12;
    static final int SETUP_DEFER_TASKRUN = 1 << 13;

    static final int FEAT_SINGLE_MMAP = 1 << 0;
    static final int FEAT_NODROP = 1 << 1;
    static final int FEAT_RW_CUR_POS = 1 << 3;
    static final int FEAT_EXT_ARG = 1 << 8;
    /** IOSQE_CQE_SKIP_SUCCESS works (5.17). */
    static final int FEAT_CQE_SKIP = 1 << 11;

    /** {@code struct io_uring_params}: 120 bytes. */
    static final int PARAMS_SIZE = 120;
    static final int PARAMS_SQ_ENTRIES = 0;
    static final int PARAMS_CQ_ENTRIES = 4;
    static final int PARAMS_FLAGS = 8;
    static final int PARAMS_FEATURES = 20;
    static final int PARAMS_SQ_OFF = 40;
    static final int PARAMS_CQ_OFF = 80;
    // struct io_sqring_offsets, relative to PARAMS_SQ_OFF
    static final int SQ_OFF_HEAD = 0;
    static final int SQ_OFF_TAIL = 4;
    static final int SQ_OFF_RING_MASK = 8;
    static final int SQ_OFF_RING_ENTRIES = 12;
    static final int SQ_OFF_FLAGS = 16;
    static final int SQ_OFF_ARRAY = 24;
    // struct io_cqring_offsets, relative to PARAMS_CQ_OFF
    static final int CQ_OFF_HEAD = 0;
    static final int CQ_OFF_TAIL = 4;
    static final int CQ_OFF_RING_MASK = 8;
    static final int CQ_OFF_RING_ENTRIES = 12;
    static final int CQ_OFF_OVERFLOW = 16;
    static final int CQ_OFF_CQES = 20;

    static final long OFF_SQ_RING = 0L;
    static final long OFF_CQ_RING = 0x8000000L;
    static final long OFF_SQES = 0x10000000L;

    // SQ ring flags, read by user space
    static final int SQ_CQ_OVERFLOW = 1 << 1;
    static final int SQ_TASKRUN = 1 << 2;

    // ---- io_uring_enter ----
    static final int ENTER_GETEVENTS = 1 << 0;
    static final int ENTER_EXT_ARG = 1 << 3;
    /** {@code struct io_uring_getevents_arg}: sigmask, sigmask_sz, min_wait_usec, ts. */
    static final int GETEVENTS_ARG_SIZE = 24;
    static final int GETEVENTS_ARG_TS = 16;

    // ---- SQE (64 bytes) and CQE (16 bytes) ----
    static final int SQE_SIZE = 64;
    static final int SQE_OPCODE = 0;
    static final int SQE_FLAGS = 1;
    static final int SQE_IOPRIO = 2;
    static final int SQE_FD = 4;
    static final int SQE_OFF = 8;
    static final int SQE_ADDR = 16;
    static final int SQE_LEN = 24;
    static final int SQE_OP_FLAGS = 28;
    static final int SQE_USER_DATA = 32;
    static final int SQE_BUF_INDEX = 40;
    static final int SQE_PERSONALITY = 42;
    static final int SQE_FILE_INDEX = 44;
    static final int SQE_ADDR3 = 48;
    static final int SQE_PAD = 56;
    static final int CQE_SIZE = 16;
    static final int CQE_USER_DATA = 0;
    static final int CQE_RES = 8;
    static final int CQE_FLAGS = 12;
    /** CQE flags: a provided buffer was used (its id in the upper 16 bits), more CQEs follow, a ZC notification. */
    static final int CQE_F_BUFFER = 1;
    static final int CQE_F_MORE = 1 << 1;
    static final int CQE_F_NOTIF = 1 << 3;
    static final int CQE_BUFFER_SHIFT = 16;

    static final int SQE_FIXED_FILE = 1 << 0;
    static final int SQE_IO_LINK = 1 << 2;
    /** Like IO_LINK, but the next SQE runs whatever this one's result (a failed cancel must not stop a close). */
    static final int SQE_IO_HARDLINK = 1 << 3;
    /** Take the buffer from the provided-buffer group named in {@code buf_group}. */
    static final int SQE_BUFFER_SELECT = 1 << 5;
    /** No CQE when the op succeeds (5.17, FEAT_CQE_SKIP). */
    static final int SQE_CQE_SKIP_SUCCESS = 1 << 6;
    /** In {@code ioprio}: multishot accept; multishot recv; send/send_zc from a registered buffer. */
    static final int ACCEPT_MULTISHOT = 1;
    static final int RECV_MULTISHOT = 1 << 1;
    static final int RECVSEND_FIXED_BUF = 1 << 2;

    static final int FSYNC_DATASYNC = 1;
    /** {@code splice_flags}: the SQE's {@code splice_fd_in} is a registered-file index. */
    static final int SPLICE_F_FD_IN_FIXED = 1 << 31;
    /** {@code splice_flags}: do not wait on the pipe (the socket side follows the socket's own mode). */
    static final int SPLICE_F_NONBLOCK = 2;
    static final int ASYNC_CANCEL_ALL = 1 << 0;
    /** Match by descriptor (Linux 5.19+; older kernels fail the cancel with EINVAL). */
    static final int ASYNC_CANCEL_FD = 1 << 1;
    static final int ASYNC_CANCEL_ANY = 1 << 2;

    // ---- io_uring_register ----
    static final int REGISTER_BUFFERS = 0;
    static final int UNREGISTER_BUFFERS = 1;
    static final int REGISTER_FILES = 2;
    static final int UNREGISTER_FILES = 3;
    static final int REGISTER_FILES_UPDATE = 6;
    static final int REGISTER_PROBE = 8;
    /** Since 5.13: a table with tags; with {@link #RSRC_REGISTER_SPARSE} (5.19) one of empty slots. */
    static final int REGISTER_BUFFERS2 = 15;
    /** Since 5.13: replace slots of the registered-buffer table. */
    static final int REGISTER_BUFFERS_UPDATE = 16;
    static final int RSRC_REGISTER_SPARSE = 1;
    /** Since 5.19: provided-buffer rings. {@code struct io_uring_buf_reg}: ring_addr, ring_entries, bgid, flags, resv[3]. */
    static final int REGISTER_PBUF_RING = 22;
    static final int UNREGISTER_PBUF_RING = 23;
    static final int BUF_REG_SIZE = 40;
    /** {@code struct io_uring_buf}: addr, len, bid, resv (the ring's tail overlays entry 0's resv). */
    static final int BUF_SIZE = 16;
    static final int BUF_RING_TAIL = 14;
    /** Since 5.18: register the ring fd itself, then enter with {@link #ENTER_REGISTERED_RING} and its index. */
    static final int REGISTER_RING_FDS = 20;
    static final int UNREGISTER_RING_FDS = 21;
    static final int ENTER_REGISTERED_RING = 1 << 4;
    /** {@code struct io_uring_rsrc_register {u32 nr; u32 flags; u64 resv2; u64 data; u64 tags;}}. */
    static final int RSRC_REGISTER_SIZE = 32;
    /** {@code struct io_uring_rsrc_update2 {u32 offset; u32 resv; u64 data; u64 tags; u32 nr; u32 resv2;}}. */
    static final int RSRC_UPDATE2_SIZE = 32;
    /** IORING_MAX_REG_BUFFERS: the largest registered-buffer table. */
    static final int MAX_REG_BUFFERS = 1 << 14;
    /** {@code struct io_uring_probe} header, then 8-byte {@code io_uring_probe_op}s. */
    static final int PROBE_HEADER = 16;
    static final int PROBE_OP_SIZE = 8;
    static final int PROBE_OPS = 256;
    static final int PROBE_OP_SUPPORTED = 1;

    // ---- libc ----
    static final int AT_FDCWD = -100;
    static final int O_RDONLY = 0;
    static final int O_WRONLY = 1;
    static final int O_RDWR = 2;
    static final int O_CREAT = 0x40;
    static final int O_EXCL = 0x80;
    static final int O_TRUNC = 0x200;
    static final int O_APPEND = 0x400;
    static final int O_DSYNC = 0x1000;
    static final int O_SYNC = 0x101000;
    static final int O_CLOEXEC = 0x80000;
    static final int SOCK_STREAM = 1;
    static final int SOCK_DGRAM = 2;
    static final int SOCK_CLOEXEC = 0x80000;
    static final int MSG_NOSIGNAL = 0x4000;
    static final int EFD_CLOEXEC = 0x80000;
    static final int EFD_NONBLOCK = 0x800;
    static final int F_SETPIPE_SZ = 1031;
    static final int F_GETPIPE_SZ = 1032;
    /** {@code struct msghdr}: name, namelen, iov, iovlen, control, controllen, flags; 56 bytes. */
    static final int MSGHDR_NAME = 0;
    static final int MSGHDR_NAMELEN = 8;
    static final int MSGHDR_IOV = 16;
    static final int MSGHDR_IOVLEN = 24;
    static final int MSGHDR_CONTROL = 32;
    static final int MSGHDR_CONTROLLEN = 40;
    static final int MSGHDR_FLAGS = 48;
    static final int MSGHDR_SIZE = 56;
    static final int IOVEC_SIZE = 16;
}
